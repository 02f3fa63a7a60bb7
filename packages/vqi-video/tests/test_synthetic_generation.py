"""Generator training examples: the prompt names the clip's colour and the exposure varies."""

import numpy as np
import pytest

from vqi_video.synthetic import COLOURS, Degradation, clean_frames, colour_of, degrade, random_degradation
from vqi_video.synthetic_generation import generator_example, generator_examples, generator_prompt


def _square_colour(frame: np.ndarray) -> str:
    """The colour of ``COLOURS`` nearest the most colourful square window of a clean frame."""
    side = frame.shape[0] // 3
    pixels = frame.astype(np.float64)
    chroma = pixels - pixels.mean(axis=2, keepdims=True)  # the background is greyish, the square is not
    strength = np.cumsum(np.cumsum(np.linalg.norm(chroma, axis=2), 0), 1)
    strength = np.pad(strength, ((1, 0), (1, 0)))
    sums = strength[side:, side:] - strength[:-side, side:] - strength[side:, :-side] + strength[:-side, :-side]
    y, x = np.unravel_index(np.argmax(sums), sums.shape)
    mean = pixels[y : y + side, x : x + side].reshape(-1, 3).mean(0)
    return min(COLOURS, key=lambda c: np.linalg.norm(mean - np.array(COLOURS[c])))


def test_one_example_is_the_damaged_clip_of_its_seed_and_names_its_colour():
    damage = Degradation(exposure=-0.5)
    for seed in range(8):
        prompt, frames = generator_example(seed, damage, frames=5, size=64)
        assert prompt == f"a {colour_of(seed)} square gliding over a soft gradient"
        assert frames.shape == (5, 64, 64, 3) and frames.dtype == np.uint8
        np.testing.assert_array_equal(frames, degrade(clean_frames(seed, 5, 64), damage, seed))
    # The pixels agree with the prompt: the clean clip's square is the named colour.
    for seed in range(8):
        prompt, frames = generator_example(seed, Degradation(), size=64)
        assert _square_colour(frames[0]) in prompt.split()
    assert generator_prompt("blue") == "a blue square gliding over a soft gradient"
    with pytest.raises(ValueError, match="'purple'.*blue"):
        generator_prompt("purple")


def test_examples_follow_the_documented_draws():
    rows = generator_examples(np.random.default_rng(7), 12, frames=5, size=32)
    rng = np.random.default_rng(7)  # the draws the docstring promises, made by hand
    for prompt, frames in rows:
        seed = int(rng.integers(2**31))
        damage = random_degradation(rng, ("exposure",), 1 / 3)
        assert prompt == generator_prompt(colour_of(seed))
        assert frames.shape == (5, 32, 32, 3) and frames.dtype == np.uint8
        np.testing.assert_array_equal(frames, degrade(clean_frames(seed, 5, 32), damage, seed))


def test_exposure_varies_and_colours_cover_the_world():
    rows = generator_examples(np.random.default_rng(0), 90, size=32)
    brightness = np.array([frames.mean() for _, frames in rows])
    clean = np.array([clean_frames(seed, 5, 32).mean() for seed in range(60)])  # no damage: about 90
    assert brightness.std() > 3 * clean.std()  # exposure, not the scenes, makes most of the spread
    assert (brightness < clean.min() - 20).sum() > 10  # under-exposed examples
    assert (brightness > clean.max() + 20).sum() > 10  # over-exposed ones
    assert {prompt.split()[1] for prompt, _ in rows} == set(COLOURS)
    # Each example's colour is its own: every colour comes with both dark and bright clips.
    for colour in COLOURS:
        of_colour = brightness[[prompt.split()[1] == colour for prompt, _ in rows]]
        assert of_colour.max() - of_colour.min() > 60, colour


def test_same_rng_same_examples_and_clean_examples_on_request():
    a = generator_examples(np.random.default_rng(3), 4, size=16)
    b = generator_examples(np.random.default_rng(3), 4, size=16)
    c = generator_examples(np.random.default_rng(4), 4, size=16)
    assert [p for p, _ in a] == [p for p, _ in b]
    assert all(np.array_equal(x, y) for (_, x), (_, y) in zip(a, b))
    assert not all(np.array_equal(x, y) for (_, x), (_, y) in zip(a, c))
    # clean=1: no damage at all, every clip is its seed's clean clip.
    rng, hand = np.random.default_rng(5), np.random.default_rng(5)
    for prompt, frames in generator_examples(rng, 4, size=16, clean=1.0):
        seed = int(hand.integers(2**31))
        hand.random()  # random_degradation's clean draw
        np.testing.assert_array_equal(frames, clean_frames(seed, 5, 16))
    assert generator_examples(np.random.default_rng(0), 0) == []
    with pytest.raises(ValueError, match="clean=1.5"):
        generator_examples(np.random.default_rng(0), 1, clean=1.5)
    with pytest.raises(ValueError, match="n=-1"):
        generator_examples(np.random.default_rng(0), -1)
