"""An independent check of what stage 3's DPO did to the generator: a quality statistic of its
samples computed from the pixels, never by the judge.

The statistic is the exposure error of a clip, ``|mean brightness - 128| / 128`` over all its
frames and channels (0: mid-grey on average; 1: black or white): exposure is damage of the
synthetic world (:mod:`vqi_video.synthetic`) a generator trained on it reproduces, and a
viewer's "too dark" / "too bright". The direction the judge prefers is read from its own
verdicts: whether its round-0 winners have a lower or a higher statistic than their losers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from statistics import mean, pstdev
from typing import Any

import numpy as np

from vqi_video import read_frames

STATISTIC = "exposure_error"


def exposure_error(frames: np.ndarray) -> float:
    """``|mean - 128| / 128`` of ``(T, H, W, 3)`` uint8 frames."""
    return abs(float(frames.mean()) - 128.0) / 128.0


def clip_statistic(path: Path, num_frames: int) -> float:
    """The statistic of one clip file (its first ``num_frames`` frames)."""
    return exposure_error(read_frames(path, range(num_frames)).frames)


def generator_quality(
    before: Sequence[Path], after: Sequence[Path], pairs: Sequence[tuple[Path, Path]], num_frames: int
) -> dict[str, Any]:
    """The statistic of the first and final generator's clips (same prompts and seeds).

    Args:
        before: the first generator's clips.
        after: the final generator's clips, in the same order.
        pairs: the judge's round-0 ``(winner, loser)`` clips, for the direction it prefers.
        num_frames: frames read per clip.

    Returns:
        ``{statistic, before, after, spread, judge_prefers, moved_as_judge_prefers}``: means over
        the clips, ``spread`` the seed-to-seed standard deviation of the first generator's clips,
        ``judge_prefers`` ``lower``/``higher`` (None without pairs).
    """
    first = [clip_statistic(p, num_frames) for p in before]
    final = [clip_statistic(p, num_frames) for p in after]
    gaps = [clip_statistic(w, num_frames) - clip_statistic(l, num_frames) for w, l in pairs]
    prefers = None if not gaps or mean(gaps) == 0 else ("lower" if mean(gaps) < 0 else "higher")
    change = mean(final) - mean(first)
    moved = None if prefers is None else (change < 0) == (prefers == "lower") and change != 0
    return {
        "statistic": STATISTIC, "before": round(mean(first), 4), "after": round(mean(final), 4),
        "spread": round(pstdev(first), 4), "judge_prefers": prefers, "moved_as_judge_prefers": moved,
    }
