"""TaskMixSampler: prompts drawn per task by weight, in trl's repeat order, the same for the same seed."""

from collections import Counter

import pytest
from trl.trainer.utils import RepeatSampler

from vqi_grpo import TaskMixSampler, VideoGRPOConfig
from vqi_grpo.mixing import check_weights

TASKS = ["video_score"] * 90 + ["compare"] * 8 + ["vqa"] * 2


def test_equal_weights_balance_tasks_of_very_different_sizes():
    sampler = TaskMixSampler(TASKS, {"video_score": 1, "compare": 1, "vqa": 1}, mini_repeat_count=1, batch_size=10)
    drawn = Counter(TASKS[i] for _ in range(50) for i in sampler)  # 50 epochs of 100 prompts
    # Each task's share is binomial(5000, 1/3): std 0.0067, so 0.03 is 4.5 standard deviations.
    for task in ("video_score", "compare", "vqa"):
        assert abs(drawn[task] / 5000 - 1 / 3) < 0.03


def test_a_task_weighted_zero_is_never_drawn_and_rows_are_walked_before_repeating():
    sampler = TaskMixSampler(TASKS, {"video_score": 0, "compare": 3, "vqa": 1}, mini_repeat_count=1, batch_size=4)
    prompts = list(sampler)
    assert len(prompts) == 100 and all(TASKS[i] != "video_score" for i in prompts)
    # Within a task the rows come as successive permutations: the first 8 compare draws are the 8
    # compare rows, each once.
    compare = [i for i in prompts if TASKS[i] == "compare"]
    assert sorted(compare[:8]) == list(range(90, 98))


def test_order_is_trls_repeat_order():
    """Each prompt num_generations times in a row, each chunk of batch_size prompts num_iterations times."""
    sampler = TaskMixSampler(TASKS, {"video_score": 1, "compare": 1, "vqa": 1}, mini_repeat_count=3,
                             batch_size=4, repeat_count=2, seed=5)  # fmt: skip
    indices = list(sampler)
    assert len(indices) == len(sampler) == len(RepeatSampler(TASKS, 3, 4, 2, seed=5)) == 100 * 3 * 2
    step = 4 * 3  # one chunk's rows
    for start in range(0, len(indices), 2 * step):
        first, second = indices[start : start + step], indices[start + step : start + 2 * step]
        assert first == second  # the chunk again (num_iterations)
        assert all(first[k : k + 3] == [first[k]] * 3 for k in range(0, step, 3))  # each prompt G times


def test_the_same_seed_gives_the_same_sequence_and_another_seed_another():
    weights = {"video_score": 1, "compare": 2, "vqa": 1}
    one = list(TaskMixSampler(TASKS, weights, mini_repeat_count=2, batch_size=5, seed=3))
    assert one == list(TaskMixSampler(TASKS, weights, mini_repeat_count=2, batch_size=5, seed=3))
    assert one != list(TaskMixSampler(TASKS, weights, mini_repeat_count=2, batch_size=5, seed=4))


def test_weighted_tasks_without_rows_are_left_out_and_reported():
    assert check_weights({"compare": 1, "video_score": 2, "vqa": 0}, ["compare"]) == ["video_score"]
    sampler = TaskMixSampler(["compare"] * 4, {"compare": 1, "video_score": 2}, mini_repeat_count=1, batch_size=2)
    assert sorted(sampler) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("weights", "tasks", "message"),
    [
        ({"compare": -1, "vqa": 1}, None, r"\['compare'\] below 0"),
        ({"compare": 0}, None, "no task has a weight above 0"),
        ({"compare": 1}, ["compare", "vqa"], r"no weight to the training set's task\(s\) \['vqa'\]: add them"),
        ({"compare": 0, "video_score": 1}, ["compare"], r"rows of \['compare'\] only, all weighted 0"),
    ],
)  # fmt: skip
def test_bad_weights_are_refused_naming_the_task(weights, tasks, message):
    with pytest.raises(ValueError, match=message):
        check_weights(weights, tasks)


def test_the_config_refuses_bad_weights_when_it_is_made(tmp_path):
    with pytest.raises(ValueError, match="below 0"):
        VideoGRPOConfig(output_dir=str(tmp_path), use_cpu=True, num_generations=2, per_device_train_batch_size=2,
                        task_weights={"compare": -1.0})  # fmt: skip
