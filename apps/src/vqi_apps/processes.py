"""The apps on several processes (``torchrun`` / ``accelerate launch``): who does which part of the
work, who writes the shared files, and waiting for each other.

Work items (stage 3's prompts, tournaments, duels) are dealt round robin: process r takes items r,
r + N, r + 2N, ...; each writes only the files of its own items. Everything shared (a step's
summary and ``done.json``, pairs, results, the run folder's ``config.yaml``) is written by process
0 once all have finished. Training (DPO, GRPO) runs on every process: accelerate makes it
data-parallel. With one process (``python apps/stage3.py``) every item is its own and nothing waits.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.distributed as dist
from accelerate import PartialState

T = TypeVar("T")


@dataclass(frozen=True)
class Processes:
    """This process's place among the processes of one run.

    Attributes:
        rank: this process's index, 0 to ``world - 1``.
        world: how many processes run.
        local_rank: its index on this machine (which GPU it uses).
    """

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @classmethod
    def current(cls) -> Processes:
        """The processes of this run, as the launcher's environment (``WORLD_SIZE``, ``RANK``,
        ``LOCAL_RANK``) names them; joins their process group (accelerate's) when there are several."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world == 1:
            return cls()
        state = PartialState(cpu=not torch.cuda.is_available())  # accelerate joins CPU processes only when told
        return cls(state.process_index, state.num_processes, state.local_process_index)

    @property
    def main(self) -> bool:
        """Whether this process writes the shared files (process 0)."""
        return self.rank == 0

    def share(self, items: Sequence[T]) -> list[T]:
        """This process's items: every ``world``-th one, starting at ``rank``."""
        return list(items[self.rank :: self.world])

    def wait(self) -> None:
        """Wait until every process gets here."""
        if self.world > 1:
            dist.barrier()

    def gather(self, mine: list[T]) -> list[T]:
        """Every process's ``share`` results put back in item order (each process gets them all)."""
        if self.world == 1:
            return mine
        parts: list[list[T] | None] = [None] * self.world
        dist.all_gather_object(parts, mine)
        merged: list[T] = []
        for i in range(max(len(p or []) for p in parts)):
            merged += [p[i] for p in parts if p is not None and i < len(p)]
        return merged

    def device(self, device: str) -> str:
        """``device`` for this process: a bare ``cuda`` becomes its own GPU ``cuda:<local_rank>``."""
        return f"cuda:{self.local_rank}" if device == "cuda" and self.world > 1 else device

    def main_writes(self, write: Callable[[], T]) -> None:
        """Run ``write`` on process 0 only, then wait until it is done (the others read what it wrote)."""
        if self.main:
            write()
        self.wait()
