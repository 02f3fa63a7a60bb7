"""The paper's evaluation tables, computed from manifest rows and a judge's predictions.

- Table 1 layout: preference accuracy per dataset, "tau" (tie-calibrated) and "diff" (human
  ties excluded), from ``compare`` rows. A verdict ``Video A`` is a score difference of +1,
  ``Video B`` -1, and an unreadable verdict 0 (a model tie).
- Table 2 layout: SRCC / KRCC / PLCC per dimension (spatial, temporal, alignment) of ``aigc_score`` rows.
- Table 3 layout: PLCC / SRCC per dataset of ``video_score`` and ``image_score`` rows.
- VQA accuracy per dataset of ``vqa`` rows.

An unreadable score counts as the middle of the row's scale, so a judge that fails to answer is
penalised instead of silently evaluated on the items it did answer; each table says how many
predictions were unreadable.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from vqi_judge import DIMENSIONS, ManifestRow
from vqi_metrics import correlations, pairwise_accuracy

Prediction = Mapping[str, Any]
HUMAN = {"Video A": 1, "Video B": -1, "tie": 0}
DELTA = {"Video A": 1.0, "Video B": -1.0}


def _middle(row: ManifestRow) -> float:
    lo, hi = row.score_range
    return (lo + hi) / 2


def _correlations(pred: Sequence[float], truth: Sequence[float], fit: str) -> dict[str, float | None]:
    try:
        return correlations(pred, truth, fit=fit)
    except ValueError:  # constant predictions (an untrained judge) or too few items
        return {"plcc": None, "srcc": None, "krcc": None}


def _by_dataset(rows: Sequence[ManifestRow], tasks: tuple[str, ...]) -> dict[str, list[ManifestRow]]:
    groups: dict[str, list[ManifestRow]] = defaultdict(list)
    for row in rows:
        if row.task in tasks:
            groups[row.dataset].append(row)
    return dict(groups)


def preference_pairs(rows: Sequence[ManifestRow], preds: Mapping[str, Prediction]) -> tuple[list[int], list[float]]:
    """Human labels (+1 A, -1 B, 0 tie) and the judge's score differences of compare rows (0: unreadable)."""
    return [HUMAN[r.label] for r in rows], [DELTA.get(preds[r.id].get("choice"), 0.0) for r in rows]


def score_pairs(
    rows: Sequence[ManifestRow], preds: Mapping[str, Prediction], dimension: str | None = None
) -> tuple[list[float], list[float], int]:
    """Predicted and true scores of scoring rows, and how many predictions were unreadable.

    Args:
        rows: ``image_score``/``video_score`` rows, or ``aigc_score`` rows with ``dimension``.
        preds: predictions by row id.
        dimension: one of ``DIMENSIONS`` for aigc_score rows; None for one-number scores.

    Returns:
        ``(pred, truth, unreadable)``; an unreadable score counts as the middle of the row's scale.
    """
    if dimension is None:
        values = [preds[r.id].get("score") for r in rows]
        truth = [r.score for r in rows]
    else:
        values = [(preds[r.id].get("scores") or {}).get(dimension) for r in rows]
        truth = [r.scores[dimension] for r in rows]
    pred = [_middle(r) if v is None else v for r, v in zip(rows, values)]
    return pred, truth, values.count(None)


def vqa_correct(rows: Sequence[ManifestRow], preds: Mapping[str, Prediction]) -> tuple[list[bool], int]:
    """Whether each vqa answer is right (an unreadable one is wrong), and how many were unreadable."""
    answers = [preds[r.id].get("answer") for r in rows]
    return [a == r.label for a, r in zip(answers, rows)], answers.count(None)


def preference_table(rows: Sequence[ManifestRow], preds: Mapping[str, Prediction]) -> list[dict[str, Any]]:
    """Table 1: ``dataset, n, unreadable, tau, diff`` per dataset of compare rows."""
    table = []
    for dataset, group in _by_dataset(rows, ("compare",)).items():
        human, delta = preference_pairs(group, preds)
        unreadable = sum(preds[r.id]["parse_failed"] for r in group)
        tau = pairwise_accuracy(human, delta, method="tau").accuracy
        has_preference = any(h != 0 for h in human)
        diff = pairwise_accuracy(human, delta, method="diff").accuracy if has_preference else None
        table.append({"dataset": dataset, "n": len(group), "unreadable": unreadable, "tau": tau, "diff": diff})
    return table


def multidim_table(rows: Sequence[ManifestRow], preds: Mapping[str, Prediction], fit: str) -> list[dict[str, Any]]:
    """Table 2: ``dimension, n, unreadable, srcc, krcc, plcc`` over all aigc_score rows."""
    group = [r for r in rows if r.task == "aigc_score"]
    if not group:
        return []
    table = []
    for dimension in DIMENSIONS:
        pred, truth, unreadable = score_pairs(group, preds, dimension)
        table.append({"dimension": dimension, "n": len(group), "unreadable": unreadable,
                      **_correlations(pred, truth, fit)})
    return table


def scoring_table(rows: Sequence[ManifestRow], preds: Mapping[str, Prediction], fit: str) -> list[dict[str, Any]]:
    """Table 3: ``dataset, n, unreadable, plcc, srcc, krcc`` per dataset and task of image/video score rows.

    Images and videos of one dataset are kept apart: their scales differ.
    """
    table = []
    for task in ("video_score", "image_score"):
        for dataset, group in _by_dataset(rows, (task,)).items():
            table.append(_scoring_row(f"{dataset} ({task})", group, preds, fit))
    return table


def _scoring_row(name: str, group: list[ManifestRow], preds: Mapping[str, Prediction], fit: str) -> dict[str, Any]:
    pred, truth, unreadable = score_pairs(group, preds)
    return {"dataset": name, "n": len(group), "unreadable": unreadable, **_correlations(pred, truth, fit)}


def vqa_table(rows: Sequence[ManifestRow], preds: Mapping[str, Prediction]) -> list[dict[str, Any]]:
    """``dataset, n, unreadable, accuracy`` per dataset of vqa rows."""
    table = []
    for dataset, group in _by_dataset(rows, ("vqa",)).items():
        correct, unreadable = vqa_correct(group, preds)
        table.append({"dataset": dataset, "n": len(group), "unreadable": unreadable,
                      "accuracy": sum(correct) / len(group)})
    return table


def all_tables(rows: Sequence[ManifestRow], preds: Mapping[str, Prediction], fit: str = "none") -> dict[str, list]:
    """Every table that the rows have data for, keyed by name."""
    missing = [r.id for r in rows if r.id not in preds]
    if missing:
        raise ValueError(f"{len(missing)} rows have no prediction (first: {missing[:3]}); run the judge on them first")
    tables = {
        "preference (Table 1)": preference_table(rows, preds),
        "multi-dimension scoring (Table 2)": multidim_table(rows, preds, fit),
        "quality scoring (Table 3)": scoring_table(rows, preds, fit),
        "yes/no VQA": vqa_table(rows, preds),
    }
    return {name: table for name, table in tables.items() if table}


def format_table(table: list[dict[str, Any]]) -> str:
    """A fixed-width text rendering: numbers with 3 decimals, missing values as ``-``."""
    columns = list(table[0])

    def cell(value: Any) -> str:
        if value is None:
            return "-"
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    cells = [[cell(row[c]) for c in columns] for row in table]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)
