"""Length reward (eq. 5): paper bounds, the official group rule, and the length fallback."""

import pytest

from vqi_rewards import make_length_reward


def ids(n: int) -> list[int]:
    return [7] * n


def test_paper_mode_strict_bounds_on_token_counts() -> None:
    reward = make_length_reward()
    lengths = [319, 320, 321, 400, 511, 512, 513, 0]
    rewards = reward(["x"] * len(lengths), completion_ids=[ids(n) for n in lengths])
    assert rewards == [0.0, 0.0, 0.1, 0.1, 0.1, 0.0, 0.0, 0.0]


def test_paper_mode_ignores_correctness() -> None:
    reward = make_length_reward()
    assert reward(["x"], completion_ids=[ids(400)], correct=[0.0]) == [0.1]


def test_word_count_fallback_without_token_ids() -> None:
    reward = make_length_reward(l_min=2, l_max=5, gamma=0.5)
    completions = [
        "one two",  # 2 words: not strictly inside (2, 5)
        "one two three",
        "<think>one\ntwo\tthree four</think>",  # tags stick to words: 4 words
        [{"role": "assistant", "content": "one two three four five"}],  # 5: outside
    ]
    assert reward(completions) == [0.0, 0.5, 0.5, 0.0]


def test_official_mode_inclusive_bounds_and_group_rule() -> None:
    """One prompt, four rollouts; correct means a task reward above 0.1.

    Rows 0 and 1 are correct (0.9 and True) and in [320, 512] inclusive: +0.2 each.
    Row 2 is in range but its reward 0.1 is not above 0.1; row 3 is correct but too long.
    """
    reward = make_length_reward(mode="official")
    rewards = reward(
        ["x"] * 4,
        prompts=["p"] * 4,
        completion_ids=[ids(320), ids(512), ids(400), ids(513)],
        correct=[0.9, True, 0.1, 1.0],
    )
    assert rewards == [0.2, 0.2, 0.0, 0.0]


def test_official_mode_needs_two_correct_rollouts_per_prompt() -> None:
    """Prompt p has one correct rollout (no bonus), prompt q two (bonus for both)."""
    reward = make_length_reward(mode="official")
    rewards = reward(
        ["x"] * 4,
        prompts=["p", "p", "q", "q"],
        completion_ids=[ids(400)] * 4,
        correct=[1.0, 0.0, 1.0, 1.0],
    )
    assert rewards == [0.0, 0.0, 0.2, 0.2]


def test_official_mode_groups_chat_prompts_by_equality() -> None:
    p = [{"role": "user", "content": "rate video 1"}]
    q = [{"role": "user", "content": "rate video 2"}]
    reward = make_length_reward(mode="official")
    rewards = reward(
        ["x"] * 4,
        prompts=[p, q, [dict(p[0])], q],
        completion_ids=[ids(400)] * 4,
        correct=[1.0, 1.0, 1.0, None],  # None: no answer, not correct
    )
    assert rewards == [0.2, 0.0, 0.2, 0.0]


def test_official_mode_without_prompts_is_one_group() -> None:
    reward = make_length_reward(mode="official")
    rewards = reward(["x"] * 3, completion_ids=[ids(400)] * 3, correct=[1, 0, 1])
    assert rewards == [0.2, 0.0, 0.2]


def test_official_mode_without_correctness_names_the_fix() -> None:
    reward = make_length_reward(mode="official")
    match = r"needs a 'correct' column.*OfficialLength\(length, Correctness"
    with pytest.raises(ValueError, match=match):
        reward(["x"], completion_ids=[ids(400)])


def test_official_mode_rejects_unreadable_correctness() -> None:
    reward = make_length_reward(mode="official")
    with pytest.raises(ValueError, match="correct='yes'"):
        reward(["x", "y"], completion_ids=[ids(400)] * 2, correct=["yes", 1.0])


def test_gamma_defaults_follow_the_mode_and_can_be_set() -> None:
    assert make_length_reward().gamma == 0.1
    assert make_length_reward(mode="official").gamma == 0.2
    assert make_length_reward(gamma=0.5, mode="official").gamma == 0.5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"l_min": 512, "l_max": 320}, "l_min=512, l_max=320"),
        ({"l_min": 100, "l_max": 100}, "l_min=100"),
        ({"l_min": -1}, "l_min=-1"),
        ({"l_min": 320.5}, "l_min=320.5"),
        ({"gamma": float("nan")}, "gamma=nan"),
        ({"mode": "strict"}, "mode='strict'.*'paper'.*'official'"),
    ],
)
def test_bad_arguments_are_rejected(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_length_reward(**kwargs)  # type: ignore[arg-type]
