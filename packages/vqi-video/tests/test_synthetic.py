"""Synthetic clips and datasets: the damage is what it says, and the labels follow from it."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vqi_video import read_video
from vqi_video.synthetic import (
    CLEAN_BRIGHTNESS,
    SPATIAL_KINDS,
    TEMPORAL_KINDS,
    Degradation,
    clean_frames,
    colour_of,
    damage_of,
    degrade,
    quality_score,
    rgb_to_yuv444,
    write_clip,
)
from vqi_video.synthetic_tasks import QUESTIONS, make_synthetic_dataset


def test_severities_and_scores_by_hand():
    d = Degradation(blur=1.5, noise=10, jpeg=None, drop=0.375, stutter=0)
    assert d.spatial_severity == 0.5  # max(1.5/3, 10/40, 0)
    assert d.temporal_severity == 0.5  # max(0.375/0.75, 0/4)
    assert d.severity == 0.5
    assert Degradation(exposure=-0.6, contrast=0.2).spatial_severity == 0.6  # |exposure| counts both ways
    assert Degradation(cast=0.3, flicker=0.7).severity == 0.7  # the worst of spatial and temporal
    assert Degradation(shake=0.4).temporal_severity == 0.4
    assert quality_score(0.5) == 3.0 and quality_score(0.25, (0, 100)) == 75.0
    assert Degradation(jpeg=10).spatial_severity == 1.0
    with pytest.raises(ValueError, match="out of range"):
        Degradation(blur=4)
    with pytest.raises(ValueError, match="out of range"):
        Degradation(exposure=-1.5)
    with pytest.raises(ValueError, match="outside"):
        quality_score(1.5)


def test_damage_of_each_kind_has_its_severity():
    rng = np.random.default_rng(0)
    for kind in SPATIAL_KINDS:
        assert damage_of(kind, 0.4, rng).spatial_severity == pytest.approx(0.4)
    for kind in TEMPORAL_KINDS:
        assert damage_of(kind, 0.4, rng).temporal_severity == pytest.approx(0.4)
    signs = {np.sign(damage_of("exposure", 0.5, rng).exposure) for _ in range(20)}
    assert signs == {-1.0, 1.0}  # under- and over-exposure both occur
    with pytest.raises(ValueError, match="unknown damage kind"):
        damage_of("sepia", 0.5)


def test_clean_clip_is_deterministic_and_moves_smoothly():
    a, b = clean_frames(7), clean_frames(7)
    assert a.shape == (16, 112, 112, 3) and a.dtype == np.uint8 and np.array_equal(a, b)
    assert not np.array_equal(a, clean_frames(8))
    steps = np.abs(np.diff(a.astype(int), axis=0)).mean(axis=(1, 2, 3))
    assert (steps > 0).all() and steps.max() < 4 * np.median(steps)  # no jumps in a clean clip
    assert colour_of(7) in ("blue", "green", "red", "yellow")


@pytest.mark.parametrize(("frames", "every"), [(16, 4), (5, 2), (16, 1), (3, 5)])
def test_clean_clip_every_nth_frame_is_the_full_clip_subsampled(frames, every):
    """``every`` draws only the frames kept, and they are the full clip's, bit for bit."""
    for seed in range(6):
        kept = clean_frames(seed, frames=frames, size=48, every=every)
        assert kept.shape == (-(-frames // every), 48, 48, 3)
        np.testing.assert_array_equal(kept, clean_frames(seed, frames=frames, size=48)[::every])


@pytest.mark.parametrize("size", [64, 112])
def test_clean_brightness_is_the_clean_clips_mean_level(size):
    clips = [clean_frames(seed, frames=5, size=size) for seed in range(200)]
    levels = np.array([clip.mean() for clip in clips])
    assert levels.mean() == pytest.approx(CLEAN_BRIGHTNESS, abs=1.0)

    def distance(damage: Degradation) -> float:
        return float(np.mean([abs(degrade(c, damage).mean() - CLEAN_BRIGHTNESS) for c in clips[:40]]))

    # Exposure damage of either sign takes clips away from it (mean distances about 6, 24 and 46 levels).
    assert distance(Degradation(exposure=-0.3)) > 2 * distance(Degradation())
    assert distance(Degradation(exposure=0.3)) > 2 * distance(Degradation())


def test_each_damage_does_what_it_says():
    clean = clean_frames(3)
    assert np.array_equal(degrade(clean, Degradation()), clean)
    dropped = degrade(clean, Degradation(drop=0.75), seed=1)
    repeats = sum(np.array_equal(dropped[i], dropped[i + 1]) for i in range(15))
    assert repeats >= 6  # frozen frames where frames were dropped
    stutter = degrade(clean, Degradation(stutter=3), seed=1)
    assert sum(np.array_equal(stutter[i], stutter[i + 1]) for i in range(15)) >= 6
    blurred = degrade(clean, Degradation(blur=2.5)).astype(float)
    detail = lambda f: np.abs(np.diff(f, axis=2)).mean()  # noqa: E731
    assert detail(blurred) < 0.6 * detail(clean.astype(float))
    noisy = degrade(clean, Degradation(noise=20), seed=2).astype(float) - clean
    assert 17 < noisy.std() < 21  # Gaussian noise of std 20, clipped at 0 and 255
    assert not np.array_equal(degrade(clean, Degradation(jpeg=10)), clean)
    mean = clean.astype(float).mean()
    assert degrade(clean, Degradation(exposure=-1.0)).mean() == pytest.approx(0.2 * mean, abs=1)  # 80 % darker
    assert degrade(clean, Degradation(exposure=0.5)).mean() > mean + 40  # +80 levels, clipped at 255
    spread = lambda f: f.astype(float).std(axis=(1, 2, 3)).mean()  # noqa: E731
    assert spread(degrade(clean, Degradation(contrast=1.0))) == pytest.approx(0.15 * spread(clean), rel=0.05)
    cast = degrade(clean, Degradation(cast=1.0), seed=4).astype(float).mean(axis=(0, 1, 2)) - clean.mean(axis=(0, 1, 2))
    assert sorted(cast > 30) == [False, False, True]  # one channel lifted
    flicker = degrade(clean, Degradation(flicker=1.0), seed=5).astype(float).mean(axis=(1, 2, 3))
    assert flicker.std() > 5 * clean.astype(float).mean(axis=(1, 2, 3)).std()  # brightness jumps per frame
    shaken = degrade(clean, Degradation(shake=1.0), seed=6)
    assert detail(shaken[:1].astype(float)) > 0 and not np.array_equal(shaken, clean)
    jumps = lambda f: np.abs(np.diff(f.astype(int), axis=0)).mean()  # noqa: E731
    assert jumps(shaken) > 2 * jumps(clean)  # frames jump where the camera shakes

def test_written_clips_decode_to_the_same_frames(tmp_path):
    frames = clean_frames(4, frames=8)
    clip = read_video(write_clip(tmp_path / "c.mp4", frames), fps=8, max_frames=8, budget=None)
    assert clip.frames.shape == frames.shape
    assert np.abs(clip.frames.astype(int) - frames).mean() < 2  # near-lossless encoding


def test_datasets_have_exact_labels_and_are_reproducible(tmp_path):
    counts = {"image_score": 2, "video_score": 2, "aigc_score": 4, "compare": 3, "vqa": 6}
    rows = make_synthetic_dataset(tmp_path / "a", counts, seed=4, frames=8)
    again = make_synthetic_dataset(tmp_path / "b", counts, seed=4, frames=8)
    assert json.dumps(rows) == json.dumps(again)
    assert [r["task"] for r in rows] == ["image_score"] * 2 + ["video_score"] * 2 + ["aigc_score"] * 4 + ["compare"] * 3 + ["vqa"] * 6
    for row in rows:
        for media in row["media"]:
            assert (tmp_path / "a" / media).is_file()
        if "score" in row:
            lo, hi = row["score_range"]
            assert lo <= row["score"] <= hi
    vqa = [r for r in rows if r["task"] == "vqa"]
    assert [r["label"] for r in vqa] == ["yes"] * 6  # the first of each of the six questions is a yes
    assert [r["question"] for r in vqa] == list(QUESTIONS)
    compare = [r for r in rows if r["task"] == "compare"]
    assert [r["label"] for r in compare] == ["Video A", "Video B", "Video A"]  # balanced positions
    for pair in compare:
        a, b = pair["info"]["severity"]
        assert abs(a - b) >= 0.3 - 1e-9 and pair["label"] == ("Video A" if a < b else "Video B")
        assert pair["info"]["kind"] in SPATIAL_KINDS + TEMPORAL_KINDS
    aigc = [r for r in rows if r["task"] == "aigc_score"]
    assert all(r["scores"]["alignment"] in (1.0, 5.0) for r in aigc)
    with pytest.raises(ValueError, match="unknown synthetic task"):
        make_synthetic_dataset(tmp_path / "c", {"rank": 1})


def test_write_clip_gives_the_same_bytes_for_the_same_frames(tmp_path):
    """A resumed run rewrites clips byte for byte, also the first clip a process encodes (x264's
    CRF mode encodes that one differently, which is why write_clip uses a constant quantizer)."""
    # A tiny generator's sample on which CRF mode gave the first encode of a process other bytes.
    frames = Path(__file__).parent / "data" / "x264_first_encode.npy"
    script = (
        "import hashlib, sys, numpy as np\n"
        "from vqi_video.synthetic import write_clip\n"
        "frames = np.load(sys.argv[2])\n"
        "for k in range(3):\n"
        "    path = write_clip(f'{sys.argv[1]}/{k}.mp4', frames)\n"
        "    print(hashlib.md5(path.read_bytes()).hexdigest())\n"
    )
    command = [sys.executable, "-c", script, str(tmp_path), str(frames)]
    runs = [subprocess.run(command, capture_output=True, text=True, check=True) for _ in range(2)]
    hashes = [h for run in runs for h in run.stdout.split()]
    assert len(hashes) == 6 and len(set(hashes)) == 1


def test_rgb_to_yuv444_matches_bt601_by_hand():
    frame = np.array([[[255, 255, 255], [0, 0, 0], [255, 0, 0]]], dtype=np.uint8)
    planes = rgb_to_yuv444(frame)
    # White -> (235, 128, 128), black -> (16, 128, 128), red -> (81, 90, 240) in BT.601 limited range.
    assert planes[:, 0, 0].tolist() == [235, 128, 128]
    assert planes[:, 0, 1].tolist() == [16, 128, 128]
    assert planes[:, 0, 2].tolist() == [81, 90, 240]
