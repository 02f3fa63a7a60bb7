"""Datasets with no public label rows yet, read in the layouts their code documents.

See ``SCHEMAS_no_public_rows.md`` in the shared labels folder; these readers are tested on
synthetic rows in those layouts only.

LGVQ (Zhang et al. 2024), multi-dimension AIGC scoring, in the VQ-Insight training layout
(Video-R1 style, read by the official ``grpo_md_aigc.py``): a JSON list or JSON lines of items
with ``path``, ``problem_type`` ``"multi-dimension"`` and ``solution``
``'<answer>{"spatial": 40.48, "temporal": 32.63, "consistency": 56.33}</answer>'``. The layout
has no prompt field, so the rows have no ``prompt``: add each clip's text prompt before training
or evaluating on them (``read_manifest`` refuses an ``aigc_score`` row without one).

VisionRewardDB-Video pairs (configs ``regression`` and ``test``) and MonetBench, exported as
JSON lines: ``internal_id``, ``prompt``, ``standard_answer``, ``video1_path``, ``video2_path``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from vqi_judge.converters.records import get, json_records, row_at, unique
from vqi_judge.manifest import COMPARE_LABELS, ManifestRow

LGVQ_SCORE_RANGE = (0.0, 100.0)
"""The scale VQ-Insight trains and prompts LGVQ with: each dimension a float in 0-100 with two
decimals (official ``grpo_md_aigc.py`` and demo prompt). The original LGVQ MOS scale is not
confirmed by any public file."""
LGVQ_DIMENSIONS = {"spatial": "spatial", "temporal": "temporal", "consistency": "alignment"}
"""Solution key -> manifest dimension; ``consistency`` is the text-video alignment."""
MULTI_DIMENSION = "multi-dimension"
ANSWER_LABELS: Mapping[str, str] = {label: label for label in COMPARE_LABELS}
"""Default ``standard_answer`` -> label map. The values the real column takes are undocumented,
so only the manifest's own labels are accepted until someone checks the files and passes
``answer_labels=``."""
_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)


def read_lgvq_vqinsight(path: Path, *, split: str | None = None) -> list[ManifestRow]:
    """Reads LGVQ multi-dimension items in the VQ-Insight training layout.

    Rows: ``aigc_score``, dataset ``lgvq``, id and media ``path``, ``scores`` with
    ``consistency`` renamed ``alignment``, ``score_range`` ``LGVQ_SCORE_RANGE``.

    Args:
        path: the JSON list or JSON-lines file.
        split: recorded on every row.

    Raises:
        ValueError: ``<location>: ...`` for an item of another ``problem_type``, or a solution
            without ``<answer>{...}</answer>`` holding exactly the three dimensions.
    """
    rows = []
    for where, item in json_records(path):
        kind = get(item, "problem_type", where)
        if kind != MULTI_DIMENSION:
            raise ValueError(
                f"{where}: problem_type={kind!r}; this reader takes {MULTI_DIMENSION!r} items "
                "only, so split mixed training files by problem_type first"
            )
        solution = get(item, "solution", where)
        match = _ANSWER.search(solution) if isinstance(solution, str) else None
        try:
            values = json.loads(match.group(1)) if match else None
        except json.JSONDecodeError:
            values = None
        if not isinstance(values, dict) or set(values) != set(LGVQ_DIMENSIONS):
            raise ValueError(
                f'{where}: solution={solution!r}; expected <answer>{{"spatial": s, '
                '"temporal": t, "consistency": c}</answer> (JSON with braces, as the official '
                "reward parser requires)"
            )
        media = get(item, "path", where)
        row = row_at(
            where,
            id=media,
            task="aigc_score",
            media=(media,),
            dataset="lgvq",
            split=split,
            scores={LGVQ_DIMENSIONS[key]: value for key, value in values.items()},
            score_range=LGVQ_SCORE_RANGE,
        )
        rows.append((where, row))
    return unique(rows)


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
