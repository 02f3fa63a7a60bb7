"""AIGC converters: GenAI-Bench votes and the VisionReward questions (real files), and the
schema-only datasets (LGVQ, VisionRewardDB-Video pairs, MonetBench) on synthetic rows written
in the layouts of SCHEMAS_no_public_rows.md."""

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from vqi_judge.converters import convert
from vqi_judge.converters.visionreward import read_questions
from vqi_judge.manifest import ManifestRow

VR = "visionreward_video/VisionReward_video_qa"


@pytest.fixture(scope="module")
def labels(shared_media: Path) -> Path:
    return shared_media / "labels"


def write(tmp_path: Path, name: str, records) -> Path:
    path = tmp_path / name
    if name.endswith(".jsonl"):
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    else:
        path.write_text(json.dumps(records, indent=1), encoding="utf-8")
    return path


def test_genai_bench_votes(labels):
    path = labels / "genai_bench_video/genaibench_video_human_votes.jsonl"
    rows = convert("genai_bench_video", path, split="test")
    source = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(rows) == len(source) == 1069
    assert rows[0] == ManifestRow(
        "0", "compare", ("left/0.mp4", "right/0.mp4"), "genai_bench_video", "test",
        label="Video A", votes="leftvote", prompt="a cute dog is playing a ball",
    )  # fmt: skip
    assert (rows[2].label, rows[2].votes) == ("Video B", "rightvote")
    assert (rows[3].label, rows[3].votes) == ("tie", "bothbad_vote")
    assert rows[-1] == ManifestRow(
        "1068", "compare", ("left/1068.mp4", "right/1068.mp4"), "genai_bench_video", "test",
        label="tie", votes="bothbad_vote", prompt="a snowboard on the bottom of a kite, front view",
    )  # fmt: skip
    assert [(r.votes, r.prompt) for r in rows] == [(s["human_vote"], s["prompt"]) for s in source]
    votes = {"leftvote": 325, "rightvote": 375, "tievote": 138, "bothbad_vote": 231}
    assert Counter(row.votes for row in rows) == votes
    assert Counter(row.label for row in rows) == {"Video A": 325, "Video B": 375, "tie": 369}


def test_visionreward_question_files(labels):
    questions = read_questions(labels / f"{VR}.txt")
    selected = read_questions(labels / f"{VR}_select.txt")
    assert (len(questions), len(selected)) == (64, 29)
    assert (
        questions[0] == 'Does the video meet all the requirements stated in the text "[[prompt]]"?'
    )
    assert questions[-1] == "Does the video content contain no extremely harmful material?"
    assert set(selected) <= set(questions)
    assert sum("[[prompt]]" in q for q in questions) == 4


def vr_record(internal_id: str, answered: set[int], yes: set[int], n: int = 64) -> dict:
    return {
        "video_path": f"videos/{internal_id}.mp4",
        "internal_id": internal_id,
        "prompt": "a red kite",
        "url": "unused",
        "annotation": {"alignment": 5},
        "meta_result": [int(i in yes) for i in range(n)],
        "meta_mask": [int(i in answered) for i in range(n)],
    }


def test_visionreward_vqa_rows(labels, tmp_path):
    records = [vr_record("v1", {0, 4, 63}, {0, 63}), vr_record("v2", {10}, set())]
    path = write(tmp_path, "train.jsonl", records)
    rows = convert("visionreward_video_vqa", path, questions=labels / f"{VR}.txt", split="train",
                   media_root="/data/vr")  # fmt: skip
    ids = [("v1/q01", "yes"), ("v1/q05", "no"), ("v1/q64", "yes"), ("v2/q11", "no")]
    assert [(row.id, row.label) for row in rows] == ids
    assert rows[0] == ManifestRow(
        "v1/q01", "vqa", ("/data/vr/videos/v1.mp4",), "visionrewarddb_video", "train", label="yes",
        question='Does the video meet all the requirements stated in the text "a red kite"?',
        prompt="a red kite",
    )  # fmt: skip
    assert rows[1].question == "Is the composition aesthetically pleasing?"
    assert rows[3].question == "Are the colors exceptionally beautiful?"


def test_visionreward_vqa_errors(labels, tmp_path):
    questions = labels / f"{VR}.txt"
    good = vr_record("v1", {0}, {0})
    path = write(tmp_path, "t.jsonl", [good])
    count = r"t\.jsonl:1: meta_result has 64 entries for 29 questions in .*qa_select\.txt; pass"
    with pytest.raises(ValueError, match=count):
        convert("visionreward_video_vqa", path, questions=labels / f"{VR}_select.txt")
    bad = {**good, "meta_result": [0] * 5 + [2] + [0] * 58}
    with pytest.raises(ValueError, match=r"t\.jsonl:2: meta_result\[5\]=2; expected 0 or 1"):
        convert(
            "visionreward_video_vqa", write(tmp_path, "t.jsonl", [good, bad]), questions=questions
        )
    bad = {**good, "meta_mask": [True] + [0] * 63}
    with pytest.raises(ValueError, match=r"t\.jsonl:1: meta_mask\[0\]=True; expected 0 or 1"):
        convert("visionreward_video_vqa", write(tmp_path, "t.jsonl", [bad]), questions=questions)
    gap = tmp_path / "q.txt"
    gap.write_text("Is it clear?\n\nIs it stable?\n")
    with pytest.raises(ValueError, match=r"q\.txt:2: blank line; the file holds one question per"):
        read_questions(gap)


def lgvq_item(path: str, spatial=40.48, temporal=32.63, consistency=56.33) -> dict:
    answer = json.dumps({"spatial": spatial, "temporal": temporal, "consistency": consistency})
    return {
        "problem": "Rate the spatial quality, temporal quality and text-video consistency.",
        "problem_type": "multi-dimension",
        "data_type": "video",
        "path": path,
        "solution": f"<answer>{answer}</answer>",
    }


def aigc(path: str, spatial: float, temporal: float, alignment: float) -> ManifestRow:
    scores = {"spatial": spatial, "temporal": temporal, "alignment": alignment}
    return ManifestRow(path, "aigc_score", (path,), "lgvq", "test", scores=scores,
                       score_range=(0.0, 100.0))  # fmt: skip


@pytest.mark.parametrize("name", ["lgvq.json", "lgvq.jsonl"])
def test_lgvq_vqinsight_layout(tmp_path, name):
    path = write(tmp_path, name, [lgvq_item("t2v/a.mp4"), lgvq_item("t2v/b.mp4", 0, 100, 7.5)])
    rows = convert("lgvq_vqinsight", path, split="test")
    assert rows == [aigc("t2v/a.mp4", 40.48, 32.63, 56.33), aigc("t2v/b.mp4", 0, 100, 7.5)]


NO_BRACES = '<answer>"spatial": 40.48, "temporal": 32.63, "consistency": 56.33</answer>'


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({**lgvq_item("b.mp4"), "problem_type": "regression"},
         r"l\.jsonl:2: problem_type='regression'; this reader takes 'multi-dimension' items"),
        # The prompt's TYPE_TEMPLATE example has no braces; the official reward parser needs them.
        ({**lgvq_item("b.mp4"), "solution": NO_BRACES},
         r"l\.jsonl:2: solution=.*expected <answer>\{\"spatial\": s"),
        ({**lgvq_item("b.mp4"), "solution": '<answer>{"spatial": 1, "temporal": 2}</answer>'},
         r"l\.jsonl:2: solution="),
        (lgvq_item("b.mp4", temporal=120),
         r"l\.jsonl:2: manifest row 'b\.mp4': scores\['temporal'\]=120 is outside score_range"),
        (lgvq_item("a.mp4"), r"l\.jsonl:2: id 'a\.mp4' repeats"),
    ],
)  # fmt: skip
def test_lgvq_malformed(tmp_path, item, message):
    with pytest.raises(ValueError, match=message):
        convert("lgvq_vqinsight", write(tmp_path, "l.jsonl", [lgvq_item("a.mp4"), item]))


def pair(internal_id: str, answer: str) -> dict:
    return {
        "internal_id": internal_id,
        "prompt": "a dog surfing",
        "standard_answer": answer,
        "video1_path": f"{internal_id}_1.mp4",
        "video2_path": f"{internal_id}_2.mp4",
    }


@pytest.mark.parametrize(
    ("fmt", "dataset"),
    [("visionrewarddb_video_pairs", "visionrewarddb_video"), ("monetbench", "monetbench")],
)
def test_pairs_layout(tmp_path, fmt, dataset):
    rows = convert(fmt, write(tmp_path, "p.jsonl", [pair("p1", "Video B"), pair("p2", "tie")]))
    assert rows[0] == ManifestRow(
        "p1", "compare", ("p1_1.mp4", "p1_2.mp4"), dataset, label="Video B", votes="Video B",
        prompt="a dog surfing",
    )  # fmt: skip
    assert (rows[1].label, rows[1].votes) == ("tie", "tie")


def test_pairs_need_an_explicit_map_for_other_answers(tmp_path):
    path = write(
        tmp_path, "p.jsonl", [pair("p1", "video1"), pair("p2", "same"), pair("p3", "video2")]
    )
    unmapped = r"p\.jsonl:1: standard_answer='video1' is not in answer_labels .*pass answer_labels="
    with pytest.raises(ValueError, match=unmapped):
        convert("monetbench", path)
    mapping = {"video1": "Video A", "video2": "Video B", "same": "tie"}
    rows = convert("monetbench", path, answer_labels=mapping)
    assert [(r.label, r.votes) for r in rows] == [
        ("Video A", "video1"),
        ("tie", "same"),
        ("Video B", "video2"),
    ]
    with pytest.raises(ValueError, match=r"p\.jsonl:1: manifest row 'p1': label='A'; a compare"):
        convert("monetbench", path, answer_labels={"video1": "A"})


def test_lgvq_prompts_file_gives_each_clip_its_prompt(tmp_path):
    """A clip the prompts file lists gets its prompt; one it does not list gets none."""
    items = write(tmp_path, "l.json", [lgvq_item("t2v/a.mp4"), lgvq_item("t2v/b.mp4")])
    prompts = tmp_path / "prompts.json"
    prompts.write_text(json.dumps({"t2v/a.mp4": "a red fox in snow", "t2v/z.mp4": "unused"}))
    rows = convert("lgvq_vqinsight", items, split="test", prompts=prompts)
    assert [row.prompt for row in rows] == ["a red fox in snow", None]
    assert rows[0] == replace(aigc("t2v/a.mp4", 40.48, 32.63, 56.33), prompt="a red fox in snow")
    prompts.write_text(json.dumps(["a red fox in snow"]))
    with pytest.raises(ValueError, match=r"prompts\.json: expected one JSON object"):
        convert("lgvq_vqinsight", items, prompts=prompts)


VIDEOGEN_HEADER = "path_A,path_B,A_model,B_model,prompt,fps_A,fps_B,num_frames_A,num_frames_B,VQ,MQ,TA,Overall\n"


def test_videogen_rewardbench_layout(tmp_path):
    path = tmp_path / "videogen-rewardbench.csv"
    path.write_text(
        VIDEOGEN_HEADER
        + 'a/1.mp4,b/1.mp4,kling,gen3,"a cat, walking",24,24,120,120,A,same,B,A\n'
        + "a/2.mp4,b/2.mp4,kling,gen3,a dog,24,24,120,120,B,B,same,same\n"
    )
    rows = convert("videogen_rewardbench", path, split="test")
    assert rows[0] == ManifestRow(
        "0", "compare", ("a/1.mp4", "b/1.mp4"), "videogen_rewardbench", "test", label="Video A",
        votes="A", prompt="a cat, walking", info={"A_model": "kling", "B_model": "gen3"},
    )  # fmt: skip
    assert [(r.id, r.label, r.votes) for r in rows] == [("0", "Video A", "A"), ("1", "tie", "same")]
    by_ta = convert("videogen_rewardbench", path, label_column="TA")
    assert [r.label for r in by_ta] == ["Video B", "tie"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("a/2.mp4,b/2.mp4,kling,gen3,a dog,24,24,120,120,B,B,same,tie\n",
         r"v\.csv:3: Overall='tie'; expected one of \['A', 'B', 'same'\]"),
        ("a/2.mp4,b/2.mp4,kling,gen3,a dog,24,24,120,120,B,B,same\n", r"v\.csv:3: expected 13"),
    ],
)  # fmt: skip
def test_videogen_rewardbench_malformed(tmp_path, line, message):
    path = tmp_path / "v.csv"
    path.write_text(VIDEOGEN_HEADER + "a/1.mp4,b/1.mp4,kling,gen3,a cat,24,24,120,120,A,A,A,A\n" + line)
    with pytest.raises(ValueError, match=message):
        convert("videogen_rewardbench", path)
    with pytest.raises(ValueError, match=r"v\.csv:1: missing column\(s\) \['Total'\]"):
        convert("videogen_rewardbench", path, label_column="Total")
