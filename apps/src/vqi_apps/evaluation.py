"""Evaluating a judge on a manifest (apps/eval.py, and the held-out metrics of apps' runs).

The output folder holds ``predictions.jsonl`` (one record per row, appended as each chunk
finishes, so an interrupted evaluation continues where it stopped), ``judge.json`` (what made the
predictions: a prediction is reused only by the same judge with the same generation settings, on
the same media file), ``config.yaml`` (the resolved config) and ``tables.json`` (the paper's tables).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from vqi_apps.config import writable_folder
from vqi_apps.evaltables import all_tables
from vqi_apps.judging import judge_identity, media_identity, open_judge
from vqi_config import save_config
from vqi_judge import Judge, JudgeConfig, ManifestRow, check_media, read_manifest
from vqi_video import VideoDecodeError


@dataclass
class EvalConfig:
    """Settings of apps/eval.py.

    Attributes:
        judge: which judge runs and how (``vqi_judge.JudgeConfig``).
        manifests: the manifests evaluated together when the command names none (the paper
            configs name apps/prepare.py's ``data/eval/*.jsonl``); empty: the synthetic set.
        output: folder for ``predictions.jsonl``, ``tables.json`` and the resolved config.
        fit: ``none`` (raw PLCC) or ``logistic4`` (PLCC after the 4-parameter logistic map).
        limit: evaluate only the first N rows (None: all).
        chunk: rows per saved chunk of predictions (a crash loses at most one chunk).
    """

    judge: JudgeConfig = field(default_factory=JudgeConfig)
    manifests: list[str] = field(default_factory=list)
    output: str = "runs/eval"
    fit: str = "none"
    limit: int | None = None
    chunk: int = 32


@dataclass(frozen=True)
class Evaluation:
    """The predictions of a manifest's rows and the tables computed from them.

    Attributes:
        judged: the rows with a prediction.
        skipped: the rows whose media could not be decoded.
        predictions: every prediction record by row id.
        tables: the paper's tables (``vqi_apps.evaltables.all_tables``) over ``judged``.
    """

    judged: list[ManifestRow]
    skipped: list[ManifestRow]
    predictions: dict[str, dict[str, Any]]
    tables: dict[str, list]


def read_manifests(paths: list[Path], media_root: Path | None = None) -> list[ManifestRow]:
    """The rows of several manifests, in order; predictions are kept by row id, so ids must not repeat.

    Raises:
        ValueError: naming both manifests of an id that two of them use, or any ``read_manifest`` error.
    """
    rows, first = [], {}
    for path in paths:
        for row in read_manifest(path, media_root=media_root):
            if row.id in first:
                raise ValueError(f"id {row.id!r} is in {first[row.id]} and in {path} (manifests): "
                                 "evaluate them one at a time, apps/eval.py <manifest>")
            first[row.id] = path
            rows.append(row)
    return rows


def load_predictions(path: Path) -> dict[str, dict]:
    """Predictions by row id; the last line wins, and a torn last line (a crash) is ignored."""
    preds = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            preds[record["id"]] = record
    return preds


def reusable(output: Path, identity: dict, overwrite: bool) -> dict[str, dict]:
    """The predictions in ``output`` that this judge and these settings may reuse (see the module docstring)."""
    key, predictions = output / "judge.json", output / "predictions.jsonl"
    if key.is_file() and json.loads(key.read_text()) != identity:
        if not overwrite:
            raise ValueError(f"the predictions there come from another judge or other generation settings "
                             f"(output={output}): pass --overwrite to replace them, or give another output=")
        predictions.unlink(missing_ok=True)
        (output / "tables.json").unlink(missing_ok=True)
    elif not key.is_file() and predictions.is_file() and not overwrite:
        raise ValueError(f"predictions of an unknown judge are there (output={output}): "
                         "pass --overwrite to replace them, or give another output=")
    elif overwrite:
        predictions.unlink(missing_ok=True)
    key.write_text(json.dumps(identity, indent=2))
    return load_predictions(predictions)


def predict(judge: Judge, rows: list[ManifestRow], done: dict[str, dict], out: Path, chunk: int) -> None:
    """Judge the rows not in ``done`` or whose media changed, appending each chunk's predictions to ``out``."""
    media = {r.id: media_identity(list(r.media)) for r in rows}
    todo = [r for r in rows if done.get(r.id, {}).get("media_identity") != media[r.id]]
    with out.open("a") as sink, tqdm(total=len(rows), initial=len(rows) - len(todo), desc="eval", unit="item") as bar:
        for start in range(0, len(todo), chunk):
            records, requests, judged = [], [], []
            for row in todo[start : start + chunk]:
                fields = {"prompt": row.prompt, "question": row.question,
                          "score_range": tuple(row.score_range) if row.score_range else None}
                try:
                    requests.append(judge.request(row.task, list(row.media), **fields))
                    judged.append(row)
                except VideoDecodeError as err:
                    records.append({"id": row.id, "error": str(err), "media_identity": media[row.id]})
            for row, result in zip(judged, judge.run(requests)):
                records.append({"id": row.id, **asdict(result), "media_identity": media[row.id]})
            for record in records:
                sink.write(json.dumps(record) + "\n")
                done[record["id"]] = record
            sink.flush()
            bar.update(len(records))
            bar.set_postfix(skipped=sum("error" in r for r in done.values()))


def tabulate(rows: list[ManifestRow], preds: dict[str, dict], fit: str) -> Evaluation:
    """The tables of ``rows`` from their predictions; rows whose media did not decode are named on stderr and left out."""
    skipped = [r for r in rows if "error" in preds.get(r.id, {})]
    for row in skipped:
        print(f"skipped {row.id}: {preds[row.id]['error']}", file=sys.stderr)
    judged = [r for r in rows if r not in skipped]
    return Evaluation(judged, skipped, preds, all_tables(judged, preds, fit=fit))


def evaluate(config: EvalConfig, rows: list[ManifestRow], overwrite: bool = False) -> Evaluation:
    """Run the configured judge on ``rows`` into ``config.output``, reusing what it holds; write ``tables.json``.

    Raises:
        vqi_judge.MissingMediaError: media files of the rows are missing (all named before any work).
        ValueError: the output folder cannot be written, or holds another judge's predictions
            (``overwrite`` replaces them).
    """
    output = Path(config.output)
    check_media(rows)
    writable_folder(output, "output")
    preds = reusable(output, judge_identity(config.judge), overwrite)
    save_config(config, output / "config.yaml")
    predict(open_judge(config.judge), rows, preds, output / "predictions.jsonl", config.chunk)
    result = tabulate(rows, preds, config.fit)
    (output / "tables.json").write_text(json.dumps(result.tables, indent=2))
    return result
