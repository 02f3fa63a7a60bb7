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
from pathlib import Path

from vqi_diffdpo import build_tiny_wan
from vqi_judge import ManifestRow, build_tiny_judge, write_manifest
from vqi_video.synthetic_tasks import make_synthetic_dataset

TINY_JUDGE = "tiny-judge-v3"
TINY_GENERATOR = "tiny-wan-v1"
# Supervised steps teaching the tiny judge the answer format and the world's content (not the
# answers): vqi_judge.instruct.
FORMAT_STEPS = 300
SYNTHETIC_EVAL = "synthetic-eval-v2"
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
    """The tiny Wan text-to-video pipeline (seed 0, random weights), built into the cache on first use."""
    return built(TINY_GENERATOR, lambda path: build_tiny_wan(path, seed=0))


def synthetic_dataset(folder: Path, counts: dict[str, int], seed: int) -> Path:
    """Write a synthetic dataset (media + ``manifest.jsonl``) into ``folder``; return the manifest."""
    rows = make_synthetic_dataset(folder, counts, seed=seed)
    manifest = folder / "manifest.jsonl"
    write_manifest([ManifestRow(**row) for row in rows], manifest)
    return manifest


def synthetic_eval_set() -> Path:
    """The held-out synthetic evaluation set of every task, built into the cache on first use."""
    folder = built(SYNTHETIC_EVAL, lambda path: synthetic_dataset(path, SYNTHETIC_EVAL_COUNTS, SYNTHETIC_EVAL_SEED).parent)
    return folder / "manifest.jsonl"
