"""Stage 2, general task-specific temporal learning: GRPO on videos, from stage 1's judge.

    uv run apps/stage2.py                                              # tiny default: runs stage 1 first if needed
    uv run apps/stage2.py --config apps/configs/stage2/qwen2.5-vl-7b.yaml   # the paper's run (GPUs)
    uv run apps/stage2.py --config apps/configs/stage2/qwen2.5-vl-7b.yaml --dry-run   # preflight: tokens, rollouts, memory; writes nothing
    uv run apps/stage2.py rewards.temporal=false                       # ablation: no TMR (Table 4 b)
    uv run apps/stage2.py rewards.length=false                         # ablation: no LCR (Table 4 c)
    uv run apps/stage2.py model=Qwen/Qwen2.5-VL-7B-Instruct            # ablation: no warm-up (Table 4 a)
    uv run apps/stage2.py grpo.lora.r=8                                # LoRA adapter on the frozen judge (final/: merged)

Tasks, mixed in one batch: natural-video scoring (LSVQ), AIGC multi-dimension scoring (LGVQ),
two-video comparison (VisionReward's 2k pairs) and yes/no VQA (its 1k questions). Rewards: format,
ℓ1 score (eq. 3), multi-dimension (eq. 6), choice (eq. 7), length control (eq. 5, γ 0.1, 320-512
tokens) and temporal modeling (eq. 4, α 0.3, μ 0.8) on shuffled rollouts of video tasks
(comparisons excluded, as in the paper). Token shuffle by default (the paper); the authors'
frame shuffle with ``grpo.temporal_mode=frames``. The tiny default uses synthetic clips with
known exposure, contrast, colour-cast, blur, flicker and camera-shake damage and short
completions, with the length reward's window scaled to them (12-60 tokens, not 320-512).

Starts from ``runs/<name>/stage1/final`` (the tiny default runs stage 1 first when it is missing;
with any other config run apps/stage1.py first, or set ``model=``) and writes
``runs/<name>/stage2/`` like stage 1; running again resumes, a finished stage is skipped.
"""

from __future__ import annotations

from pathlib import Path

from vqi_apps.config import run, tiny_config
from vqi_apps.preflight import dry_run
from vqi_apps.stages import run_stage2, stage_config


def main(argv: list[str] | None = None) -> Path | None:
    if dry_run("stage2", argv):  # preflight only: nothing built or written
        return None
    path, config = stage_config(__doc__, "stage2", argv)
    return run_stage2(config, tiny=path.resolve() == tiny_config("stage2").resolve())


if __name__ == "__main__":
    run(main)
