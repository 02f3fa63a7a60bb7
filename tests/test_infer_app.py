"""apps/infer.py as a user runs it: files, folders, comparisons, JSON output, bad files."""

import json

import pytest
from entrypoints import load_app
from vqi_video.synthetic import Degradation, clean_frames, degrade, write_clip, write_image

infer = load_app("infer")


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("infer-media")
    write_clip(root / "sharp.mp4", clean_frames(1))
    write_clip(root / "blurry.mp4", degrade(clean_frames(1), Degradation(blur=2.5)))
    write_image(root / "still.png", clean_frames(2, frames=1)[0])
    (root / "broken.mp4").write_bytes(b"not a video at all")
    return root


def test_scores_a_clip_and_writes_json(media, tmp_path, capsys):
    out = tmp_path / "results.json"
    code = infer.main([str(media / "sharp.mp4"), "--json", str(out), "judge.max_new_tokens=8"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "[video_score]" in printed and "1 judged, 0 skipped" in printed
    rows = json.loads(out.read_text())
    assert [r["task"] for r in rows] == ["video_score"]
    assert rows[0]["media"] == [str(media / "sharp.mp4")]
    assert set(rows[0]) >= {"text", "reasoning", "parse_failed", "score"}


def test_compare_two_clips(media, capsys):
    code = infer.main([str(media / "sharp.mp4"), "--compare", str(media / "blurry.mp4"),
                       "--prompt", "a square", "judge.max_new_tokens=8"])
    assert code == 0
    assert "sharp.mp4 vs " in capsys.readouterr().out


def test_folder_runs_every_file_and_reports_the_bad_one(media, tmp_path, capsys):
    out = tmp_path / "all.json"
    code = infer.main([str(media), "--json", str(out), "judge.max_new_tokens=4", "judge.batch_size=2"])
    captured = capsys.readouterr()
    assert code == 1  # one file could not be decoded
    assert "broken.mp4" in captured.err and "3 judged, 1 skipped" in captured.out
    rows = json.loads(out.read_text())
    tasks = {r["media"][0].rsplit("/", 1)[1]: r["task"] for r in rows}
    assert tasks == {"blurry.mp4": "video_score", "sharp.mp4": "video_score", "still.png": "image_score"}


def test_unknown_config_key_is_a_clear_error(media):
    with pytest.raises(ValueError, match=r"unknown config key \(judge.temprature\): did you mean judge.temperature\?"):
        infer.main([str(media / "sharp.mp4"), "judge.temprature=0.5"])


def test_a_manifest_runs_each_row_with_its_task(tmp_path, capsys):
    from vqi_apps.defaults import synthetic_dataset

    manifest = synthetic_dataset(tmp_path / "set", {"compare": 1, "vqa": 1, "aigc_score": 1}, seed=2)
    out = tmp_path / "m.json"
    assert infer.main([str(manifest), "--json", str(out), "judge.max_new_tokens=4"]) == 0
    assert [r["task"] for r in json.loads(out.read_text())] == ["aigc_score", "compare", "vqa"]
