"""Rollouts: decode a batch's clips, sample each prompt's completions, and its shuffled completions.

The distinct clips of a batch are processed and encoded once (:class:`vqi_video.ClipBatch`); every
completion of every prompt is sampled from those features. For the temporal modeling reward the
shuffled rollouts reuse them too (mode ``tokens``: each clip's encoded temporal groups are
permuted, the paper's token shuffle, no second decode or vision pass, and the ordered and
shuffled completions are sampled in one ``generate`` call; on Qwen3-VL with their DeepStack
levels) or shuffle the decoded frames and encode again (mode ``frames``, the authors' code). Each
prompt's sampling is seeded by its position in the global batch and the step, so a rollout does not
depend on how the batch was split across processes, and a resumed run samples what the
uninterrupted run would have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
import torch
from transformers import GenerationConfig, LogitsProcessor, LogitsProcessorList, TopKLogitsWarper, TopPLogitsWarper

from vqi_video import (
    Clip,
    ClipBatch,
    ClipCache,
    PixelBudget,
    encode_clips,
    group_permutation,
    permute_groups,
    read_video,
    shuffle_frames,
    user_message,
)

from .config import VideoGRPOConfig


@dataclass
class Group:
    """One prompt of the batch with its decoded clips and its rows (one per completion)."""

    rows: list[dict[str, Any]]
    clips: list[Clip]
    seed: int
    completions: list[list[int]] = field(default_factory=list)
    shuffled: list[list[int]] = field(default_factory=list)

    @property
    def conversation(self) -> list[dict[str, Any]]:
        """The chat shown to the policy: the row's query after its clips."""
        return [user_message(self.rows[0]["query"], self.clips)]


@dataclass(frozen=True)
class Draw:
    """``count`` completions to sample for ``group``'s prompt showing ``clips`` (its own, or shuffled
    copies), seeded from ``group.seed + offset`` (0 ordered, 1 shuffled)."""

    group: Group
    clips: list[Clip]
    count: int
    offset: int

    @property
    def conversation(self) -> list[dict[str, Any]]:
        """The chat of the draw: the group's query after these clips."""
        return Group(self.group.rows, self.clips, self.group.seed).conversation


class FrameSampling(Protocol):
    """How clips are sampled: ``fps`` and ``max_frames`` (a ``VideoGRPOConfig``, a judge's settings)."""

    fps: float
    max_frames: int


def load_clips(row: dict[str, Any], args: FrameSampling, budget: PixelBudget, cache: ClipCache | None = None) -> list[Clip]:
    """Decode and sample a row's media (``row["media"]``, paths) as the rollouts see them, through
    ``cache`` when given (clips it holds are not decoded again)."""
    read = cache.read if cache is not None else read_video
    return [read(path, fps=args.fps, max_frames=args.max_frames, budget=budget) for path in row["media"]]


def _truncate(ids: torch.Tensor, eos: set[int]) -> list[list[int]]:
    """Completion ids up to and including the first end-of-sequence token."""
    out = []
    for row in ids.tolist():
        cut = next((i + 1 for i, t in enumerate(row) if t in eos), len(row))
        out.append(row[:cut])
    return out


def truncated(ids: Sequence[Sequence[int]], eos: set[int]) -> list[bool]:
    """Which completions were cut at ``max_completion_length``: those not ending with an end-of-sequence
    token (trl's ``mask_truncated_completions`` test).

    Example:
        ``[[5, 2], [5, 6, 7]]`` with eos ``{2}``: ``[False, True]``.
    """
    return [row[-1] not in eos for row in ids]


def group_seed(base: int, step: int, index: int) -> int:
    """The sampling seed of the prompt at global ``index`` of the batch of optimiser ``step``."""
    return int(np.random.SeedSequence([base, step, index]).generate_state(1)[0])


def row_seeds(seed: int, count: int) -> list[int]:
    """The seeds of a prompt's ``count`` completions, from the prompt's seed."""
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(count)]


class SeededSampling(LogitsProcessor):
    """Sampling where every row draws from a random stream of its own.

    Decoding picks the argmax of what this returns: ``logits / T`` (restricted to the top-k tokens
    and the top-p nucleus, when set) plus Gumbel noise, which is a draw from ``softmax(logits / T)``
    over what is left (the Gumbel-max trick). The noise of row ``i`` comes from a generator seeded
    with ``seeds[i]``, so a completion depends on its seed and its prompt only, never on the rows
    batched with it: many prompts share one ``generate`` call, and the rollouts stay the same under
    any split of the batch across processes and after a resume.
    """

    #: Decoding steps whose uniform draws are taken at once, per row: a row's stream is the same
    #: whichever way it is cut (torch's CPU generator fills a tensor in order), and one call per row
    #: every 16 steps instead of every step saves most of this processor's time.
    CHUNK = 16

    def __init__(self, seeds: Sequence[int], temperature: float, top_p: float = 1.0, top_k: int = 0) -> None:
        self.generators = [torch.Generator().manual_seed(s) for s in seeds]
        self._uniform = torch.empty(0)
        self._step = 0
        self.temperature = temperature
        self.filters: list[LogitsProcessor] = []
        if top_k > 0:
            self.filters.append(TopKLogitsWarper(top_k))
        if top_p < 1.0:
            self.filters.append(TopPLogitsWarper(top_p))

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        scores = scores.float() / self.temperature  # (B, V)
        for keep in self.filters:
            scores = keep(input_ids, scores)
        if self._step % self.CHUNK == 0:
            self._uniform = torch.stack([torch.rand(self.CHUNK, scores.size(1), generator=g) for g in self.generators], 1)
        uniform = self._uniform[self._step % self.CHUNK]  # (B, V)
        self._step += 1
        gumbel = -torch.log(-torch.log(uniform.clamp(1e-20, 1.0 - 1e-7)))
        return scores + gumbel.to(scores.device)


def shared_prefill(model: Any, inputs: dict[str, Any], counts: Sequence[int]) -> dict[str, Any]:
    """``generate``'s inputs for ``counts[i]`` completions of prompt ``i``, its prompt read once.

    A forward over each prompt but its last token (text: the end of the assistant header) fills the
    key-value cache; the cache, the M-RoPE offsets the forward stored in the model and the prompts'
    ids are repeated for every completion, and ``generate`` goes on from the last token. Sampling
    ``G`` completions thus reads each prompt (its clips' hundreds or thousands of tokens) once, not ``G``
    times.

    Args:
        model: a Qwen2.5-VL or Qwen3-VL model (unwrapped).
        inputs: one row per prompt, left-padded (:meth:`vqi_video.ClipBatch.inputs`).
        counts: completions of each prompt.

    Returns:
        ``input_ids``, ``attention_mask`` (one row per completion) and the filled ``cache``.
    """
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    head = {k: v for k, v in inputs.items() if k not in ("input_ids", "attention_mask", "mm_token_type_ids")}
    out = model(input_ids=ids[:, :-1], attention_mask=mask[:, :-1], mm_token_type_ids=inputs["mm_token_type_ids"][:, :-1],
                use_cache=True, logits_to_keep=1, **head)
    rows = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts)).to(ids.device)
    cache = out.cache
    cache.batch_select_indices(rows)
    for module in model.modules():  # the language model's M-RoPE offsets, one per row from now on
        if getattr(module, "rope_deltas", None) is not None:
            module.rope_deltas = module.rope_deltas[rows]
    return {"input_ids": ids[rows], "attention_mask": mask[rows], "cache": cache}


class Sampler:
    """Samples completions for groups with a policy (the unwrapped model, no grad).

    Args:
        processor: the policy's processor.
        args: the trainer settings (generation length, temperature, temporal mode, …).
        suppress: token ids never to generate (vision placeholders).
        eos: token ids that end a completion.
        pad: the padding token id.
    """

    def __init__(self, processor: Any, args: VideoGRPOConfig, suppress: list[int], eos: set[int], pad: int) -> None:
        self.processor = processor
        self.args = args
        # Built here, not taken from the model: a released checkpoint's generation_config (e.g.
        # Qwen2.5-VL-Instruct's top_k 1) must not leak into the rollouts, as in trl.
        self.generation = GenerationConfig(
            do_sample=False,  # SeededSampling samples: decoding takes its argmax
            max_new_tokens=args.max_completion_length,
            suppress_tokens=suppress,
            eos_token_id=sorted(eos),
            pad_token_id=pad,
        )
        self.eos = eos
        self.vision_passes = 0

    def _generate(self, model: Any, batch: ClipBatch, draws: Sequence[Draw], features: Any) -> list[list[list[int]]]:
        """One ``generate`` call for every draw (``batch`` holds all their clips), each draw's prompt
        read once: a forward over every prompt but its last token fills the key-value cache, which
        each of the draw's ``count`` rows then continues (:func:`shared_prefill`).

        Returns:
            Per draw, its completions' ids.
        """
        counts = [d.count for d in draws]
        seeds = [s for d in draws for s in row_seeds(d.group.seed + d.offset, d.count)]
        inputs = batch.inputs(self.processor, [d.conversation for d in draws], [d.clips for d in draws], features=features)
        inputs = {k: v.to(model.device) if isinstance(v, torch.Tensor) else v for k, v in inputs.items()}
        prompts = shared_prefill(model, inputs, counts)
        sampling = SeededSampling(seeds, self.args.temperature, self.args.top_p, self.args.top_k)
        out = model.generate(**prompts, generation_config=self.generation, logits_processor=LogitsProcessorList([sampling]))
        ids = _truncate(out[:, prompts["input_ids"].shape[1] :].cpu(), self.eos)
        starts = np.cumsum([0, *counts])
        return [ids[a:b] for a, b in zip(starts[:-1], starts[1:])]

    def _encode(self, model: Any, batch: ClipBatch) -> Any:
        self.vision_passes += 1
        return encode_clips(model, batch.visual)

    @torch.no_grad()
    def sample(self, model: Any, groups: Sequence[Group]) -> ClipBatch:
        """Fill ``completions`` (and ``shuffled`` for temporal groups) of every group.

        With the token shuffle, the ordered and the shuffled completions come from one ``generate``
        call and one vision pass; with the frame shuffle, the shuffled clips are encoded and sampled
        in a second call.

        Returns:
            The batch of distinct clips, reused by the loss to build its inputs.
        """
        batch = ClipBatch.from_clips(self.processor, [g.clips for g in groups])
        features = self._encode(model, batch)
        ordered = [Draw(g, g.clips, len(g.rows), 0) for g in groups]
        temporal = [g for g in groups if self._is_temporal(g)]
        if temporal and self.args.temporal_mode == "tokens":
            shuffled, both, both_features = self._token_shuffled(batch, features, temporal)
            ids = self._generate(model, both, ordered + shuffled, both_features)
            for draw, completions in zip(shuffled, ids[len(ordered) :]):
                draw.group.shuffled = completions
        else:
            ids = self._generate(model, batch, ordered, features)
            if temporal:
                self._frame_shuffled(model, temporal)
        for group, completions in zip(groups, ids):
            group.completions = completions
        return batch

    def _is_temporal(self, group: Group) -> bool:
        return (
            self.args.temporal_mode != "off"
            and group.rows[0].get("task") in self.args.temporal_tasks
            and any(not c.is_image and c.num_frames > 2 for c in group.clips)
        )

    def _token_shuffled(self, batch: ClipBatch, features: Any, groups: list[Group]) -> tuple[list[Draw], ClipBatch, Any]:
        """The shuffled draws of the token shuffle (the paper's): each group shows copies of its
        video clips whose encoded temporal groups are permuted (each clip on its own, drawn from the
        group's seed), in slots of their own, so that a clip shared by two groups is permuted apart
        and the ordered draws can be sampled in the same call.

        Returns:
            The draws, ``batch`` with the copies, and the features with theirs.
        """
        merge = self.processor.video_processor.merge_size
        grid = batch.visual.video_grid_thw
        copies, permuted, draws = [], [], []
        for group in groups:
            rng = np.random.default_rng(group.seed)
            clips = []
            for clip in group.clips:
                kind, position = batch.slots[id(clip)]
                if kind == "video":
                    copy = replace(clip)
                    perm = group_permutation(int(grid[position, 0]), rng)
                    rows = features["video"][position]  # (t * h * w / merge**2, ...): DeepStack levels move along
                    permuted.append(permute_groups(rows, grid[position : position + 1], [perm], merge))
                    copies.append((clip, copy))
                    clip = copy
                clips.append(clip)
            draws.append(Draw(group, clips, self.args.temporal_generations, 1))
        return draws, batch.with_copies(copies), features | {"video": (*features["video"], *permuted)}

    def _frame_shuffled(self, model: Any, groups: list[Group]) -> None:
        """The authors' frame shuffle: shuffle each clip's decoded frames, encode them (a second
        vision pass) and sample the shuffled completions from them."""
        draws = []
        for group in groups:
            rng = np.random.default_rng(group.seed)
            clips = [c if c.is_image else shuffle_frames(c, rng)[0] for c in group.clips]
            draws.append(Draw(group, clips, self.args.temporal_generations, 1))
        shuffled = ClipBatch.from_clips(self.processor, [d.clips for d in draws])
        for draw, ids in zip(draws, self._generate(model, shuffled, draws, self._encode(model, shuffled))):
            draw.group.shuffled = ids
