"""Synthetic clips with known quality: the ground truth every app's tiny default and every test uses.

A clean clip is a textured square gliding over a textured gradient, so spatial damage (exposure,
contrast, colour cast, blur; also noise and JPEG) and temporal damage (flicker, camera shake; also
frame drops and stutter) are visible. :class:`Degradation` describes the
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

    Every kind is damage a viewer calls worse; each has a scale on which 1 is the worst the
    synthetic world makes, so severities (and the scores that follow) are exact.

    Attributes:
        blur: Gaussian blur sigma in pixels (0-3).
        noise: std of additive Gaussian noise, in 8-bit levels (0-40).
        jpeg: JPEG quality each frame is re-encoded at (10-95, lower is worse), or None.
        exposure: -1 (under-exposed: 80 % darker) to 1 (over-exposed: +160 levels, clipped).
        contrast: loss of contrast, 0-1 (1: 85 % of the way to each frame's mean grey).
        cast: colour cast, 0-1 (1: +110 levels on one channel, picked by the damage seed).
        drop: fraction of frames dropped and replaced by the last kept frame (0-0.75).
        stutter: frames each shown frame is held for, at irregular points (0-4).
        flicker: frame-to-frame brightness flicker, 0-1 (1: gains 0.4-1.6 at random per frame).
        shake: camera shake, 0-1 (1: every frame shifted up to a quarter of the frame at random).
    """

    blur: float = 0.0
    noise: float = 0.0
    jpeg: int | None = None
    exposure: float = 0.0
    contrast: float = 0.0
    cast: float = 0.0
    drop: float = 0.0
    stutter: int = 0
    flicker: float = 0.0
    shake: float = 0.0

    def __post_init__(self) -> None:
        checks = {
            "blur": 0 <= self.blur <= 3,
            "noise": 0 <= self.noise <= 40,
            "jpeg": self.jpeg is None or 10 <= self.jpeg <= 95,
            "exposure": -1 <= self.exposure <= 1,
            "contrast": 0 <= self.contrast <= 1,
            "cast": 0 <= self.cast <= 1,
            "drop": 0 <= self.drop <= 0.75,
            "stutter": 0 <= self.stutter <= 4,
            "flicker": 0 <= self.flicker <= 1,
            "shake": 0 <= self.shake <= 1,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"Degradation {self}: {bad} out of range (see the attribute docs for the scales)")

    @property
    def spatial_severity(self) -> float:
        """Spatial damage in [0, 1]: the worst of blur, noise, JPEG, exposure, contrast and cast."""
        jpeg = 0.0 if self.jpeg is None else (95 - self.jpeg) / 85
        return max(self.blur / 3, self.noise / 40, jpeg, abs(self.exposure), self.contrast, self.cast)

    @property
    def temporal_severity(self) -> float:
        """Temporal damage in [0, 1]: the worst of frame drops, stutter, flicker and shake."""
        return max(self.drop / 0.75, self.stutter / 4, self.flicker, self.shake)

    @property
    def severity(self) -> float:
        """Overall damage in [0, 1]: the worst of the spatial and temporal severities."""
        return max(self.spatial_severity, self.temporal_severity)


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


#: The kinds of damage of the synthetic world, by where they show.
SPATIAL_KINDS = ("exposure", "contrast", "cast", "blur")
TEMPORAL_KINDS = ("flicker", "shake")


def damage_of(kind: str, severity: float, rng: np.random.Generator | None = None) -> Degradation:
    """One kind of damage at ``severity`` in [0, 1] (exposure's sign drawn from ``rng``)."""
    if not 0 <= severity <= 1:
        raise ValueError(f"severity {severity} is outside [0, 1]")
    severity = round(severity, 3)
    if kind == "exposure":
        sign = -1 if rng is not None and rng.random() < 0.5 else 1
        return Degradation(exposure=sign * severity)
    if kind == "blur":
        return Degradation(blur=round(3 * severity, 3))
    if kind in ("contrast", "cast", "flicker", "shake"):
        return Degradation(**{kind: severity})
    raise ValueError(f"unknown damage kind {kind!r}; known: {SPATIAL_KINDS + TEMPORAL_KINDS}")


def random_degradation(
    rng: np.random.Generator, kinds: tuple[str, ...] = SPATIAL_KINDS + TEMPORAL_KINDS, clean: float = 0.15
) -> Degradation:
    """The synthetic world's damage: pristine with probability ``clean``, else one kind at a uniform severity."""
    if rng.random() < clean:
        return Degradation()
    kind = kinds[int(rng.integers(len(kinds)))]
    return damage_of(kind, float(rng.uniform(0.1, 1.0)), rng)


#: Colours of the gliding square, named so prompts can describe (or misdescribe) a clip.
COLOURS = {"red": (200, 40, 40), "green": (40, 180, 60), "blue": (50, 70, 210), "yellow": (220, 200, 40)}


#: Mean 8-bit level of a clean clip over its frames, pixels and channels, averaged over seeds
#: (91.4 at 64 and at 112 px, seed-to-seed std 7.5): the exposure the clean world has, so the
#: brightness a statistic of exposure damage measures from. Mid-grey (128) is not it.
CLEAN_BRIGHTNESS = 91.4


def colour_of(seed: int) -> str:
    """The name of the square's colour in the clip of ``seed``."""
    return sorted(COLOURS)[seed % len(COLOURS)]


def _pink_noise(rng: np.random.Generator, size: int, amplitude: float) -> np.ndarray:
    """``(size, size)`` 1/f noise with std ``amplitude``: texture at every scale, so blur shows."""
    freq = np.fft.fftfreq(size)
    radius = np.hypot(freq[:, None], freq[None, :])
    radius[0, 0] = 1.0
    spectrum = np.fft.fft2(rng.normal(size=(size, size))) / radius
    spectrum[0, 0] = 0.0
    field = np.real(np.fft.ifft2(spectrum))
    return field / field.std() * amplitude


def clean_frames(seed: int, frames: int = 16, size: int = 112, every: int = 1) -> np.ndarray:
    """A pristine clip: a textured square of colour :func:`colour_of` gliding over a textured gradient.

    Args:
        seed: picks the colour, the background, the texture, the start and the direction.
        frames: number of frames.
        size: height and width in pixels.
        every: keep every n-th frame (those alone are drawn): ``clean_frames(s, 16, every=4)``
            equals ``clean_frames(s, 16)[::4]``, as a clip read at a quarter of its frame rate.

    Returns:
        ``(ceil(frames / every), size, size, 3)`` uint8.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    colours = rng.uniform(70, 150, (2, 3))
    background = (1 - xx)[..., None] * colours[0] + (xx * 0.5 + yy * 0.5)[..., None] * colours[1] * 0.6
    background = background + _pink_noise(rng, size, 14.0)[..., None]
    side = size // 3
    texture = _pink_noise(rng, side, 14.0)[..., None] + np.array(COLOURS[colour_of(seed)])
    room = size - side
    start = rng.uniform(0, room, 2)
    # At most half a crossing of the free space per clip, bouncing off the edges: motion stays smooth.
    velocity = rng.uniform(-0.5, 0.5, 2) * room / max(frames - 1, 1)
    background = np.clip(background, 0, 255).astype(np.uint8)
    texture = np.clip(texture, 0, 255).astype(np.uint8)
    times = range(0, frames, every)
    out = np.empty((len(times), size, size, 3), np.uint8)
    for slot, t in enumerate(times):
        y, x = room - np.abs((start + velocity * t) % (2 * room) - room)
        out[slot] = background
        out[slot, int(y) : int(y) + side, int(x) : int(x) + side] = texture
    return out


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


def _shake(frames: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """Shift each frame by a random offset of up to ``strength`` x a quarter of the frame (edges wrap)."""
    reach = strength * frames.shape[1] / 4
    out = np.empty_like(frames)
    for t, frame in enumerate(frames):
        dy, dx = np.rint(rng.uniform(-reach, reach, 2)).astype(int)
        out[t] = np.roll(frame, (dy, dx), axis=(0, 1))
    return out


def degrade(frames: np.ndarray, damage: Degradation, seed: int = 0) -> np.ndarray:
    """Apply ``damage`` to a clip.

    Args:
        frames: ``(T, H, W, 3)`` uint8 clean frames.
        damage: what to do; temporal damage first (drops, stutter, shake), then blur, tone
            (exposure, contrast, cast, flicker), noise and JPEG per frame.
        seed: seeds the random parts (which frames drop, the shake, the flicker, the cast's
            channel, the noise).

    Returns:
        ``(T, H, W, 3)`` uint8.
    """
    rng = np.random.default_rng(seed)
    out = frames[_timeline(len(frames), damage.drop, damage.stutter, rng)].astype(np.float64)
    if damage.shake:
        out = _shake(out, damage.shake, rng)
    if damage.blur:
        out = _gaussian_blur(out, damage.blur)
    if damage.exposure < 0:
        out = out * (1 - 0.8 * -damage.exposure)
    elif damage.exposure > 0:
        out = out + 160 * damage.exposure
    if damage.contrast:
        grey = out.mean(axis=(1, 2, 3), keepdims=True)
        out = grey + (out - grey) * (1 - 0.85 * damage.contrast)
    if damage.cast:
        out[..., int(rng.integers(3))] += 110 * damage.cast
    if damage.flicker:
        gains = 1 + damage.flicker * rng.uniform(-0.6, 0.6, (len(out), 1, 1, 1))
        out = out * gains
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
