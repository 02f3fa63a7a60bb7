"""VideoGen-RewardBench (Liu et al. 2025, KwaiVGI/VideoAlign): pairwise AIGC video preferences.

No rows of ``videogen-rewardbench.csv`` are public in a repository; the layout is the one the
authors' evaluation script reads (``eval_videogen_rewardbench.py``, see
``SCHEMAS_no_public_rows.md`` in the shared labels folder): a CSV with ``path_A``, ``path_B``,
``A_model``, ``B_model``, ``prompt`` and one label column per criterion, ``VQ`` (visual quality),
``MQ`` (motion quality), ``TA`` (text alignment) and an overall one, each ``A``, ``B`` or
``same``. Which column holds the overall label is not documented beyond the leaderboard's name,
``Overall``: pass ``label_column=`` for another column.
"""

from __future__ import annotations

from pathlib import Path

from vqi_judge.converters.records import csv_records, row_at, unique
from vqi_judge.manifest import ManifestRow

LABELS = {"A": "Video A", "B": "Video B", "same": "tie"}
"""Label column value -> manifest label; ``same`` is a human tie, kept for tie-aware accuracy."""
OVERALL = "Overall"


def read_videogen_rewardbench(
    path: Path, *, split: str | None = None, label_column: str = OVERALL
) -> list[ManifestRow]:
    """Reads ``videogen-rewardbench.csv``.

    Rows: ``compare``, dataset ``videogen_rewardbench``, id the data row's index (``"0"`` for
    the first row under the header), media ``(path_A, path_B)``, label from ``LABELS``, ``votes``
    the raw value, ``prompt``, ``info`` ``{"A_model", "B_model"}``.

    Args:
        path: the CSV file.
        split: recorded on every row.
        label_column: the criterion to read: ``Overall`` (default), ``VQ``, ``MQ`` or ``TA``.

    Raises:
        ValueError: ``<file>:<line>: ...`` for a missing column or a label outside ``LABELS``.
    """
    columns = ("path_A", "path_B", "A_model", "B_model", "prompt", label_column)
    rows = []
    for index, (where, record) in enumerate(csv_records(path, columns)):
        vote = record[label_column]
        if vote not in LABELS:
            raise ValueError(f"{where}: {label_column}={vote!r}; expected one of {list(LABELS)}")
        row = row_at(
            where,
            id=str(index),
            task="compare",
            media=(record["path_A"], record["path_B"]),
            dataset="videogen_rewardbench",
            split=split,
            label=LABELS[vote],
            votes=vote,
            prompt=record["prompt"],
            info={"A_model": record["A_model"], "B_model": record["B_model"]},
        )
        rows.append((where, row))
    return unique(rows)
