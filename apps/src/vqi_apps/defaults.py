"""The embedded defaults of the apps: tiny models built locally on first use, then reused.

They live in a cache folder (``$VQI_CACHE``, else ``~/.cache/vq-insight``), one subfolder per
builder version, so a newer builder never reads an older build. Building goes to a temporary
folder renamed into place at the end: an interrupted build leaves nothing half-written behind.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from vqi_diffdpo import build_tiny_wan, pretrain_generator
from vqi_judge import ManifestRow, build_tiny_judge, read_manifest, write_manifest
from vqi_video.synthetic_generation import generator_examples
from vqi_video.synthetic_tasks import make_synthetic_dataset

TINY_JUDGE = "tiny-judge-v5"
TINY_GENERATOR = "tiny-wan-v2"
# Supervised steps teaching the tiny judge the answer format and to describe what it sees (not the
# answers): vqi_judge.instruct, half of the examples comparing two clips. At 600 steps light,
# contrast and tint follow the pixels (rank correlation 0.8-0.9 on held-out clips) but clip B of a
# pair is mostly described as a copy of clip A; at 1000-1500 a hand rule reading the base's own pair
# descriptions picks the better clip 77-80 % of the time (59 % at 600), and stage 1 reaches held-out
# image SRCC 0.5. Pulse is not learnt at any length tried. 1000 steps with the learning rate decayed
# to 0 along a cosine (2026-12, 7 min instead of 9 on 2 cores) end at loss 0.42 against 0.38, and
# the pairs' differing digits come out in the right order less often (light 0.55 against 0.68,
# contrast 0.45 against 0.61, tint 0.26 against 0.52, on 64 held-out pairs). Teaching every pair as
# the world's comparisons draw them (one kind, severities 0.3 or more apart) raised those to 0.73,
# 0.65 and 0.65, but clip B's detail and pulse were still copies of clip A's and motion no better:
# what the tower sees of blur, flicker and shake in clip B, not the mix, holds comparisons back.
# The main command from a base taught 1000 steps at the constant lr (2026-12, 3.5 min less on a
# first run): stage 1 image SRCC 0.46, stage 2 compare 0.50 (one answer for every pair), duel 50 %.
FORMAT_STEPS = 1500
# The tiny generator's clips (frames, side in pixels) and prompt length in tokens, as pre-trained:
# apps/configs/stage3/tiny.yaml's generator section samples and runs DPO with the same values
# (tests/test_configs.py checks), because the pipeline pads prompts to max_sequence_length and the
# transformer attends to the padding: another length shows it prompts it never saw.
GENERATOR_FRAMES, GENERATOR_SIZE, GENERATOR_SEQUENCE_LENGTH = 5, 64, 16
# Flow-matching steps of its pre-training: about 180 s with 1 thread on a 2-core machine busy with
# another job (3000 steps: 220 s, colour and exposure no better).
GENERATOR_STEPS = 2000
# Share of clean clips it is pre-trained on: none, so every sample is mis-exposed to some degree,
# either way as the seed falls, and DPO has a flaw to correct. Two stage-3 rounds of DPO on oracle
# pairs (tests/test_generator_dpo.py) moved the held-out exposure error by 1.46-1.60 seed-to-seed
# spreads over the seeds tried; pre-trained with a third clean (generator_examples' default), by
# 0.9-1.3.
GENERATOR_CLEAN = 0.0
SYNTHETIC_EVAL = "synthetic-eval-v2"
# The tiny stages' training sets (vqi_apps.stages), one folder per seed and counts.
SYNTHETIC_TRAIN = "synthetic-train-v2"
# Held out: training sets of the tiny defaults are drawn with other seeds.
SYNTHETIC_EVAL_SEED = 1000
SYNTHETIC_EVAL_COUNTS = {"image_score": 64, "video_score": 64, "aigc_score": 64, "compare": 64, "vqa": 66}


def cache_dir() -> Path:
    """Where the apps keep the models they build."""
    return Path(os.environ.get("VQI_CACHE") or Path.home() / ".cache" / "vq-insight")


def built(name: str, builder: Callable[[Path], Path]) -> Path:
    """``cache_dir()/name``, made by ``builder(folder)`` on first use (atomically: see the module docstring)."""
    target = cache_dir() / name
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"building {name} into {target} (once; later runs reuse it)", file=sys.stderr)
    scratch = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        builder(scratch / name)
        try:
            (scratch / name).rename(target)
        except OSError:
            if not target.is_dir():  # another process finishing the same build first is fine
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def tiny_judge() -> Path:
    """The tiny Qwen2.5-VL judge (seed 0, answer format taught), built into the cache on first use."""
    return built(TINY_JUDGE, lambda path: build_tiny_judge(path, seed=0, format_steps=FORMAT_STEPS))


def tiny_generator() -> Path:
    """The tiny Wan text-to-video pipeline pre-trained on the synthetic world, built into the cache on first use.

    Its samples show the square's colour the prompt names (``generator_prompt``) and an exposure
    that varies from seed to seed.
    """

    def build(path: Path) -> None:
        build_tiny_wan(path, seed=0)
        examples = partial(generator_examples, frames=GENERATOR_FRAMES, size=GENERATOR_SIZE, clean=GENERATOR_CLEAN)
        pretrain_generator(path, examples, steps=GENERATOR_STEPS, max_sequence_length=GENERATOR_SEQUENCE_LENGTH, seed=0)

    return built(TINY_GENERATOR, build)


def synthetic_dataset(folder: Path, counts: dict[str, int], seed: int) -> Path:
    """Write a synthetic dataset (media + ``manifest.jsonl``) into ``folder``; return the manifest."""
    rows = make_synthetic_dataset(folder, counts, seed=seed)
    manifest = folder / "manifest.jsonl"
    write_manifest([ManifestRow(**row) for row in rows], manifest)
    return manifest


def synthetic_training_set(manifest: Path, counts: dict[str, int], seed: int) -> Path:
    """Write ``manifest`` listing the synthetic training set of ``counts`` drawn from ``seed``, its
    media built into the cache once and shared by every run that trains on the same set."""
    name = f"{SYNTHETIC_TRAIN}-{seed}-" + "-".join(f"{task}{count}" for task, count in sorted(counts.items()))
    folder = built(name, lambda path: synthetic_dataset(path, counts, seed).parent).resolve()
    write_manifest(read_manifest(folder / "manifest.jsonl"), manifest)  # media paths into the cache
    return manifest


def synthetic_eval_set() -> Path:
    """The held-out synthetic evaluation set of every task, built into the cache on first use."""
    folder = built(SYNTHETIC_EVAL, lambda path: synthetic_dataset(path, SYNTHETIC_EVAL_COUNTS, SYNTHETIC_EVAL_SEED).parent)
    return folder / "manifest.jsonl"
