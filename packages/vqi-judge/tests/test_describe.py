"""The base judge's eye: measures of pixels as digits, and the teaching targets built from them."""

from __future__ import annotations

import numpy as np
import pytest

from vqi_judge.describe import describe, describe_clips, digits
from vqi_judge.instruct import example, teaching_damage
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


def test_a_still_image_has_no_temporal_measures_and_two_clips_are_described_side_by_side():
    """One frame at 51: light round(51 / 25.5) = 2, the rest 0; no pulse or motion. At 255, light
    10 clipped to 9; two clips give each measure's digits in clip order."""
    assert describe(grey(51)) == "light 2 contrast 0 tint 0 detail 0"
    assert describe_clips([grey(51), grey(255)], ["red", None]) == "red, light 2 9 contrast 0 0 tint 0 0 detail 0 0"
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
    drawn = []
    for seed in range(12):
        conversation, clips = example(task, np.random.default_rng(seed), prior_share=1.0)
        target = conversation[1]["content"]
        reasoning = target.split("<think>")[1].split("</think>")[0]
        values = [digits(c.frames) for c in clips]
        colour = reasoning.split(",")[0].split()
        assert colour[0] == colour[1]  # two takes of one scene
        assert reasoning.split(", ", 1)[1] == " ".join(f"{k} {values[0][k]} {values[1][k]}" for k in values[0])
        lights = [digits(c.frames)["light"] for c in clips]
        if lights[0] != lights[1]:  # the clip described as lighter wins (a tie is drawn)
            expected = "Video A" if lights[0] > lights[1] else "Video B"
            assert target.endswith(f"<answer>{expected}</answer>")
        conversation, clips = example(task, np.random.default_rng(seed), prior_share=0.0)
        drawn.append(conversation[1]["content"].split("<answer>")[1])
    assert {"Video A</answer>", "Video B</answer>"} <= set(drawn)


def test_teaching_damage_is_spatial_on_stills_and_temporal_at_the_share_asked():
    """Stills never get temporal damage; at temporal_share 1 every clip gets flicker or shake and
    nothing else; at 0 the world's mix: 15 % clean, then 2 of 6 kinds temporal, 0.85 * 2 / 6 = 0.283
    (400 draws: std 0.023)."""
    rng = np.random.default_rng(0)
    assert all(teaching_damage(rng, True, 1.0).temporal_severity == 0 for _ in range(200))
    clips = [teaching_damage(rng, False, 1.0) for _ in range(200)]
    assert all(d.temporal_severity > 0 and d.spatial_severity == 0 for d in clips)
    share = np.mean([teaching_damage(rng, False, 0.0).temporal_severity > 0 for _ in range(400)])
    assert 0.2 < share < 0.37, share

