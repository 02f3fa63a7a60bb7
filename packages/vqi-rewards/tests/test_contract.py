"""The trl reward contract: keyword columns, chat completions, task routing, pickling, names."""

import pickle
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import vqi_rewards
from vqi_rewards import (
    Correctness,
    OfficialLength,
    choice_reward,
    format_reward,
    make_choice_reward,
    make_length_reward,
    make_multidim_reward,
    make_score_reward,
)

LGVQ = {"spatial": 40.0, "temporal": 30.0, "consistency": 60.0}


def chat(text: str) -> list[dict[str, Any]]:
    return [{"role": "assistant", "content": [{"type": "text", "text": text}]}]


# A multi-task batch as trl builds it: two rows per prompt, missing columns are None.
ROWS: list[dict[str, Any]] = [
    {"prompt": "rate", "task": "konvid", "score": 3.0, "scores": None, "label": None},
    {"prompt": "rate", "task": "konvid", "score": 3.0, "scores": None, "label": None},
    {"prompt": "lgvq", "task": "lgvq", "score": None, "scores": LGVQ, "label": None},
    {"prompt": "lgvq", "task": "lgvq", "score": None, "scores": LGVQ, "label": None},
    {"prompt": "pick", "task": "compare", "score": None, "scores": None, "label": "Video B"},
    {"prompt": "pick", "task": "compare", "score": None, "scores": None, "label": "Video B"},
]
COMPLETIONS = [
    chat("<think>soft</think><answer>3.5</answer>"),
    chat("3.5"),
    chat("<think>ok</think><answer>spatial: 50, temporal: 20, consistency: 60</answer>"),
    chat("<think>ok</think>\n<answer>{'spatial': 40}</answer>"),
    chat("<think>B is steadier</think><answer>video b.</answer>"),
    chat("<think>hm</think><answer>A</answer>"),
]
LENGTHS = [400, 100, 330, 600, 512, 321]


def call_like_trl(reward: Callable[..., list[float | None]]) -> list[float | None]:
    """Mirrors trl's GRPOTrainer: every column but prompt/completion as a keyword list."""
    columns = {key: [row[key] for row in ROWS] for key in ROWS[0] if key != "prompt"}
    return reward(
        prompts=[row["prompt"] for row in ROWS],
        completions=COMPLETIONS,
        completion_ids=[[1] * n for n in LENGTHS],
        trainer_state=object(),
        **columns,
    )


def test_format_reward_in_a_trl_call() -> None:
    assert call_like_trl(format_reward) == [1.0, 0.0, 1.0, 1.0, 1.0, 1.0]


def test_score_reward_routes_by_task() -> None:
    """konvid (1, 5): 1 - 0.5/4 = 0.875; row 1 has no answer block."""
    rewards = call_like_trl(make_score_reward((1, 5), task="konvid"))
    assert rewards == [0.875, 0.0, None, None, None, None]


def test_multidim_reward_routes_by_task() -> None:
    """(0, 100): 1 - (0.1 + 0.1 + 0) = 0.8; only spatial given: 1 - (0 + 1 + 1) = -1."""
    rewards = call_like_trl(make_multidim_reward((0, 100), task="lgvq"))
    assert rewards == [None, None, pytest.approx(0.8), -1.0, None, None]


def test_choice_reward_routes_by_task() -> None:
    rewards = call_like_trl(make_choice_reward(task=("compare", "vqa")))
    assert rewards == [None, None, None, None, 1.0, 0.0]


def test_length_reward_routes_by_task_and_counts_tokens() -> None:
    assert call_like_trl(make_length_reward()) == [0.1, 0.0, 0.1, 0.0, 0.0, 0.1]
    rewards = call_like_trl(make_length_reward(task=("konvid", "lgvq")))
    assert rewards == [0.1, 0.0, 0.1, 0.0, None, None]


def test_unfiltered_reward_fails_loudly_on_other_tasks_rows() -> None:
    with pytest.raises(ValueError, match=r"label=None.*make_choice_reward"):
        call_like_trl(choice_reward)
    with pytest.raises(ValueError, match=r"ground truth score=None.*task="):
        call_like_trl(make_score_reward((1, 5)))


def test_task_filter_without_task_column_names_the_fix() -> None:
    reward = make_score_reward((1, 5), task="konvid")
    with pytest.raises(ValueError, match="no 'task' column"):
        reward(["<answer>3</answer>"], score=[3.0])


def test_columns_must_have_one_entry_per_completion() -> None:
    with pytest.raises(ValueError, match="column 'score' has 1 entries for 2 completions"):
        make_score_reward((1, 5))(["a", "b"], score=[3.0])
    with pytest.raises(ValueError, match="column 'task' has 3 entries"):
        make_choice_reward(task="x")(["a"], label=["A"], task=["x", "x", "x"])


@pytest.mark.parametrize("task", ["", (), ("a", ""), 3])
def test_bad_task_filter_is_rejected(task: object) -> None:
    with pytest.raises(ValueError, match="task="):
        make_choice_reward(task=task)  # type: ignore[arg-type]


def readme_length_recipe() -> OfficialLength:
    """The README's recipe for the official length reward under trl."""
    score = make_score_reward((1, 5), mode="relative", task="konvid")
    choice = make_choice_reward(task="compare")
    return OfficialLength(make_length_reward(mode="official"), Correctness((score, choice)))


def test_readme_recipe_for_the_official_length_reward() -> None:
    """Relative error on konvid: 1 - 0.5/3 = 5/6 (correct, 400 tokens), row 1 unreadable (0):
    one correct rollout for the prompt, no bonus. lgvq rows: no task reward, not correct. compare:
    row 4 right, row 5 wrong: one correct rollout, no bonus. Two correct konvid rollouts: the one
    in [320, 512] gets +0.2."""
    length = readme_length_recipe()
    assert length.__name__ == "length_reward"  # trl logs it under the wrapped reward's name
    assert call_like_trl(length) == [0.0] * 6
    rewards = length(
        [COMPLETIONS[0], COMPLETIONS[0]],
        prompts=["p", "p"],
        completion_ids=[[1] * 400, [1] * 600],
        score=[3.0, 3.0],
        label=[None, None],
        task=["konvid", "konvid"],
    )
    assert rewards == [0.2, 0.0]


def test_correctness_in_a_trl_call() -> None:
    """The rewards above merged: multidim's -1 on row 3 clipped to 0."""
    correctness = Correctness(
        (make_score_reward((1, 5), task="konvid"), make_multidim_reward((0, 100), task="lgvq"),
         make_choice_reward(task=("compare", "vqa")))
    )
    assert call_like_trl(correctness) == [0.875, 0.0, pytest.approx(0.8), 0.0, 1.0, 0.0]


PRODUCTS = {
    "score_reward": make_score_reward((1, 5)),
    "score_reward_koniq": make_score_reward((0, 100), "relative", task="koniq"),
    "multidim_reward": make_multidim_reward((0, 100), {"spatial": 0.5, "temporal": 0.5}),
    "multidim_reward_lgvq": make_multidim_reward((0, 100), task="lgvq"),
    "choice_reward_compare_vqa": make_choice_reward(task=("compare", "vqa")),
    "choice_reward": make_choice_reward(),
    "length_reward": make_length_reward(mode="official"),
    "length_reward_a_b": make_length_reward(task=("a", "b")),
    "correctness": Correctness((make_score_reward((1, 5), task="a"), make_choice_reward(task="b"))),
    "length_reward_a": OfficialLength(
        make_length_reward(mode="official", task="a"),
        Correctness((make_score_reward((1, 5), task="a"),)),
    ),
}


@pytest.mark.parametrize(("name", "reward"), PRODUCTS.items())
def test_factory_products_are_named_and_survive_pickling(name: str, reward: Any) -> None:
    assert reward.__name__ == name
    clone = pickle.loads(pickle.dumps(reward))
    assert clone == reward
    assert clone.__name__ == name
    assert type(clone) is type(reward)


def test_pickled_reward_gives_the_same_values() -> None:
    reward = make_multidim_reward((0, 100), task="lgvq")
    clone = pickle.loads(pickle.dumps(reward))
    assert call_like_trl(clone) == call_like_trl(reward)


def test_plain_rewards_are_named_and_picklable() -> None:
    for reward in (format_reward, choice_reward):
        assert pickle.loads(pickle.dumps(reward)) is reward
    assert format_reward.__name__ == "format_reward"
    assert choice_reward.__name__ == "choice_reward"


def test_public_api() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert vqi_rewards.__version__ == pyproject["project"]["version"]
    assert sorted(vqi_rewards.__all__) == sorted(
        [
            "Correctness",
            "OfficialLength",
            "ParsedCompletion",
            "__version__",
            "choice_reward",
            "format_reward",
            "make_choice_reward",
            "make_length_reward",
            "make_multidim_reward",
            "make_score_reward",
            "parse_choice",
            "parse_completion",
            "parse_score",
            "parse_scores",
            "temporal_reward",
        ]
    )
    for name in vqi_rewards.__all__:
        assert hasattr(vqi_rewards, name), name
