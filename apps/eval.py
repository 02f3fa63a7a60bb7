"""Evaluate a judge on a manifest and print the paper's tables.

    uv run apps/eval.py                                      # tiny judge on the synthetic evaluation set
    uv run apps/eval.py data/konvid.jsonl --media-root /data/KoNViD_1k_videos
    uv run apps/eval.py data/genai.jsonl --config apps/configs/eval/qwen2.5-vl-7b.yaml
    uv run apps/eval.py data/konvid.jsonl --predictions runs/eval/predictions.jsonl   # tables only, no model

Tables (see apps/evaltables.py): preference accuracy tau/diff per dataset (Table 1 layout),
SRCC/KRCC/PLCC per dimension (Table 2), PLCC/SRCC per dataset (Table 3), and VQA accuracy.
Every prediction is appended to ``<output>/predictions.jsonl`` as its batch finishes, so an
interrupted evaluation continues where it stopped when run again with the same output folder,
and the tables can be recomputed without the model. A prediction is reused only by the same
judge with the same generation settings (``<output>/judge.json``; another judge or setting is
refused: pass ``--overwrite`` or another ``output=``) on the same media file (size and
modification time, kept with each prediction; a replaced file is judged again). Missing media files are reported all
together before any work starts; files that cannot be decoded are skipped and counted.
Manifests come from vqi-judge's converters (``vqi_judge.convert``; format in its DATASETS.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from appconfig import load_config, run, save_config, split_overrides, writable_folder
from defaults import synthetic_eval_set
from evaltables import all_tables, format_table
from judging import JudgeConfig, judge_identity, media_identity, open_judge
from vqi_judge import Judge
from vqi_judge import ManifestRow, check_checkpoint, check_media, read_manifest
from vqi_video import VideoDecodeError


@dataclass
class EvalConfig:
    """Settings of apps/eval.py.

    Attributes:
        judge: which judge runs and how (see ``apps/judging.py``).
        output: folder for ``predictions.jsonl``, ``tables.json`` and the resolved config.
        fit: ``none`` (raw PLCC) or ``logistic4`` (PLCC after the 4-parameter logistic map).
        limit: evaluate only the first N rows (None: all).
        chunk: rows per saved chunk of predictions (a crash loses at most one chunk).
    """

    judge: JudgeConfig = field(default_factory=JudgeConfig)
    output: str = "runs/eval"
    fit: str = "none"
    limit: int | None = None
    chunk: int = 32


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifest", nargs="?", type=Path, help="a manifest JSONL; default: the synthetic set")
    parser.add_argument("--media-root", type=Path, help="folder that relative media paths resolve against")
    parser.add_argument("--predictions", type=Path, help="compute the tables from this file, without a model")
    parser.add_argument("--config", type=Path, help="YAML config (see apps/configs/eval/)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the predictions of another judge or other settings in the output folder")
    rest, overrides = split_overrides(argv)
    return parser.parse_args(rest), overrides


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


def main(argv: list[str] | None = None) -> int:
    args, overrides = parse_args(sys.argv[1:] if argv is None else argv)
    config = load_config(EvalConfig, args.config, overrides)
    if config.judge.model:
        check_checkpoint(config.judge.model)
    if args.manifest is None:
        args.manifest = synthetic_eval_set()
    rows = read_manifest(args.manifest, media_root=args.media_root)[: config.limit]
    output = Path(config.output)
    if args.predictions:
        preds = load_predictions(args.predictions)
    else:
        check_media(rows)
        writable_folder(output, "output")
        preds = reusable(output, judge_identity(config.judge), args.overwrite)
        save_config(config, output / "config.yaml")
        predict(open_judge(config.judge), rows, preds, output / "predictions.jsonl", config.chunk)
    skipped = [r for r in rows if "error" in preds.get(r.id, {})]
    for row in skipped:
        print(f"skipped {row.id}: {preds[row.id]['error']}", file=sys.stderr)
    kept = [r for r in rows if r not in skipped]
    tables = all_tables(kept, preds, fit=config.fit)
    for name, table in tables.items():
        print(f"\n{name}\n{format_table(table)}")
    print(f"\n{len(kept)} rows evaluated, {len(skipped)} skipped (undecodable media)")
    if not args.predictions:
        (output / "tables.json").write_text(json.dumps(tables, indent=2))
        print(f"predictions: {output / 'predictions.jsonl'}, tables: {output / 'tables.json'}")
    return 1 if skipped else 0


if __name__ == "__main__":
    run(lambda: sys.exit(main()))
