"""Correctness: how right each completion is, in [0, 1], whatever its task.

The official length reward (eq. 5, authors' code) and the temporal reward (eq. 4) compare how
right rollouts are; in a multi-task batch that is each row's own task reward.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from vqi_rewards.completions import Completion

Reward = Callable[..., Sequence[float | None]]
"""A reward following trl's contract, ``fn(completions, **columns) -> list[float | None]``."""


@dataclass(frozen=True)
class Correctness:
    """How right each completion is, in ``[0, 1]``: the task rewards merged, each value clipped.

    Each reward scores the rows of its own task and gives ``None`` to the others (build it with
    ``task=``). A row takes the value of the reward that scored it, clipped into ``[0, 1]`` (a
    multi-dimension reward can go below 0), and ``0`` when no reward scored it. Pass it to
    ``OfficialLength`` and to vqi-grpo's trainer as ``correctness=`` (the temporal reward).

    Attributes:
        rewards: The task rewards, one per task (any sequence; stored as a tuple).
    """

    rewards: tuple[Reward, ...]

    def __post_init__(self) -> None:
        # A tuple keeps the frozen dataclass hashable whatever sequence was passed.
        object.__setattr__(self, "rewards", tuple(self.rewards))

    @property
    def __name__(self) -> str:
        return "correctness"

    def __call__(self, completions: Sequence[Completion], **columns: Any) -> list[float]:
        """Calls every task reward with trl's arguments and merges their values.

        Args:
            completions: One string or chat-message list per row.
            **columns: The batch's columns (``task``, ``score``, ``label``, ...), passed on.

        Returns:
            One value in ``[0, 1]`` per row.

        Raises:
            ValueError: If two rewards score the same row (their task filters overlap).
        """
        values = [0.0] * len(completions)
        scored_by: list[str | None] = [None] * len(completions)
        for reward in self.rewards:
            for i, value in enumerate(reward(completions, **columns)):
                if value is None:
                    continue
                if scored_by[i] is not None:
                    raise ValueError(
                        f"row {i} is scored by both {scored_by[i]} and {reward.__name__}: give "
                        "Correctness one reward per task, each built with its own task="
                    )
                scored_by[i] = reward.__name__
                values[i] = min(1.0, max(0.0, value))
        return values
