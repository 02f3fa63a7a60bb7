"""ClipCache: decoded clips reused while held, dropped least recently used past the byte bound."""

import os

import numpy as np
import pytest

from vqi_video import ClipCache, VideoDecodeError, read_video
from vqi_video.synthetic import clean_frames, write_clip

SAMPLING = {"fps": 2.0, "max_frames": 4, "budget": None}
# 4 frames of 32x32 RGB: 4 * 32 * 32 * 3 = 12288 bytes a clip.
CLIP_BYTES = 12288


@pytest.fixture()
def clips(tmp_path):
    """Three 2-second synthetic clips of 32x32."""
    return [write_clip(tmp_path / f"{i}.mp4", clean_frames(i, frames=16, size=32)) for i in range(3)]


def test_a_held_clip_is_returned_again_and_equals_a_fresh_decode(clips):
    cache = ClipCache(10 * CLIP_BYTES)
    first = cache.read(clips[0], **SAMPLING)
    assert first.frames.nbytes == CLIP_BYTES
    assert cache.read(clips[0], **SAMPLING) is first
    np.testing.assert_array_equal(first.frames, read_video(clips[0], **SAMPLING).frames)
    assert (cache.hits, cache.misses, cache.held) == (1, 1, CLIP_BYTES)
    other = cache.read(clips[0], fps=1.0, max_frames=4, budget=None)  # another sampling is another clip
    assert other is not first and (cache.misses, cache.held) == (2, 2 * CLIP_BYTES)


def test_past_the_bound_the_least_recently_used_clip_is_dropped(clips):
    """Room for two clips: reading 0, 1, 0 again, then 2 drops 1 (0 was used last), so 0 is held
    and 1 is decoded again."""
    cache = ClipCache(2 * CLIP_BYTES + 100)
    zero = cache.read(clips[0], **SAMPLING)
    cache.read(clips[1], **SAMPLING)
    cache.read(clips[0], **SAMPLING)
    cache.read(clips[2], **SAMPLING)
    assert cache.held == 2 * CLIP_BYTES
    assert cache.read(clips[0], **SAMPLING) is zero
    misses = cache.misses
    cache.read(clips[1], **SAMPLING)
    assert cache.misses == misses + 1


def test_a_zero_bound_keeps_nothing_and_a_changed_file_is_decoded_again(clips):
    nothing = ClipCache(0)
    assert nothing.read(clips[0], **SAMPLING) is not nothing.read(clips[0], **SAMPLING)
    assert nothing.held == 0
    cache = ClipCache(10 * CLIP_BYTES)
    before = cache.read(clips[0], **SAMPLING)
    write_clip(clips[0], clean_frames(7, frames=16, size=32))  # new content, same path
    os.utime(clips[0], ns=(1, 1))  # and surely another modification time
    after = cache.read(clips[0], **SAMPLING)
    assert not np.array_equal(before.frames, after.frames)
    np.testing.assert_array_equal(after.frames, read_video(clips[0], **SAMPLING).frames)


def test_failures_are_not_kept(tmp_path):
    cache = ClipCache(10 * CLIP_BYTES)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    for _ in range(2):
        with pytest.raises(VideoDecodeError):
            cache.read(broken, **SAMPLING)
    with pytest.raises((VideoDecodeError, FileNotFoundError)):
        cache.read(tmp_path / "missing.mp4", **SAMPLING)
    assert (cache.misses, cache.held) == (3, 0)
    with pytest.raises(ValueError, match="max_bytes"):
        ClipCache(-1)
