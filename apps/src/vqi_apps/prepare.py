"""Preparing the paper's data (apps/prepare.py): the public datasets' label files, as their users
download them, into every manifest and prompt file the paper configs read.

``<datasets>/<folder>/`` holds one dataset as downloaded (``DATASETS`` names each folder's files
and says where to get them); ``<out>/`` receives the files the configs name:

- ``koniq10k_train.jsonl`` (stage 1), ``stage2_mixed.jsonl`` (stage 2, and stage 3's
  ``judge_data``): LSVQ train + LGVQ train + at most 2,000 VisionRewardDB-Video comparisons (ties
  dropped: the choice reward has no tie answer) + 1,000 of its yes/no questions, seeded;
- ``vidprom_5k.txt`` (stage 3): a seeded selection of 5,000 VidProM prompts, one per line;
- ``eval/<name>.jsonl`` (the paper eval configs' ``manifests``): KonIQ-10k test, LSVQ test and
  1080p, KoNViD-1k, LIVE-VQC, LGVQ test, GenAI-Bench video and MonetBench, ties kept (the
  tie-calibrated "tau" accuracy needs them).

Media paths are written relative to the manifest's folder, so ``read_manifest`` resolves them
without a media root. A row whose media file is missing, an LGVQ clip without a prompt and a tie
in a training set are dropped and counted by reason; a dataset whose files are absent is skipped
with what to download; a manifest fed by a skipped dataset is not written. Each file is written
to a temporary sibling and renamed, so an interrupted run leaves the old file or the new one.
"""

from __future__ import annotations

import csv
import os
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from vqi_judge import ManifestRow, convert, write_manifest

STAGE2 = "stage2_mixed.jsonl"
VIDPROM = "vidprom_5k.txt"
EXAMPLES = 3
"""How many ids of dropped rows a report line names."""


@dataclass(frozen=True)
class Part:
    """One label file of a dataset, and the manifest its rows go to.

    Attributes:
        format: the ``vqi_judge.convert`` format of ``label``.
        label: the label file, relative to the dataset's folder.
        output: the manifest, relative to the output folder (several parts may share one).
        split: the split recorded on (or, for KonIQ-10k, selected from) the rows.
        media: the folder the label file's media paths start from, relative to the dataset's.
        files: reader options naming other files of the dataset's folder, e.g. ``questions``.
        keep_ties: keep ``tie`` comparisons (evaluation) or drop them (training).
        take: keep a seeded selection of this many rows (all when fewer), in file order.
    """

    format: str
    label: str
    output: str
    split: str | None = None
    media: str = ""
    files: dict[str, str] = field(default_factory=dict)
    keep_ties: bool = True
    take: int | None = None


@dataclass(frozen=True)
class Dataset:
    """A public dataset: its folder under the datasets root, where to get it, its label files."""

    folder: str
    download: str
    parts: tuple[Part, ...]

    def files(self) -> list[str]:
        """Every file the parts read, relative to the dataset's folder."""
        return [name for part in self.parts for name in (part.label, *part.files.values())]


DATASETS = (
    Dataset("koniq10k", "KonIQ-10k: koniq10k_distributions_sets.csv (subpic/koniq metadata) and the "
            "512x384/ image folder of the KonIQ-10k release", (
        Part("koniq10k_csv", "koniq10k_distributions_sets.csv", "koniq10k_train.jsonl", "training", "512x384"),
        Part("koniq10k_csv", "koniq10k_distributions_sets.csv", "eval/koniq10k_test.jsonl", "test", "512x384"),
    )),
    Dataset("lsvq", "LSVQ: LSVQ_whole_train.csv, LSVQ_whole_test.csv, LSVQ_whole_test_1080p.csv and "
            "the video folders (ia-batch*/, yfcc-batch*/) of the LSVQ release", (
        Part("lsvq_csv", "LSVQ_whole_train.csv", STAGE2, "train"),
        Part("lsvq_csv", "LSVQ_whole_test.csv", "eval/lsvq_test.jsonl", "test"),
        Part("lsvq_csv", "LSVQ_whole_test_1080p.csv", "eval/lsvq_1080p.jsonl", "test_1080p"),
    )),
    Dataset("lgvq", "LGVQ: train.json and test.json in the VQ-Insight layout (path, problem_type "
            "multi-dimension, solution), prompts.json ({clip path: text prompt}) and the clips", (
        Part("lgvq_vqinsight", "train.json", STAGE2, "train", files={"prompts": "prompts.json"}),
        Part("lgvq_vqinsight", "test.json", "eval/lgvq_test.jsonl", "test", files={"prompts": "prompts.json"}),
    )),
    Dataset("visionrewarddb_video", "VisionRewardDB-Video: its train and regression configs exported "
            "as train.jsonl and regression.jsonl (datasets' to_json), VisionReward_video_qa.txt "
            "(THUDM/VisionReward) and the videos their video paths name", (
        Part("visionrewarddb_video_pairs", "regression.jsonl", STAGE2, "train", keep_ties=False, take=2000),
        Part("visionreward_video_vqa", "train.jsonl", STAGE2, "train",
             files={"questions": "VisionReward_video_qa.txt"}, take=1000),
    )),
    Dataset("genai_bench_video", "GenAI-Bench video: pairwise.jsonl (idx, prompt, human_vote) and "
            "each row's clips saved as left/<idx>.mp4 and right/<idx>.mp4", (
        Part("genai_bench_video", "pairwise.jsonl", "eval/genai_bench_video.jsonl", "test"),
    )),
    Dataset("monetbench", "MonetBench: its test rows exported as test.jsonl (datasets' to_json) and "
            "the videos their video paths name", (
        Part("monetbench", "test.jsonl", "eval/monetbench.jsonl", "test"),
    )),
    Dataset("konvid1k", "KoNViD-1k: KoNViD_1k_mos.csv and the KoNViD_1k_videos/ folder", (
        Part("konvid1k_csv", "KoNViD_1k_mos.csv", "eval/konvid1k.jsonl", "test", "KoNViD_1k_videos"),
    )),
    Dataset("live_vqc", "LIVE-VQC: LiveVQC_data.mat (video_list, mos) and the Video/ folder", (
        Part("live_vqc_mat", "LiveVQC_data.mat", "eval/live_vqc.jsonl", "test", "Video"),
    )),
)  # fmt: skip
"""Every dataset the paper configs read, in the order stage 2's manifest concatenates them."""
VIDPROM_FOLDER, VIDPROM_FILE = "vidprom", "VidProM_unique.csv"
VIDPROM_DOWNLOAD = "VidProM: VidProM_unique.csv (its prompt column is read)"
VIDPROM_PROMPTS = 5000


@dataclass
class Report:
    """What a prepare run did.

    Attributes:
        lines: one line per label file read, dataset skipped and file written or not written.
        written: the files written.
        complete: False when a dataset was skipped, a label file was unreadable or media were
            missing (the files written hold what the others gave).
    """

    lines: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    complete: bool = True

    def note(self, line: str, *, complete: bool = True) -> None:
        """Adds a report line; ``complete=False`` marks the run as missing inputs."""
        self.lines.append(line)
        self.complete = self.complete and complete


def planned_outputs(out: str | os.PathLike[str]) -> list[Path]:
    """Every file ``prepare`` writes into ``out`` when all datasets are present."""
    return [Path(out) / name for name in [*_manifest_names(), VIDPROM]]


def _manifest_names() -> list[str]:
    return list(dict.fromkeys(part.output for dataset in DATASETS for part in dataset.parts))


def prepare(datasets: str | os.PathLike[str], out: str | os.PathLike[str], seed: int = 0) -> Report:
    """Writes every manifest and prompt file of ``planned_outputs(out)`` that the datasets allow.

    Args:
        datasets: the folder holding one folder per dataset (``DATASETS``, and ``vidprom``).
        out: the output folder, e.g. ``data``.
        seed: seeds the selections (VisionRewardDB-Video comparisons and questions, VidProM).

    Returns:
        The report: a line per label file, skipped dataset and output.

    Raises:
        ValueError: if two rows of one manifest share an id.
    """
    root, out, report = Path(datasets), Path(out), Report()
    manifests: dict[str, list[ManifestRow]] = {name: [] for name in _manifest_names()}
    blocked: dict[str, list[str]] = {}
    for dataset in DATASETS:
        folder = root / dataset.folder
        if not _present(dataset.folder, dataset.download, dataset.files(), folder, report):
            for part in dataset.parts:
                blocked.setdefault(part.output, []).append(dataset.folder)
            continue
        for part in dataset.parts:
            rows = _read(part, folder, seed, report)
            if rows is None:
                blocked.setdefault(part.output, []).append(dataset.folder)
            else:
                manifests[part.output] += rows
    for name, rows in manifests.items():
        if name in blocked:
            report.note(f"{out / name}: not written, it needs {', '.join(dict.fromkeys(blocked[name]))}")
            continue
        path = out / name
        _write_atomic(path, lambda tmp, rows=rows, path=path: write_manifest(_relative(rows, path.parent), tmp))
        report.written.append(path)
        report.note(f"{path}: {len(rows)} rows ({_counts(row.task for row in rows)})")
    _prepare_prompts(root / VIDPROM_FOLDER, out / VIDPROM, seed, report)
    return report


def _present(name: str, download: str, files: list[str], folder: Path, report: Report) -> bool:
    """Whether every file of a dataset is there; if not, say what to download and where."""
    missing = [file for file in dict.fromkeys(files) if not (folder / file).is_file()]
    if missing:
        report.note(f"{name}: skipped, {', '.join(missing)} not found in {folder}: download "
                    f"{download}, into {folder}/", complete=False)
    return not missing


def _read(part: Part, folder: Path, seed: int, report: Report) -> list[ManifestRow] | None:
    """A part's rows after the drops and the selection, with its report line; None if unreadable."""
    label = folder / part.label
    options = {key: folder / name for key, name in part.files.items()}
    try:
        rows = convert(part.format, label, media_root=folder / part.media, split=part.split, **options)
    except ValueError as error:
        report.note(f"{label}: skipped, unreadable label file: {error}", complete=False)
        return None
    dropped: dict[str, list[str]] = {}
    kept = []
    for row in rows:
        reason = _drop_reason(row, part)
        if reason:
            dropped.setdefault(reason, []).append(row.id)
        else:
            kept.append(row)
    line = f"{label} -> {part.output}: {len(kept)} of {len(rows)} rows"
    if part.take is not None and len(kept) > part.take:
        chosen = set(random.Random(seed).sample(range(len(kept)), part.take))
        line += f", {part.take} selected (seed {seed})"
        kept = [row for index, row in enumerate(kept) if index in chosen]
    if any(row.task == "compare" for row in kept):
        line += f" ({_counts(row.label for row in kept)})"
    for reason, ids in dropped.items():
        line += f"; dropped {len(ids)} {reason} (e.g. {', '.join(ids[:EXAMPLES])})"
    report.note(line, complete="missing media" not in dropped)
    return kept


def _drop_reason(row: ManifestRow, part: Part) -> str | None:
    """Why a row cannot go into the part's manifest, or None."""
    if not all(os.path.isfile(media) for media in row.media):
        return "missing media"
    if row.task == "aigc_score" and not row.prompt:
        return "no prompt"
    if row.label == "tie" and not part.keep_ties:
        return "tie"
    return None


def _prepare_prompts(folder: Path, path: Path, seed: int, report: Report) -> None:
    """The seeded selection of VidProM prompts, one per line (whitespace runs made one space)."""
    source = folder / VIDPROM_FILE
    if not _present(VIDPROM_FOLDER, VIDPROM_DOWNLOAD, [VIDPROM_FILE], folder, report):
        report.note(f"{path}: not written, it needs {VIDPROM_FOLDER}")
        return
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if "prompt" not in (reader.fieldnames or []):
            report.note(f"{source}: skipped, unreadable label file: no prompt column in {reader.fieldnames}",
                        complete=False)
            report.note(f"{path}: not written, it needs {VIDPROM_FOLDER}")
            return
        texts = [" ".join(record["prompt"].split()) for record in reader]
    prompts = list(dict.fromkeys(text for text in texts if text))
    empty, repeated = texts.count(""), len(texts) - texts.count("") - len(prompts)
    chosen = sorted(random.Random(seed).sample(range(len(prompts)), min(VIDPROM_PROMPTS, len(prompts))))
    line = f"{source} -> {VIDPROM}: {len(chosen)} of {len(texts)} prompts selected (seed {seed})"
    for count, reason in ((empty, "empty"), (repeated, "repeated")):
        if count:
            line += f"; dropped {count} {reason}"
    report.note(line)
    text = "".join(prompts[index] + "\n" for index in chosen)
    _write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    report.written.append(path)
    report.note(f"{path}: {len(chosen)} prompts")


def _relative(rows: Sequence[ManifestRow], folder: Path) -> list[ManifestRow]:
    """The rows with media paths relative to ``folder``, where ``read_manifest`` resolves them."""
    return [replace(row, media=tuple(os.path.relpath(media, folder) for media in row.media)) for row in rows]


def _write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Writes ``path`` through ``write(temporary sibling)`` and a rename: never a half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    write(temporary)
    os.replace(temporary, path)


def _counts(values: object) -> str:
    """``"a 3, b 1"``: how often each value occurs, most frequent first."""
    return ", ".join(f"{value} {count}" for value, count in Counter(values).most_common())
