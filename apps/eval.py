"""Evaluate a judge on a manifest and print the paper's tables.

    uv run apps/eval.py                                      # tiny judge on the synthetic evaluation set
    uv run apps/eval.py data/konvid.jsonl --media-root /data/KoNViD_1k_videos
    uv run apps/eval.py data/genai.jsonl --config apps/configs/eval/qwen2.5-vl-7b.yaml
    uv run apps/eval.py --config apps/configs/eval/qwen2.5-vl-7b.yaml     # its manifests: apps/prepare.py's data/eval/
    uv run apps/eval.py data/konvid.jsonl --predictions runs/eval/predictions.jsonl   # tables only, no model

Tables (see vqi_apps.evaltables): preference accuracy tau/diff per dataset (Table 1 layout),
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
import sys
from pathlib import Path

from vqi_apps.config import run
from vqi_apps.defaults import synthetic_eval_set
from vqi_apps.evaltables import format_table
from vqi_apps.evaluation import EvalConfig, evaluate, load_predictions, read_manifests, tabulate
from vqi_config import load_config, split_overrides
from vqi_judge import check_checkpoint


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifest", nargs="?", type=Path,
                        help="a manifest JSONL; default: the config's manifests, else the synthetic set")
    parser.add_argument("--media-root", type=Path, help="folder that relative media paths resolve against")
    parser.add_argument("--predictions", type=Path, help="compute the tables from this file, without a model")
    parser.add_argument("--config", type=Path, help="YAML config (see apps/configs/eval/)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the predictions of another judge or other settings in the output folder")
    rest, overrides = split_overrides(argv)
    return parser.parse_args(rest), overrides


def main(argv: list[str] | None = None) -> int:
    args, overrides = parse_args(sys.argv[1:] if argv is None else argv)
    config = load_config(EvalConfig, args.config, overrides)
    if config.judge.model:
        check_checkpoint(config.judge.model)
    manifests = [args.manifest] if args.manifest else [Path(m) for m in config.manifests] or [synthetic_eval_set()]
    rows = read_manifests(manifests, media_root=args.media_root)[: config.limit]
    if args.predictions:
        result = tabulate(rows, load_predictions(args.predictions), config.fit)
    else:
        result = evaluate(config, rows, args.overwrite)
    for name, table in result.tables.items():
        print(f"\n{name}\n{format_table(table)}")
    print(f"\n{len(result.judged)} rows evaluated, {len(result.skipped)} skipped (undecodable media)")
    if not args.predictions:
        output = Path(config.output)
        print(f"predictions: {output / 'predictions.jsonl'}, tables: {output / 'tables.json'}")
    return 1 if result.skipped else 0


if __name__ == "__main__":
    run(lambda: sys.exit(main()))
