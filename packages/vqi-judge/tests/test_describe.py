"""The base judge's eye: measures of pixels as digits, and the teaching targets built from them."""

from __future__ import annotations

import numpy as np
import pytest

from vqi_judge.describe import describe, describe_clips, digits
from vqi_judge.instruct import brightness_answer, example
from vqi_judge.tasks import TASKS
from vqi_video.synthetic import clean_frames, damage_of, degrade


def grey(*levels: float, size: int = 8) -> np.ndarray:
    """Uniform grey frames, one per level."""
    return np.stack([np.full((size, size, 3), level, np.uint8) for level in levels])


def test_a_grey_clip_that_brightens_is_described_exactly():
    """Frames at 100 then 150: luma 125 -> light round(125 / 25.5) = 5; no spatial spread -> contrast,
    tint and detail 0; the frame means 100 and 150 have std 25, 25 / 125 = 0.2 -> pulse
    round(0.2 * 30) = 6; each frame minus its mean is 0 -> motion 0."""
    assert describe(grey(100, 150), "red") == "red, light 5 contrast 0 tint 0 detail 0 pulse 6 motion 0"


def test_a_still_image_has_no_temporal_measures_and_two_clips_are_named_a_and_b():
    """One frame at 51: light round(51 / 25.5) = 2, the rest 0; no pulse or motion."""
    assert describe(grey(51)) == "light 2 contrast 0 tint 0 detail 0"
    assert describe_clips([grey(51), grey(255)], ["red", None]) == (
        "A: red, light 2 contrast 0 tint 0 detail 0. B: light 9 contrast 0 tint 0 detail 0."
    )
    with pytest.raises(ValueError):
        describe_clips([grey(51)], ["red", "blue"])


@pytest.mark.parametrize(("kind", "measure", "direction"), [
    ("blur", "detail", -1), ("contrast", "contrast", -1), ("cast", "tint", 1),
    ("flicker", "pulse", 1), ("shake", "motion", 1),
])
def test_each_damage_moves_the_measure_that_shows_it(kind, measure, direction):
    """On the synthetic world at full severity, every clip of 8 seeds moves the measure that shows
    the damage the stated way (these are what stage 1-3 can learn to read)."""
    for seed in range(8):
        clean = clean_frames(seed, frames=16, size=112)[::4]
        damaged = degrade(clean, damage_of(kind, 1.0, np.random.default_rng(seed)), seed)
        moved = digits(damaged)[measure] - digits(clean)[measure]
        assert moved * direction >= 2, (seed, digits(clean), digits(damaged))


def test_teaching_examples_describe_their_clips_and_answer_with_the_prior_or_at_random():
    """The target's reasoning is the description of the clips it shows; with prior_share 1 the
    answer is always the naive prior, with 0 it is drawn (both answers of a comparison appear)."""
    task = TASKS["compare"]
    prior, drawn = [], []
    for seed in range(12):
        conversation, clips = example(task, np.random.default_rng(seed), prior_share=1.0)
        target = conversation[1]["content"]
        reasoning = target.split("<think>")[1].split("</think>")[0]
        first, second = reasoning.split(" B: ")
        assert first.startswith("A: ") and first.endswith(", " + describe(clips[0].frames) + ".")
        assert second.endswith(", " + describe(clips[1].frames) + ".")
        assert target.endswith(f"<answer>{brightness_answer(task, clips)}</answer>")
        prior.append(brightness_answer(task, clips))
        conversation, clips = example(task, np.random.default_rng(seed), prior_share=0.0)
        drawn.append(conversation[1]["content"].split("<answer>")[1])
    assert {"Video A</answer>", "Video B</answer>"} <= set(drawn)
