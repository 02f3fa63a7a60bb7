"""Decoded clips kept in memory: a training run reads each prompt's clips again every epoch, and
decoding them (tens of milliseconds a clip) is work the run does not need to repeat."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

from vqi_video.clip import Clip
from vqi_video.read import read_video


class ClipCache:
    """:func:`read_video` that keeps the clips it decoded, dropping the least recently used past
    ``max_bytes`` of frames; a file whose size or modification time changed is decoded again.

    The clips it returns are shared between calls: treat their frames as read-only (every function
    of this package does). Failures are not kept: a file that cannot be decoded raises each time.

    Args:
        max_bytes: most bytes of frames held; 0 keeps nothing (every call decodes).
    """

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes={max_bytes} must be >= 0")
        self.max_bytes = max_bytes
        self.held = 0
        self.hits = self.misses = 0
        self._clips: OrderedDict[tuple, Clip] = OrderedDict()

    def read(self, path: str | Path, **sampling: Any) -> Clip:
        """The clip ``read_video(path, **sampling)`` returns, decoded once while it is held."""
        try:
            stat = Path(path).stat()
            version = (stat.st_size, stat.st_mtime_ns)
        except OSError:  # missing: read_video below raises its own clear error
            version = None
        key = (str(Path(path).resolve()), version, tuple(sorted(sampling.items())))
        if key in self._clips:
            self.hits += 1
            self._clips.move_to_end(key)
            return self._clips[key]
        self.misses += 1
        clip = read_video(path, **sampling)  # a missing file raises here, as without the cache
        size = clip.frames.nbytes
        if size <= self.max_bytes:
            self._clips[key] = clip
            self.held += size
            while self.held > self.max_bytes:
                _, dropped = self._clips.popitem(last=False)
                self.held -= dropped.frames.nbytes
        return clip
