"""Malformed label files: every converter names the file and line (or item) and the problem; and
the format registry."""

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from vqi_judge.converters import FORMATS, convert

PACKAGE = Path(__file__).resolve().parents[1]
KONIQ = "image_name,c1,c2,c3,c4,c5,c_total,MOS,SD,set\n"
LSVQ = "name,mos,is_valid\n"
VOTE = {"idx": 0, "prompt": "p", "human_vote": "leftvote"}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(*records) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


@pytest.mark.parametrize(
    ("fmt", "name", "text", "message"),
    [
        ("koniq10k_csv", "k.csv", KONIQ + "a,0,0,0,1,0,9,50,.5,test\nb,0,0,0,1,0,9,abc,.5,test\n",
         r"k\.csv:3: MOS='abc' is not a finite number"),
        ("koniq10k_csv", "k.csv", KONIQ + "a.jpg,0,0,0,1,0,9,150,.5,test\n",
         r"k\.csv:2: manifest row 'a\.jpg': score=150\.0 is outside score_range \[0, 100\]"),
        ("koniq10k_csv", "k.csv", KONIQ + "a.jpg,0,0,0,1,0,9,50\n",
         r"k\.csv:2: expected 10 comma-separated fields"),
        ("koniq10k_csv", "k.csv", "image_name,MOS\na.jpg,50\n",
         r"k\.csv:1: missing column\(s\) \['set'\]; the header has \['image_name', 'MOS'\]"),
        ("lsvq_csv", "l.csv", LSVQ + "a/1,50,True\na/2,60,yes\n",
         r"l\.csv:3: is_valid='yes'; expected True or False"),
        ("konvid1k_csv", "v.csv", '"flickr_id","mos"\n"1","3.1"\n"1","3.2"\n',
         r"v\.csv:3: id '1' repeats .*v\.csv:2"),
        ("konvid1k_dover", "d.txt", "a.mp4, 8.0, 25.0, 3.1\n\nb.mp4, 3.2\n",
         r"d\.txt:3: expected 4 comma-separated fields \(path, a, b, mos\), got 'b\.mp4, 3\.2'"),
        ("konvid1k_dover", "d.txt", "a.mp4, 8.0, 25.0, nan\n",
         r"d\.txt:1: mos='nan' is not a finite number"),
        ("koniq10k_qalign", "q.json", '[{"id": "a->50", "image": "a"}, {"id": "b", "image": "b"}]',
         r"q\.json item 1: no gt_score, and id='b' has no '->' before a score"),
        ("konvid1k_qalign", "q.json", '[{"path": "a.mp4", "gt_score": 3}]',
         r"q\.json item 0: missing key 'img_path'; the record has \['gt_score', 'path'\]"),
        ("konvid1k_qalign", "q.json", '[{"img_path": "a.mp4",\n "gt_score": 3}',
         r"q\.json:2: not valid JSON"),
        ("genai_bench_video", "v.jsonl", jsonl(VOTE, {**VOTE, "idx": 1, "human_vote": "maybe"}),
         r"v\.jsonl:2: human_vote='maybe'; expected one of \['leftvote', 'rightvote', "),
        ("genai_bench_video", "v.jsonl", jsonl(VOTE, {**VOTE, "idx": "1"}),
         r"v\.jsonl:2: idx='1' is not a row index"),
        ("genai_bench_video", "v.jsonl", jsonl(VOTE, {"idx": 1, "human_vote": "tievote"}),
         r"v\.jsonl:2: missing key 'prompt'"),
        ("genai_bench_video", "v.jsonl", jsonl(VOTE, VOTE), r"v\.jsonl:2: id '0' repeats .*:1"),
        ("genai_bench_video", "v.jsonl", json.dumps(VOTE) + "\n[1]\n",
         r"v\.jsonl:2: expected a JSON object, got list"),
    ],
)  # fmt: skip
def test_malformed_records_name_file_and_line(tmp_path, fmt, name, text, message):
    with pytest.raises(ValueError, match=message):
        convert(fmt, write(tmp_path, name, text))


def test_live_vqc_mat_errors(tmp_path):
    scipy.io.savemat(tmp_path / "a.mat", {"names": np.array([1.0])})
    with pytest.raises(ValueError, match=r"a\.mat: expected variables video_list and mos, found"):
        convert("live_vqc_mat", tmp_path / "a.mat")
    cells = np.empty((2, 1), dtype=object)
    cells[0, 0], cells[1, 0] = "A.mp4", "B.mp4"
    scipy.io.savemat(tmp_path / "b.mat", {"video_list": cells, "mos": np.array([[50.0], [120.0]])})
    outside = r"b\.mat video_list\[1\]: manifest row 'B\.mp4': score=120\.0 is outside"
    with pytest.raises(ValueError, match=outside):
        convert("live_vqc_mat", tmp_path / "b.mat")
    scipy.io.savemat(tmp_path / "c.mat", {"video_list": cells, "mos": np.array([[50.0]])})
    with pytest.raises(ValueError, match=r"c\.mat: video_list has 2 entries but mos has 1"):
        convert("live_vqc_mat", tmp_path / "c.mat")


def test_a_missing_label_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        convert("konvid1k_csv", tmp_path / "absent.csv")


def test_unknown_format_lists_the_known_ones(tmp_path):
    known = r"known formats: \['genai_bench_video', 'koniq10k_csv', 'koniq10k_dover'"
    with pytest.raises(ValueError, match=r"unknown format 'konvid'; " + known):
        convert("konvid", tmp_path / "x.csv")


def test_every_format_is_documented():
    text = (PACKAGE / "DATASETS.md").read_text(encoding="utf-8")
    assert len(FORMATS) == 17
    assert [name for name in FORMATS if f"| `{name}` |" not in text] == []
