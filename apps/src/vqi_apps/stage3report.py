"""Stage 3's report: the run folder's artefacts read back and laid out by vqi_apps.report.

Everything comes from files (the steps' ``results.jsonl``, ``reasoning/``, ``done.json`` and the
stages' ``summary.yaml``), so the page can be rebuilt from a finished run without any model; the
held-out metrics of "Does it learn?" come from vqi_apps.heldout (saved predictions are reused).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from vqi_apps import heldout
from vqi_apps.report import BeforeAfter, Curve, Heatmap, StageMetrics, Verdict, write_report
from vqi_rewards import parse_completion


def _results(folder: Path) -> list[dict[str, Any]]:
    path = folder / "results.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _reasoning(folder: Path, prompt_id: str, a: int, b: int) -> str:
    """The judge's reasoning on candidates ``a`` and ``b`` (either order shown; A/B first)."""
    notes_file = folder / "reasoning" / f"{prompt_id}.json"
    notes = json.loads(notes_file.read_text()) if notes_file.is_file() else {}
    for key in (f"{a},{b}", f"{b},{a}"):
        if key in notes:
            parsed = parse_completion(notes[key])
            shown = "A" if key.startswith(f"{a},") else "B"
            think = parsed.think if parsed and parsed.think else notes[key]
            return f"(winner shown as Video {shown}) {think}"
    return ""


def verdicts(root: Path, step: str, limit: int) -> list[Verdict]:
    """Up to ``limit`` prompts of a tournament step: its winner and loser, with the judge's words."""
    folder = root / step
    out = []
    for row in _results(folder):
        best, worst = row["best"], row["worst"]
        if best is None or worst is None:
            continue
        out.append(Verdict(
            title=f"{step} · {row['prompt_id']}",
            prompt=row["prompt"],
            winner=root / row["clips"][best],
            loser=root / row["clips"][worst],
            reasoning=_reasoning(folder, row["prompt_id"], best, worst),
            wins=(row["wins"][best], row["wins"][worst]),
        ))
        if len(out) == limit:
            break
    return out


def heatmaps(root: Path, steps: list[str], limit: int) -> list[Heatmap]:
    """The win matrices of the first ``limit`` prompts of each tournament step."""
    out = []
    for step in steps:
        for row in _results(root / step)[:limit]:
            labels = [f"c{k}" for k in range(len(row["clips"]))]
            out.append(Heatmap(f"{step} · {row['prompt_id']}: {row['prompt']}", labels, row["win_matrix"]))
    return out


def curves(root: Path, summary: dict[str, Any]) -> list[Curve]:
    """Reward and loss curves of every training step of the run (stages 1-2 when they ran here)."""
    out = []
    for stage in ("stage1", "stage2"):
        path = root.parent / stage / "final" / "summary.yaml"
        if path.is_file():
            s = yaml.safe_load(path.read_text())
            out.append(Curve(f"{stage}: GRPO mean reward", "reward", {"reward": s.get("rewards", [])}))
    judge = summary["judge_refresh"]
    out.append(Curve("stage 3 judge refresh: GRPO mean reward", "reward", {"reward": judge.get("rewards", [])}))
    for key in ("dpo_0", "dpo_1"):
        s = summary[key]
        if s["trained"]:
            out.append(Curve(f"{key}: DPO loss", "loss", {"loss": s["losses"]}))
            out.append(Curve(f"{key}: DPO implicit accuracy", "accuracy", {"accuracy": s["implicit_accuracy"]}))
    return out


def before_after(root: Path, limit: int) -> list[BeforeAfter]:
    """The first generator's clips and the final one's, same prompt and seed (candidate 0)."""
    out = []
    for row in _results(root / "final" / "duel")[:limit]:
        out.append(BeforeAfter(row["prompt"], row["seeds"][0], root / row["clips"][0], root / row["clips"][1]))
    return out


def _scalars(step: dict[str, Any]) -> dict[str, Any]:
    """A step summary without its per-step histories (those are plotted)."""
    return {k: v for k, v in step.items() if not isinstance(v, list)}


def stage_metrics(curve: Mapping[str, Mapping[str, Any]]) -> StageMetrics:
    """The section "Does it learn?" of :func:`heldout.learning_curve`'s ``{stage: {metric: value, ...}}``."""
    chance = {metric: level for metric, level in heldout.CHANCE.items() if level is not None}
    return StageMetrics(tables=heldout.tables(curve), stages={k: dict(v) for k, v in curve.items()},
                        chance=chance, note=heldout.NOTE)


def build_report(root: Path, summary: dict[str, Any], shown: int,
                 learning: Mapping[str, Mapping[str, Any]] | None = None) -> Path:
    """Write ``runs/<name>/report.html`` for the stage-3 folder ``root``; return its path.

    Args:
        root: the stage-3 folder, ``runs/<name>/stage3``.
        summary: the stage-3 summary (``stage3/summary.yaml``).
        shown: verdicts and before/after pairs shown per step.
        learning: held-out metrics per stage (:func:`heldout.learning_curve`), shown first as
            "Does it learn?"; None leaves that section out.
    """
    headline = {
        "pairs (round 0, C)": summary["tournament_0"]["pairs"],
        "pairs (C-hat)": summary["refresh"]["pairs"],
        "pairs (round 1)": summary["tournament_1"]["pairs"],
        "prompts without a pair": sum(summary[k]["skipped_prompts"] for k in ("tournament_0", "refresh", "tournament_1")),
        "judge order agreement": summary["tournament_0"]["order_agreement"],
        "final generator win rate (duel)": summary["duel"]["final_generator_win_rate"],
    }
    quality = summary.get("generator_quality")
    if quality:
        headline[f"generator {quality['statistic']}, before -> after DPO (seed spread)"] = (
            f"{quality['before']} -> {quality['after']} ({quality['spread']}); judge prefers {quality['judge_prefers']}"
        )
    return write_report(
        root.parent / "report.html",
        title=f"VQ-Insight stage 3: {root.parent.name}",
        summary=headline | {"steps": {k: _scalars(v) for k, v in summary.items()}},
        verdicts=verdicts(root, "round_0/tournament", shown) + verdicts(root, "round_1/tournament", shown),
        heatmaps=heatmaps(root, ["round_0/tournament", "round_1/tournament"], 2),
        curves=curves(root, summary),
        before_after=before_after(root, shown),
        learning=None if learning is None else stage_metrics(learning),
    )
