"""Stage 3's steps (apps/stage3.py): generate, tournament, DPO, judge refresh and duel, each in its
own folder of ``runs/<name>/stage3/`` (``vqi_apps.runfolder.STAGE3_STEPS``).

A step is skipped when its ``done.json`` exists (its summary, read back); inside a step, finished
prompts, recorded verdicts and saved checkpoints are kept, so a killed run resumes to the
artefacts of an uninterrupted one. Paths in summaries are relative to the run folder when inside it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import mean
from typing import Annotated, Any, TypeVar

from vqi_apps.defaults import synthetic_training_set
from vqi_apps.generation import (
    Candidates,
    GeneratorConfig,
    Tournament,
    candidate_seeds,
    open_generator,
    read_candidates,
    run_tournament,
    sample_candidates,
    outcome,
)
from vqi_apps.generatorquality import generator_quality
from vqi_apps.judging import open_judge
from vqi_apps.processes import Processes
from vqi_apps.runfolder import (
    DPOSummary,
    DuelSummary,
    GenerateSummary,
    GeneratorQuality,
    JudgeRefreshSummary,
    Record,
    RunFolder,
    Stage3Summary,
    StageSummary,
    TournamentSummary,
    last_checkpoint,
    previous_stage,
    stage_summary,
    write_results,
)
from vqi_apps.stages import SYNTHETIC, run_tiny
from vqi_apps.training import StageConfig, run_stage
from vqi_config import load_config
from vqi_diffdpo import DiffDPOConfig
from vqi_diffdpo import PreferencePair as DPOPair
from vqi_diffdpo import train as train_dpo
from vqi_grpo import VideoGRPOConfig
from vqi_judge import Judge, JudgeConfig, ManifestRow, read_manifest, write_manifest
from vqi_tournament import PreferencePair, merge_for_judge, read_pairs, refresh, select_pairs, write_pairs
from vqi_video import read_frames

R = TypeVar("R", bound=Record)


#: ``DiffDPOConfig`` fields each DPO round takes from elsewhere in the config (:func:`dpo_config`).
DPO_SET_BY_RUN = {
    "model": "the round's generator", "output_dir": "the run folder", "num_frames": "generator.num_frames",
    "height": "generator.height", "width": "generator.width", "max_sequence_length": "generator.max_sequence_length",
}


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
        dpo: ``vqi_diffdpo.DiffDPOConfig`` keys shared by the DPO rounds; the model, output folder and
            clip shape come from the run and the generator section (:data:`DPO_SET_BY_RUN`).
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

    def __post_init__(self) -> None:
        """Refuse ``dpo`` keys the run sets itself (one place for each value)."""
        clash = sorted(set(self.dpo) & set(DPO_SET_BY_RUN))
        if clash:
            key = clash[0]
            raise ValueError(f"dpo.{key} is set by the run, from {DPO_SET_BY_RUN[key]} (dpo.{key}): remove it from the dpo section")

    @property
    def run(self) -> RunFolder:
        """``runs/<name>``."""
        return RunFolder.at(self.runs, self.name)


def step(folder: Path, label: str, kind: type[R], work: Callable[[], R | None], processes: Processes) -> R:
    """Run ``work`` unless ``folder/done.json`` says it finished; record its summary there.

    ``work`` runs on every process and returns the summary on process 0, which writes it; every
    process returns the summary read back.
    """
    marker = folder / "done.json"
    if marker.is_file():
        if processes.main:
            print(f"{label}: done, skipped ({folder})")
        return kind.read(marker)
    if processes.main:
        print(f"== {label}")
    folder.mkdir(parents=True, exist_ok=True)
    summary = work()
    processes.main_writes(lambda: summary.write(marker))  # type: ignore[union-attr]
    return kind.read(marker)


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


def stage2_judge(config: Stage3Config, tiny: bool) -> Path:
    """The loop's first judge: ``judge.model``, else this run's ``stage2/final`` (with the tiny
    default, stages 1 and 2 run first when it is missing)."""
    if config.judge.model:
        return Path(config.judge.model)
    return previous_stage(config.run.final("stage2"), "stage2", "judge.model", tiny,
                          lambda: run_tiny("stage2", config.name, config.runs))


def dpo_config(config: Stage3Config, generator: Path, folder: Path) -> DiffDPOConfig:
    """vqi-diffdpo's config: the ``dpo`` section, with the model, folder and clip shape of this run."""
    g = config.generator
    from_run = {"model": str(generator), "output_dir": str(folder), "num_frames": g.num_frames,
                "height": g.height, "width": g.width, "max_sequence_length": g.max_sequence_length}
    return DiffDPOConfig(**config.dpo, **from_run)  # keys and types checked when the config was read


class Loop:
    """The steps of stage 3 over one run folder; each step method takes its key of ``STAGE3_STEPS``."""

    def __init__(self, config: Stage3Config, judge: Path, recipe: StageConfig, processes: Processes = Processes()) -> None:
        self.config = config
        self.processes = processes
        self.recipe = recipe
        self.run = config.run
        self.root = self.run.stage("stage3")
        self.prompts = read_prompts(config)
        self.judge0 = judge

    def generate(self, key: str, generator: Path) -> GenerateSummary:
        """Steps 1 and 4: N candidates per prompt from ``generator``."""
        c, folder = self.config, self.run.step(key)

        def work() -> GenerateSummary:
            procs = self.processes
            sampling = replace(c.generator, device=procs.device(c.generator.device))
            pipe = open_generator(generator, sampling.device)
            todo = [(pid, p, candidate_seeds(c.seed, i, c.candidates)) for i, (pid, p) in enumerate(self.prompts)]
            mine = sample_candidates(pipe, sampling, folder, procs.share(todo), desc=f"generate {folder.parent.name}",
                                     progress=procs.main)
            made = procs.gather(mine)
            return GenerateSummary(generator=self.rel(generator), prompts=len(made),
                                   clips=sum(len(m.clips) for m in made))

        return step(folder, f"generate with {self.rel(generator)}", GenerateSummary, work, self.processes)

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

    def tournament(self, key: str, judge: Path, generate: str, round: int, generator: Path,
                   previous: str | None = None) -> TournamentSummary:
        """Steps 2, 4 and 6: the judge's round robins over the candidates of the step ``generate``.

        Writes ``results.jsonl`` and the preference set C or, with the ``previous`` tournament
        step given, C-hat (new best against the previous loser). Pair paths are relative to the
        stage-3 folder.
        """
        c, folder = self.config, self.run.step(key)

        def work() -> TournamentSummary | None:
            done = run_tournament(self.open_judge(judge), self.candidates(self.run.step(generate)), folder,
                                  both_orders=c.both_orders, seed=c.seed, desc=f"tournament {folder.parent.name}",
                                  processes=self.processes)
            if not self.processes.main:
                return None
            write_results(self.run.results(key), [outcome(t, self.root) for t in done])
            results = [t.prompt_result(self.root, round, self.rel(generator), self.rel(judge)) for t in done]
            if previous is None:
                pairs, skipped = select_pairs(results)
            else:
                pairs, skipped = refresh(read_pairs(self.run.pairs(previous)), results)
            out = self.run.pairs(key)
            write_pairs(out, pairs)
            return TournamentSummary(
                judge=self.rel(judge), pairs=len(pairs), skipped_prompts=skipped,
                comparisons=sum(len(t.result.matches) for t in done), order_agreement=_agreement(done),
                file=self.rel(out),
            )

        return step(folder, f"tournament judged by {self.rel(judge)}", TournamentSummary, work, self.processes)

    def dpo(self, key: str, generator: Path, tournament: str) -> DPOSummary:
        """Steps 3 and 6: DPO of ``generator`` on the pairs of the step ``tournament``; the result is ``<step>/pipeline``."""
        c, folder = self.config, self.run.step(key)

        def work() -> DPOSummary:
            pairs = [self.dpo_pair(p) for p in read_pairs(self.run.pairs(tournament))]
            g = c.generator
            cfg = dpo_config(c, generator, folder)
            if len(pairs) < cfg.batch_size:
                print(f"dpo: {len(pairs)} pairs, fewer than one batch ({cfg.batch_size}): the generator stays as it is")
                return DPOSummary(trained=False, pairs=len(pairs), pipeline=self.rel(generator))
            # The last checkpoint is redone with the export of the pipeline.
            resume = last_checkpoint(folder, before=cfg.max_steps)
            cfg = replace(cfg, resume_from=str(resume) if resume else None)

            def load_video(path: str) -> Any:
                return read_frames(path, range(g.num_frames)).frames

            result = train_dpo(cfg, pairs, load_video)
            state = result.state
            return DPOSummary(
                trained=True, pairs=result.pairs_used, skipped=dict(result.skipped.counts), steps=state.step,
                beta=result.beta, losses=state.losses, implicit_accuracy=state.accuracies,
                pipeline=self.rel(result.pipeline_dir),
            )

        return step(folder, f"dpo of {self.rel(generator)}", DPOSummary, work, self.processes)

    def trained(self, dpo: DPOSummary, generator: Path) -> Path:
        """The generator after a DPO step that started from ``generator``."""
        return self.run.root / dpo.pipeline if dpo.trained else generator

    def refresh_judge(self, key: str, refresh_step: str) -> JudgeRefreshSummary:
        """Step 5: GRPO of the judge on the C-hat of ``refresh_step`` merged with its stage-2 data -> ``<step>/final``."""
        c, folder = self.config, self.run.step(key)

        def work() -> JudgeRefreshSummary:
            c_hat = [self.absolute_pair(p) for p in read_pairs(self.run.pairs(refresh_step))]
            original = [r.to_dict() for r in self.judge_data()]
            merged = merge_for_judge(c_hat, original, seed=c.seed)
            rows = [ManifestRow.from_dict(row) for row in merged]
            manifest = folder / "data" / "manifest.jsonl"
            relative = [replace(r, media=tuple(os.path.relpath(m, manifest.parent) for m in r.media)) for r in rows]
            self.processes.main_writes(lambda: write_manifest(relative, manifest))
            stage = replace(self.recipe, name=c.name, runs=c.runs, model=str(self.judge0), train=str(manifest),
                            media_root=None, synthetic={})
            final = run_stage(stage, "stage3 judge refresh", self.judge0, read_manifest(manifest), folder=folder,
                              processes=self.processes)
            trained = StageSummary.read(stage_summary(final))
            return JudgeRefreshSummary(**trained.to_dict(), rows=len(rows), c_hat_rows=len(c_hat), judge=self.rel(final))

        return step(folder, "judge refresh on C-hat + stage-2 data", JudgeRefreshSummary, work, self.processes)

    def duel(self, key: str, judge: Path, before: str, after: str) -> DuelSummary:
        """The final generator's clip against the first one's, same prompt and seed, judged by D'."""
        c, folder = self.config, self.run.step(key)

        def work() -> DuelSummary | None:
            pairs = []
            for b, a in zip(self.candidates(self.run.step(before)), self.candidates(self.run.step(after))):
                for k, (clip_b, clip_a) in enumerate(zip(b.clips, a.clips)):
                    pairs.append(Candidates(f"{b.prompt_id}_s{b.seeds[k]}", b.prompt, (b.seeds[k],) * 2, (clip_b, clip_a)))
            done = run_tournament(self.open_judge(judge), pairs, folder, both_orders=True, seed=c.seed, desc="duel",
                                  processes=self.processes)
            if not self.processes.main:
                return None
            write_results(self.run.results(key), [outcome(t, self.root) for t in done])
            return DuelSummary(judge=self.rel(judge), duels=len(done),
                               final_generator_win_rate=mean(t.result.wins[1] for t in done),
                               order_agreement=_agreement(done))

        return step(folder, "final generator against the first, judged by the refreshed judge", DuelSummary, work,
                    self.processes)

    def generator_quality(self, before: str, after: str, tournament: str) -> GeneratorQuality:
        """The pixel statistic of the clips of generate steps ``before`` and ``after``, and the
        direction the judge's pairs of the step ``tournament`` prefer (``vqi_apps.generatorquality``)."""
        pairs = [self.absolute_pair(p) for p in read_pairs(self.run.pairs(tournament))]
        return generator_quality(
            [clip for found in self.candidates(self.run.step(before)) for clip in found.clips],
            [clip for found in self.candidates(self.run.step(after)) for clip in found.clips],
            [(Path(p.winner), Path(p.loser)) for p in pairs],
            self.config.generator.num_frames,
        )

    def judge_data(self) -> list[ManifestRow]:
        """The judge's stage-2 training rows (see ``Stage3Config.judge_data``)."""
        c = self.config
        if c.judge_data:
            return read_manifest(c.judge_data)
        stage2_data = self.run.training_data("stage2")
        if stage2_data.is_file():
            return read_manifest(stage2_data)
        manifest = self.run.judge_data
        if not manifest.is_file():
            self.processes.main_writes(lambda: synthetic_training_set(manifest, c.judge_synthetic, seed=3))
        return read_manifest(manifest)

    def open_judge(self, path: Path) -> Judge:
        """The judge at ``path`` with this run's judge settings (on this process's GPU)."""
        judge = self.config.judge
        return open_judge(replace(judge, model=str(path), device=self.processes.device(judge.device)))

    def absolute_pair(self, pair: PreferencePair) -> PreferencePair:
        """The pair with its clip paths joined onto the stage-3 folder."""
        return replace(pair, winner=str(self.root / pair.winner), loser=str(self.root / pair.loser))

    def dpo_pair(self, pair: PreferencePair) -> DPOPair:
        """A tournament pair as vqi-diffdpo's pair, provenance carried through."""
        p = self.absolute_pair(pair)
        return DPOPair(p.prompt, p.winner, p.loser, p.to_dict()["provenance"])

    def rel(self, path: Path | str) -> str:
        """A path as written into summaries (``RunFolder.relative``)."""
        return self.run.relative(path)


def _agreement(done: list[Tournament]) -> float | None:
    """Mean share of pairs whose two orders agree (None when each pair is judged once)."""
    rates = [t.result.disagreement_rate for t in done if t.result.disagreement_rate is not None]
    return 1.0 - mean(rates) if rates else None


def print_summary(summary: Stage3Summary, run: RunFolder) -> None:
    """The final summary: pairs made and skipped, order agreement, DPO accuracy, where things are."""
    print("\n== stage 3 summary")
    for key, s in (("tournament_0", summary.tournament_0), ("refresh", summary.refresh),
                   ("tournament_1", summary.tournament_1)):
        agree = "n/a" if s.order_agreement is None else f"{s.order_agreement:.0%}"
        print(f"{key:13} {s.pairs} pairs, {s.skipped_prompts} prompts without a pair, "
              f"{s.comparisons} comparisons, judge orders agree {agree}")
    for key, d in (("dpo_0", summary.dpo_0), ("dpo_1", summary.dpo_1)):
        if d.trained:
            print(f"{key:13} {d.steps} steps on {d.pairs} pairs: loss {d.losses[0]:.4f} -> "
                  f"{d.losses[-1]:.4f}, implicit accuracy {mean(d.implicit_accuracy):.2f} (mean)")
        else:
            print(f"{key:13} not trained ({d.pairs} pairs)")
    j = summary.judge_refresh
    print(f"{'judge':13} {j.steps} GRPO steps on {j.rows} rows ({j.c_hat_rows} from C-hat): "
          f"reward {j.reward_first} -> {j.reward_last}")
    duel = summary.duel
    print(f"{'duel':13} final generator wins {duel.final_generator_win_rate:.0%} of {duel.duels} same-seed duels")
    q = summary.generator_quality
    print(f"{'generator':13} {q.statistic} {q.before} -> {q.after} (seed-to-seed spread {q.spread}; "
          f"the judge prefers it {q.judge_prefers})")
    print(f"artefacts in {run.stage('stage3')}; summary {run.summary}; report {run.report}")
