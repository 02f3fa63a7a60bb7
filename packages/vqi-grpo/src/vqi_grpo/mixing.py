"""Task mixing: each step's prompts drawn per task by weight, in trl's repeat order.

A training set that concatenates datasets of very different sizes (LSVQ's ~28k scored clips beside
2k comparisons and 1k VQA items in the paper's stage 2) drowns the small tasks when rows are drawn
alike. :class:`TaskMixSampler` first draws a task for every prompt by ``task_weights``, then a row
of that task, walking each task's rows in a fresh random order before any repeats; it yields the
indices in the order of trl's ``RepeatSampler`` (each prompt ``num_generations`` times in a row,
each step's prompts ``num_iterations`` times), so the trainer's batching, resume and sharding over
processes are unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import torch
from torch.utils.data import Sampler


def check_weights(weights: Mapping[str, float], tasks: Sequence[str] | None = None) -> list[str]:
    """Refuse negative weights, all-zero weights and, given the rows' tasks, a task without a weight
    or a training set with no row of any weighted task.

    A weighted task with no rows is left out (one weights file serves training sets of several
    mixes, e.g. stage 2's and stage 3's judge refresh): the tasks left out are returned, for the
    caller to report.

    Raises:
        ValueError: naming the task and the fix.
    """
    negative = sorted(t for t, w in weights.items() if w < 0)
    if negative:
        raise ValueError(f"task_weights {dict(weights)}: {negative} below 0; give each task a weight >= 0")
    if not any(w > 0 for w in weights.values()):
        raise ValueError(f"task_weights {dict(weights)}: no task has a weight above 0; give at least one")
    if tasks is None:
        return []
    present = set(tasks)
    if unweighted := sorted(present - set(weights)):
        raise ValueError(
            f"task_weights {dict(weights)} gives no weight to the training set's task(s) {unweighted}: "
            "add them (0 leaves a task out)"
        )
    if not any(weights[t] > 0 for t in present):
        raise ValueError(
            f"task_weights {dict(weights)}: the training set has rows of {sorted(present)} only, all weighted 0; "
            "weigh one of them above 0"
        )
    return sorted(t for t, w in weights.items() if w > 0 and t not in present)


class TaskMixSampler(Sampler[int]):
    """Row indices for GRPO: prompts drawn per task by weight, repeated as trl's ``RepeatSampler`` does.

    Args:
        tasks: the task of every row of the training set, in row order.
        weights: task -> sampling weight (any scale; 0 leaves the task out). Every task of
            ``tasks`` needs one; weighted tasks without rows are left out.
        mini_repeat_count: consecutive copies of each prompt (``num_generations``).
        batch_size: prompts per optimiser step (a chunk); an incomplete last chunk is dropped.
        repeat_count: copies of each chunk (``num_iterations``).
        seed: seeds the draws; the same seed gives the same sequence (so a resumed run skips
            exactly the batches it saw).
    """

    def __init__(
        self,
        tasks: Sequence[str],
        weights: Mapping[str, float],
        *,
        mini_repeat_count: int,
        batch_size: int,
        repeat_count: int = 1,
        seed: int = 0,
    ) -> None:
        check_weights(weights, tasks)
        self.names = sorted(t for t in set(tasks) if weights[t] > 0)
        self.rows = {t: [i for i, task in enumerate(tasks) if task == t] for t in self.names}
        self.probabilities = torch.tensor([float(weights[t]) for t in self.names], dtype=torch.float64)
        self.num_samples = len(tasks)
        self.mini_repeat_count = mini_repeat_count
        self.batch_size = batch_size
        self.repeat_count = repeat_count
        self.generator = torch.Generator().manual_seed(seed)

    def _prompts(self) -> list[int]:
        """One epoch of prompts: as many as the training set has rows."""
        picks = torch.multinomial(self.probabilities, self.num_samples, replacement=True, generator=self.generator)
        queues: dict[str, list[int]] = {t: [] for t in self.names}
        out = []
        for pick in picks.tolist():
            task = self.names[pick]
            if not queues[task]:
                order = torch.randperm(len(self.rows[task]), generator=self.generator).tolist()
                queues[task] = [self.rows[task][i] for i in reversed(order)]
            out.append(queues[task].pop())
        return out

    def __iter__(self) -> Iterator[int]:
        prompts = self._prompts()
        chunks = [prompts[i : i + self.batch_size] for i in range(0, len(prompts), self.batch_size)]
        for chunk in chunks:
            if len(chunk) < self.batch_size:
                break
            for _ in range(self.repeat_count):
                for index in chunk:
                    for _ in range(self.mini_repeat_count):
                        yield index

    def __len__(self) -> int:
        return (self.num_samples // self.batch_size) * self.batch_size * self.mini_repeat_count * self.repeat_count
