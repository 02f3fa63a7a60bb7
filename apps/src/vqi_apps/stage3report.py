"""Stage 3's report: the run folder's artefacts read back and laid out by vqi_apps.report.

Everything comes from files (the steps' ``results.jsonl``, their reasoning records, the stages'
summaries), so the page can be rebuilt from a finished run without any model; the held-out
metrics of "Does it learn?" come from vqi_apps.heldout (saved predictions are reused).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vqi_apps import heldout
from vqi_apps.report import BeforeAfter, Curve, Heatmap, StageMetrics, Verdict, write_report
from vqi_apps.runfolder import (
    STAGE3_STEPS,
    RunFolder,
    Stage3Summary,
    StageSummary,
    is_complete,
    read_reasoning,
    read_results,
    stage_summary,
)
from vqi_rewards import parse_completion


def _reasoning(folder: Path, prompt_id: str, a: int, b: int) -> str:
    """The judge's reasoning on candidates ``a`` and ``b`` (either order shown; A/B first)."""
    notes = read_reasoning(folder, prompt_id)
    for pair in ((a, b), (b, a)):
        if pair in notes:
            parsed = parse_completion(notes[pair])
            shown = "A" if pair[0] == a else "B"
            think = parsed.think if parsed and parsed.think else notes[pair]
            return f"(winner shown as Video {shown}) {think}"
    return ""


def verdicts(run: RunFolder, key: str, limit: int) -> list[Verdict]:
    """Up to ``limit`` prompts of a tournament step: its winner and loser, with the judge's words."""
    root, step = run.stage("stage3"), STAGE3_STEPS[key]
    out = []
    for row in read_results(run.results(key)):
        best, worst = row.best, row.worst
        if best is None or worst is None:
            continue
        out.append(Verdict(
            title=f"{step} · {row.prompt_id}",
            prompt=row.prompt,
            winner=root / row.clips[best],
            loser=root / row.clips[worst],
            reasoning=_reasoning(run.step(key), row.prompt_id, best, worst),
            wins=(row.wins[best], row.wins[worst]),
        ))
        if len(out) == limit:
            break
    return out


def heatmaps(run: RunFolder, keys: list[str], limit: int) -> list[Heatmap]:
    """The win matrices of the first ``limit`` prompts of each tournament step."""
    out = []
    for key in keys:
        for row in read_results(run.results(key))[:limit]:
            labels = [f"c{k}" for k in range(len(row.clips))]
            out.append(Heatmap(f"{STAGE3_STEPS[key]} · {row.prompt_id}: {row.prompt}", labels, row.win_matrix))
    return out


def curves(run: RunFolder, summary: Stage3Summary) -> list[Curve]:
    """Reward and loss curves of every training step of the run (stages 1-2 when they ran here)."""
    out = []
    for stage in ("stage1", "stage2"):
        if is_complete(run.final(stage)):
            s = StageSummary.read(stage_summary(run.final(stage)))
            out.append(Curve(f"{stage}: GRPO mean reward", "reward", {"reward": s.rewards}))
    judge = summary.judge_refresh
    out.append(Curve("stage 3 judge refresh: GRPO mean reward", "reward", {"reward": judge.rewards}))
    for key, dpo in (("dpo_0", summary.dpo_0), ("dpo_1", summary.dpo_1)):
        if dpo.trained:
            out.append(Curve(f"{key}: DPO loss", "loss", {"loss": dpo.losses}))
            out.append(Curve(f"{key}: DPO implicit accuracy", "accuracy", {"accuracy": dpo.implicit_accuracy}))
    return out


def before_after(run: RunFolder, limit: int) -> list[BeforeAfter]:
    """The first generator's clips and the final one's, same prompt and seed (candidate 0)."""
    root = run.stage("stage3")
    out = []
    for row in read_results(run.results("duel"))[:limit]:
        out.append(BeforeAfter(row.prompt, row.seeds[0], root / row.clips[0], root / row.clips[1]))
    return out


def _scalars(step: dict[str, Any]) -> dict[str, Any]:
    """A step summary without its per-step histories (those are plotted)."""
    return {k: v for k, v in step.items() if not isinstance(v, list)}


def stage_metrics(curve: Mapping[str, Mapping[str, Any]]) -> StageMetrics:
    """The section "Does it learn?" of :func:`heldout.learning_curve`'s ``{stage: {metric: value, ...}}``."""
    chance = {metric: level for metric, level in heldout.CHANCE.items() if level is not None}
    return StageMetrics(tables=heldout.tables(curve), stages={k: dict(v) for k, v in curve.items()},
                        chance=chance, note=heldout.NOTE)


def build_report(run: RunFolder, summary: Stage3Summary, shown: int,
                 learning: Mapping[str, Mapping[str, Any]] | None = None) -> Path:
    """Write the run's ``report.html``; return its path.

    Args:
        run: the run folder, ``runs/<name>``.
        summary: the stage-3 summary (``stage3/summary.yaml``).
        shown: verdicts and before/after pairs shown per step.
        learning: held-out metrics per stage (:func:`heldout.learning_curve`), shown first as
            "Does it learn?"; None leaves that section out.
    """
    tournaments = (summary.tournament_0, summary.refresh, summary.tournament_1)
    quality = summary.generator_quality
    headline = {
        "pairs (round 0, C)": summary.tournament_0.pairs,
        "pairs (C-hat)": summary.refresh.pairs,
        "pairs (round 1)": summary.tournament_1.pairs,
        "prompts without a pair": sum(t.skipped_prompts for t in tournaments),
        "judge order agreement": summary.tournament_0.order_agreement,
        "final generator win rate (duel)": summary.duel.final_generator_win_rate,
        f"generator {quality.statistic}, before -> after DPO (seed spread)": (
            f"{quality.before} -> {quality.after} ({quality.spread}); judge prefers {quality.judge_prefers}"
        ),
    }
    return write_report(
        run.report,
        title=f"VQ-Insight stage 3: {run.root.name}",
        summary=headline | {"steps": {k: _scalars(v) for k, v in summary.to_dict().items()}},
        verdicts=verdicts(run, "tournament_0", shown) + verdicts(run, "tournament_1", shown),
        heatmaps=heatmaps(run, ["tournament_0", "tournament_1"], 2),
        curves=curves(run, summary),
        before_after=before_after(run, shown),
        learning=None if learning is None else stage_metrics(learning),
    )
