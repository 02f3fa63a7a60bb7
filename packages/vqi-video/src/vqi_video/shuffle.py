"""Temporal shuffling for the temporal modeling reward (VQ-Insight, eq. 4).

Two ways to destroy a clip's temporal order:

- :func:`shuffle_frames` permutes decoded frames before the processor (the authors' released
  code). The processor then runs again and so does the vision tower.
- :func:`shuffle_groups` permutes the temporal groups of an already processed clip (the paper:
  "shuffle the tokens derived from video frames"). It works on the processor's patch rows
  (``merge_size=1``) or on the vision tower's merged embeddings (``merge_size=2``): the vision
  towers of Qwen2.5-VL (windows, full-attention spans) and Qwen3-VL (per-frame attention, learned
  positions, DeepStack levels) keep attention and positions inside one temporal group, with
  spatial positions only, so encoding shuffled rows equals shuffling encoded groups, and the
  shuffled rollouts of a judge need no second decode, resize or vision pass. Time reaches the
  model only through its new slots: Qwen2.5-VL's M-RoPE positions, Qwen3-VL's timestamps in the
  text (:mod:`vqi_video.backbone`).

Two-clip inputs get one independent permutation per clip.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from .clip import Clip
from .spans import rows_per_group, split_clips


def _generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def group_permutation(num_groups: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
    """A random permutation of ``range(num_groups)`` that is never the identity when ``num_groups > 1``.

    Args:
        num_groups: how many items to permute (temporal groups or frames).
        rng: a numpy ``Generator`` or a seed; the same seed gives the same permutation.

    Returns:
        ``(num_groups,)`` int64 array ``perm``: slot ``k`` of the output holds item ``perm[k]``.
    """
    if num_groups < 1:
        raise ValueError(f"num_groups must be >= 1, got {num_groups}")
    gen = _generator(rng)
    perm = gen.permutation(num_groups)
    if num_groups > 1 and np.array_equal(perm, np.arange(num_groups)):
        # Rotating by a random non-zero step keeps the draw seeded and can never give the identity.
        perm = np.roll(perm, int(gen.integers(1, num_groups)))
    return perm.astype(np.int64)


def shuffle_frames(clip: Clip, rng: np.random.Generator | int | None = None) -> tuple[Clip, np.ndarray]:
    """Permute a decoded clip's frames (the authors' frame shuffle, before the processor).

    The source ``indices`` and ``timestamps`` travel with their frames, so the returned clip still
    says truthfully which source frame sits in each slot.

    Args:
        clip: a decoded clip with ``frames`` ``(T, H, W, 3)``.
        rng: a numpy ``Generator`` or a seed.

    Returns:
        ``(shuffled_clip, perm)``: slot ``k`` of the new clip holds frame ``perm[k]`` of the old one.
    """
    perm = group_permutation(len(clip.frames), rng)
    shuffled = dataclasses.replace(
        clip,
        frames=clip.frames[perm],
        indices=np.asarray(clip.indices)[perm],
        timestamps=np.asarray(clip.timestamps)[perm],
    )
    return shuffled, perm


def permute_groups(
    rows: torch.Tensor, grid_thw: torch.Tensor, perms: list[np.ndarray], merge_size: int = 1
) -> torch.Tensor:
    """Reorder the temporal groups of every clip by the given permutations.

    Args:
        rows: ``(total_rows, ...)`` patch rows (``merge_size=1``) or merged embeddings
            (``merge_size`` = the tower's ``spatial_merge_size``; Qwen3-VL's carry their DeepStack
            levels as a middle dimension) of all clips, clip after clip.
        grid_thw: ``(clips, 3)`` grids ``(t, h, w)``.
        perms: one permutation of ``range(t_i)`` per clip.
        merge_size: see :func:`vqi_video.spans.rows_per_group`.

    Returns:
        ``(total_rows, ...)``: group slot ``k`` of clip ``i`` holds its old group ``perms[i][k]``.
    """
    clips = split_clips(rows, grid_thw, merge_size)
    if len(perms) != len(clips):
        raise ValueError(f"{len(perms)} permutations for {len(clips)} clips")
    out = []
    for clip_rows, (t, _, _), group, perm in zip(clips, grid_thw.tolist(), rows_per_group(grid_thw, merge_size), perms):
        if sorted(np.asarray(perm).tolist()) != list(range(t)):
            raise ValueError(f"{list(perm)} is not a permutation of the clip's {t} temporal groups")
        index = torch.as_tensor(np.asarray(perm), device=rows.device)
        rest = clip_rows.shape[1:]
        out.append(clip_rows.reshape(t, group, *rest)[index].reshape(t * group, *rest))
    return torch.cat(out)


def shuffle_groups(
    rows: torch.Tensor,
    grid_thw: torch.Tensor,
    rng: np.random.Generator | int | None = None,
    merge_size: int = 1,
) -> tuple[torch.Tensor, list[np.ndarray]]:
    """Shuffle the temporal groups of every clip, each clip with its own permutation.

    Args:
        rows: ``(total_rows, dim)`` patch rows or merged embeddings (see :func:`permute_groups`).
        grid_thw: ``(clips, 3)`` grids ``(t, h, w)``.
        rng: a numpy ``Generator`` or a seed.
        merge_size: see :func:`vqi_video.spans.rows_per_group`.

    Returns:
        ``(shuffled_rows, perms)``; each permutation is not the identity when its clip has ``t > 1``.
        Apply the same ``perms`` to the embeddings with :func:`permute_groups` to reuse one encoding.
    """
    gen = _generator(rng)
    perms = [group_permutation(t, gen) for t, _, _ in grid_thw.tolist()]
    return permute_groups(rows, grid_thw, perms, merge_size), perms
