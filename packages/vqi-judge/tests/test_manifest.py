import json
import os
import re
from dataclasses import replace

import pytest

from vqi_judge.manifest import (
    DIMENSIONS,
    MEDIA_COUNT,
    ManifestRow,
    MissingMediaError,
    check_media,
    read_manifest,
    with_media_root,
    write_manifest,
)

SCORES = {"spatial": 40.48, "temporal": 32.63, "alignment": 56.33}
ROWS = [
    {"id": "k1", "task": "image_score", "media": ["k1.jpg"], "dataset": "koniq10k",
     "split": "training", "score": 77.38, "score_range": [0, 100]},
    {"id": "v1", "task": "video_score", "media": ["v/1.mp4"], "dataset": "lsvq", "score": 67,
     "score_range": [0, 100], "info": {"is_valid": False}},
    {"id": "a1", "task": "aigc_score", "media": ["a1.mp4"], "dataset": "lgvq", "scores": SCORES,
     "score_range": [0, 100], "prompt": "a cat"},
    {"id": "c1", "task": "compare", "media": ["l.mp4", "r.mp4"], "dataset": "genai",
     "label": "tie", "votes": "bothbad_vote"},
    {"id": "q1", "task": "vqa", "media": ["/abs/q.mp4"], "dataset": "vr", "label": "yes",
     "question": "Is it clear?"},
]  # fmt: skip


def rows_of_every_task() -> list[ManifestRow]:
    return [ManifestRow.from_dict(row) for row in ROWS]


def test_rows_are_normalised_and_serialised():
    image, video, aigc, compare, _ = rows_of_every_task()
    assert video == ManifestRow(
        "v1", "video_score", ("v/1.mp4",), "lsvq", score=67.0, score_range=(0.0, 100.0),
        info={"is_valid": False},
    )  # fmt: skip
    assert type(video.score) is float and type(video.score_range[0]) is float
    assert aigc.scores == SCORES
    assert compare.to_dict() == ROWS[3]
    assert image.to_dict() == {**ROWS[0], "score_range": [0.0, 100.0]}


def test_tasks_and_dimensions_match_the_judge_tasks():
    from vqi_judge.tasks import DIMENSIONS as TASK_DIMENSIONS
    from vqi_judge.tasks import TASKS

    assert {name: task.clips for name, task in TASKS.items()} == MEDIA_COUNT
    assert DIMENSIONS == TASK_DIMENSIONS


def test_fields_each_question_quotes_without_a_default():
    from vqi_judge.tasks import TASKS

    # compare quotes {prompt} too, but falls back on its neutral default prompt.
    assert {name: task.needs for name, task in TASKS.items()} == {
        "image_score": (), "video_score": (), "aigc_score": ("prompt",), "compare": (), "vqa": ("question",),
    }  # fmt: skip


BASE = {"id": "r7", "task": "video_score", "media": ["a.mp4"], "dataset": "d", "score": 3.0,
        "score_range": [1, 5]}  # fmt: skip
MEDIA_FIX = r"give 2 paths \(Video A, Video B\) for compare and 1 otherwise"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"task": "rank"}, r"unknown task 'rank'; use one of \['image_score', 'video_score', "),
        ({"media": ["a.mp4", "b.mp4"]}, r"task 'video_score' shows 1 media, got 2; " + MEDIA_FIX),
        ({"media": "a.mp4"}, r"media='a.mp4'; give media as a list of paths"),
        ({"media": [""]}, r"media=\[''\]; every media path must be a non-empty string"),
        ({"score": None}, r"task 'video_score' needs score; give score and score_range"),
        ({"score_range": None}, r"task 'video_score' needs score_range"),
        ({"score": 5.5}, r"score=5.5 is outside score_range \[1, 5\]; record the dataset's own"),
        ({"score": 0.99}, r"score=0.99 is outside score_range \[1, 5\]"),
        ({"score": float("nan")}, r"score=nan is not a finite number"),
        ({"score": True}, r"score=True is not a finite number"),
        ({"score": "3"}, r"score='3' is not a finite number"),
        ({"score_range": [5, 1]}, r"score_range=\[5, 1\] has lo >= hi"),
        ({"score_range": [1]}, r"score_range=\[1\]; give the dataset's scale as two numbers"),
        ({"label": "Video A"}, r"label does not belong to task 'video_score'; give only score and"),
        ({"question": "Is it?"}, r"question does not belong to task 'video_score'"),
        ({"dataset": ""}, r"dataset=''; give dataset as a non-empty string$"),
        ({"split": ""}, r"split=''; give split as a non-empty string$"),
        ({"info": ["is_valid"]}, r"info=\['is_valid'\]; give info as an object with string keys"),
    ],
)
def test_invalid_rows_name_the_row_and_the_fix(changes, message):
    with pytest.raises(ValueError, match=r"^manifest row 'r7': " + message):
        ManifestRow.from_dict({**BASE, **changes})


PAIR = {"task": "compare", "media": ["a", "b"]}
QA = {"task": "vqa", "media": ["a"]}
AIGC = {"task": "aigc_score", "media": ["a"], "score_range": [0, 100]}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({**PAIR, "media": ["a"], "label": "tie"}, r"task 'compare' shows 2 media, got 1"),
        (PAIR, r"task 'compare' needs label; give label"),
        ({**PAIR, "label": "A"}, r"label='A'; a compare label is one of \['Video A', 'Video B', "),
        ({**PAIR, "label": "tie", "score": 1.0}, r"score does not belong to task 'compare'; "
                                                 r"give only label and votes"),
        ({**QA, "label": "yes"}, r"task 'vqa' needs question; give label and question"),
        ({**QA, "label": "Yes", "question": "Q?"}, r"label='Yes'; a vqa label is one of \['yes', "),
        ({**QA, "label": "no", "question": "Q?", "votes": "x"}, r"votes does not belong to task"),
        ({**AIGC, "scores": {"spatial": 1, "temporal": 2}}, r"scores has dimensions \['spatial', "
                                                            r"'temporal'\]; give exactly \["),
        ({**AIGC, "scores": {**SCORES, "alignment": 101}}, r"scores\['alignment'\]=101 is outside"),
        ({**AIGC, "score": 3.0}, r"task 'aigc_score' needs scores; give scores and score_range"),
    ],
)  # fmt: skip
def test_task_specific_labels(row, message):
    with pytest.raises(ValueError, match=r"^manifest row 'x': " + message):
        ManifestRow.from_dict({"id": "x", "dataset": "d", **row})


def test_from_dict_rejects_unknown_and_missing_fields():
    with pytest.raises(ValueError, match=r"^manifest row 'r7': unknown field\(s\) \['scroe'\]"):
        ManifestRow.from_dict({**BASE, "scroe": 3})
    with pytest.raises(ValueError, match=r"^manifest row None: missing field\(s\) \['id', 'data"):
        ManifestRow.from_dict({"task": "vqa", "media": ["a"]})
    with pytest.raises(ValueError, match=r"^manifest row 7: id=7; give id as a non-empty string"):
        ManifestRow.from_dict({**BASE, "id": 7})


def test_round_trip_with_a_media_root(tmp_path):
    rows = rows_of_every_task()
    path = tmp_path / "out" / "m.jsonl"
    write_manifest(rows, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5
    assert json.loads(lines[2]) == {**ROWS[2], "score_range": [0.0, 100.0]}
    root = tmp_path / "media"
    back = read_manifest(path, media_root=root)
    assert back == with_media_root(rows, root)
    assert back[1].media == (os.path.join(root, "v/1.mp4"),)
    assert back[4].media == ("/abs/q.mp4",)  # absolute paths are kept
    assert back[1].info == {"is_valid": False}


def test_relative_media_default_to_the_manifest_folder(tmp_path):
    path = tmp_path / "m.jsonl"
    write_manifest(rows_of_every_task(), path)
    assert read_manifest(path)[3].media == (str(tmp_path / "l.mp4"), str(tmp_path / "r.mp4"))


def test_round_trip_keeps_resolved_rows_exactly(tmp_path):
    rows = with_media_root(rows_of_every_task(), tmp_path)
    write_manifest(rows, tmp_path / "m.jsonl")
    assert read_manifest(tmp_path / "m.jsonl", media_root="/elsewhere") == rows


def test_write_rejects_repeated_ids(tmp_path):
    rows = rows_of_every_task()
    with pytest.raises(ValueError, match=r"rows 0 and 5 share id 'k1'"):
        write_manifest([*rows, replace(rows[0], media=("other.jpg",))], tmp_path / "m.jsonl")
    assert not (tmp_path / "m.jsonl").exists()


GOOD = json.dumps(BASE)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"id": "r8", ', r"m\.jsonl:4: invalid JSON \(.+\); one object per line"),
        ("[1, 2]", r"m\.jsonl:4: expected a JSON object, got list"),
        (json.dumps({**BASE, "id": "r8", "score": 9}),
         r"m\.jsonl:4: manifest row 'r8': score=9 is outside score_range \[1, 5\]"),
        (json.dumps({**BASE, "id": "r8", "task": "caption"}),
         r"m\.jsonl:4: manifest row 'r8': unknown task 'caption'"),
        (GOOD, r"m\.jsonl:4: id 'r7' is already used on line 1; ids must be unique"),
        (json.dumps({k: v for k, v in ROWS[2].items() if k != "prompt"}),
         r"m\.jsonl:4: row 'a1' has no 'prompt', and the aigc_score question quotes it: add \"prompt\" to the row"),
    ],
)  # fmt: skip
def test_read_errors_name_file_and_line(tmp_path, bad, message):
    # Line 2 is blank and skipped; line numbers stay those of the file.
    path = tmp_path / "m.jsonl"
    path.write_text("\n".join([GOOD, "", json.dumps({**BASE, "id": "r9"}), bad]) + "\n")
    with pytest.raises(ValueError, match=message):
        read_manifest(path)


def video(id_: str, media: str, dataset: str) -> ManifestRow:
    return ManifestRow(id_, "video_score", (media,), dataset, score=3, score_range=(1, 5))


def test_check_media_counts_missing_files_per_dataset(tmp_path):
    for name in ("a0.mp4", "pair_left.mp4", "q.mp4"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "a_dir.mp4").mkdir()  # a folder is not a media file
    rows = [video(f"a{i}", f"a{i}.mp4", "konvid1k") for i in range(6)]
    rows.append(video("ad", "a_dir.mp4", "konvid1k"))
    rows.append(ManifestRow("p", "compare", ("pair_left.mp4", "pair_right.mp4"), "g", label="tie"))
    # Ten questions on one clip: one file, counted once.
    rows += [ManifestRow(f"q{i}", "vqa", ("q.mp4",), "vr", label="no", question="Q?")
             for i in range(10)]  # fmt: skip
    with pytest.raises(MissingMediaError) as caught:
        check_media(with_media_root(rows, tmp_path))
    error = caught.value
    assert isinstance(error, FileNotFoundError)
    assert error.totals == {"konvid1k": 7, "g": 2, "vr": 1}
    konvid_missing = [str(tmp_path / f"a{i}.mp4") for i in range(1, 6)]
    assert error.missing == {
        "konvid1k": [*konvid_missing, str(tmp_path / "a_dir.mp4")],
        "g": [str(tmp_path / "pair_right.mp4")],
    }
    shown = ", ".join(konvid_missing[:3])
    assert str(error) == (
        f"7 of 10 media files are missing (konvid1k: 6 of 7, e.g. {shown}, ...; g: 1 of 2, e.g. "
        f"{tmp_path / 'pair_right.mp4'}): give the folder the relative paths start from (the apps' "
        "--media-root; media_root= of read_manifest and convert), or fetch the missing files"
    )


def test_check_media_passes_when_every_file_exists(tmp_path):
    (tmp_path / "a.mp4").write_bytes(b"")
    rows = [video("a", "a.mp4", "d")]
    assert check_media(with_media_root(rows, tmp_path)) is None
    with pytest.raises(MissingMediaError, match=r"^1 of 1 media files are missing"):
        check_media(with_media_root(rows, tmp_path / "nowhere"))
