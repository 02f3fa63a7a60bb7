"""Datasets with no public label rows yet, read in the layouts their code documents.

See ``SCHEMAS_no_public_rows.md`` in the shared labels folder; these readers are tested on
synthetic rows in those layouts only.

VisionRewardDB-Video pairs (configs ``regression`` and ``test``) and MonetBench, exported as
JSON lines: ``internal_id``, ``prompt``, ``standard_answer``, ``video1_path``, ``video2_path``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from vqi_judge.converters.records import get, json_records, row_at, unique
from vqi_judge.manifest import COMPARE_LABELS, ManifestRow

ANSWER_LABELS: Mapping[str, str] = {label: label for label in COMPARE_LABELS}
"""Default ``standard_answer`` -> label map. The values the real column takes are undocumented,
so only the manifest's own labels are accepted until someone checks the files and passes
``answer_labels=``."""


def read_visionreward_pairs(
    path: Path,
    *,
    dataset: str,
    split: str | None = None,
    answer_labels: Mapping[str, str] | None = None,
) -> list[ManifestRow]:
    """Reads VisionRewardDB-Video ``regression``/``test`` pairs or MonetBench pairs.

    Rows: ``compare``, id ``internal_id``, media ``(video1_path, video2_path)`` (Video A first),
    label ``answer_labels[standard_answer]``, ``votes`` the raw ``standard_answer``, ``prompt``.

    Args:
        path: the JSON-lines (or JSON list) export.
        dataset: recorded on every row: ``"visionrewarddb_video"`` or ``"monetbench"``.
        split: recorded on every row.
        answer_labels: ``standard_answer`` value -> ``"Video A"``/``"Video B"``/``"tie"``;
            default ``ANSWER_LABELS``.

    Raises:
        ValueError: ``<location>: ...`` for a missing key or an unmapped ``standard_answer``.
    """
    labels = ANSWER_LABELS if answer_labels is None else answer_labels
    rows = []
    for where, record in json_records(path):
        answer = get(record, "standard_answer", where)
        if not isinstance(answer, str) or answer not in labels:
            raise ValueError(
                f"{where}: standard_answer={answer!r} is not in answer_labels {dict(labels)}; "
                "check the values the column takes and pass answer_labels={value: 'Video A' | "
                "'Video B' | 'tie'}"
            )
        row = row_at(
            where,
            id=get(record, "internal_id", where),
            task="compare",
            media=(get(record, "video1_path", where), get(record, "video2_path", where)),
            dataset=dataset,
            split=split,
            label=labels[answer],
            votes=answer,
            prompt=get(record, "prompt", where),
        )
        rows.append((where, row))
    return unique(rows)
