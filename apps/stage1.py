"""Stage 1, image scoring warm-up: GRPO on image quality scores with the format and score rewards.

    uv run apps/stage1.py                                              # tiny judge, synthetic images, CPU (configs/stage1/tiny.yaml)
    uv run apps/stage1.py --config apps/configs/stage1/qwen2.5-vl-7b.yaml   # the paper's run (GPUs)
    uv run apps/stage1.py --config apps/configs/stage1/qwen2.5-vl-7b.yaml --dry-run   # preflight: tokens, rollouts, memory; writes nothing
    uv run apps/stage1.py grpo.max_steps=20 name=demo                  # any config key as key=value
    accelerate launch apps/stage1.py --config apps/configs/stage1/qwen2.5-vl-7b.yaml

Paper: KonIQ-10k's 7k training images, Qwen2.5-VL-7B-Instruct, N = 8 generations, β = 0.001,
lr 1e-6, 3 epochs; rewards: format + ℓ1 score (eq. 3). Deviations: none in the 7B config; the tiny
default trains the tiny judge for 300 steps on 512 synthetic images (exposure, contrast, colour
cast, blur, or none) scored 1-5, 32 prompts x 2 completions a step (configs/stage1/tiny.yaml).
The length and temporal rewards belong to stage 2 and are off here.

Writes ``runs/<name>/stage1/``: checkpoints, ``final/`` (HF format) and ``config.yaml``. Running
the same command again resumes from the last checkpoint; a finished stage is skipped.
"""

from __future__ import annotations

from pathlib import Path

from vqi_apps.config import run
from vqi_apps.preflight import dry_run
from vqi_apps.stages import run_stage1, stage_config


def main(argv: list[str] | None = None) -> Path | None:
    if dry_run("stage1", argv):  # preflight only: nothing built or written
        return None
    _, config = stage_config(__doc__, "stage1", argv)
    return run_stage1(config)


if __name__ == "__main__":
    run(main)
