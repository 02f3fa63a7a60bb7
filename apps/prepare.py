"""Prepare the paper's data: every manifest and prompt file the paper configs read, from the public
datasets as their users download them.

    uv run apps/prepare.py                                   # datasets/<folder>/ -> data/
    uv run apps/prepare.py --datasets DIR --out data --seed 0

Expected layout, one folder per dataset under --datasets (files as published, media beside them):

    koniq10k/              koniq10k_distributions_sets.csv, 512x384/<image_name>
    lsvq/                  LSVQ_whole_train.csv, LSVQ_whole_test.csv, LSVQ_whole_test_1080p.csv,
                           <name>.mp4 (ia-batch*/, yfcc-batch*/)
    lgvq/                  train.json, test.json (VQ-Insight layout), prompts.json, the clips
    visionrewarddb_video/  regression.jsonl, train.jsonl, VisionReward_video_qa.txt, the videos
    genai_bench_video/     pairwise.jsonl, left/<idx>.mp4, right/<idx>.mp4
    monetbench/            test.jsonl, the videos
    konvid1k/              KoNViD_1k_mos.csv, KoNViD_1k_videos/<flickr_id>.mp4
    live_vqc/              LiveVQC_data.mat, Video/<name>.mp4
    vidprom/               VidProM_unique.csv

Writes into --out: koniq10k_train.jsonl (stage 1), stage2_mixed.jsonl (stage 2 and stage 3's
judge_data), vidprom_5k.txt (stage 3) and eval/<dataset>.jsonl (the paper eval configs). Prints a
line per label file (rows written, rows dropped by reason: missing media, no prompt, tie) and per
file written; a dataset whose files are absent is skipped with what to download and where, and the
others are still prepared. Running it again rewrites the same files (vqi_apps.prepare).

Exit codes: 0 everything prepared; 1 prepared, but a dataset was skipped or media were missing;
2 a bad input (one ``error:`` line).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vqi_apps.config import run
from vqi_apps.prepare import prepare


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=Path, default=Path("datasets"),
                        help="folder holding one folder per dataset (default: datasets)")
    parser.add_argument("--out", type=Path, default=Path("data"),
                        help="folder the configs' data/ paths name (default: data)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the selections (default: 0)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not args.datasets.is_dir():
        raise FileNotFoundError(f"no datasets folder {args.datasets}: give --datasets, the folder "
                                "holding koniq10k/, lsvq/, ... (see --help)")
    report = prepare(args.datasets, args.out, seed=args.seed)
    for line in report.lines:
        print(line)
    print(f"{len(report.written)} files written into {args.out}")
    return 0 if report.complete else 1


if __name__ == "__main__":
    run(lambda: sys.exit(main()))
