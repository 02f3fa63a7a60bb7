"""Correctness (task rewards merged into [0, 1]) and OfficialLength (length fed with it)."""

from collections.abc import Sequence
from typing import Any

import pytest

from vqi_rewards import (
    Correctness,
    OfficialLength,
    make_choice_reward,
    make_length_reward,
    make_score_reward,
)


def first_task(completions: Sequence[Any], **_: Any) -> list[float | None]:
    """A task reward out of range on both sides: 1.5 above, -0.5 below."""
    return [1.5, None, None, -0.5]


def second_task(completions: Sequence[Any], **_: Any) -> list[float | None]:
    return [None, 0.25, None, None]


def echo_correct(
    completions: Sequence[Any], *, correct: Sequence[float], **_: Any
) -> list[float | None]:
    """A stand-in length reward that returns the correctness it was given."""
    return list(correct)


def answer(text: str) -> str:
    return f"<think>...</think><answer>{text}</answer>"


def test_clips_into_unit_range_and_merges_tasks() -> None:
    """Row 0: 1.5 clipped to 1; row 1: the second task's 0.25; row 2: no task scored it, 0;
    row 3: -0.5 clipped to 0."""
    correctness = Correctness((first_task, second_task))
    assert correctness(["a", "b", "c", "d"]) == [1.0, 0.25, 0.0, 0.0]


def test_passes_the_columns_to_each_task_reward() -> None:
    """Score (1, 5), l1: 1 - |4 - 3| / 4 = 0.75 on the video_score row; the compare row's choice
    is right: 1."""
    score = make_score_reward((1, 5), task="video_score")
    correctness = Correctness([score, make_choice_reward(task="compare")])
    values = correctness(
        [answer("4"), answer("Video B")],
        task=["video_score", "compare"],
        score=[3.0, None],
        label=[None, "Video B"],
    )
    assert values == [0.75, 1.0]
    assert type(correctness.rewards) is tuple  # the list is stored as a tuple: hashable


def test_two_rewards_scoring_one_row_is_an_error() -> None:
    match = r"^row 0 is scored by both first_task and first_task: .*task="
    with pytest.raises(ValueError, match=match):
        Correctness((first_task, first_task))(["a", "b", "c", "d"])


def test_official_length_passes_correctness_to_the_length_reward() -> None:
    length = OfficialLength(echo_correct, Correctness((first_task, second_task)))
    assert length(["a", "b", "c", "d"]) == [1.0, 0.25, 0.0, 0.0]
    assert length.__name__ == "echo_correct"


def test_official_length_with_the_real_rewards() -> None:
    """Relative score on (1, 5): 1 - |3.5 - 3| / 3 = 5/6 for both konvid rows (correct: above 0.1),
    and both compare rows are right: two correct rollouts per prompt, so each in [320, 512]
    (inclusive) gets 0.2; the 600-token one does not."""
    score = make_score_reward((1, 5), mode="relative", task="konvid")
    choice = make_choice_reward(task="compare")
    length = OfficialLength(make_length_reward(mode="official"), Correctness((score, choice)))
    columns = {
        "prompts": ["p", "p", "q", "q"],
        "completion_ids": [[1] * 400, [1] * 600, [1] * 320, [1] * 512],
        "task": ["konvid", "konvid", "compare", "compare"],
        "score": [3.0, 3.0, None, None],
        "label": [None, None, "Video B", "Video B"],
    }
    right = [answer("3.5"), answer("3.5"), answer("Video B"), answer("B")]
    assert length(right, **columns) == [0.2, 0.0, 0.2, 0.2]
    # One wrong compare answer leaves one correct rollout for prompt q: no bonus there.
    assert length([*right[:3], answer("A")], **columns) == [0.2, 0.0, 0.0, 0.0]
