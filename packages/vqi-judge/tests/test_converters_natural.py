"""Natural image/video scoring converters on the real label files (labels only, no media)."""

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from vqi_judge.converters import convert, read_dover_labels
from vqi_judge.manifest import (
    ManifestRow,
    MissingMediaError,
    check_media,
    read_manifest,
    with_media_root,
    write_manifest,
)

KONIQ = "koniq10k/koniq10k_distributions_sets.sample200.csv"


@pytest.fixture(scope="module")
def labels(shared_media: Path) -> Path:
    return shared_media / "labels"


def data_lines(path: Path, header: bool) -> int:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return len(lines) - header


def video(id_, media, dataset, score, score_range, **extra) -> ManifestRow:
    return ManifestRow(id_, "video_score", (media,), dataset, score=score, score_range=score_range,
                       **extra)  # fmt: skip


def test_koniq_official_csv(labels):
    rows = convert("koniq10k_csv", labels / KONIQ)
    assert len(rows) == data_lines(labels / KONIQ, header=True) == 200
    assert rows[0] == ManifestRow(
        "10004473376.jpg", "image_score", ("10004473376.jpg",), "koniq10k", "training",
        score=77.3836206897, score_range=(0.0, 100.0),
    )  # fmt: skip
    assert (rows[1].id, rows[1].split, rows[1].score) == ("10126177964.jpg", "test", 70.9078947368)
    assert (rows[-1].id, rows[-1].split, rows[-1].score) == (
        "9996001596.jpg",
        "training",
        67.2190265487,
    )
    with (labels / KONIQ).open(newline="") as handle:
        source = list(csv.DictReader(handle))
    # The MOS column (0-100), not the 1-5 ACR mean of the vote fractions.
    assert [row.score for row in rows] == [float(record["MOS"]) for record in source]
    assert Counter(row.split for row in rows) == {"training": 136, "test": 38, "validation": 26}


def test_koniq_split_selects_rows(labels):
    test = convert("koniq10k_csv", labels / KONIQ, split="test")
    with (labels / KONIQ).open(newline="") as handle:
        expected = [r["image_name"] for r in csv.DictReader(handle) if r["set"] == "test"]
    assert [row.id for row in test] == expected and len(expected) == 38
    assert {row.split for row in test} == {"test"}
    sets = r"no row has set='train'; the file's sets are \['test', 'training', 'validation'\]"
    with pytest.raises(ValueError, match=sets):
        convert("koniq10k_csv", labels / KONIQ, split="train")


def test_koniq_qalign_score_from_id_when_gt_score_is_absent(labels):
    train = labels / "koniq10k/qalign_train_koniq.sample200.json"
    rows = convert("koniq10k_qalign", train, split="train")
    items = json.loads(train.read_text())
    assert len(rows) == len(items) == 200
    assert rows[0] == ManifestRow(
        "koniq/10004473376.jpg", "image_score", ("koniq/10004473376.jpg",), "koniq10k", "train",
        score=77.3836206897, score_range=(0.0, 100.0),
    )  # fmt: skip
    assert (rows[-1].id, rows[-1].score) == ("koniq/9996001596.jpg", 67.2190265487)
    assert [row.score for row in rows] == [float(item["id"].split("->")[1]) for item in items]


def test_koniq_qalign_test_and_dover(labels):
    qalign = convert("koniq10k_qalign", labels / "koniq10k/qalign_test_koniq.sample200.json")
    dover = convert("koniq10k_dover", labels / "koniq10k/dover_KoNiQ10k_test_labels.sample200.txt")
    assert len(qalign) == len(dover) == 200
    assert (qalign[0].id, qalign[0].score) == ("koniq/10007357496.jpg", 68.7285714286)
    assert (qalign[-1].id, qalign[-1].score) == ("koniq/9991999836.jpg", 78.0924369748)
    assert dover[0] == ManifestRow(
        "10007357496.jpg", "image_score", ("10007357496.jpg",), "koniq10k", score=68.7285714286,
        score_range=(0.0, 100.0),
    )  # fmt: skip
    assert (dover[-1].id, dover[-1].score) == ("9991999836.jpg", 78.0924369748)


@pytest.mark.parametrize(
    ("name", "first", "last", "invalid"),
    [
        ("LSVQ_whole_test", ("yfcc-batch1/747", 67.75, True),
         ("ia-batch24/lionking-tas-tompa", 41.075, False), 2),
        ("LSVQ_whole_test_1080p", ("yfcc-batch1/722", 78.7741935483871, False),
         ("ia-batch24/youtube-_wgGiVhoD6s", 50.046511627907, False), 156),
    ],
)  # fmt: skip
def test_lsvq_csv_keeps_every_row_and_records_is_valid(labels, name, first, last, invalid):
    path = labels / f"lsvq/{name}.sample200.csv"
    rows = convert("lsvq_csv", path, split="test")
    assert len(rows) == data_lines(path, header=True) == 200
    for row, (id_, score, valid) in ((rows[0], first), (rows[-1], last)):
        assert row == video(id_, id_ + ".mp4", "lsvq", score, (0.0, 100.0), split="test",
                            info={"is_valid": valid})  # fmt: skip
    assert sum(not row.info["is_valid"] for row in rows) == invalid


CONCERT = "ia-batch4/Concert_In_the_Kitchen_February_24_2012.mp4"
WGG = "ia-batch24/youtube-_wgGiVhoD6s.mp4"


@pytest.mark.parametrize(
    ("fmt", "file", "first", "last"),
    [
        ("lsvq_qalign", "qalign_test_lsvq.sample200.json", ("lsvq/yfcc-batch1/747.mp4", 67.75),
         ("lsvq/" + CONCERT, 64.85294117647061)),
        ("lsvq_qalign", "qalign_test_lsvq_1080p.sample200.json",
         ("lsvq/yfcc-batch1/722.mp4", 78.7741935483871), ("lsvq/" + WGG, 50.046511627907)),
        ("lsvq_dover", "dover_LSVQ_labels_test.sample200.txt", ("yfcc-batch1/747.mp4", 67.75),
         (CONCERT, 64.85294117647061)),
        ("lsvq_dover", "dover_LSVQ_labels_train.sample200.txt", ("yfcc-batch1/747.mp4", 67.75),
         (WGG, 50.046511627907)),
    ],
)  # fmt: skip
def test_lsvq_qalign_and_dover(labels, fmt, file, first, last):
    rows = convert(fmt, labels / "lsvq" / file)
    assert len(rows) == 200
    assert rows[0] == video(first[0], first[0], "lsvq", first[1], (0.0, 100.0))
    assert (rows[-1].id, rows[-1].media, rows[-1].score) == (last[0], (last[0],), last[1])


def test_konvid_three_layouts_agree(labels):
    csv_rows = convert("konvid1k_csv", labels / "konvid1k/KoNViD_1k_mos.csv")
    qalign = convert("konvid1k_qalign", labels / "konvid1k/qalign_konvid.json")
    dover = convert("konvid1k_dover", labels / "konvid1k/dover_KoNViD_labels.txt")
    assert len(csv_rows) == len(qalign) == len(dover) == 1200
    assert csv_rows[0] == video("3339962845", "3339962845.mp4", "konvid1k", 4.64, (1.0, 5.0))
    assert (csv_rows[-1].id, csv_rows[-1].score) == ("8536919744", 1.22)
    assert (qalign[0].id, qalign[0].score) == ("3339962845.mp4", 4.64)
    assert (qalign[-1].id, qalign[-1].score) == ("8536919744.mp4", 1.22)
    first = "KoNViD_1k_videos/4542323058.mp4"
    assert dover[0] == video(first, first, "konvid1k", 3.22, (1.0, 5.0))
    assert (dover[-1].id, dover[-1].score) == ("KoNViD_1k_videos/10404182556.mp4", 2.32)
    by_video = {row.media[0].rsplit("/", 1)[-1]: row.score for row in dover}
    assert {row.media[0]: row.score for row in csv_rows} == by_video
    assert {row.media[0]: row.score for row in qalign} == by_video
    assert (min(by_video.values()), max(by_video.values())) == (1.22, 4.64)


def test_live_vqc_mat_and_dover_agree(labels):
    text = labels / "live_vqc/dover_LIVE_VQC_labels.txt"
    mat = convert("live_vqc_mat", labels / "live_vqc/LiveVQC_data.mat")
    dover = convert("live_vqc_dover", text)
    assert len(mat) == len(dover) == data_lines(text, header=False) == 585
    assert mat[0] == video("A001.mp4", "A001.mp4", "live_vqc", 80.232, (0.0, 100.0))
    assert (mat[-1].id, mat[-1].score) == ("R001.mp4", 72.4848)
    assert (dover[0].id, dover[0].score, dover[-1].id) == (
        "Video/A001.mp4",
        80.232,
        "Video/R001.mp4",
    )
    assert [row.score for row in mat] == [row.score for row in dover]
    assert [row.id for row in mat] == [row.id.removeprefix("Video/") for row in dover]
    scores = [row.score for row in mat]
    assert (round(min(scores), 2), round(max(scores), 2)) == (6.22, 94.29)


def test_generic_dover_needs_the_caller_scale(labels):
    path = labels / "youtube_ugc/dover_YouTubeUGC_labels.txt"
    ugc = dict(dataset="youtube_ugc", task="video_score", score_range=(1.0, 5.0))
    rows = read_dover_labels(path, **ugc, split="all")
    assert len(rows) == data_lines(path, header=False) == 1147
    first = "Sports_2160P-4e9f_crf_10_ss_00_t_20.0.mp4"
    assert rows[0] == video(first, first, "youtube_ugc", 4.405, (1.0, 5.0), split="all")
    assert (rows[-1].id, rows[-1].score) == ("Gaming_2160P-673d_crf_10_ss_00_t_20.0.mp4", 4.165)
    # DIVIDE-MaxWell: the last field (overall) is the score, not aesthetic or technical.
    maxwell = read_dover_labels(
        labels / "maxwell_divide/dover_DIVIDE_MaxWell_val_labels.txt", **ugc
    )
    assert (len(maxwell), maxwell[0].score) == (909, 1.028571429)
    assert (maxwell[-1].id, maxwell[-1].score) == ("4541.mp4", 4.685714286)
    outside = r"manifest row 'Video/A001\.mp4': score=80\.232 is outside score_range \[1, 5\]"
    with pytest.raises(ValueError, match=r"dover_LIVE_VQC_labels\.txt:1: " + outside):
        read_dover_labels(labels / "live_vqc/dover_LIVE_VQC_labels.txt", **ugc)


def test_real_rows_round_trip_and_check_media(labels, tmp_path):
    path = labels / "lsvq/LSVQ_whole_test_1080p.sample200.csv"
    rows = convert("lsvq_csv", path, split="test_1080p")
    write_manifest(rows, tmp_path / "lsvq.jsonl")
    media = tmp_path / "videos"
    back = read_manifest(tmp_path / "lsvq.jsonl", media_root=media)
    assert back == with_media_root(rows, media)
    assert back == convert("lsvq_csv", path, split="test_1080p", media_root=media)
    for row in back[:3]:
        Path(row.media[0]).parent.mkdir(parents=True, exist_ok=True)
        Path(row.media[0]).write_bytes(b"")
    with pytest.raises(MissingMediaError) as caught:
        check_media(back)
    shown = ", ".join(row.media[0] for row in back[3:6])
    assert str(caught.value).startswith(f"197 of 200 media files are missing (lsvq: 197 of 200, e.g. {shown}, ...): ")
    assert caught.value.missing == {"lsvq": [row.media[0] for row in back[3:]]}
