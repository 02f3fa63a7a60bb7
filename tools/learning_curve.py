"""Held-out metrics of a run's judges, one row per stage: does the judge learn through the stages?

Usage: ``uv run tools/learning_curve.py runs/tiny [manifest] [--config C] [--output DIR] [key=value ...]``

The judges of ``runs/<name>``, in order: the starting judge of stage 1 (``model`` of
``stage1/config.yaml``; the format-taught tiny judge when it is null), ``stage1/final``,
``stage2/final`` and ``stage3/round_1/judge/final``; missing ones are left out. Each is evaluated
by apps/eval.py (default: the held-out synthetic evaluation set with the tiny eval config;
``key=value`` overrides go to eval) into ``<output>/<stage>/``, so a second call reuses the
predictions. The table: SRCC and PLCC of image_score and video_score, SRCC per dimension of
aigc_score, compare and VQA accuracy, and the fraction of unreadable answers. A judge whose
predictions are constant has no correlation: ``-``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from pathlib import Path

import yaml

APPS = Path(__file__).resolve().parents[1] / "apps"
sys.path.insert(0, str(APPS))

import eval as eval_app  # noqa: E402  (apps/eval.py)
from defaults import tiny_judge  # noqa: E402
from evaltables import format_table  # noqa: E402

JUDGES = {"stage1": "stage1/final", "stage2": "stage2/final", "stage3": "stage3/round_1/judge/final"}


def judges(run: Path) -> dict[str, Path]:
    """The run's judges that exist, by stage, starting with the judge stage 1 started from."""
    saved = run / "stage1" / "config.yaml"
    model = yaml.safe_load(saved.read_text()).get("model") if saved.is_file() else None
    found = {"start": Path(model) if model else tiny_judge()}
    found |= {stage: run / sub for stage, sub in JUDGES.items() if (run / sub).is_dir()}
    return found


def evaluate(model: Path, output: Path, manifest: list[str], config: Path, overrides: list[str]) -> dict:
    """Run apps/eval.py on one judge (its printout kept quiet); return its tables and predictions."""
    argv = [*manifest, "--config", str(config), f"judge.model={model}", f"output={output}", *overrides]
    with contextlib.redirect_stdout(io.StringIO()):
        eval_app.main(argv)
    tables = json.loads((output / "tables.json").read_text())
    return {"tables": tables, "preds": eval_app.load_predictions(output / "predictions.jsonl")}


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def summary_row(stage: str, result: dict) -> dict:
    """One stage's row: correlations per scoring task, accuracies (mean over datasets), unreadable fraction."""
    tables, preds = result["tables"], result["preds"]
    row: dict = {"stage": stage}
    for entry in sorted(tables.get("quality scoring (Table 3)", []), key=lambda e: "image" not in e["dataset"]):
        task = entry["dataset"].split("(")[-1].rstrip(")").replace("_score", "")
        row |= {f"{task} srcc": entry["srcc"], f"{task} plcc": entry["plcc"]}
    for entry in tables.get("multi-dimension scoring (Table 2)", []):
        row[f"aigc {entry['dimension'][:4]} srcc"] = entry["srcc"]
    for name, key, column in (("preference (Table 1)", "compare acc", "diff"), ("yes/no VQA", "vqa acc", "accuracy")):
        entries = tables.get(name, [])
        if entries:
            row[key] = _mean([e[column] for e in entries])
    answered = [p for p in preds.values() if "error" not in p]
    row["unreadable"] = sum(p["parse_failed"] for p in answered) / max(1, len(answered))
    return row


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a run folder, runs/<name>")
    parser.add_argument("manifest", nargs="?", help="evaluation manifest; default: the synthetic held-out set")
    parser.add_argument("--config", type=Path, default=APPS / "configs" / "eval" / "tiny.yaml", help="eval config")
    parser.add_argument("--output", type=Path, help="where evaluations go; default: <run>/learning_curve")
    rest, overrides = eval_app.split_overrides(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(rest)
    output = args.output or args.run / "learning_curve"
    manifest = [args.manifest] if args.manifest else []
    rows = []
    for stage, model in judges(args.run).items():
        result = evaluate(model, output / stage, manifest, args.config, overrides)
        rows.append(summary_row(stage, result))
    columns = list(dict.fromkeys(k for row in rows for k in row))
    print(format_table([{c: row.get(c) for c in columns} for row in rows]))
    return rows


if __name__ == "__main__":
    main()
