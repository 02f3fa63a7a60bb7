"""Training examples for a text-to-video generator of the synthetic world: prompt and clip pairs.

A generator pre-trained on these draws what its prompt names (the square's colour) and, from one
seed to the next, a clip that is under-exposed, clean or over-exposed: the quality a judge of
the synthetic world can prefer and a pixel statistic can measure. Every clip is a
:func:`~vqi_video.synthetic.clean_frames` clip with exposure damage only
(:func:`~vqi_video.synthetic.damage_of`, :func:`~vqi_video.synthetic.degrade`); the prompt never
names the exposure, so it is left to the seed.
"""

from __future__ import annotations

import numpy as np

from .synthetic import COLOURS, Degradation, clean_frames, colour_of, degrade, random_degradation

#: The one prompt form of the examples: the words a tiny text encoder knows (vqi-diffdpo's tiny Wan).
GENERATOR_PROMPT = "a {colour} square gliding over a soft gradient"
#: Share of clean examples; the rest are under- or over-exposed (equally often) at a severity
#: drawn uniformly from 0.1-1.0, as :func:`~vqi_video.synthetic.random_degradation` draws them.
GENERATOR_CLEAN = 1 / 3
# Clip seeds are drawn below this bound: far more than a generator's training pool.
_SEEDS = 2**31


def generator_prompt(colour: str) -> str:
    """The prompt of a clip whose square has ``colour`` (a key of ``COLOURS``)."""
    if colour not in COLOURS:
        raise ValueError(f"unknown colour {colour!r}; use one of {sorted(COLOURS)}")
    return GENERATOR_PROMPT.format(colour=colour)


def generator_example(
    seed: int, damage: Degradation, *, frames: int = 5, size: int = 64
) -> tuple[str, np.ndarray]:
    """One example: the clip of ``seed`` with ``damage`` applied, and the prompt naming its colour.

    Args:
        seed: the clip (colour :func:`~vqi_video.synthetic.colour_of`, background, texture,
            motion); also seeds the damage's random parts.
        damage: what :func:`~vqi_video.synthetic.degrade` applies.
        frames: frames per clip (a Wan generator needs ``4k + 1``).
        size: height and width in pixels.

    Returns:
        ``(prompt, frames)``: frames ``(frames, size, size, 3)`` uint8.
    """
    clip = degrade(clean_frames(seed, frames, size), damage, seed)
    return generator_prompt(colour_of(seed)), clip


def generator_examples(
    rng: np.random.Generator,
    n: int,
    *,
    frames: int = 5,
    size: int = 64,
    clean: float = GENERATOR_CLEAN,
) -> list[tuple[str, np.ndarray]]:
    """``n`` generator training examples, exposure varying from one to the next.

    The callable vqi-diffdpo's ``pretrain_generator(path, examples)`` expects. For each example,
    in order: ``seed = int(rng.integers(2**31))``, then
    ``damage = random_degradation(rng, ("exposure",), clean)`` (clean with probability ``clean``,
    else exposure of either sign at a severity uniform in 0.1-1.0); the example is
    :func:`generator_example` of the two.

    Args:
        rng: the source of every random choice (same state, same examples).
        n: number of examples.
        frames: frames per clip.
        size: height and width in pixels.
        clean: probability that an example is undamaged, in [0, 1].

    Returns:
        ``n`` pairs ``(prompt, (frames, size, size, 3) uint8)``.
    """
    if n < 0:
        raise ValueError(f"n={n}; ask for 0 or more examples")
    if not 0 <= clean <= 1:
        raise ValueError(f"clean={clean} is a probability; use a value in [0, 1]")
    rows = []
    for _ in range(n):
        seed = int(rng.integers(_SEEDS))
        damage = random_degradation(rng, ("exposure",), clean)
        rows.append(generator_example(seed, damage, frames=frames, size=size))
    return rows
