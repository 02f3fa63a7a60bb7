"""The stage-3 generator statistic: exposure error from pixels, and the direction the judge prefers."""

import numpy as np
import pytest

from generatorquality import exposure_error, generator_quality
from vqi_video.synthetic import write_clip


def _clip(folder, name, level):
    return write_clip(folder / f"{name}.mp4", np.full((5, 32, 32, 3), level, np.uint8))


def test_exposure_error_by_hand():
    assert exposure_error(np.full((2, 4, 4, 3), 128, np.uint8)) == 0.0
    assert exposure_error(np.full((2, 4, 4, 3), 64, np.uint8)) == 0.5  # |64 - 128| / 128
    assert exposure_error(np.full((1, 2, 2, 3), 255, np.uint8)) == pytest.approx(127 / 128)


def test_generator_quality_reads_the_judges_direction_and_the_move(tmp_path):
    # First generator: levels 64 and 96 (errors 0.5, 0.25); final: 112 and 128 (0.125, 0.0).
    before = [_clip(tmp_path, "b0", 64), _clip(tmp_path, "b1", 96)]
    after = [_clip(tmp_path, "a0", 112), _clip(tmp_path, "a1", 128)]
    # The judge preferred the clip nearer mid-grey: it prefers a lower exposure error.
    result = generator_quality(before, after, [(before[1], before[0])], num_frames=5)
    assert result["statistic"] == "exposure_error" and result["judge_prefers"] == "lower"
    assert result["before"] == pytest.approx(0.375, abs=0.01) and result["after"] == pytest.approx(0.0625, abs=0.01)
    assert result["spread"] == pytest.approx(0.125, abs=0.01)  # population std of 0.5 and 0.25
    assert result["moved_as_judge_prefers"] is True
    flipped = generator_quality(before, after, [(before[0], before[1])], num_frames=5)
    assert flipped["judge_prefers"] == "higher" and flipped["moved_as_judge_prefers"] is False
    assert generator_quality(before, after, [], num_frames=5)["judge_prefers"] is None
