"""LGVQ (Zhang et al. 2024), the paper's AIGC multi-dimension scoring set, in the VQ-Insight layout.

No LGVQ label rows are public (``SCHEMAS_no_public_rows.md`` in the shared labels folder), so the
reader takes the layout VQ-Insight's official code trains on (Video-R1 style, read by
``grpo_md_aigc.py``): a JSON list or JSON lines of items with ``path``, ``problem_type``
``"multi-dimension"`` and ``solution``
``'<answer>{"spatial": 40.48, "temporal": 32.63, "consistency": 56.33}</answer>'``.

That layout has no prompt field, and the ``aigc_score`` question quotes each clip's text prompt:
pass ``prompts=``, a JSON object from each item's ``path`` to the prompt it was generated from
(LGVQ's 468 prompts, one per clip). A clip missing from it gets no ``prompt``, which
``read_manifest`` refuses, so callers can drop and count such rows (``apps/prepare.py`` does).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from vqi_judge.converters.records import get, json_records, row_at, unique
from vqi_judge.manifest import ManifestRow

LGVQ_SCORE_RANGE = (0.0, 100.0)
"""The scale VQ-Insight trains and prompts LGVQ with: each dimension a float in 0-100 with two
decimals (official ``grpo_md_aigc.py`` and demo prompt). The original LGVQ MOS scale is not
confirmed by any public file."""
LGVQ_DIMENSIONS = {"spatial": "spatial", "temporal": "temporal", "consistency": "alignment"}
"""Solution key -> manifest dimension; ``consistency`` is the text-video alignment."""
MULTI_DIMENSION = "multi-dimension"
_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)


def read_prompts(path: Path) -> dict[str, str]:
    """A prompts file: one JSON object mapping a clip's path to its text prompt.

    Raises:
        ValueError: ``<file>: ...`` if the file is not such an object of non-empty strings.
    """
    try:
        prompts = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}:{error.lineno}: not valid JSON ({error.msg})") from None
    ok = isinstance(prompts, dict) and all(isinstance(v, str) and v for v in prompts.values())
    if not ok:
        raise ValueError(
            f'{path}: expected one JSON object {{"<clip path>": "<text prompt>", ...}} with a '
            "non-empty prompt per clip"
        )
    return prompts


def read_lgvq_vqinsight(
    path: Path, *, split: str | None = None, prompts: str | Path | None = None
) -> list[ManifestRow]:
    """Reads LGVQ multi-dimension items in the VQ-Insight training layout.

    Rows: ``aigc_score``, dataset ``lgvq``, id and media ``path``, ``scores`` with
    ``consistency`` renamed ``alignment``, ``score_range`` ``LGVQ_SCORE_RANGE``, ``prompt`` from
    ``prompts`` (None for a clip it does not list, or when no prompts file is given).

    Args:
        path: the JSON list or JSON-lines file.
        split: recorded on every row.
        prompts: the prompts file (``read_prompts``).

    Raises:
        ValueError: ``<location>: ...`` for an item of another ``problem_type``, or a solution
            without ``<answer>{...}</answer>`` holding exactly the three dimensions.
    """
    by_path = {} if prompts is None else read_prompts(Path(prompts))
    rows = []
    for where, item in json_records(path):
        kind = get(item, "problem_type", where)
        if kind != MULTI_DIMENSION:
            raise ValueError(
                f"{where}: problem_type={kind!r}; this reader takes {MULTI_DIMENSION!r} items "
                "only, so split mixed training files by problem_type first"
            )
        solution = get(item, "solution", where)
        values = _answer_json(solution)
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
            prompt=by_path.get(media),
        )
        rows.append((where, row))
    return unique(rows)


def _answer_json(solution: object) -> object:
    """The JSON between ``<answer>`` and ``</answer>``, or None."""
    match = _ANSWER.search(solution) if isinstance(solution, str) else None
    try:
        return json.loads(match.group(1)) if match else None
    except json.JSONDecodeError:
        return None
