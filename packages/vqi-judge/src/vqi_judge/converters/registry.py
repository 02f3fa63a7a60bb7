"""Format names -> label-file readers, and ``convert``, the one entry point.

A format name says which file layout of which dataset a reader expects; every reader records
the dataset's documented scale (see each module's ``*_SCORE_RANGE``) and never rescales.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from vqi_judge.converters.dover import read_dover_labels
from vqi_judge.converters.genai_bench import read_genai_bench_votes
from vqi_judge.converters.koniq import KONIQ_SCORE_RANGE, read_koniq_csv
from vqi_judge.converters.konvid import KONVID_SCORE_RANGE, read_konvid_csv
from vqi_judge.converters.live_vqc import LIVE_VQC_SCORE_RANGE, read_live_vqc_mat
from vqi_judge.converters.lsvq import LSVQ_SCORE_RANGE, read_lsvq_csv
from vqi_judge.converters.qalign import read_qalign_json
from vqi_judge.converters.lgvq import read_lgvq_vqinsight
from vqi_judge.converters.schemas import read_visionreward_pairs
from vqi_judge.converters.videogen_rewardbench import read_videogen_rewardbench
from vqi_judge.converters.visionreward import read_visionreward_vqa
from vqi_judge.manifest import ManifestRow, with_media_root

Converter = Callable[..., list[ManifestRow]]
"""``reader(label_file: Path, *, split: str | None, **options) -> rows``."""


def _scored(
    reader: Converter, dataset: str, task: str, score_range: tuple[float, float]
) -> Converter:
    return partial(reader, dataset=dataset, task=task, score_range=score_range)


FORMATS: dict[str, Converter] = {
    "koniq10k_csv": read_koniq_csv,
    "koniq10k_qalign": _scored(read_qalign_json, "koniq10k", "image_score", KONIQ_SCORE_RANGE),
    "koniq10k_dover": _scored(read_dover_labels, "koniq10k", "image_score", KONIQ_SCORE_RANGE),
    "lsvq_csv": read_lsvq_csv,
    "lsvq_qalign": _scored(read_qalign_json, "lsvq", "video_score", LSVQ_SCORE_RANGE),
    "lsvq_dover": _scored(read_dover_labels, "lsvq", "video_score", LSVQ_SCORE_RANGE),
    "konvid1k_csv": read_konvid_csv,
    "konvid1k_qalign": _scored(read_qalign_json, "konvid1k", "video_score", KONVID_SCORE_RANGE),
    "konvid1k_dover": _scored(read_dover_labels, "konvid1k", "video_score", KONVID_SCORE_RANGE),
    "live_vqc_mat": read_live_vqc_mat,
    "live_vqc_dover": _scored(read_dover_labels, "live_vqc", "video_score", LIVE_VQC_SCORE_RANGE),
    "genai_bench_video": read_genai_bench_votes,
    "visionreward_video_vqa": read_visionreward_vqa,
    "visionrewarddb_video_pairs": partial(read_visionreward_pairs, dataset="visionrewarddb_video"),
    "monetbench": partial(read_visionreward_pairs, dataset="monetbench"),
    "lgvq_vqinsight": read_lgvq_vqinsight,
    "videogen_rewardbench": read_videogen_rewardbench,
}
"""Every format ``convert`` reads; DATASETS.md describes each file layout."""


def convert(
    format_name: str,
    label_file: str | os.PathLike[str],
    *,
    media_root: str | os.PathLike[str] | None = None,
    split: str | None = None,
    **options: Any,
) -> list[ManifestRow]:
    """Converts a dataset's label file into manifest rows.

    Args:
        format_name: a key of ``FORMATS``, e.g. ``"konvid1k_csv"``.
        label_file: the dataset's label file.
        media_root: joined onto every relative media path; None keeps them relative to the
            dataset's media folder, to be resolved when the manifest is read.
        split: for files with a split column (``koniq10k_csv``), keep only that split;
            otherwise the split recorded on every row.
        **options: reader-specific: ``questions=`` (the question file, required by
            ``visionreward_video_vqa``), ``answer_labels=`` (pairs formats), ``prompts=`` (the
            clip -> prompt file of ``lgvq_vqinsight``), ``label_column=``
            (``videogen_rewardbench``).

    Returns:
        The rows in file order, each validated.

    Raises:
        ValueError: for an unknown format, or ``<location>: ...`` for a malformed record.
        FileNotFoundError: if the label file does not exist.
    """
    try:
        reader = FORMATS[format_name]
    except KeyError:
        raise ValueError(
            f"unknown format {format_name!r}; known formats: {sorted(FORMATS)}"
        ) from None
    rows = reader(Path(label_file), split=split, **options)
    return rows if media_root is None else with_media_root(rows, media_root)
