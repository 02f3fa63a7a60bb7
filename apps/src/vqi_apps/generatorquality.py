"""An independent check of what stage 3's DPO did to the generator: a quality statistic of its
samples computed from the pixels, never by the judge.

The statistic is the exposure error of a clip: how far its mean brightness (over all frames,
pixels and channels) lies from the clean synthetic world's, ``CLEAN_BRIGHTNESS`` of
:mod:`vqi_video.synthetic` (91.4 levels, not mid-grey: clean clips are darker than 128), scaled
to [0, 1] on each side: 0 at the clean level, 1 at black or at white. Exposure damage of severity
``s`` gives about ``0.8 s`` (under-exposed) or ``s`` (over-exposed), so lower is better and the
world's clean clips are the best (about 0.05, their seed-to-seed brightness). Exposure is the
damage the tiny generator learns from the synthetic world and a viewer's "too dark" / "too
bright". The direction the judge prefers is read from its own verdicts: whether its round-0
winners have a lower or a higher statistic than their losers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from statistics import mean, pstdev

import numpy as np

from vqi_apps.runfolder import GeneratorQuality
from vqi_video import read_frames
from vqi_video.synthetic import CLEAN_BRIGHTNESS

STATISTIC = "exposure_error"


def exposure_error(frames: np.ndarray) -> float:
    """The exposure error of ``(T, H, W, 3)`` uint8 frames, in [0, 1] (see the module docstring).

    ``(c - m) / c`` below the clean level ``c`` and ``(m - c) / (255 - c)`` above it, ``m`` the
    frames' mean level.
    """
    level = float(frames.mean())
    if level <= CLEAN_BRIGHTNESS:
        return (CLEAN_BRIGHTNESS - level) / CLEAN_BRIGHTNESS
    return (level - CLEAN_BRIGHTNESS) / (255.0 - CLEAN_BRIGHTNESS)


def clip_statistic(path: Path, num_frames: int) -> float:
    """The statistic of one clip file (its first ``num_frames`` frames)."""
    return exposure_error(read_frames(path, range(num_frames)).frames)


def generator_quality(
    before: Sequence[Path], after: Sequence[Path], pairs: Sequence[tuple[Path, Path]], num_frames: int
) -> GeneratorQuality:
    """The statistic of the first and final generator's clips (same prompts and seeds).

    Args:
        before: the first generator's clips.
        after: the final generator's clips, in the same order.
        pairs: the judge's round-0 ``(winner, loser)`` clips, for the direction it prefers.
        num_frames: frames read per clip.

    Returns:
        Means over the clips (rounded to 4 places), ``spread`` the seed-to-seed standard deviation
        of the first generator's clips, ``judge_prefers`` ``lower``/``higher`` (None without pairs).
    """
    first = [clip_statistic(p, num_frames) for p in before]
    final = [clip_statistic(p, num_frames) for p in after]
    gaps = [clip_statistic(w, num_frames) - clip_statistic(l, num_frames) for w, l in pairs]
    prefers = None if not gaps or mean(gaps) == 0 else ("lower" if mean(gaps) < 0 else "higher")
    change = mean(final) - mean(first)
    moved = None if prefers is None else (change < 0) == (prefers == "lower") and change != 0
    return GeneratorQuality(
        statistic=STATISTIC, before=round(mean(first), 4), after=round(mean(final), 4),
        spread=round(pstdev(first), 4), judge_prefers=prefers, moved_as_judge_prefers=moved,
    )
