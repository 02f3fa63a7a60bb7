"""Length control reward (eq. 5): a bonus for completions of a reasonable length."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any, Literal, get_args

from vqi_rewards.batch import TaskFilter, check_column, reward_name, scored_rows, task_filter
from vqi_rewards.completions import Completion, completion_text
from vqi_rewards.correctness import Reward

LengthMode = Literal["paper", "official"]
_DEFAULT_GAMMA: dict[str, float] = {"paper": 0.1, "official": 0.2}
# The authors' code counts a rollout as correct when its accuracy reward exceeds 0.1.
_CORRECT_ABOVE = 0.1


@dataclass(frozen=True)
class LengthReward:
    """Picklable length reward; build it with ``make_length_reward``."""

    l_min: int
    l_max: int
    gamma: float
    mode: LengthMode
    task: TaskFilter

    @property
    def __name__(self) -> str:
        return reward_name("length_reward", self.task)

    def __call__(
        self,
        completions: Sequence[Completion],
        *,
        completion_ids: Sequence[Sequence[int]] | None = None,
        prompts: Sequence[object] | None = None,
        correct: Sequence[object] | None = None,
        task: Sequence[object] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        """Gives ``gamma`` or ``0`` to each completion of this reward's task.

        Args:
            completions: One string or chat-message list per row.
            completion_ids: Token ids per row (trl passes them); without them the length is
                the whitespace-separated word count of the completion text.
            prompts: Prompt per row; official mode groups rows with equal prompts. Without
                it the whole call is one group.
            correct: Official mode only, required there: per-row correctness, a bool or the
                task reward (correct iff above 0.1, as in the authors' code; ``None`` is
                not correct).
            task: Task name per row; needed when the reward was built with ``task=``.
            **kwargs: Other batch columns, ignored.

        Returns:
            ``gamma`` or ``0.0`` per row, ``None`` for other tasks' rows.

        Raises:
            ValueError: In official mode without a ``correct`` column, or for a malformed one.
        """
        n_rows = len(completions)
        rows = scored_rows(n_rows, self.task, task, self.__name__)
        lengths = _lengths(completions, completion_ids, rows)
        if self.mode == "paper":
            return [
                (self.gamma if self.l_min < length < self.l_max else 0.0) if scored else None
                for length, scored in zip(lengths, rows, strict=True)
            ]
        if correct is None:
            raise ValueError(
                "make_length_reward(mode='official') needs a 'correct' column (per-row task "
                "reward or bool): wrap it as OfficialLength(length, Correctness(task_rewards)), "
                "or use mode='paper'"
            )
        check_column("correct", correct, n_rows)
        rewards: list[float | None] = [0.0 if scored else None for scored in rows]
        for group in _groups(prompts, rows):
            winners = [i for i in group if _is_correct(correct[i])]
            # As in the authors' code, the bonus only ranks correct rollouts against each
            # other, so a group needs at least two of them.
            if len(winners) > 1:
                for i in winners:
                    if self.l_min <= lengths[i] <= self.l_max:
                        rewards[i] = self.gamma
        return rewards


def make_length_reward(
    l_min: int = 320,
    l_max: int = 512,
    gamma: float | None = None,
    mode: LengthMode = "paper",
    *,
    task: str | Sequence[str] | None = None,
) -> LengthReward:
    """Builds the length control reward of eq. 5.

    ``mode="paper"``: ``r = γ`` iff ``l_min < len(o) < l_max`` (strict), else ``0``; every
    completion is eligible. ``mode="official"`` (the authors' released code): ``r = γ`` iff
    ``l_min <= len(o) <= l_max`` (inclusive), the completion is correct and more than one
    completion of its group is correct, else ``0``. A group is the rows of one call that share
    a prompt (trl passes ``num_generations`` consecutive rows per prompt). Correctness comes
    from a ``correct`` keyword (see ``LengthReward.__call__``), which trl cannot supply from the
    dataset: wrap this reward in ``OfficialLength`` with a ``Correctness`` of the task rewards.

    ``len(o)`` is the number of tokens in ``completion_ids`` (trl passes it to every reward);
    without it, the whitespace-separated word count of the completion text, which runs about
    a quarter below the token count of English text, so pass token ids to keep the paper's
    bounds meaningful.

    Args:
        l_min: Lower length bound (paper: 320 tokens).
        l_max: Upper length bound (paper: 512 tokens).
        gamma: The bonus; ``None`` picks the mode's value: 0.1 paper, 0.2 official.
        mode: ``"paper"`` or ``"official"``.
        task: Task name(s) this reward scores; rows of other tasks get ``None``. Default:
            every row.

    Returns:
        A picklable reward named ``length_reward`` (``length_reward_<task>`` with a task
        filter) whose values are ``γ`` or ``0``.

    Raises:
        ValueError: If ``l_min >= l_max``, a bound is not a non-negative integer, gamma is not
            finite, the mode is unknown, or a task name is empty.
    """
    if mode not in get_args(LengthMode):
        raise ValueError(f"mode={mode!r}: choose 'paper' (eq. 5) or 'official' (authors' code)")
    if not all(isinstance(bound, int) and not isinstance(bound, bool) for bound in (l_min, l_max)):
        raise ValueError(f"l_min={l_min!r}, l_max={l_max!r}: the bounds are token counts (ints)")
    if not 0 <= l_min < l_max:
        raise ValueError(
            f"l_min={l_min}, l_max={l_max}: need 0 <= l_min < l_max, e.g. the paper's 320 and 512"
        )
    if gamma is None:
        gamma = _DEFAULT_GAMMA[mode]
    if not isinstance(gamma, Real) or isinstance(gamma, bool) or not math.isfinite(gamma):
        raise ValueError(f"gamma={gamma!r}: pass a finite bonus such as 0.1, or None")
    return LengthReward(l_min, l_max, float(gamma), mode, task_filter(task))


@dataclass(frozen=True)
class OfficialLength:
    """The official length reward as a trl reward: it supplies the ``correct`` column itself.

    trl cannot pass each rollout's correctness from the dataset, so this wrapper computes it with
    ``correctness`` (a ``Correctness`` of the task rewards) and calls ``length`` with it. trl sums
    the reward functions, so the bonus adds to the accuracy reward as in the authors' code.

    Attributes:
        length: A length reward built with ``make_length_reward(mode="official")``.
        correctness: ``fn(completions, **columns) -> list[float]``, usually ``Correctness``.
    """

    length: Reward
    correctness: Callable[..., Sequence[float]]

    @property
    def __name__(self) -> str:
        return self.length.__name__

    def __call__(self, completions: Sequence[Completion], **columns: Any) -> list[float | None]:
        """The length reward of each row, given the correctness of the same completions."""
        correct = self.correctness(completions, **columns)
        return list(self.length(completions, correct=correct, **columns))


def _lengths(
    completions: Sequence[Completion],
    completion_ids: Sequence[Sequence[int]] | None,
    rows: list[bool],
) -> list[int]:
    if completion_ids is not None:
        check_column("completion_ids", completion_ids, len(completions))
        return [len(ids) for ids in completion_ids]
    return [
        len(completion_text(completion).split()) if scored else 0
        for completion, scored in zip(completions, rows, strict=True)
    ]


def _groups(prompts: Sequence[object] | None, rows: list[bool]) -> list[list[int]]:
    """Indices of the scored rows, grouped by equal prompt (all in one group without prompts)."""
    scored = [i for i, keep in enumerate(rows) if keep]
    if prompts is None:
        return [scored]
    check_column("prompts", prompts, len(rows))
    # Chat prompts are lists of dicts, so group by equality rather than by hashing.
    groups: list[tuple[object, list[int]]] = []
    for i in scored:
        group = next((members for prompt, members in groups if prompt == prompts[i]), None)
        if group is None:
            groups.append((prompts[i], [i]))
        else:
            group.append(i)
    return [members for _, members in groups]


def _is_correct(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, Real):
        return float(value) > _CORRECT_ABOVE
    raise ValueError(
        f"correct={value!r}: pass a bool or the task reward (a number) per row, None for no answer"
    )
