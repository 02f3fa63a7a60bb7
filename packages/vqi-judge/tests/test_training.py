"""Manifest rows as GRPO training data: trainer rows, the accuracy rewards per task, the reward list."""

import pytest

from vqi_judge import ManifestRow, task_rewards, trainer_rows, training_rewards
from vqi_rewards import (
    Correctness,
    OfficialLength,
    format_reward,
    make_choice_reward,
    make_length_reward,
    make_multidim_reward,
    make_score_reward,
)

SUFFIX = (
    " First output the thinking process in <think> </think> tags and then output the final "
    "answer in <answer> </answer> tags."
)
SCORES = {"spatial": 3.0, "temporal": 2.0, "alignment": 4.0}


def rows(video_range: tuple[float, float] = (1, 5)) -> list[ManifestRow]:
    """One row of each task, in no task order."""
    return [
        ManifestRow("v", "video_score", ("v.mp4",), "lsvq", split="train", score=3.0, score_range=video_range,
                    info={"kind": "blur"}),
        ManifestRow("c", "compare", ("a.mp4", "b.mp4"), "genai", label="Video B"),
        ManifestRow("q", "vqa", ("q.mp4",), "vr", label="yes", question="Is the motion smooth?"),
        ManifestRow("i", "image_score", ("i.jpg",), "koniq", score=50.0, score_range=(0, 100)),
        ManifestRow("g", "aigc_score", ("g.mp4",), "lgvq", scores=SCORES, score_range=(1, 5), prompt="a cat"),
    ]


def test_trainer_rows_hold_the_query_and_the_label_columns():
    """``info`` and unset fields are left out, media become a list, the question fills the template."""
    out = trainer_rows(rows(video_range=(0, 10)))
    assert out[0] == {
        "id": "v", "task": "video_score", "media": ["v.mp4"], "dataset": "lsvq", "split": "train", "score": 3.0,
        "score_range": (0.0, 10.0),
        "query": "What is your overall rating on the quality of this video? The rating should be a float between "
                 "0 and 10, rounded to two decimal places, with 0 representing very poor quality and 10 representing "
                 "excellent quality." + SUFFIX,
    }
    assert out[1] == {
        "id": "c", "task": "compare", "media": ["a.mp4", "b.mp4"], "dataset": "genai", "label": "Video B",
        "query": 'Both videos were generated from the prompt "a video". Which video is better, considering '
                 "visual quality, temporal consistency, dynamic degree and video authenticity? Answer "
                 "Video A or Video B." + SUFFIX,  # natural clips: the neutral default prompt
    }
    assert out[2] == {
        "id": "q", "task": "vqa", "media": ["q.mp4"], "dataset": "vr", "label": "yes",
        "question": "Is the motion smooth?", "query": "Is the motion smooth? Answer yes or no." + SUFFIX,
    }
    assert out[4]["query"].startswith('This video was generated from the prompt "a cat". Rate its spatial')
    assert out[4]["scores"] == SCORES and out[4]["prompt"] == "a cat"


def test_task_rewards_one_per_task_in_name_order():
    weights = {"spatial": 0.5, "temporal": 0.25, "alignment": 0.25}
    got = task_rewards(rows(), score_mode="relative", multidim_weights=weights)
    assert got == {
        "aigc_score": make_multidim_reward((1, 5), weights, task="aigc_score"),
        "compare": make_choice_reward(task="compare"),
        "image_score": make_score_reward((0, 100), "relative", task="image_score"),
        "video_score": make_score_reward((1, 5), "relative", task="video_score"),
        "vqa": make_choice_reward(task="vqa"),
    }
    assert list(got) == ["aigc_score", "compare", "image_score", "video_score", "vqa"]


def test_one_task_on_two_scales_is_refused():
    mixed = rows() + [ManifestRow("v2", "video_score", ("v2.mp4",), "konvid", score=3.0, score_range=(0, 10))]
    with pytest.raises(ValueError, match=r"^video_score rows carry score ranges \[\(0\.0, 10\.0\), \(1\.0, 5\.0\)\]"):
        task_rewards(mixed)


def test_training_rewards_paper_defaults():
    rewards, correctness = training_rewards(rows()[:2])
    assert rewards == [format_reward, make_choice_reward(task="compare"),
                       make_score_reward((1, 5), task="video_score"), make_length_reward(320, 512)]
    assert [r.__name__ for r in rewards] == [
        "format_reward", "choice_reward_compare", "score_reward_video_score", "length_reward"
    ]
    assert correctness == Correctness((rewards[1], rewards[2]))
    assert correctness.__name__ == "correctness"


def test_training_rewards_official_length_uses_the_correctness():
    rewards, correctness = training_rewards(rows()[:1], length_mode="official", l_min=10, l_max=20)
    assert rewards[-1] == OfficialLength(make_length_reward(10, 20, mode="official"), correctness)
    assert rewards[-1].__name__ == "length_reward"
    assert training_rewards(rows()[:1], length=False)[0] == [format_reward, rewards[1]]


def test_trainer_rows_feed_the_rewards():
    """Columns built from the trainer rows as trl passes them. video_score on (1, 5), l1:
    1 - |4 - 3| / 4 = 0.75; compare: right, 1."""
    out = trainer_rows(rows()[:2])
    columns = {key: [row.get(key) for row in out] for key in ("task", "score", "label")}
    completions = ["<think></think><answer>4</answer>", "<think></think><answer>Video B</answer>"]
    rewards, correctness = training_rewards(rows()[:2], length=False)
    assert [r(completions, **columns) for r in rewards] == [[1.0, 1.0], [None, 1.0], [0.75, None]]
    assert correctness(completions, **columns) == [0.75, 1.0]
