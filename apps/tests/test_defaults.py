"""The apps' cached defaults: synthetic training sets built once and listed by every run."""

from vqi_apps.defaults import SYNTHETIC_TRAIN, synthetic_training_set
from vqi_judge import read_manifest


def test_runs_drawing_the_same_training_set_share_its_media(tmp_path, monkeypatch):
    """Two runs with the same counts and seed: one build in the cache, both manifests list its media
    (absolute, existing); another seed is another build."""
    monkeypatch.setenv("VQI_CACHE", str(tmp_path / "cache"))
    counts = {"compare": 2, "video_score": 1}
    first = read_manifest(synthetic_training_set(tmp_path / "a" / "data" / "manifest.jsonl", counts, seed=5))
    second = read_manifest(synthetic_training_set(tmp_path / "b" / "data" / "manifest.jsonl", counts, seed=5))
    assert first == second and [r.task for r in first] == ["video_score", "compare", "compare"]
    build = tmp_path / "cache" / f"{SYNTHETIC_TRAIN}-5-compare2-video_score1"
    for row in first:
        for media in row.media:
            assert media.startswith(str(build)) and (build / media).is_file()
    assert not (tmp_path / "a" / "data" / "video_score_00000.mp4").exists()
    other = read_manifest(synthetic_training_set(tmp_path / "c" / "manifest.jsonl", counts, seed=6))
    assert other[0].media != first[0].media
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [build.name, f"{SYNTHETIC_TRAIN}-6-compare2-video_score1"]
