"""The stage-3 generator statistic: exposure error from pixels, and the direction the judge prefers."""

import numpy as np
import pytest

from vqi_apps.generatorquality import exposure_error, generator_quality
from vqi_video.synthetic import Degradation, clean_frames, degrade, write_clip


def _clip(folder, name, level):
    return write_clip(folder / f"{name}.mp4", np.full((5, 32, 32, 3), level, np.uint8))


def test_exposure_error_by_hand():
    assert exposure_error(np.zeros((2, 4, 4, 3), np.uint8)) == 1.0  # black
    assert exposure_error(np.full((1, 2, 2, 3), 255, np.uint8)) == 1.0  # white
    split = np.zeros((2, 4, 4, 3), np.uint8)
    split[:, :, :2] = 183  # half black, half 183: mean 91.5, a tenth of a level above the clean level
    assert exposure_error(split) == pytest.approx(0.1 / (255 - 91.4))
    # Mid-grey is over-exposed for this world: (128 - 91.4) / (255 - 91.4); darker: (91.4 - 64) / 91.4.
    assert exposure_error(np.full((2, 4, 4, 3), 128, np.uint8)) == pytest.approx(36.6 / 163.6)
    assert exposure_error(np.full((2, 4, 4, 3), 64, np.uint8)) == pytest.approx(27.4 / 91.4)


def test_the_worlds_clean_clips_have_the_lowest_error():
    """Clean synthetic clips (about 91 levels, not 128) beat their exposure-damaged versions of either sign."""
    clean = [clean_frames(seed, frames=5, size=64) for seed in range(24)]
    errors = {e: [exposure_error(degrade(c, Degradation(exposure=e))) for c in clean] for e in (0.0, -0.3, 0.3)}
    assert np.mean(errors[0.0]) < 0.08  # their seed-to-seed brightness only
    assert np.mean(errors[-0.3]) > 2 * np.mean(errors[0.0]) and np.mean(errors[0.3]) > 2 * np.mean(errors[0.0])
    better = [min(errors, key=lambda e: errors[e][i]) for i in range(len(clean))]
    assert better == [0.0] * len(clean)  # per clip too


def test_generator_quality_reads_the_judges_direction_and_the_move(tmp_path):
    # First generator: levels 30 and 160 (errors 61.4 / 91.4 = 0.672 and 68.6 / 163.6 = 0.419);
    # final: 91 and 100 (0.004 and 0.053).
    before = [_clip(tmp_path, "b0", 30), _clip(tmp_path, "b1", 160)]
    after = [_clip(tmp_path, "a0", 91), _clip(tmp_path, "a1", 100)]
    # The judge preferred the clip nearer the clean level: it prefers a lower exposure error.
    result = generator_quality(before, after, [(before[1], before[0])], num_frames=5)
    assert result.statistic == "exposure_error" and result.judge_prefers == "lower"
    assert result.before == pytest.approx(0.546, abs=0.01) and result.after == pytest.approx(0.029, abs=0.01)
    assert result.spread == pytest.approx(0.126, abs=0.01)  # population std of 0.672 and 0.419
    assert result.moved_as_judge_prefers is True
    flipped = generator_quality(before, after, [(before[0], before[1])], num_frames=5)
    assert flipped.judge_prefers == "higher" and flipped.moved_as_judge_prefers is False
    assert generator_quality(before, after, [], num_frames=5).judge_prefers is None
