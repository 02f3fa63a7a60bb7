"""Stage 3, united finetuning of generation and understanding: the judge aligns the generator with
DiffusionDPO, the generator's new winners refresh the judge, and the refreshed judge aligns it again.

    uv run apps/stage3.py                                                  # the tiny default, end to end, CPU
    uv run apps/stage3.py --config apps/configs/stage3/qwen2.5-vl-7b.yaml  # the paper's run (GPUs)
    uv run apps/stage3.py candidates=8 both_orders=false dpo.max_steps=40  # any key as key=value

The loop (paper section "United Finetuning"), each step in its own folder of
``runs/<name>/stage3/``:

    round_0/generate    1. the generator G makes N candidates per prompt (MP4 + seeds)
    round_0/tournament  2. the stage-2 judge D runs a round robin per prompt -> pairs C (eq. 8)
    round_0/dpo         3. DiffusionDPO / Flow-DPO trains G on C -> G'
    round_1/generate    4. G' makes new candidates (same seeds), and
    round_1/refresh        D picks the best of each prompt, paired with C's loser -> C-hat
    round_1/judge       5. D is finetuned on C-hat + its stage-2 data with the stage-2 GRPO recipe -> D'
    round_1/tournament  6. D' judges G's new candidates -> a new preference set, and
    round_1/dpo            DPO again, from G' -> G'' (the final generator)
    final/generate         G'' samples the round-0 prompts and seeds (before/after DPO), and
    final/duel             D' compares each of them with G's clip of the same seed, in both orders

A step is skipped when its ``done.json`` exists; inside a step, finished prompts, recorded
verdicts and saved checkpoints are kept, so killing the process at any moment and running the
same command again ends with the same artefacts as an uninterrupted run. The resolved config is
``stage3/config.yaml``; the final summary ``stage3/summary.yaml``; the page ``runs/<name>/report.html``.

With no judge given (``judge.model``), the judge is this run's ``stage2/final``; the tiny default
runs stages 1 and 2 first when it is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import mean
from typing import Annotated, Any

import yaml

from vqi_apps.config import claim_folder, claim_inputs, load_config, run, split_overrides, tiny_config, writable_folder
from vqi_apps.defaults import synthetic_dataset
from vqi_apps.generation import (
    Candidates,
    GeneratorConfig,
    Tournament,
    candidate_seeds,
    generator_path,
    open_generator,
    read_candidates,
    run_tournament,
    sample_candidates,
    write_results,
)
from vqi_apps.generatorquality import generator_quality
from vqi_apps.heldout import format_curve, learning_curve
from vqi_apps.judging import JudgeConfig, model_identity, open_judge
from vqi_apps.stage3report import build_report
from vqi_apps.stages import SYNTHETIC, run_tiny
from vqi_apps.training import StageConfig, is_complete, run_stage
from vqi_diffdpo import DiffDPOConfig
from vqi_diffdpo import PreferencePair as DPOPair
from vqi_diffdpo import train as train_dpo
from vqi_grpo import VideoGRPOConfig
from vqi_judge import ManifestRow, check_checkpoint, read_manifest, write_manifest
from vqi_tournament import PreferencePair, merge_for_judge, read_pairs, refresh, select_pairs, write_atomic, write_pairs
from vqi_video import read_frames

TINY = tiny_config("stage3")


@dataclass
class Stage3Config:
    """Settings of apps/stage3.py.

    Attributes:
        name: the run name: outputs go to ``runs/<name>/stage3/``.
        runs: the folder holding every run.
        judge: the judge of the tournaments; ``judge.model`` None: this run's ``stage2/final``.
        generator: the generator and how it samples.
        prompts: the prompts (paper: 5k from VidProM).
        prompts_file: a text file with one prompt per line, used instead of ``prompts``.
        candidates: N, candidates per prompt (paper: 10).
        both_orders: judge each pair as A/B and B/A, a win counting only when both agree.
        seed: seeds the candidates (prompt i, candidate k: seed + 1000 i + k) and the tie-breaks.
        dpo: ``vqi_diffdpo.DiffDPOConfig`` keys (the model, output folder and clip shape are set here).
        judge_data: the judge's stage-2 training manifest, merged with C-hat in step 5; None: this
            run's ``stage2/data/manifest.jsonl`` when it exists, else a synthetic set.
        judge_synthetic: items per task of that synthetic set.
        judge_recipe: the stage-2 config whose ``rewards`` and ``grpo`` step 5 trains the judge
            with (the paper: "the training strategy in Stage 2"), relative to this config's file.
        grpo: ``vqi_grpo.VideoGRPOConfig`` keys of step 5 that replace the recipe's (e.g. fewer steps).
        report_verdicts: winner/loser pairs shown in the report.
    """

    name: str = "tiny"
    runs: str = "runs"
    judge: JudgeConfig = field(default_factory=JudgeConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    prompts: list[str] = field(default_factory=list)
    prompts_file: str | None = None
    candidates: int = 4
    both_orders: bool = True
    seed: int = 0
    dpo: Annotated[dict[str, Any], DiffDPOConfig] = field(default_factory=dict)
    judge_data: str | None = None
    judge_synthetic: dict[str, int] = field(default_factory=lambda: dict(SYNTHETIC["stage2"]))
    judge_recipe: str = "../stage2/tiny.yaml"
    grpo: Annotated[dict[str, Any], VideoGRPOConfig] = field(default_factory=dict)
    report_verdicts: int = 4

    def folder(self) -> Path:
        """``runs/<name>/stage3``."""
        return Path(self.runs) / self.name / "stage3"


def step(folder: Path, label: str, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``work`` unless ``folder/done.json`` says it finished; record its summary there."""
    marker = folder / "done.json"
    if marker.is_file():
        print(f"{label}: done, skipped ({folder})")
        return json.loads(marker.read_text())
    print(f"== {label}")
    folder.mkdir(parents=True, exist_ok=True)
    summary = work()
    write_atomic(marker, json.dumps(summary, indent=1).encode("utf-8"))
    return summary


def read_prompts(config: Stage3Config) -> list[tuple[str, str]]:
    """``(prompt_id, prompt)`` pairs, ids ``p000``, ``p001``, ... in file order."""
    if config.prompts_file:
        lines = Path(config.prompts_file).read_text(encoding="utf-8").splitlines()
        prompts = [line.strip() for line in lines if line.strip()]
    else:
        prompts = config.prompts
    if not prompts:
        raise ValueError("no prompts: set prompts=[...] or prompts_file=<one prompt per line>")
    if len(set(prompts)) != len(prompts):
        raise ValueError("the prompts repeat; give each prompt once (candidates= sets how many clips each gets)")
    if config.candidates < 2:
        raise ValueError(f"candidates={config.candidates}: a tournament needs at least 2")
    return [(f"p{i:03d}", p) for i, p in enumerate(prompts)]


def judge_recipe(config: Stage3Config, config_path: Path) -> StageConfig:
    """Step 5's rewards and GRPO settings: ``judge_recipe`` read as a stage-2 config, ``grpo`` on top."""
    recipe = load_config(StageConfig, config_path.parent / config.judge_recipe, [])
    return replace(recipe, grpo=recipe.grpo | config.grpo)


def ensure_judge(config: Stage3Config, config_path: Path) -> Path:
    """The stage-2 judge: ``judge.model``, else this run's ``stage2/final`` (run first for the tiny default)."""
    if config.judge.model:
        return Path(config.judge.model)
    final = Path(config.runs) / config.name / "stage2" / "final"
    if is_complete(final):
        return final
    if config_path.resolve() != TINY.resolve():
        raise FileNotFoundError(f"no stage-2 judge at {final}: run apps/stage2.py first, or set judge.model=")
    print(f"no stage-2 judge at {final}: running apps/stage2.py (and stage 1) on their tiny configs first")
    return run_tiny("stage2", config.name, config.runs)


class Loop:
    """The steps of stage 3 over one run folder."""

    def __init__(self, config: Stage3Config, judge: Path, recipe: StageConfig) -> None:
        self.config = config
        self.recipe = recipe
        self.root = config.folder()
        self.prompts = read_prompts(config)
        self.judge0 = judge

    def generate(self, folder: Path, generator: Path) -> dict[str, Any]:
        """Steps 1 and 4: N candidates per prompt from ``generator`` into ``folder``."""
        c = self.config

        def work() -> dict[str, Any]:
            pipe = open_generator(generator, c.generator.device)
            todo = [(pid, p, candidate_seeds(c.seed, i, c.candidates)) for i, (pid, p) in enumerate(self.prompts)]
            made = sample_candidates(pipe, c.generator, folder, todo, desc=f"generate {folder.parent.name}")
            return {"generator": self.rel(generator), "prompts": len(made), "clips": sum(len(m.clips) for m in made)}

        return step(folder, f"generate with {self.rel(generator)}", work)

    def candidates(self, folder: Path) -> list[Candidates]:
        """The complete candidates of a finished generate step.

        Raises:
            FileNotFoundError: when clips or records of the step are gone since it finished.
        """
        found = [read_candidates(folder, pid) for pid, _ in self.prompts]
        missing = [pid for (pid, _), f in zip(self.prompts, found) if f is None]
        if missing:
            raise FileNotFoundError(
                f"{folder}: the candidates of {len(missing)} of {len(found)} prompts (e.g. {missing[0]}) are missing "
                f"although the step finished: delete {folder / 'done.json'} to generate them again"
            )
        return found  # type: ignore[return-value]

    def tournament(self, folder: Path, judge: Path, generate: Path, round: int, generator: Path,
                   previous: Path | None = None) -> dict[str, Any]:
        """Steps 2, 4 and 6: the judge's round robins over ``generate``'s candidates.

        Writes ``results.jsonl`` and the preference set C as ``pairs.jsonl`` or, with the
        ``previous`` pairs given, C-hat (new best against the previous loser) as ``c_hat.jsonl``.
        Pair paths are relative to the stage-3 folder.
        """
        c = self.config

        def work() -> dict[str, Any]:
            done = run_tournament(self.open_judge(judge), self.candidates(generate), folder,
                                  both_orders=c.both_orders, seed=c.seed, desc=f"tournament {folder.parent.name}")
            write_results(folder / "results.jsonl", done, self.root)
            results = [t.prompt_result(self.root, round, self.rel(generator), self.rel(judge)) for t in done]
            if previous is None:
                pairs, skipped = select_pairs(results)
                out = folder / "pairs.jsonl"
            else:
                pairs, skipped = refresh(read_pairs(previous), results)
                out = folder / "c_hat.jsonl"
            write_pairs(out, pairs)
            return {
                "judge": self.rel(judge), "pairs": len(pairs), "skipped_prompts": skipped,
                "comparisons": sum(len(t.result.matches) for t in done),
                "order_agreement": _agreement(done), "file": self.rel(out),
            }

        return step(folder, f"tournament judged by {self.rel(judge)}", work)

    def dpo(self, folder: Path, generator: Path, pairs_file: Path) -> dict[str, Any]:
        """Steps 3 and 6: DPO of ``generator`` on the pairs; the result is ``folder/pipeline``."""
        c = self.config

        def work() -> dict[str, Any]:
            pairs = [self.dpo_pair(p) for p in read_pairs(pairs_file)]
            g = c.generator
            cfg = dpo_config(c, generator, folder)
            if len(pairs) < cfg.batch_size:
                print(f"dpo: {len(pairs)} pairs, fewer than one batch ({cfg.batch_size}): the generator stays as it is")
                return {"trained": False, "pairs": len(pairs), "pipeline": self.rel(generator)}
            resume = _last_checkpoint(folder, cfg.max_steps)
            cfg = replace(cfg, resume_from=str(resume) if resume else None)

            def load_video(path: str) -> Any:
                return read_frames(path, range(g.num_frames)).frames

            result = train_dpo(cfg, pairs, load_video)
            state = result.state
            return {
                "trained": True, "pairs": result.pairs_used, "skipped": dict(result.skipped.counts),
                "steps": state.step, "beta": result.beta, "losses": state.losses,
                "implicit_accuracy": state.accuracies, "pipeline": self.rel(result.pipeline_dir),
            }

        return step(folder, f"dpo of {self.rel(generator)}", work)

    def refresh_judge(self, folder: Path, c_hat_file: Path) -> dict[str, Any]:
        """Step 5: GRPO of the judge on C-hat merged with its stage-2 data -> ``folder/final``."""
        c = self.config

        def work() -> dict[str, Any]:
            c_hat = [self.absolute_pair(p) for p in read_pairs(c_hat_file)]
            original = [r.to_dict() for r in self.judge_data()]
            merged = merge_for_judge(c_hat, original, seed=c.seed)
            rows = [ManifestRow.from_dict(row) for row in merged]
            manifest = folder / "data" / "manifest.jsonl"
            write_manifest([replace(r, media=tuple(os.path.relpath(m, manifest.parent) for m in r.media)) for r in rows],
                           manifest)
            stage = replace(self.recipe, name=c.name, runs=c.runs, model=str(self.judge0), train=str(manifest),
                            media_root=None, synthetic={})
            final = run_stage(stage, "stage3 judge refresh", self.judge0, read_manifest(manifest), folder=folder)
            summary = yaml.safe_load((final / "summary.yaml").read_text())
            return summary | {"rows": len(rows), "c_hat_rows": len(c_hat), "judge": self.rel(final)}

        return step(folder, "judge refresh on C-hat + stage-2 data", work)

    def duel(self, folder: Path, judge: Path, before: Path, after: Path) -> dict[str, Any]:
        """The final generator's clip against the first one's, same prompt and seed, judged by D'."""
        c = self.config

        def work() -> dict[str, Any]:
            pairs = []
            for b, a in zip(self.candidates(before), self.candidates(after)):
                for k, (clip_b, clip_a) in enumerate(zip(b.clips, a.clips)):
                    pairs.append(Candidates(f"{b.prompt_id}_s{b.seeds[k]}", b.prompt, (b.seeds[k],) * 2, (clip_b, clip_a)))
            done = run_tournament(self.open_judge(judge), pairs, folder, both_orders=True, seed=c.seed, desc="duel")
            write_results(folder / "results.jsonl", done, self.root)
            return {"judge": self.rel(judge), "duels": len(done),
                    "final_generator_win_rate": mean(t.result.wins[1] for t in done),
                    "order_agreement": _agreement(done)}

        return step(folder, "final generator against the first, judged by the refreshed judge", work)

    def judge_data(self) -> list[ManifestRow]:
        """The judge's stage-2 training rows (see ``Stage3Config.judge_data``)."""
        c = self.config
        if c.judge_data:
            return read_manifest(c.judge_data)
        stage2_data = Path(c.runs) / c.name / "stage2" / "data" / "manifest.jsonl"
        if stage2_data.is_file():
            return read_manifest(stage2_data)
        manifest = self.root / "judge_data" / "manifest.jsonl"
        if not manifest.is_file():
            synthetic_dataset(manifest.parent, c.judge_synthetic, seed=3)
        return read_manifest(manifest)

    def open_judge(self, path: Path):  # noqa: ANN201 - vqi_judge.Judge
        """The judge at ``path`` with this run's judge settings."""
        return open_judge(replace(self.config.judge, model=str(path)))

    def absolute_pair(self, pair: PreferencePair) -> PreferencePair:
        """The pair with its clip paths joined onto the stage-3 folder."""
        return replace(pair, winner=str(self.root / pair.winner), loser=str(self.root / pair.loser))

    def dpo_pair(self, pair: PreferencePair) -> DPOPair:
        """A tournament pair as vqi-diffdpo's pair, provenance carried through."""
        p = self.absolute_pair(pair)
        return DPOPair(p.prompt, p.winner, p.loser, p.to_dict()["provenance"])

    def rel(self, path: Path | str) -> str:
        """A path as written into summaries: relative to the run folder when inside it."""
        try:
            return str(Path(path).resolve().relative_to(self.root.parent.resolve()))
        except ValueError:
            return str(path)


def dpo_config(config: Stage3Config, generator: Path, folder: Path) -> DiffDPOConfig:
    """vqi-diffdpo's config: the ``dpo`` section, with the model, folder and clip shape of this run."""
    g = config.generator
    settings = config.dpo | {
        "model": str(generator), "output_dir": str(folder), "num_frames": g.num_frames,
        "height": g.height, "width": g.width, "max_sequence_length": g.max_sequence_length,
    }
    return DiffDPOConfig(**settings)  # the section's keys and types were checked when the config was read


def _agreement(done: list[Tournament]) -> float | None:
    """Mean share of pairs whose two orders agree (None when each pair is judged once)."""
    rates = [t.result.disagreement_rate for t in done if t.result.disagreement_rate is not None]
    return 1.0 - mean(rates) if rates else None


def _last_checkpoint(folder: Path, max_steps: int) -> Path | None:
    """The latest complete DPO checkpoint before ``max_steps`` (the last one is redone with the export)."""
    complete = [p for p in folder.glob("checkpoint-*") if (p / "trainer_state.json").is_file()]
    earlier = [p for p in complete if int(p.name.split("-")[1]) < max_steps]
    return max(earlier, key=lambda p: int(p.name.split("-")[1]), default=None)


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=TINY, help="YAML config (default: the tiny CPU one)")
    rest, overrides = split_overrides(sys.argv[1:] if argv is None else argv)
    config_path = parser.parse_args(rest).config
    config = load_config(Stage3Config, config_path, overrides)
    recipe = judge_recipe(config, config_path)  # read first: a bad path fails before any work
    if config.judge.model:
        check_checkpoint(config.judge.model)
    writable_folder(config.folder(), "runs")
    loop_judge = ensure_judge(config, config_path)
    loop = Loop(config, loop_judge, recipe)
    root = loop.root
    claim_folder(root, config)
    g0 = generator_path(config.generator)
    d0 = loop_judge
    claim_inputs(root, {"judge": model_identity(d0), "generator": model_identity(g0)})
    r0, r1, fin = root / "round_0", root / "round_1", root / "final"

    summary: dict[str, Any] = {}
    summary["generate_0"] = loop.generate(r0 / "generate", g0)
    summary["tournament_0"] = loop.tournament(r0 / "tournament", d0, r0 / "generate", 0, g0)
    summary["dpo_0"] = loop.dpo(r0 / "dpo", g0, r0 / "tournament" / "pairs.jsonl")
    g1 = root.parent / summary["dpo_0"]["pipeline"] if summary["dpo_0"]["trained"] else g0
    summary["generate_1"] = loop.generate(r1 / "generate", g1)
    summary["refresh"] = loop.tournament(r1 / "refresh", d0, r1 / "generate", 1, g1,
                                         previous=r0 / "tournament" / "pairs.jsonl")
    summary["judge_refresh"] = loop.refresh_judge(r1 / "judge", r1 / "refresh" / "c_hat.jsonl")
    d1 = r1 / "judge" / "final"
    summary["tournament_1"] = loop.tournament(r1 / "tournament", d1, r1 / "generate", 1, g1)
    summary["dpo_1"] = loop.dpo(r1 / "dpo", g1, r1 / "tournament" / "pairs.jsonl")
    g2 = root.parent / summary["dpo_1"]["pipeline"] if summary["dpo_1"]["trained"] else g1
    summary["generate_final"] = loop.generate(fin / "generate", g2)
    summary["duel"] = loop.duel(fin / "duel", d1, r0 / "generate", fin / "generate")
    summary["generator_quality"] = generator_quality(
        [c for cands in loop.candidates(r0 / "generate") for c in cands.clips],
        [c for cands in loop.candidates(fin / "generate") for c in cands.clips],
        [(Path(p.winner), Path(p.loser)) for p in map(loop.absolute_pair, read_pairs(r0 / "tournament" / "pairs.jsonl"))],
        config.generator.num_frames,
    )
    (root / "summary.yaml").write_text(yaml.safe_dump(summary, sort_keys=False))
    print("== held-out metrics of the run's judges (tools/learning_curve.py)")
    curve = learning_curve(root.parent)
    report = build_report(root, summary, config.report_verdicts, learning=curve)
    print_summary(summary, root, report)
    print(format_curve(curve))
    return report


def print_summary(summary: dict[str, Any], root: Path, report: Path) -> None:
    """The final summary: pairs made and skipped, order agreement, DPO accuracy, where things are."""
    print("\n== stage 3 summary")
    for key in ("tournament_0", "refresh", "tournament_1"):
        s = summary[key]
        agree = "n/a" if s["order_agreement"] is None else f"{s['order_agreement']:.0%}"
        print(f"{key:13} {s['pairs']} pairs, {s['skipped_prompts']} prompts without a pair, "
              f"{s['comparisons']} comparisons, judge orders agree {agree}")
    for key in ("dpo_0", "dpo_1"):
        s = summary[key]
        if s["trained"]:
            print(f"{key:13} {s['steps']} steps on {s['pairs']} pairs: loss {s['losses'][0]:.4f} -> "
                  f"{s['losses'][-1]:.4f}, implicit accuracy {mean(s['implicit_accuracy']):.2f} (mean)")
        else:
            print(f"{key:13} not trained ({s['pairs']} pairs)")
    j = summary["judge_refresh"]
    print(f"{'judge':13} {j['steps']} GRPO steps on {j['rows']} rows ({j['c_hat_rows']} from C-hat): "
          f"reward {j['reward_first']} -> {j['reward_last']}")
    d = summary["duel"]
    print(f"{'duel':13} final generator wins {d['final_generator_win_rate']:.0%} of {d['duels']} same-seed duels")
    q = summary["generator_quality"]
    print(f"{'generator':13} {q['statistic']} {q['before']} -> {q['after']} (seed-to-seed spread {q['spread']}; "
          f"the judge prefers it {q['judge_prefers']})")
    print(f"artefacts in {root}; summary {root / 'summary.yaml'}; report {report}")


if __name__ == "__main__":
    run(main)
