"""Task names: vqi-judge owns them (``vqi_judge.TASKS``). vqi-video's synthetic world and vqi-grpo's
defaults may not import vqi-judge (tools/check_deps.py), so they spell names themselves; these
checks keep every spelling one of the owner's."""

from dataclasses import fields

from vqi_grpo import VideoGRPOConfig
from vqi_judge import TASKS, get_task
from vqi_video.synthetic_tasks import TASKS as SYNTHETIC_TASKS
from vqi_video.synthetic_tasks import make_synthetic_dataset


def test_the_synthetic_world_makes_every_task_of_the_judge_and_no_other(tmp_path):
    assert list(SYNTHETIC_TASKS) == list(TASKS)
    rows = make_synthetic_dataset(tmp_path, {task: 1 for task in SYNTHETIC_TASKS}, seed=0)
    assert sorted(row["task"] for row in rows) == sorted(TASKS)


def test_grpo_default_temporal_tasks_are_judge_tasks_that_show_video():
    default = next(f for f in fields(VideoGRPOConfig) if f.name == "temporal_tasks").default_factory()
    assert default == ["video_score", "aigc_score", "vqa"]
    assert all(get_task(name).name == name and name != "image_score" for name in default)
