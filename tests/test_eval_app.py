"""apps/eval.py: the tables on a synthetic manifest, recomputation from predictions, and resume."""

import json

import pytest
from vqi_judge import ManifestRow, convert, write_manifest
from vqi_video.synthetic import clean_frames, write_clip

from entrypoints import load_app
from vqi_apps import evaluation, judging
from vqi_apps.defaults import synthetic_dataset

eval_app = load_app("eval")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    counts = {"image_score": 3, "video_score": 3, "aigc_score": 3, "compare": 3, "vqa": 3}
    return synthetic_dataset(tmp_path_factory.mktemp("eval-set"), counts, seed=5)


def run(manifest, output, *extra):
    return eval_app.main([str(manifest), f"output={output}", "judge.max_new_tokens=6", "chunk=4", *extra])


def test_prints_every_table_and_saves_predictions(manifest, any_judge, tmp_path, capsys):
    assert run(manifest, tmp_path, f"judge.model={any_judge}") == 0
    printed = capsys.readouterr().out
    for title in ("preference (Table 1)", "multi-dimension scoring (Table 2)", "quality scoring (Table 3)", "yes/no VQA"):
        assert title in printed
    assert "15 rows evaluated, 0 skipped" in printed
    records = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text().splitlines()]
    assert len(records) == 15 and len({r["id"] for r in records}) == 15
    tables = json.loads((tmp_path / "tables.json").read_text())
    assert tables["quality scoring (Table 3)"][0]["dataset"] == "synthetic (video_score)"
    assert (tmp_path / "config.yaml").is_file()
    # The same tables again from the predictions alone, without a model.
    assert eval_app.main([str(manifest), "--predictions", str(tmp_path / "predictions.jsonl")]) == 0
    again = capsys.readouterr().out
    assert again.split("preference (Table 1)")[1].split("15 rows")[0] == printed.split("preference (Table 1)")[1].split("15 rows")[0]


def test_an_interrupted_run_continues_where_it_stopped(manifest, tmp_path, monkeypatch):
    straight = tmp_path / "straight"
    assert run(manifest, straight) == 0
    judged = []
    real_open = judging.open_judge

    def interrupting_open(config):
        judge = real_open(config)
        real_run = judge.run

        def run_then_die(requests, **kw):
            if len(judged) == 2:
                raise KeyboardInterrupt  # killed during the third chunk
            judged.append(len(requests))
            return real_run(requests, **kw)

        judge.run = run_then_die
        return judge

    resumed = tmp_path / "resumed"
    monkeypatch.setattr(evaluation, "open_judge", interrupting_open)
    with pytest.raises(KeyboardInterrupt):
        run(manifest, resumed)
    assert len((resumed / "predictions.jsonl").read_text().splitlines()) == 8  # two chunks of 4 saved
    monkeypatch.setattr(evaluation, "open_judge", real_open)
    second = []
    monkeypatch.setattr(evaluation, "predict", _spy(evaluation.predict, second))
    assert run(manifest, resumed) == 0
    assert second == [7]  # only the 7 rows not yet judged
    lines = lambda p: sorted((p / "predictions.jsonl").read_text().splitlines())
    assert lines(resumed) == lines(straight)


def _spy(predict, seen):
    def wrapped(judge, rows, done, out, chunk):
        seen.append(len([r for r in rows if r.id not in done]))
        return predict(judge, rows, done, out, chunk)
    return wrapped


def test_missing_media_are_reported_before_any_work(tmp_path):
    manifest = tmp_path / "m.jsonl"
    rows = [{"id": f"r{i}", "task": "video_score", "media": [f"gone{i}.mp4"], "dataset": "x",
             "score": 3.0, "score_range": [1, 5]} for i in range(3)]
    manifest.write_text("\n".join(json.dumps(r) for r in rows))
    with pytest.raises(FileNotFoundError, match="3 of 3"):
        eval_app.main([str(manifest), f"output={tmp_path / 'out'}"])
    assert not (tmp_path / "out" / "predictions.jsonl").exists()


def test_tables_on_real_labels_with_synthetic_media(tmp_path, capsys, shared_media):
    """Real KoNViD-1k and GenAI-Bench label rows, each pointed at a synthetic clip written for it."""
    media = shared_media
    rows = convert("konvid1k_csv", media / "labels" / "konvid1k" / "KoNViD_1k_mos.csv")[:6]
    rows += convert("genai_bench_video", media / "labels" / "genai_bench_video" / "genaibench_video_human_votes.jsonl")[:4]
    for i, path in enumerate({m for row in rows for m in row.media}):
        write_clip(tmp_path / "media" / path, clean_frames(i, frames=8))
    write_manifest(rows, tmp_path / "real.jsonl")
    code = eval_app.main([str(tmp_path / "real.jsonl"), "--media-root", str(tmp_path / "media"),
                          f"output={tmp_path / 'out'}", "judge.max_new_tokens=4"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "konvid1k (video_score)  6" in printed and "genai_bench_video" in printed


def test_another_judge_setting_is_refused_then_replaced_with_overwrite(manifest, tmp_path):
    assert run(manifest, tmp_path) == 0
    before = (tmp_path / "predictions.jsonl").read_text()
    with pytest.raises(ValueError, match=r"another judge or other generation settings \(output=.*\): pass --overwrite"):
        run(manifest, tmp_path, "judge.max_new_tokens=2")
    assert (tmp_path / "predictions.jsonl").read_text() == before  # nothing reused, nothing rewritten
    assert "max_new_tokens: 6" in (tmp_path / "config.yaml").read_text()
    assert run(manifest, tmp_path, "judge.max_new_tokens=2", "--overwrite") == 0
    records = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text().splitlines()]
    assert len(records) == 15  # every row judged again, none kept from the 6-token judge
    assert "max_new_tokens: 2" in (tmp_path / "config.yaml").read_text()
    assert json.loads((tmp_path / "judge.json").read_text())["settings"]["max_new_tokens"] == 2


def test_a_replaced_media_file_is_judged_again(tmp_path):
    manifest = synthetic_dataset(tmp_path / "set", {"video_score": 2}, seed=7)
    clip = tmp_path / "set" / json.loads(manifest.read_text().splitlines()[0])["media"][0]
    good = clip.read_bytes()
    clip.write_bytes(b"not a video")
    output = tmp_path / "out"
    assert run(manifest, output) == 1  # done, with the undecodable row skipped
    clip.write_bytes(good)
    assert run(manifest, output) == 0
    records = [json.loads(line) for line in (output / "predictions.jsonl").read_text().splitlines()]
    assert [("error" in r) for r in records] == [True, False, False]  # only the replaced file judged again
    assert evaluation.load_predictions(output / "predictions.jsonl")[records[0]["id"]].get("error") is None


def test_the_config_manifests_are_read_together_and_a_shared_id_is_refused(tmp_path):
    """``manifests:`` of an eval config (apps/prepare.py's data/eval/*.jsonl): rows in order; an id in
    two of them is refused, since predictions are kept by id."""
    rows = [ManifestRow("a", "vqa", ("a.mp4",), "d1", label="yes", question="Is it sharp?"),
            ManifestRow("b", "vqa", ("b.mp4",), "d2", label="no", question="Is it sharp?")]
    write_manifest(rows[:1], tmp_path / "one.jsonl")
    write_manifest(rows[1:], tmp_path / "two.jsonl")
    read = evaluation.read_manifests([tmp_path / "one.jsonl", tmp_path / "two.jsonl"])
    assert [(r.id, r.dataset, r.media) for r in read] == [("a", "d1", (str(tmp_path / "a.mp4"),)),
                                                          ("b", "d2", (str(tmp_path / "b.mp4"),))]
    write_manifest(rows[:1], tmp_path / "again.jsonl")
    with pytest.raises(ValueError, match=r"id 'a' is in .*one\.jsonl and in .*again\.jsonl \(manifests\): evaluate"):
        evaluation.read_manifests([tmp_path / "one.jsonl", tmp_path / "again.jsonl"])
