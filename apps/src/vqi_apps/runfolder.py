"""The run folder ``runs/<name>/``: where each stage writes, and the records written there and read back.

    runs/<name>/
      stage1/ stage2/     config.yaml, data/manifest.jsonl (the synthetic training set, when no
                          manifest is given), checkpoint-<step>/, final/ (weights, then summary.yaml)
      stage3/             config.yaml, inputs.json, judge_data/, one folder per step
                          (:data:`STAGE3_STEPS`, each finished once its done.json exists), summary.yaml
      report.html         stage 3's report
      learning_curve/     the held-out predictions of each stage's judge

A stage is complete once ``final/summary.yaml`` exists: it is written after the weights. The
records are dataclasses written as mappings of their fields and read back refusing unknown keys:
a GRPO stage's summary (:class:`StageSummary`), stage 3's (:class:`Stage3Summary`, made of its
steps' summaries, each also kept in the step's ``done.json``), and a tournament's reasoning
(``reasoning/<prompt_id>.json``: the judge's text per ordered pair of candidates).
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import yaml

from vqi_tournament import write_atomic

#: Stage 3's steps in the order they run: the key of each in ``summary.yaml``, and its folder under stage3/.
STAGE3_STEPS = {
    "generate_0": "round_0/generate",
    "tournament_0": "round_0/tournament",
    "dpo_0": "round_0/dpo",
    "generate_1": "round_1/generate",
    "refresh": "round_1/refresh",
    "judge_refresh": "round_1/judge",
    "tournament_1": "round_1/tournament",
    "dpo_1": "round_1/dpo",
    "generate_final": "final/generate",
    "duel": "final/duel",
}


@dataclass(frozen=True)
class RunFolder:
    """The paths of one run's outputs (see the module docstring).

    Attributes:
        root: ``runs/<name>``.
    """

    root: Path

    @classmethod
    def at(cls, runs: str | Path, name: str) -> RunFolder:
        """The run ``name`` in the folder of runs ``runs``."""
        return cls(Path(runs) / name)

    def stage(self, stage: str) -> Path:
        """``<stage>/``: a stage's folder (``stage1``, ``stage2``, ``stage3``)."""
        return self.root / stage

    def final(self, stage: str) -> Path:
        """``<stage>/final/``: a GRPO stage's trained judge."""
        return self.stage(stage) / "final"

    def training_data(self, stage: str) -> Path:
        """``<stage>/data/manifest.jsonl``: a GRPO stage's synthetic training set."""
        return self.stage(stage) / "data" / "manifest.jsonl"

    def step(self, key: str) -> Path:
        """``stage3/<round>/<step>/``: the folder of a stage-3 step, by its key in :data:`STAGE3_STEPS`."""
        return self.stage("stage3") / STAGE3_STEPS[key]

    def pairs(self, key: str) -> Path:
        """The preference set a tournament step writes: C-hat (``c_hat.jsonl``) for ``refresh``, else C."""
        return self.step(key) / ("c_hat.jsonl" if key == "refresh" else "pairs.jsonl")

    def results(self, key: str) -> Path:
        """``results.jsonl`` of a tournament or duel step: one row per prompt."""
        return self.step(key) / "results.jsonl"

    @property
    def refreshed_judge(self) -> Path:
        """``stage3/round_1/judge/final/``: the judge finetuned on C-hat (stage 3's step 5)."""
        return self.step("judge_refresh") / "final"

    @property
    def judge_data(self) -> Path:
        """``stage3/judge_data/manifest.jsonl``: the synthetic stand-in for the judge's stage-2 data."""
        return self.stage("stage3") / "judge_data" / "manifest.jsonl"

    @property
    def summary(self) -> Path:
        """``stage3/summary.yaml``: :class:`Stage3Summary`."""
        return self.stage("stage3") / "summary.yaml"

    @property
    def report(self) -> Path:
        """``report.html``."""
        return self.root / "report.html"

    @property
    def learning_curve(self) -> Path:
        """``learning_curve/``: held-out predictions, one folder per stage."""
        return self.root / "learning_curve"

    def judges(self) -> dict[str, Path]:
        """The judge each stage trains, by stage (whether it exists or not)."""
        return {"stage1": self.final("stage1"), "stage2": self.final("stage2"), "stage3": self.refreshed_judge}

    def relative(self, path: str | Path) -> str:
        """A path as summaries write it: relative to the run folder when inside it, else as given."""
        try:
            return str(Path(path).resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)


def stage_summary(final: Path) -> Path:
    """``final/summary.yaml``: the :class:`StageSummary` a GRPO stage writes after its weights."""
    return final / "summary.yaml"


def is_complete(final: Path) -> bool:
    """Whether a stage's ``final/`` folder was written to the end (its summary comes last)."""
    return stage_summary(final).is_file()


def last_checkpoint(folder: Path, before: int | None = None) -> Path | None:
    """The latest complete ``checkpoint-<step>`` in ``folder`` (with ``step < before`` when given).

    A checkpoint is complete once its ``trainer_state.json`` exists: transformers' Trainer and
    vqi-diffdpo write it last.
    """
    steps = {int(p.name.split("-")[1]): p for p in folder.glob("checkpoint-*") if (p / "trainer_state.json").is_file()}
    earlier = [s for s in steps if before is None or s < before]
    return steps[max(earlier)] if earlier else None


def previous_stage(final: Path, stage: str, key: str, tiny: bool, run_tiny: Callable[[], Path]) -> Path:
    """``final``, the judge of the previous stage ``stage``; when it is missing, ``run_tiny()`` with the tiny default.

    Args:
        final: the previous stage's ``final/`` in this run.
        stage: the previous stage's name (``stage1``, ``stage2``).
        key: the config key that names another starting judge.
        tiny: the config is the tiny default, which runs end to end.
        run_tiny: runs the previous stage (and what it needs) on its tiny config; returns its ``final/``.

    Raises:
        FileNotFoundError: the judge is missing and the config is not the tiny default.
    """
    if is_complete(final):
        return final
    if not tiny:
        raise FileNotFoundError(f"no {stage} judge at {final}: run apps/{stage}.py first, or set {key}=")
    print(f"no {stage} judge at {final}: running apps/{stage}.py on its tiny config first")
    return run_tiny()


#: Field metadata of a record field left out when it is None (a step that did not run writes no results).
OMITTED_WHEN_NONE = {"omitted_when_none": True}


class Record:
    """A record of the run folder: a dataclass written as the mapping of its fields (records nest)."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str | Path) -> Self:
        """The record of ``data``, read from ``where``.

        Raises:
            ValueError: ``data`` is not a mapping, has a key the record does not know, or lacks one it needs.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a mapping of {cls.__name__} keys, got {type(data).__name__} ({where}): "
                             "the file is not a record of this run folder")
        known = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r} in a {cls.__name__} ({where}): "
                             f"the known keys are {list(known)}; the file was written by another version")
        required = [name for name, f in known.items() if f.default is dataclasses.MISSING
                    and f.default_factory is dataclasses.MISSING]
        missing = [name for name in required if name not in data]
        if missing:
            raise ValueError(f"missing key {missing[0]!r} in a {cls.__name__} ({where}): "
                             "the file was written by another version or cut short")
        hints = typing.get_type_hints(cls)
        values = {}
        for name, value in data.items():
            kind = hints[name]
            nested = isinstance(kind, type) and issubclass(kind, Record)
            values[name] = kind.from_dict(value, f"{where}: {name}") if nested else value
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain data, in field order (a None field marked :data:`OMITTED_WHEN_NONE` left out)."""
        out = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None and f.metadata.get("omitted_when_none"):
                continue
            out[f.name] = value.to_dict() if isinstance(value, Record) else value
        return out

    @classmethod
    def read(cls, path: Path) -> Self:
        """Read the record from a ``.json`` or ``.yaml`` file."""
        text = path.read_text(encoding="utf-8")
        return cls.from_dict(json.loads(text) if path.suffix == ".json" else yaml.safe_load(text), path)

    def write(self, path: Path) -> Path:
        """Write the record as ``.json`` or ``.yaml`` (by the suffix), atomically; return ``path``."""
        data = self.to_dict()
        text = json.dumps(data, indent=1) if path.suffix == ".json" else yaml.safe_dump(data, sort_keys=False)
        write_atomic(path, text.encode("utf-8"))
        return path


@dataclass(frozen=True, kw_only=True)
class StageSummary(Record):
    """A GRPO stage's ``final/summary.yaml``.

    Attributes:
        steps: optimiser steps trained.
        skipped_prompts: prompts the trainer skipped (vqi-grpo's count).
        reward_first: mean reward of the first logged step (None: nothing logged).
        reward_last: mean reward of the last logged step.
        rewards: mean reward of each logged step.
        losses: loss of each logged step.
    """

    steps: int
    skipped_prompts: int
    reward_first: float | None
    reward_last: float | None
    rewards: list[float]
    losses: list[float]


@dataclass(frozen=True, kw_only=True)
class GenerateSummary(Record):
    """A generate step: the generator (as summaries write paths), prompts done, clips made."""

    generator: str
    prompts: int
    clips: int


@dataclass(frozen=True, kw_only=True)
class TournamentSummary(Record):
    """A tournament step.

    Attributes:
        judge: the judge (as summaries write paths).
        pairs: preference pairs selected.
        skipped_prompts: prompts without a pair (every candidate won alike).
        comparisons: verdicts asked of the judge.
        order_agreement: mean share of pairs whose two orders agree (None: each pair judged once).
        file: the preference set written (``pairs.jsonl`` or ``c_hat.jsonl``).
    """

    judge: str
    pairs: int
    skipped_prompts: int
    comparisons: int
    order_agreement: float | None
    file: str


@dataclass(frozen=True, kw_only=True)
class DPOSummary(Record):
    """A DPO step; with fewer pairs than one batch the generator stays as it is and the training fields are left out.

    Attributes:
        trained: whether DPO ran.
        pairs: pairs trained on (or found, when not trained).
        skipped: pairs vqi-diffdpo skipped, by reason.
        steps: optimiser steps.
        beta: the DPO beta used.
        losses: loss of each step.
        implicit_accuracy: implicit reward accuracy of each step.
        pipeline: the generator after the step (the one before when not trained).
    """

    trained: bool
    pairs: int
    skipped: dict[str, int] | None = field(default=None, metadata=OMITTED_WHEN_NONE)
    steps: int | None = field(default=None, metadata=OMITTED_WHEN_NONE)
    beta: float | None = field(default=None, metadata=OMITTED_WHEN_NONE)
    losses: list[float] | None = field(default=None, metadata=OMITTED_WHEN_NONE)
    implicit_accuracy: list[float] | None = field(default=None, metadata=OMITTED_WHEN_NONE)
    pipeline: str


@dataclass(frozen=True, kw_only=True)
class JudgeRefreshSummary(StageSummary):
    """Stage 3's judge refresh: its GRPO summary, the rows it trained on and where the judge is.

    Attributes:
        rows: training rows (C-hat merged with the stage-2 data).
        c_hat_rows: of which from C-hat.
        judge: the refreshed judge (as summaries write paths).
    """

    rows: int
    c_hat_rows: int
    judge: str


@dataclass(frozen=True, kw_only=True)
class DuelSummary(Record):
    """The final generator's clips against the first one's, same prompt and seed.

    Attributes:
        judge: the judge (as summaries write paths).
        duels: clips compared.
        final_generator_win_rate: the final generator's mean wins per duel.
        order_agreement: mean share of duels whose two orders agree.
    """

    judge: str
    duels: int
    final_generator_win_rate: float
    order_agreement: float | None


@dataclass(frozen=True, kw_only=True)
class GeneratorQuality(Record):
    """A pixel statistic of the first and the final generator's clips (``vqi_apps.generatorquality``).

    Attributes:
        statistic: the statistic's name (lower is better).
        before: its mean over the first generator's clips.
        after: its mean over the final generator's clips (same prompts and seeds).
        spread: the seed-to-seed standard deviation of the first generator's clips.
        judge_prefers: ``lower`` or ``higher``: the statistic of the judge's round-0 winners
            against their losers (None without pairs).
        moved_as_judge_prefers: whether DPO moved the statistic the judge's way (None without pairs).
    """

    statistic: str
    before: float
    after: float
    spread: float
    judge_prefers: str | None
    moved_as_judge_prefers: bool | None


@dataclass(frozen=True, kw_only=True)
class Stage3Summary(Record):
    """``stage3/summary.yaml``: each step's summary (keys of :data:`STAGE3_STEPS`), and the generator's quality."""

    generate_0: GenerateSummary
    tournament_0: TournamentSummary
    dpo_0: DPOSummary
    generate_1: GenerateSummary
    refresh: TournamentSummary
    judge_refresh: JudgeRefreshSummary
    tournament_1: TournamentSummary
    dpo_1: DPOSummary
    generate_final: GenerateSummary
    duel: DuelSummary
    generator_quality: GeneratorQuality


@dataclass(frozen=True, kw_only=True)
class PromptOutcome(Record):
    """One prompt's row of a tournament's ``results.jsonl``.

    Attributes:
        prompt_id: the prompt's id.
        prompt: the prompt text.
        clips: its candidate clips, relative to ``stage3/``.
        seeds: the generation seed of each clip.
        wins: wins of each candidate.
        best: index of the preferred candidate (None: all tied).
        worst: index of the least preferred candidate (None: all tied).
        win_matrix: ``win_matrix[i][j]``: times candidate i beat j.
        disagreement_rate: share of pairs whose two orders disagreed (0 when judged in one order).
    """

    prompt_id: str
    prompt: str
    clips: list[str]
    seeds: list[int]
    wins: list[float]
    best: int | None
    worst: int | None
    win_matrix: list[list[float]]
    disagreement_rate: float


def write_results(path: Path, outcomes: Sequence[PromptOutcome]) -> None:
    """Write a tournament's ``results.jsonl``, one row per prompt, atomically."""
    write_atomic(path, "".join(json.dumps(o.to_dict()) + "\n" for o in outcomes).encode("utf-8"))


def read_results(path: Path) -> list[PromptOutcome]:
    """The rows of a tournament's ``results.jsonl``, in prompt order.

    Raises:
        ValueError: a row is not JSON or not a :class:`PromptOutcome` (naming the file and line).
    """
    outcomes = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                data = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"not JSON ({path}:{number}): {err.msg}; delete the step's done.json to redo it") from None
            outcomes.append(PromptOutcome.from_dict(data, f"{path}:{number}"))
    return outcomes


def reasoning_file(folder: Path, prompt_id: str) -> Path:
    """``<tournament folder>/reasoning/<prompt_id>.json``."""
    return folder / "reasoning" / f"{prompt_id}.json"


def read_reasoning(folder: Path, prompt_id: str) -> dict[tuple[int, int], str]:
    """The judge's text per ordered pair ``(shown as A, shown as B)`` of a prompt's candidates (empty when none)."""
    path = reasoning_file(folder, prompt_id)
    notes = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return {tuple(map(int, key.split(","))): text for key, text in notes.items()}


def write_reasoning(folder: Path, prompt_id: str, reasoning: Mapping[tuple[int, int], str]) -> None:
    """Write a prompt's reasoning (every ordered pair judged so far), atomically."""
    notes = {f"{a},{b}": text for (a, b), text in reasoning.items()}
    write_atomic(reasoning_file(folder, prompt_id), json.dumps(notes, indent=1).encode("utf-8"))
