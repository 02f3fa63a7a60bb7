"""The dataset manifest: one JSON object per line, one item per object.

Every trainer, reward and evaluator reads these columns, whatever the source dataset
(``ManifestRow`` lists them; DATASETS.md documents the format). Scores stay on the dataset's own
scale, which each row records in ``score_range``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from functools import partial
from numbers import Real
from pathlib import Path
from typing import Any, NoReturn

PathLike = str | os.PathLike[str]

MEDIA_COUNT = {"image_score": 1, "video_score": 1, "aigc_score": 1, "compare": 2, "vqa": 1}
"""The tasks a manifest row may have, with how many media files each shows."""
DIMENSIONS = ("spatial", "temporal", "alignment")
COMPARE_LABELS = ("Video A", "Video B", "tie")
VQA_LABELS = ("yes", "no")

# Label fields each task needs; the others must be absent, so that a row cannot silently carry
# a label its task's reward would ignore.
_REQUIRED = {
    "image_score": ("score", "score_range"),
    "video_score": ("score", "score_range"),
    "aigc_score": ("scores", "score_range"),
    "compare": ("label",),
    "vqa": ("label", "question"),
}
_OPTIONAL = {"compare": ("votes",)}
_LABELS = {"compare": COMPARE_LABELS, "vqa": VQA_LABELS}
_MEDIA_FIX = "give 2 paths (Video A, Video B) for compare and 1 otherwise"
_LABEL_FIELDS = ("score", "scores", "score_range", "label", "votes", "question")
SHOWN_MISSING = 3
"""How many missing paths per dataset a MissingMediaError names."""


@dataclass(frozen=True)
class ManifestRow:
    """One manifest item, validated on construction.

    Attributes:
        id: unique within a manifest.
        task: ``image_score``, ``video_score``, ``aigc_score``, ``compare`` or ``vqa``.
        media: the image or video paths; two for ``compare`` ("Video A" first).
        dataset: the source dataset, e.g. ``"konvid1k"``.
        split: the dataset's split name, when known.
        score: ground-truth score (``image_score``, ``video_score``), on ``score_range``.
        scores: ground truth per dimension of ``DIMENSIONS`` (``aigc_score``).
        score_range: ``(lo, hi)`` of the dataset's documented scale.
        label: ``"Video A"``/``"Video B"``/``"tie"`` (``compare``) or ``"yes"``/``"no"`` (``vqa``).
        votes: the raw vote behind a ``compare`` label, e.g. ``"bothbad_vote"``.
        question: the yes/no question of a ``vqa`` row.
        prompt: the generation prompt of an AI-generated clip.
        info: other source fields kept for filtering, e.g. LSVQ's ``is_valid``.

    Raises:
        ValueError: naming the row id and the fix, for an unknown task, a wrong media count, a
            missing label or one of another task, or a score outside ``score_range``.
    """

    id: str
    task: str
    media: tuple[str, ...]
    dataset: str
    split: str | None = None
    score: float | None = None
    scores: dict[str, float] | None = None
    score_range: tuple[float, float] | None = None
    label: str | None = None
    votes: str | None = None
    question: str | None = None
    prompt: str | None = None
    info: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        _validate(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ManifestRow:
        """Builds a row from one decoded manifest line.

        Raises:
            ValueError: for unknown or missing keys, or any check of the class.
        """
        row_id = data.get("id")
        known = {f.name for f in fields(cls)}
        if unknown := sorted(set(data) - known):
            _fail(row_id, f"unknown field(s) {unknown}", f"use only {sorted(known)}")
        if missing := [key for key in ("id", "task", "media", "dataset") if key not in data]:
            _fail(row_id, f"missing field(s) {missing}", "give id, task, media and dataset")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """The row as one JSON-ready manifest object; fields that are None are left out."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: list(v) if type(v) is tuple else v for k, v in out.items() if v is not None}


class MissingMediaError(FileNotFoundError):
    """Media files named by a manifest are not on disk.

    Attributes:
        missing: dataset -> the paths missing for it, in manifest order.
        totals: dataset -> how many distinct paths its rows name.
    """

    def __init__(self, missing: dict[str, list[str]], totals: dict[str, int]) -> None:
        self.missing, self.totals = missing, totals
        n_missing = sum(len(paths) for paths in missing.values())
        where = "; ".join(
            f"{dataset}: {len(paths)} of {totals[dataset]}, e.g. "
            + ", ".join(paths[:SHOWN_MISSING] + ["..."] * (len(paths) > SHOWN_MISSING))
            for dataset, paths in missing.items()
        )
        super().__init__(
            f"{n_missing} of {sum(totals.values())} media files are missing ({where}): give the folder the "
            "relative paths start from (the apps' --media-root; media_root= of read_manifest and convert), "
            "or fetch the missing files"
        )


def read_manifest(path: PathLike, media_root: PathLike | None = None) -> list[ManifestRow]:
    """Reads a manifest and resolves its relative media paths.

    Args:
        path: the ``.jsonl`` manifest; blank lines are skipped.
        media_root: the folder relative media paths start from; default: the manifest's folder.

    Returns:
        The rows in file order, media joined onto the root (absolute paths are kept).

    Raises:
        ValueError: ``<file>:<line>: ...`` for invalid JSON, an invalid row, a row its task's
            question cannot be written for (an ``aigc_score`` row without ``prompt``) or a
            repeated id.
    """
    path = Path(path)
    rows: list[ManifestRow] = []
    first_line: dict[str, int] = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(
                    f"{where}: invalid JSON ({error.msg}); one object per line"
                ) from None
            if not isinstance(data, dict):
                raise ValueError(f"{where}: expected a JSON object, got {type(data).__name__}")
            try:
                row = ManifestRow.from_dict(data)
            except ValueError as error:
                raise ValueError(f"{where}: {error}") from None
            _check_renders(row, where)
            if row.id in first_line:
                raise ValueError(
                    f"{where}: id {row.id!r} is already used on line {first_line[row.id]}; "
                    "ids must be unique within a manifest"
                )
            first_line[row.id] = number
            rows.append(row)
    return with_media_root(rows, path.parent if media_root is None else media_root)


def _check_renders(row: ManifestRow, where: str) -> None:
    """Refuse a row whose task's question quotes a field the row lacks: it would fail in training."""
    from .tasks import get_task  # here, not at the top: tasks imports this module's DIMENSIONS

    for field in get_task(row.task).needs:
        if not getattr(row, field):
            raise ValueError(
                f"{where}: row {row.id!r} has no {field!r}, and the {row.task} question quotes it: add "
                f'"{field}" to the row (for an AI-generated clip, the text prompt it was generated from)'
            )


def write_manifest(rows: Iterable[ManifestRow], path: PathLike) -> None:
    """Writes rows as a manifest, one JSON object per line, creating the parent folder.

    Media paths are written as the rows hold them.

    Raises:
        ValueError: if two rows share an id.
    """
    rows = list(rows)
    first_index: dict[str, int] = {}
    for index, row in enumerate(rows):
        if row.id in first_index:
            raise ValueError(
                f"rows {first_index[row.id]} and {index} share id {row.id!r}; "
                "ids must be unique within a manifest"
            )
        first_index[row.id] = index
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row.to_dict(), ensure_ascii=False) + "\n")


def with_media_root(rows: Iterable[ManifestRow], media_root: PathLike) -> list[ManifestRow]:
    """The rows with relative media paths joined onto ``media_root``; absolute ones are kept."""
    root = os.fspath(media_root)
    return [replace(row, media=tuple(os.path.join(root, m) for m in row.media)) for row in rows]


def check_media(rows: Iterable[ManifestRow]) -> None:
    """Checks that every media file exists, before any work starts.

    Relative paths are checked against the working directory: resolve them first with
    ``read_manifest`` or ``convert(..., media_root=...)``.

    Raises:
        MissingMediaError: one error for all missing files, counted per dataset over distinct
            paths, with the first few of each.
    """
    exists: dict[str, dict[str, bool]] = {}
    for row in rows:
        seen = exists.setdefault(row.dataset, {})
        for media in row.media:
            if media not in seen:
                seen[media] = os.path.isfile(media)
    missing = {d: [p for p, ok in seen.items() if not ok] for d, seen in exists.items()}
    missing = {d: paths for d, paths in missing.items() if paths}
    if missing:
        raise MissingMediaError(missing, {dataset: len(seen) for dataset, seen in exists.items()})


def _fail(row_id: object, problem: str, fix: str) -> NoReturn:
    raise ValueError(f"manifest row {row_id!r}: {problem}; {fix}")


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value))


def _is_text(value: object) -> bool:
    return isinstance(value, str) and value != ""


def _set(row: ManifestRow, name: str, value: object) -> None:
    # Normalising (lists to tuples, ints to floats) on a frozen dataclass.
    object.__setattr__(row, name, value)


def _validate(row: ManifestRow) -> None:
    fail = partial(_fail, row.id)
    for name in ("id", "dataset", "split", "votes", "question", "prompt"):
        value = getattr(row, name)
        if (value is not None or name in ("id", "dataset")) and not _is_text(value):
            fail(f"{name}={value!r}", f"give {name} as a non-empty string")
    if row.task not in MEDIA_COUNT:
        fail(f"unknown task {row.task!r}", f"use one of {list(MEDIA_COUNT)}")
    if not isinstance(row.media, (list, tuple)):
        fail(f"media={row.media!r}", "give media as a list of paths")
    if not all(_is_text(media) for media in row.media):
        fail(f"media={row.media!r}", "every media path must be a non-empty string")
    _set(row, "media", tuple(row.media))
    if len(row.media) != (count := MEDIA_COUNT[row.task]):
        fail(f"task {row.task!r} shows {count} media, got {len(row.media)}", _MEDIA_FIX)
    required = _REQUIRED[row.task]
    allowed = required + _OPTIONAL.get(row.task, ())
    only = " and ".join(allowed)
    for name in required:
        if getattr(row, name) is None:
            fail(f"task {row.task!r} needs {name}", f"give {' and '.join(required)}")
    for name in _LABEL_FIELDS:
        if name not in allowed and getattr(row, name) is not None:
            fail(f"{name} does not belong to task {row.task!r}", f"give only {only}")
    if row.info is not None and not (isinstance(row.info, dict) and all(map(_is_text, row.info))):
        fail(f"info={row.info!r}", "give info as an object with string keys")
    if row.score_range is not None:
        _validate_scores(row)
    if row.task in _LABELS and row.label not in _LABELS[row.task]:
        fail(f"label={row.label!r}", f"a {row.task} label is one of {list(_LABELS[row.task])}")


def _validate_scores(row: ManifestRow) -> None:
    fail = partial(_fail, row.id)
    bounds: Any = row.score_range
    ok = isinstance(bounds, (list, tuple)) and len(bounds) == 2 and all(map(_is_number, bounds))
    if not ok:
        fail(f"score_range={bounds!r}", "give the dataset's scale as two numbers [lo, hi]")
    lo, hi = float(bounds[0]), float(bounds[1])
    if not lo < hi:
        fail(f"score_range={bounds!r} has lo >= hi", "give [lo, hi] with lo below hi")
    _set(row, "score_range", (lo, hi))

    def in_range(name: str, value: Any) -> float:
        if not _is_number(value):
            fail(f"{name}={value!r} is not a finite number", "give a number")
        if not lo <= float(value) <= hi:
            problem = f"{name}={value!r} is outside score_range [{lo:g}, {hi:g}]"
            fail(problem, "record the dataset's own scale in score_range; never rescale")
        return float(value)

    scores: Any = row.scores
    if scores is None:
        _set(row, "score", in_range("score", row.score))
        return
    if not isinstance(scores, dict) or set(scores) != set(DIMENSIONS):
        got = sorted(scores) if isinstance(scores, dict) else scores
        fail(f"scores has dimensions {got!r}", f"give exactly {list(DIMENSIONS)}")
    _set(row, "scores", {k: in_range(f"scores[{k!r}]", scores[k]) for k in DIMENSIONS})
