"""vqi_apps.heldout and tools/learning_curve.py: metrics and intervals by hand, the shuffled copy's
frames, and the command line end to end on a run folder of tiny judges."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from vqi_judge import ManifestRow, build_tiny_judge, read_manifest
from vqi_metrics import srcc
from vqi_video import read_frames, read_video
from vqi_video.synthetic import TEMPORAL_KINDS

from entrypoints import TOOLS, load_script
from vqi_apps import heldout, stage3report
from vqi_apps.evaluation import load_predictions
from vqi_apps.report import render_report

TOOL = TOOLS / "learning_curve.py"
KEYS = {"image_srcc", "video_srcc", "aigc_spatial_srcc", "aigc_temporal_srcc", "aigc_alignment_srcc",
        "compare_acc", "vqa_acc", "unreadable", "temporal_compare_acc", "temporal_compare_acc_shuffled",
        "temporal_video_srcc", "temporal_video_srcc_shuffled"}
# Small sets: enough temporal items for the check (seed 7 draws 3 temporal compare, 2 temporal video items).
COUNTS = {"image_score": 8, "video_score": 8, "aigc_score": 8, "compare": 8, "vqa": 8}
SEED = 7
FAST = ["judge.max_new_tokens=6"]


def _row(i: int, task: str, **labels) -> ManifestRow:
    media = ("a.mp4", "b.mp4") if task == "compare" else ("a.mp4",)
    return ManifestRow(id=f"{task}{i}", task=task, media=media, dataset="hand", **labels)


@pytest.fixture
def hand_written(tmp_path):
    """Rows of every task and a predictions file written by hand (as apps/eval.py writes them)."""
    rows, preds = [], []

    def add(row, parse_failed=False, **answer):
        rows.append(row)
        preds.append({"id": row.id, "parse_failed": parse_failed, **answer})

    for i, (truth, score) in enumerate(zip([1, 2, 3, 4], [1, 3, 2, 4])):  # SRCC 0.8 (vqi_metrics' example)
        add(_row(i, "image_score", score=truth, score_range=[1, 5]), score=score)
    for i, truth in enumerate([1, 3, 5]):  # constant predictions: no correlation
        add(_row(i, "video_score", score=truth, score_range=[1, 5]), score=2.0)
    aigc = [({"spatial": 1, "temporal": 1, "alignment": 5}, {"spatial": 2, "temporal": 1, "alignment": 1}),
            ({"spatial": 2, "temporal": 2, "alignment": 1}, {"spatial": 3, "temporal": 5, "alignment": 5}),
            ({"spatial": 4, "temporal": 5, "alignment": 5}, {"spatial": 5, "temporal": 4, "alignment": 1})]
    for i, (truth, scores) in enumerate(aigc):
        add(_row(i, "aigc_score", scores=truth, score_range=[1, 5]), scores=scores)
    add(_row(3, "aigc_score", scores={"spatial": 5, "temporal": 3, "alignment": 1}, score_range=[1, 5]),
        parse_failed=True, scores=None)  # unreadable: the middle of the scale, 3, on every dimension
    for i, (label, choice) in enumerate([("Video A", "Video A"), ("Video B", "Video B"), ("Video A", "Video B"),
                                         ("Video B", None), ("Video A", "Video A")]):
        add(_row(i, "compare", label=label), parse_failed=choice is None, choice=choice)
    for i, (label, answer) in enumerate([("yes", "yes"), ("no", "yes"), ("yes", "yes"), ("no", None)]):
        add(_row(i, "vqa", label=label, question="Is it sharp?"), parse_failed=answer is None, answer=answer)
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in preds))
    return rows, load_predictions(path)


def test_metrics_by_hand(hand_written):
    """Values derived by hand:

    - image: ranks [1, 2, 3, 4] vs [1, 3, 2, 4]: SRCC 0.8.
    - video: the judge says 2.0 every time: undefined (null), and so is its interval.
    - aigc spatial: predictions [2, 3, 5, 3 (unreadable)] vs [1, 2, 4, 5]: ranks [1, 2.5, 4, 2.5] vs
      [1, 2, 3, 4]; deviations [-1.5, 0, 1.5, 0] and [-1.5, -.5, .5, 1.5]: 3 / sqrt(4.5 * 5) = 0.6325.
    - aigc alignment: [1, 5, 1, 3] vs [5, 1, 5, 1]: ranks [1.5, 4, 1.5, 3] vs [3.5, 1.5, 3.5, 1.5];
      deviations [-1, 1.5, -1, .5] and [1, -1, 1, -1]: -4 / sqrt(4.5 * 4) = -0.9428.
    - compare: right on rows 0, 1, 4; wrong on 2; unreadable row 3 is wrong: 3/5.
    - vqa: right on rows 0 and 2; row 3 unreadable: 2/4.
    - unreadable: 3 of the 20 answers.
    """
    rows, preds = hand_written
    got = heldout.heldout_metrics(rows, preds)
    assert set(got) == {k for m in heldout.METRICS for k in (m, f"{m}_ci")}
    assert got["image_srcc"] == pytest.approx(0.8)
    assert got["video_srcc"] is None and got["video_srcc_ci"] is None
    assert got["aigc_spatial_srcc"] == pytest.approx(3 / 4.5**0.5 / 5**0.5)
    assert got["aigc_alignment_srcc"] == pytest.approx(-4 / 18**0.5)
    assert got["compare_acc"] == pytest.approx(0.6)
    assert got["vqa_acc"] == pytest.approx(0.5)
    assert got["unreadable"] == pytest.approx(3 / 20)
    for metric in heldout.METRICS:
        if got[metric] is not None:
            lo, hi = got[f"{metric}_ci"]
            assert lo <= got[metric] <= hi, (metric, got[metric], lo, hi)
    assert got["compare_acc_ci"][0] < got["compare_acc_ci"][1]  # 5 mixed items: a real interval
    assert heldout.heldout_metrics(rows, preds) == got  # seeded: the same intervals again


def test_bootstrap_interval_is_a_seeded_percentile_interval():
    flags = [1, 0] * 20
    interval = heldout.bootstrap_interval(np.mean, [flags], seed=3)
    assert interval == heldout.bootstrap_interval(np.mean, [flags], seed=3)
    lo, hi = interval
    # The mean of 40 fair coins: std 0.079, so the 90 % interval is about 0.5 +- 0.13.
    assert 0.33 < lo < 0.45 and 0.55 < hi < 0.67
    assert heldout.bootstrap_interval(np.mean, [[1] * 10]) == [1.0, 1.0]
    assert heldout.estimate(srcc, ([2.0] * 5, [1, 2, 3, 4, 5])) == (None, None)


def test_frame_order_reorders_every_sampled_frame():
    sampled = [0, 5, 10, 15]
    order = heldout.frame_order(16, sampled)
    assert sorted(order) == list(range(16))
    assert sorted(order[sampled]) == sampled and all(order[sampled] != sampled)
    assert list(order) == list(heldout.frame_order(16, sampled)) != list(heldout.frame_order(16, sampled, seed=1))
    with pytest.raises(ValueError, match="judge.fps"):
        heldout.frame_order(16, [3, 3])


@pytest.fixture(scope="module")
def held(app_cache):
    return heldout.prepare(SEED, COUNTS, heldout.EVAL_CONFIG, FAST)


def _frames(path: str) -> np.ndarray:
    """Every frame of a 16-frame clip, as floats."""
    return read_frames(path, range(16)).frames.astype(float)


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference in 8-bit levels (re-encoding a synthetic clip costs under 1)."""
    return float(np.abs(a - b).mean())


def test_shuffled_copy_has_the_labels_and_the_frames_permuted(held):
    original = {r.id: r for r in read_manifest(held.manifest)}
    ordered, shuffled = read_manifest(held.ordered), read_manifest(held.shuffled)
    expected = [r.id for r in heldout.temporal_rows(list(original.values()))]
    assert [r.id for r in ordered] == [r.id for r in shuffled] == expected
    assert {r.task for r in shuffled} == {"compare", "video_score"}
    for in_order, mixed in zip(ordered, shuffled):
        source = original[mixed.id]
        for row in (in_order, mixed):
            assert row.info == source.info and row.info["kind"] in TEMPORAL_KINDS
            assert (row.label, row.score, row.prompt) == (source.label, source.score, source.prompt)
        for clip, kept, moved in zip(source.media, in_order.media, mixed.media):
            judged = read_video(clip, fps=2.0, max_frames=16, budget=None).indices  # the eval config's sampling
            assert list(judged) == [0, 5, 10, 15]
            assert list(read_video(moved, fps=2.0, max_frames=16, budget=None).indices) == list(judged)
            order = heldout.frame_order(16, judged)
            assert all(order[judged] != judged)  # every frame the judge sees comes from another instant
            frames = _frames(clip)
            assert _distance(_frames(kept), frames) < 1.5
            assert _distance(_frames(moved), frames[order]) < 1.5
            assert _distance(_frames(moved)[judged], frames[judged]) > 3


def test_seeds_give_their_own_sets(held):
    other = heldout.heldout_set(SEED + 1, COUNTS)
    assert other.parent != held.manifest.parent and other.parent.parent == held.manifest.parent.parent
    assert other.read_text() != held.manifest.read_text()
    assert heldout.heldout_set(SEED, COUNTS) == held.manifest  # cached, not rebuilt


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A run whose start judge and stage-1 judge are tiny (random, fast); stage 2 is unfinished."""
    run = tmp_path_factory.mktemp("runs") / "x"
    start = build_tiny_judge(run.parent / "start", seed=0, format_steps=0)
    (run / "stage1").mkdir(parents=True)
    (run / "stage1" / "config.yaml").write_text(yaml.safe_dump({"model": str(start)}))
    build_tiny_judge(run / "stage1" / "final", seed=1, format_steps=0)
    (run / "stage1" / "final" / "summary.yaml").write_text("steps: 0\n")
    (run / "stage2" / "final").mkdir(parents=True)  # no summary.yaml: not a finished stage
    return run


def test_command_line_end_to_end(run_folder, held, tmp_path, capsys):
    out = tmp_path / "curve.json"
    argv = [str(run_folder), "--eval-seed", str(SEED), "--items", "8", "--json", str(out), *FAST]
    curve = load_script(TOOL).main(argv)
    printed = capsys.readouterr().out
    saved = json.loads(out.read_text())
    assert list(saved) == ["start", "stage1"] and saved == json.loads(json.dumps(curve))
    for metrics in saved.values():
        assert set(metrics) == KEYS | {f"{k}_ci" for k in KEYS}
        for key in KEYS:
            value, interval = metrics[key], metrics[f"{key}_ci"]
            assert value is None or isinstance(value, float)
            assert interval is None or interval[0] <= value <= interval[1]
    lines = printed.splitlines()
    for title in heldout.tables(saved):
        header = lines.index(title) + 1
        assert [line.split()[0] for line in lines[header + 1 : header + 4]] == ["start", "stage1", "chance"]
    chance = next(line for line in lines if line.startswith("chance"))
    assert chance.split()[1:] == ["0"] * 5 + ["0.5", "0.5", "-"]
    predictions = run_folder / "learning_curve" / "stage1" / held.manifest.parent.name / "predictions.jsonl"
    before = predictions.read_text()
    assert load_script(TOOL).main(argv) == curve and predictions.read_text() == before  # reused, not judged again
    page = render_report(title="t", summary={}, verdicts=[], heatmaps=[], curves=[], before_after=[],
                         learning=stage3report.stage_metrics(saved))
    assert page.index("Does it learn?") < page.index("<h2>Summary") and "temporal_compare_acc_shuffled" in page


def test_missing_run_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_script(TOOL).main([str(tmp_path / "nowhere")])
