"""What the tiny base judge is taught to see: a clip's content, measured from its pixels.

A real instruction-tuned VLM already looks before it answers: asked about a video it says how
light or dark it is, how contrasty, what colour it leans to, how much fine detail it shows,
whether its light pulses and how much the picture moves. The tiny judge learns to say the same
in its reasoning (:mod:`vqi_judge.instruct`), one digit per measure, so that what it sees reaches
its answer as text, a path a two-layer text model can use (the shared learning notes measured
that it does not carry pixels to an answer by itself).

Each measure is a plain property of the picture, never a verdict: a clean clip of the synthetic
world sits mid-scale on some (light 3-4) and high on others (contrast, detail), and which values
are good is what GRPO teaches in stages 1-3. Digits are ``round(value / unit)`` clipped to 0-9,
with units chosen so that the synthetic world's clips spread over the scale (clean clips: light
3-4, contrast 7-9, tint 1-3, detail 7-9, pulse 0, motion 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: Units of the measures: one digit step of each.
UNITS = {"light": 25.5, "contrast": 4.0, "tint": 12.0, "detail": 1 / 30, "pulse": 1 / 30, "motion": 1 / 8}
_LUMA = np.array([0.299, 0.587, 0.114])


def measures(frames: np.ndarray) -> dict[str, float]:
    """The raw measures of ``(T, H, W, 3)`` uint8 frames (``pulse`` and ``motion`` only when T > 1).

    - ``light``: mean luma (0-255);
    - ``contrast``: spatial std of luma, averaged over frames;
    - ``tint``: spread between the brightest and darkest colour channel's mean;
    - ``detail``: mean absolute luma step between neighbouring pixels, per unit of contrast;
    - ``pulse``: std over time of each frame's mean luma, per unit of light;
    - ``motion``: mean absolute change of the mean-free luma from frame to frame, per unit of contrast.
    """
    pixels = frames.astype(np.float64)
    luma = pixels @ _LUMA
    contrast = float(luma.std(axis=(1, 2)).mean()) + 1e-6
    steps = (np.abs(np.diff(luma, axis=2)).mean() + np.abs(np.diff(luma, axis=1)).mean()) / 2
    channels = np.array([pixels[..., c].mean() for c in range(3)])  # 10x faster than mean(axis=(0, 1, 2))
    out = {
        "light": float(luma.mean()),
        "contrast": contrast,
        "tint": float(channels.max() - channels.min()),
        "detail": float(steps) / contrast,
    }
    if len(frames) > 1:
        levels = luma.mean(axis=(1, 2))
        centred = luma - levels[:, None, None]
        out["pulse"] = float(levels.std() / (levels.mean() + 1e-6))
        out["motion"] = float(np.abs(np.diff(centred, axis=0)).mean()) / contrast
    return out


def digits(frames: np.ndarray) -> dict[str, int]:
    """:func:`measures` as digits 0-9 (``round(value / UNITS[name])``, clipped)."""
    return {name: int(np.clip(round(value / UNITS[name]), 0, 9)) for name, value in measures(frames).items()}


def words(values: Mapping[str, int], colour: str | None = None) -> str:
    """Digits of measures as the judge writes them, e.g. ``"red, light 4 contrast 8"``."""
    text = " ".join(f"{name} {value}" for name, value in values.items())
    return f"{colour}, {text}" if colour else text


def side_by_side(values: Sequence[Mapping[str, int]], colours: Sequence[str | None]) -> str:
    """The digits of several clips measure by measure, in clip order, so that a comparison reads
    neighbouring digits: ``"red red, light 3 4 contrast 7 5"`` (clip A's light 3, clip B's 4)."""
    text = " ".join(f"{name} {' '.join(str(v[name]) for v in values)}" for name in values[0])
    named = [c for c in colours if c]
    return f"{' '.join(named)}, {text}" if named else text


def describe(frames: np.ndarray, colour: str | None = None) -> str:
    """One clip in words, e.g. ``"red, light 4 contrast 8 tint 2 detail 8 pulse 0 motion 1"``.

    Args:
        frames: ``(T, H, W, 3)`` uint8, the frames the judge sees.
        colour: the colour of the clip's subject, named first when given.
    """
    return words(digits(frames), colour)


def describe_clips(frames: Sequence[np.ndarray], colours: Sequence[str | None]) -> str:
    """The clips of one prompt in words: one as :func:`describe`; several :func:`side_by_side`,
    e.g. ``"red red, light 3 4 contrast 7 5 tint 2 2 detail 9 9 pulse 0 0 motion 1 1"``."""
    return describe_values([digits(f) for f in frames], colours)


def describe_values(values: Sequence[Mapping[str, int]], colours: Sequence[str | None]) -> str:
    """:func:`describe_clips` from the clips' :func:`digits`, already measured."""
    if len(values) != len(colours):
        raise ValueError(f"{len(values)} clips but {len(colours)} colours")
    return words(values[0], colours[0]) if len(values) == 1 else side_by_side(values, colours)
