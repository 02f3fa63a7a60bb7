"""Synthetic clips with known quality: the ground truth every app's tiny default and every test uses.

A clean clip is a textured square gliding over a gradient, so both spatial damage (blur, noise,
JPEG) and temporal damage (frame drops, stutter) are visible. :class:`Degradation` describes the
damage; its severities map to a score on any scale with :func:`quality_score`, so scoring,
preference (the less damaged clip wins) and yes/no questions all have exact answers.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image

# Frame rate of every synthetic clip; its frames are sampled by read_video like any file's.
SYNTHETIC_FPS = 8


@dataclass(frozen=True)
class Degradation:
    """Damage applied to a clean clip; all zero / None is the pristine clip.

    Attributes:
        blur: Gaussian blur sigma in pixels (0-3 is the scale ``spatial_severity`` assumes).
        noise: std of additive Gaussian noise, in 8-bit levels (0-40).
        jpeg: JPEG quality each frame is re-encoded at (10-95, lower is worse), or None.
        drop: fraction of frames dropped and replaced by the last kept frame (0-0.75).
        stutter: frames each shown frame is held for, at irregular points (0-4).
    """

    blur: float = 0.0
    noise: float = 0.0
    jpeg: int | None = None
    drop: float = 0.0
    stutter: int = 0

    def __post_init__(self) -> None:
        checks = {
            "blur": 0 <= self.blur <= 3,
            "noise": 0 <= self.noise <= 40,
            "jpeg": self.jpeg is None or 10 <= self.jpeg <= 95,
            "drop": 0 <= self.drop <= 0.75,
            "stutter": 0 <= self.stutter <= 4,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"Degradation {self}: {bad} out of range (see the attribute docs for the scales)")

    @property
    def spatial_severity(self) -> float:
        """Spatial damage in [0, 1]: the worst of blur, noise and JPEG on their scales."""
        jpeg = 0.0 if self.jpeg is None else (95 - self.jpeg) / 85
        return max(self.blur / 3, self.noise / 40, jpeg)

    @property
    def temporal_severity(self) -> float:
        """Temporal damage in [0, 1]: the worst of frame drops and stutter on their scales."""
        return max(self.drop / 0.75, self.stutter / 4)

    @property
    def severity(self) -> float:
        """Overall damage in [0, 1]: the mean of the spatial and temporal severities."""
        return (self.spatial_severity + self.temporal_severity) / 2


def quality_score(severity: float, score_range: tuple[float, float] = (1.0, 5.0)) -> float:
    """The mean opinion score a clip of this severity gets: ``hi - (hi - lo) * severity``.

    Args:
        severity: damage in [0, 1] (a :class:`Degradation` severity).
        score_range: the scale ``(lo, hi)``, e.g. KonIQ's (0, 100) or KoNViD's (1, 5).
    """
    lo, hi = score_range
    if not 0 <= severity <= 1:
        raise ValueError(f"severity {severity} is outside [0, 1]")
    return round(hi - (hi - lo) * severity, 4)


def random_degradation(rng: np.random.Generator) -> Degradation:
    """A random mix of damage: each kind present with probability 1/2 at a random strength."""
    def maybe(value: float) -> float:
        return value if rng.random() < 0.5 else 0.0

    return Degradation(
        blur=round(maybe(rng.uniform(0.5, 3.0)), 2),
        noise=round(maybe(rng.uniform(5.0, 40.0)), 1),
        jpeg=int(rng.integers(10, 60)) if rng.random() < 0.5 else None,
        drop=round(maybe(rng.uniform(0.25, 0.75)), 2),
        stutter=int(maybe(int(rng.integers(1, 5)))),
    )


#: Colours of the gliding square, named so prompts can describe (or misdescribe) a clip.
COLOURS = {"red": (200, 40, 40), "green": (40, 180, 60), "blue": (50, 70, 210), "yellow": (220, 200, 40)}


def colour_of(seed: int) -> str:
    """The name of the square's colour in the clip of ``seed``."""
    return sorted(COLOURS)[seed % len(COLOURS)]


def clean_frames(seed: int, frames: int = 16, size: int = 56) -> np.ndarray:
    """A pristine clip: a textured square of colour :func:`colour_of` gliding over a gradient.

    Args:
        seed: picks the colour, the background, the texture, the start and the direction.
        frames: number of frames.
        size: height and width in pixels.

    Returns:
        ``(frames, size, size, 3)`` uint8.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    colours = rng.uniform(60, 160, (2, 3))
    background = (1 - xx)[..., None] * colours[0] + (xx * 0.5 + yy * 0.5)[..., None] * colours[1] * 0.5
    side = size // 3
    texture = rng.uniform(-30, 30, (side, side, 1)) + np.array(COLOURS[colour_of(seed)])
    room = size - side
    start = rng.uniform(0, room, 2)
    # Up to one crossing of the free space per clip, bouncing off the edges: motion stays smooth.
    velocity = rng.uniform(-1.0, 1.0, 2) * room / max(frames - 1, 1)
    out = np.empty((frames, size, size, 3), np.float64)
    for t in range(frames):
        y, x = room - np.abs((start + velocity * t) % (2 * room) - room)
        frame = background.copy()
        frame[int(y) : int(y) + side, int(x) : int(x) + side] = texture
        out[t] = frame
    return np.clip(out, 0, 255).astype(np.uint8)


def _gaussian_blur(frames: np.ndarray, sigma: float) -> np.ndarray:
    radius = max(1, int(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    out = frames.astype(np.float64)
    for axis in (1, 2):  # separable: rows, then columns, edges padded by reflection
        padded = np.pad(out, [(radius, radius) if a == axis else (0, 0) for a in range(4)], mode="reflect")
        out = sum(w * np.take(padded, range(i, i + out.shape[axis]), axis=axis) for i, w in enumerate(kernel))
    return out


def _jpeg(frame: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def _timeline(count: int, drop: float, stutter: int, rng: np.random.Generator) -> np.ndarray:
    """Which clean frame each output slot shows, after drops and stutter."""
    shown = np.arange(count)
    if drop:
        dropped = rng.random(count) < drop
        dropped[0] = False
        shown = np.maximum.accumulate(np.where(dropped, 0, shown))
    if stutter:
        holds = np.where(rng.random(count) < 0.5, stutter, 0)
        order = np.repeat(shown, 1 + holds)[:count]
        shown = order
    return shown


def degrade(frames: np.ndarray, damage: Degradation, seed: int = 0) -> np.ndarray:
    """Apply ``damage`` to a clip.

    Args:
        frames: ``(T, H, W, 3)`` uint8 clean frames.
        damage: what to do; temporal damage first, then blur, noise and JPEG per frame.
        seed: seeds the random parts (which frames drop, the noise).

    Returns:
        ``(T, H, W, 3)`` uint8.
    """
    rng = np.random.default_rng(seed)
    out = frames[_timeline(len(frames), damage.drop, damage.stutter, rng)].astype(np.float64)
    if damage.blur:
        out = _gaussian_blur(out, damage.blur)
    if damage.noise:
        out = out + rng.normal(0, damage.noise, out.shape)
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    if damage.jpeg is not None:
        out = np.stack([_jpeg(f, damage.jpeg) for f in out])
    return out


# BT.601 limited range, what decoders assume for a stream without colour tags.
_YUV = np.array([[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]]) / 255.0
_YUV_OFFSET = np.array([16.0, 128.0, 128.0])


def rgb_to_yuv444(frame: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` RGB uint8 as ``(3, H, W)`` Y, Cb, Cr planes (BT.601, limited range).

    Done here rather than by the encoder's scaler, so that the same frames always give the
    same file (a resumed run rewrites a clip byte for byte).
    """
    planes = np.einsum("ij,hwj->ihw", _YUV, frame.astype(np.float64)) + _YUV_OFFSET[:, None, None]
    return np.clip(np.rint(planes), 0, 255).astype(np.uint8)


def write_clip(path: str | Path, frames: np.ndarray, fps: int = SYNTHETIC_FPS) -> Path:
    """Encode frames as an H.264 MP4 (near-lossless, so the damage is what the file shows).

    Args:
        path: the file to write (``.mp4``).
        frames: ``(T, H, W, 3)`` uint8 with even ``H`` and ``W``.
        fps: frame rate of the file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.height, stream.width = frames.shape[1:3]
        stream.pix_fmt = "yuv444p"
        # The same frames give the same bytes: a constant quantizer (x264's CRF rate control
        # encodes the first clip of a process differently from later ones), one encoder thread,
        # explicit timestamps.
        stream.options = {"qp": "4", "preset": "veryfast", "threads": "1"}
        stream.codec_context.thread_count = 1
        for index, frame in enumerate(frames):
            picture = av.VideoFrame.from_ndarray(rgb_to_yuv444(frame), format="yuv444p")
            picture.pts = index
            container.mux(stream.encode(picture))
        container.mux(stream.encode())
    return path


def write_image(path: str | Path, frame: np.ndarray) -> Path:
    """Save one frame as a lossless PNG."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(frame).save(path)
    return path
