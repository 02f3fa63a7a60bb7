"""A manifest as GRPO training data: the trainer's rows and the paper's rewards for their tasks.

vqi-grpo's trainer takes rows holding a ``query`` and the label columns, and trl-style reward
callables (it never imports vqi-rewards); both are built here, from the tasks the judge defines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from vqi_rewards import (
    Correctness,
    OfficialLength,
    format_reward,
    make_choice_reward,
    make_length_reward,
    make_multidim_reward,
    make_score_reward,
)

from .manifest import ManifestRow
from .tasks import get_task

Reward = Callable[..., list[float | None]]


def trainer_rows(rows: Sequence[ManifestRow]) -> list[dict[str, Any]]:
    """Manifest rows → trainer rows: the task's question as ``query`` plus every label column.

    Each trainer row holds the manifest row's fields that are set (``info`` left out, ``media`` as
    a list) and ``query``, the task's question filled in with the row's prompt, question and score
    range (:meth:`Task.question`).
    """
    out = []
    for row in rows:
        task = get_task(row.task)
        score_range = tuple(row.score_range) if row.score_range else None
        record = {k: v for k, v in vars(row).items() if v is not None and k != "info"}
        record["media"] = list(row.media)
        record["query"] = task.question(prompt=row.prompt, question=row.question, score_range=score_range)
        out.append(record)
    return out


def task_rewards(
    rows: Sequence[ManifestRow], *, score_mode: str = "l1", multidim_weights: dict[str, float] | None = None
) -> dict[str, Reward]:
    """The accuracy reward of every task present in ``rows``, keyed by task name in sorted order.

    One-number scoring tasks get the score reward (eq. 3) on their rows' scale, ``aigc_score`` the
    multi-dimension reward (eq. 6), comparisons and yes/no questions the choice reward (eq. 7);
    each is built with ``task=`` so that it scores its own rows only.

    Args:
        rows: the training manifest's rows.
        score_mode: ``"l1"`` (paper, eq. 3) or ``"relative"`` (the authors' code).
        multidim_weights: λ per dimension of eq. 6; None: 1 each (paper).

    Raises:
        ValueError: when the rows of one scoring task carry more than one score range.
    """
    rewards: dict[str, Reward] = {}
    for name in sorted({r.task for r in rows}):
        answer = get_task(name).answer
        if answer == "score":
            rewards[name] = make_score_reward(score_range=_single_range(rows, name), mode=score_mode, task=name)
        elif answer == "scores":
            rewards[name] = make_multidim_reward(
                score_range=_single_range(rows, name), weights=multidim_weights, task=name
            )
        else:
            rewards[name] = make_choice_reward(task=name)
    return rewards


def training_rewards(
    rows: Sequence[ManifestRow],
    *,
    score_mode: str = "l1",
    multidim_weights: dict[str, float] | None = None,
    length: bool = True,
    length_mode: str = "paper",
    l_min: int = 320,
    l_max: int = 512,
) -> tuple[list[Reward], Correctness]:
    """The paper's GRPO rewards for ``rows``, and the correctness the temporal reward compares.

    The rewards, in order: ``format_reward``, the accuracy reward of each task present
    (:func:`task_rewards`), then, with ``length`` on, the length reward (eq. 5), which in the
    official mode needs each rollout's correctness and so comes wrapped in ``OfficialLength``.
    The correctness is each row's own accuracy reward clipped into ``[0, 1]`` (``Correctness``):
    give it to vqi-grpo's trainer as ``correctness=`` with the temporal reward (eq. 4).

    Args:
        rows: the training manifest's rows.
        score_mode: ``"l1"`` (paper) or ``"relative"`` (the authors' code), see :func:`task_rewards`.
        multidim_weights: λ per dimension of eq. 6; None: 1 each (paper).
        length: whether the length reward is on (the ablation "LCR" of the paper turns it off).
        length_mode: ``"paper"`` (γ 0.1, strict bounds) or ``"official"`` (γ 0.2 for correct
            rollouts when more than one of the group is correct).
        l_min: lower length bound in tokens (paper 320).
        l_max: upper length bound in tokens (paper 512).

    Returns:
        ``(rewards, correctness)``: the trainer's reward functions and the correctness callable.

    Raises:
        ValueError: for rows of one scoring task on several scales, or bad length settings.
    """
    accuracy = task_rewards(rows, score_mode=score_mode, multidim_weights=multidim_weights)
    correctness = Correctness(tuple(accuracy.values()))
    rewards: list[Reward] = [format_reward, *accuracy.values()]
    if length:
        length_reward = make_length_reward(l_min, l_max, mode=length_mode)
        rewards.append(OfficialLength(length_reward, correctness) if length_mode == "official" else length_reward)
    return rewards, correctness


def _single_range(rows: Sequence[ManifestRow], task: str) -> tuple[float, float]:
    ranges = {tuple(r.score_range) for r in rows if r.task == task}
    if len(ranges) != 1:
        raise ValueError(
            f"{task} rows carry score ranges {sorted(ranges)}; the score reward takes one scale per task: "
            "train one scale per stage run, or rescale the labels in the manifest"
        )
    return ranges.pop()
