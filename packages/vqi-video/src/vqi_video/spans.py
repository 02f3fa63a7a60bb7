"""Where each clip's rows sit in a processed batch, and how to split, join and pick them.

A Qwen2.5-VL or Qwen3-VL processor flattens every video of a batch into one tensor
``pixel_values_videos`` of shape ``(sum_i t_i * h_i * w_i, C * temporal_patch * patch * patch)``,
clip after clip, each clip ``t`` temporal groups of ``h * w`` patch rows (``video_grid_thw`` holds
``(t, h, w)`` per clip). After the vision tower's patch merger each group holds
``h * w / merge_size**2`` embedding rows. These helpers are the one place that knows that layout,
so a batch can mix clips of different sizes and a judge can reuse one clip's features across
prompts.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def rows_per_group(grid_thw: torch.Tensor, merge_size: int = 1) -> list[int]:
    """Rows in one temporal group of each clip.

    Args:
        grid_thw: ``(clips, 3)`` integer grid ``(t, h, w)`` per clip, as the processor returns it.
        merge_size: 1 for patch rows (``pixel_values_videos``); the tower's ``spatial_merge_size``
            (2 for Qwen2.5-VL) for merged embeddings.

    Returns:
        ``h * w / merge_size**2`` for each clip.
    """
    counts = []
    for t, h, w in grid_thw.tolist():
        if h % merge_size or w % merge_size:
            raise ValueError(f"grid ({t}, {h}, {w}) is not divisible by merge_size {merge_size}")
        counts.append(h * w // merge_size**2)
    return counts


def rows_per_clip(grid_thw: torch.Tensor, merge_size: int = 1) -> list[int]:
    """Rows of each clip: ``t * h * w / merge_size**2`` (see :func:`rows_per_group`)."""
    return [t * n for (t, _, _), n in zip(grid_thw.tolist(), rows_per_group(grid_thw, merge_size))]


def split_clips(rows: torch.Tensor, grid_thw: torch.Tensor, merge_size: int = 1) -> list[torch.Tensor]:
    """Split a batch tensor into one tensor per clip.

    Args:
        rows: ``(total_rows, dim)`` patch rows or merged embeddings of all clips, clip after clip.
        grid_thw: ``(clips, 3)`` grids of those clips.
        merge_size: see :func:`rows_per_group`.

    Returns:
        One ``(rows_i, dim)`` view per clip.
    """
    sizes = rows_per_clip(grid_thw, merge_size)
    if sum(sizes) != rows.shape[0]:
        raise ValueError(
            f"{rows.shape[0]} rows do not match grids {grid_thw.tolist()} "
            f"(expected {sum(sizes)} with merge_size {merge_size})"
        )
    return list(torch.split(rows, sizes))


def join_clips(
    parts: Sequence[torch.Tensor], grids: Sequence[torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Concatenate per-clip tensors and their grids back into batch form.

    Args:
        parts: per-clip ``(rows_i, dim)`` tensors.
        grids: per-clip ``(3,)`` or ``(1, 3)`` grids, in the same order.

    Returns:
        ``(rows, grid_thw)`` with ``rows`` of shape ``(sum rows_i, dim)`` and ``grid_thw`` ``(clips, 3)``.
    """
    if len(parts) != len(grids):
        raise ValueError(f"{len(parts)} clip tensors but {len(grids)} grids")
    if not parts:
        raise ValueError("join_clips needs at least one clip")
    grid_thw = torch.stack([g.reshape(3) for g in grids])
    return torch.cat(list(parts)), grid_thw


def pick_clips(
    rows: torch.Tensor, grid_thw: torch.Tensor, order: Sequence[int], merge_size: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gather clips by index, repeating or reordering them, without recomputing anything.

    A judge comparing clip 0 with clips 1..7 encodes the 8 clips once, then builds the
    ``(0, 1), (0, 2), …`` prompts' vision inputs with ``order = [0, 1, 0, 2, …]``.

    Args:
        rows: ``(total_rows, dim)`` rows of the unique clips.
        grid_thw: ``(clips, 3)`` grids of the unique clips.
        order: clip indices, in the order the prompts' placeholders appear.
        merge_size: see :func:`rows_per_group`.

    Returns:
        ``(rows, grid_thw)`` for the clips in ``order``.
    """
    parts = split_clips(rows, grid_thw, merge_size)
    bad = [i for i in order if not 0 <= i < len(parts)]
    if bad:
        raise IndexError(f"clip indices {bad} out of range for {len(parts)} clips")
    return join_clips([parts[i] for i in order], [grid_thw[i] for i in order])
