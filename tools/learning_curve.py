"""Held-out metrics of a run's judges, one row per stage: does the judge learn through the stages?

Usage: ``uv run tools/learning_curve.py runs/tiny [--eval-seed N] [--items N] [--json out.json]
[--config C] [--output DIR] [key=value ...]``

The judges of ``runs/<name>``, in order: the starting judge of stage 1 (``model`` of
``stage1/config.yaml``; the format-taught tiny judge when it is null), ``stage1/final``,
``stage2/final`` and ``stage3/round_1/judge/final``; unfinished ones are left out. Each is
evaluated by apps/eval.py (the tiny eval config unless ``--config``; ``key=value`` overrides go
to eval) on the held-out synthetic set of ``--eval-seed`` and on the temporal check's ordered and
shuffled copies, into ``<output>/<stage>/``, so a second call reuses the predictions. Printed: each
metric with its 90 % bootstrap interval, and the chance level of each column. ``--json`` writes
``{stage: {metric: value, metric_ci: [lo, hi]}}``, null where undefined. The metrics, the
intervals and the temporal check are described in vqi_apps.heldout.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vqi_apps import heldout
from vqi_apps.config import run
from vqi_apps.defaults import SYNTHETIC_EVAL_COUNTS, SYNTHETIC_EVAL_SEED
from vqi_config import split_overrides


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """The command line: options, and ``key=value`` overrides for apps/eval.py."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a run folder, runs/<name>")
    parser.add_argument("--eval-seed", type=int, default=SYNTHETIC_EVAL_SEED,
                        help=f"seed of the held-out synthetic set (default {SYNTHETIC_EVAL_SEED})")
    parser.add_argument("--items", type=int, help="items per task (default: vqi_apps.defaults's "
                        f"{min(SYNTHETIC_EVAL_COUNTS.values())}+); fewer for a quick, wider-interval look")
    parser.add_argument("--json", type=Path, help="also write the metrics to this JSON file")
    parser.add_argument("--config", type=Path, default=heldout.EVAL_CONFIG, help="eval config")
    parser.add_argument("--output", type=Path, help="where evaluations go; default: <run>/learning_curve")
    rest, overrides = split_overrides(argv)
    return parser.parse_args(rest), overrides


def main(argv: list[str] | None = None) -> dict[str, dict]:
    """Evaluate, print the tables, write ``--json``; return ``{stage: {metric: value, ...}}``."""
    args, overrides = parse_args(sys.argv[1:] if argv is None else argv)
    if not args.run.is_dir():
        raise FileNotFoundError(f"run folder {args.run} does not exist; give runs/<name> of a stage 1-3 run")
    if args.items is not None and args.items < 2:
        raise ValueError(f"--items {args.items}: a correlation needs 2 or more items per task")
    counts = {task: args.items for task in SYNTHETIC_EVAL_COUNTS} if args.items else None
    curve = heldout.learning_curve(args.run, eval_seed=args.eval_seed, counts=counts, config=args.config,
                                   output=args.output, overrides=overrides)
    print(heldout.format_curve(curve))
    if args.json:
        print(f"\nmetrics: {heldout.write_json(curve, args.json)}")
    return curve


if __name__ == "__main__":
    run(main)
