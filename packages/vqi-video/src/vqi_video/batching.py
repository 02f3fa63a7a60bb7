"""Batches of prompts that share clips: each distinct clip processed, and encoded, once.

A judge comparing one clip with seven others, or a GRPO step sampling 8 completions of the same
prompt, shows the same clip in many prompts. :class:`ClipBatch` processes the distinct clips once;
:func:`encode_clips` runs the vision tower once over them; :meth:`ClipBatch.inputs` then builds the
model inputs of any subset of prompts either with pixels (the model encodes them itself) or with
the encoded features handed over through transformers' ``mm_encoder_outputs``. A training
forward keeps the prompts' text (:meth:`ClipBatch.text`) and their :class:`ClipRows`, whose
:meth:`ClipRows.encode` runs the tower once per distinct clip inside the forward, with grad, so
the backward pass too goes through it once however many rows show the clip. What the features of
a clip are (with or without Qwen3-VL's DeepStack levels) is the backbone's business
(:mod:`vqi_video.backbone`): here they are rows, one per merged token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from .backbone import Backbone, backbone_of, backbone_of_model
from .clip import Clip
from .inputs import Message, VisualInputs, placeholder_texts, process_clips, select, token_counts, tokenize

Features = dict[str, tuple[torch.Tensor, ...]]


def _kind(clip: Clip) -> str:
    return "image" if clip.is_image else "video"


@dataclass(frozen=True)
class ClipBatch:
    """The distinct clips of some prompts, processed once.

    Attributes:
        visual: processed pixels of the distinct clips (videos and images apart).
        slots: ``id(clip)`` → ``(kind, position among that kind's clips in visual)``.
        tokens: placeholder token count of each distinct clip, by kind and position.
        texts: the expanded placeholder text of each distinct clip, by kind and position.
    """

    visual: VisualInputs
    slots: dict[int, tuple[str, int]]
    tokens: dict[str, list[int]]
    texts: dict[str, list[str]]

    @classmethod
    def from_clips(cls, processor: Any, clips: Sequence[Sequence[Clip]]) -> ClipBatch:
        """Process every distinct clip (by identity) of ``clips``, one row of clips per prompt."""
        slots: dict[int, tuple[str, int]] = {}
        unique: list[Clip] = []
        counts = {"video": 0, "image": 0}
        for clip in (c for row in clips for c in row):
            if id(clip) not in slots:
                slots[id(clip)] = (_kind(clip), counts[_kind(clip)])
                counts[_kind(clip)] += 1
                unique.append(clip)
        visual = process_clips(processor, unique)
        videos, images = token_counts(visual, processor.video_processor.merge_size)
        video_texts, image_texts = placeholder_texts(processor, unique, visual)
        return cls(visual, slots, {"video": videos, "image": images}, {"video": video_texts, "image": image_texts})

    def with_copies(self, copies: Sequence[tuple[Clip, Clip]]) -> ClipBatch:
        """This batch's grids and texts and, in slots of their own after its clips, ``copy`` clips
        showing what their ``original`` shows (its grid and text), so that prompts showing a copy can
        be given other features for it (e.g. its temporal groups permuted) in the same call.

        The result carries no pixels: its prompts' inputs take features (:meth:`inputs` with
        ``features``), which the copies need anyway, and a 7B micro-batch's pixels are about a GB
        that a copy would repeat for nothing.

        Args:
            copies: ``(original, copy)`` pairs, ``original`` in this batch, ``copy`` a distinct object.
        """
        order = {kind: list(range(len(self.tokens[kind]))) for kind in self.tokens}
        slots = dict(self.slots)
        for original, copy in copies:
            kind, position = self.slots[id(original)]
            slots[id(copy)] = (kind, len(order[kind]))
            order[kind].append(position)
        visual = select(self.visual, order["video"], order["image"], pixels=False)
        return ClipBatch(visual, slots, {k: [self.tokens[k][i] for i in order[k]] for k in order},
                         {k: [self.texts[k][i] for i in order[k]] for k in order})

    def rows(self, clips: Sequence[Sequence[Clip]]) -> ClipRows:
        """The clips these prompts show (:class:`ClipRows`), for a forward over them."""
        return ClipRows(self.visual, tuple(tuple(self.slots[id(clip)] for clip in row) for row in clips))

    def text(
        self,
        processor: Any,
        conversations: Sequence[Sequence[Message]],
        clips: Sequence[Sequence[Clip]],
        *,
        add_generation_prompt: bool = True,
        padding_side: str = "left",
    ) -> dict[str, torch.Tensor]:
        """``input_ids``, ``attention_mask`` and ``mm_token_type_ids`` of some prompts whose clips
        are all in this batch, each placeholder expanded to its clip's text (see :meth:`inputs`)."""
        texts: dict[str, list[list[str]]] = {"video": [], "image": []}
        for row in clips:
            per_kind: dict[str, list[str]] = {"video": [], "image": []}
            for clip in row:
                kind, position = self.slots[id(clip)]
                per_kind[kind].append(self.texts[kind][position])
            for kind in texts:
                texts[kind].append(per_kind[kind])
        return tokenize(processor, conversations, texts["video"], texts["image"],
                        add_generation_prompt=add_generation_prompt, padding_side=padding_side)

    def inputs(
        self,
        processor: Any,
        conversations: Sequence[Sequence[Message]],
        clips: Sequence[Sequence[Clip]],
        *,
        features: Features | None = None,
        add_generation_prompt: bool = True,
        padding_side: str = "left",
    ) -> dict[str, Any]:
        """Model inputs of some prompts whose clips are all in this batch.

        Args:
            processor: the processor the batch was built with.
            conversations: one chat per prompt.
            clips: per prompt, its clips in placeholder order (the same objects given to
                :meth:`from_clips`).
            features: per-kind encodings of the distinct clips (:func:`encode_clips`), possibly
                permuted; None: the inputs carry pixels and the model encodes them.
            add_generation_prompt: end each text with the assistant header.
            padding_side: ``"left"`` for generation, ``"right"`` for training.

        Returns:
            ``input_ids``, ``attention_mask``, ``mm_token_type_ids``, the grids (and
            ``second_per_grid_ts`` on Qwen2.5-VL), and either the pixel tensors or ``mm_encoder_outputs``.
        """
        text = self.text(processor, conversations, clips,
                         add_generation_prompt=add_generation_prompt, padding_side=padding_side)
        rows = self.rows(clips)
        return text | (rows.pixels() if features is None else rows.share(backbone_of(processor), features))


@dataclass(frozen=True)
class ClipRows:
    """The clips of some prompts (rows): the distinct clips' pixels and which one each placeholder shows.

    The vision inputs of a forward over those rows, two ways: :meth:`pixels` (each placeholder
    carries its clip's pixels, so the model encodes a clip once per row showing it) or
    :meth:`encode` (each distinct clip encoded once, with grad when grad is enabled, its features
    handed to every placeholder showing it: the backward pass goes through the tower once per clip).
    Both give the model the same grids, so its M-RoPE positions are the same. A forward over some of
    the rows takes :meth:`subset`, with the features of all (:meth:`share`).

    Attributes:
        visual: processed pixels of the distinct clips (:attr:`ClipBatch.visual`).
        clips: per row, the ``(kind, position in visual)`` of each placeholder's clip, in order.
    """

    visual: VisualInputs
    clips: tuple[tuple[tuple[str, int], ...], ...]

    @property
    def order(self) -> dict[str, list[int]]:
        """Per kind (``video``, ``image``), the position in ``visual`` of each placeholder's clip, row after row."""
        order: dict[str, list[int]] = {"video": [], "image": []}
        for kind, position in (slot for row in self.clips for slot in row):
            order[kind].append(position)
        return order

    def subset(self, rows: Sequence[int]) -> ClipRows:
        """The clips of some of the rows, in the order given (the same distinct clips)."""
        return ClipRows(self.visual, tuple(self.clips[r] for r in rows))

    def to(self, device: torch.device | str) -> ClipRows:
        """The same rows with the pixels on ``device``."""
        return ClipRows(self.visual.to(device), self.clips)

    def pixels(self) -> dict[str, torch.Tensor]:
        """The pixels of every placeholder's clip, the grids and ``second_per_grid_ts`` (Qwen2.5-VL).

        Raises:
            ValueError: the clips came without pixels (:meth:`ClipBatch.with_copies`): give features.
        """
        order = self.order
        missing = [kind for kind, pixels in (("video", self.visual.pixel_values_videos), ("image", self.visual.pixel_values))
                   if order[kind] and pixels is None]
        if missing:
            raise ValueError(f"this batch holds no pixels of its {' and '.join(missing)} clips (ClipBatch.with_copies): "
                             "give the clips' features")
        return select(self.visual, order["video"], order["image"]).as_kwargs()

    def share(self, backbone: Backbone, features: Features) -> dict[str, Any]:
        """The grids (and ``second_per_grid_ts``) and ``mm_encoder_outputs``: each placeholder gets
        its clip's features (one tensor per distinct clip, :func:`encode_clips`), so the rows
        showing a clip share its tensors and their gradients add up in them."""
        order = self.order
        grids = select(self.visual, order["video"], order["image"], pixels=False).as_kwargs()
        shared = {
            kind: backbone.encoder_output([features[kind][i] for i in positions])
            for kind, positions in order.items()
            if positions
        }
        return grids | {"mm_encoder_outputs": shared}

    def encode(self, model: Any) -> dict[str, Any]:
        """:meth:`share` of the features ``model``'s vision tower gives the distinct clips, one pass."""
        return self.share(backbone_of_model(model), encode_clips(model, self.visual))


def encode_clips(model: Any, visual: VisualInputs) -> Features:
    """Run the model's vision tower once over processed clips.

    Args:
        model: a Qwen2.5-VL or Qwen3-VL model (``get_video_features`` / ``get_image_features``).
        visual: processed clips (:attr:`ClipBatch.visual`).

    Returns:
        Per kind present, one tensor per clip on the model's device, its rows the clip's merged
        tokens: ``(tokens_i, hidden)``, or ``(tokens_i, 1 + deepstack levels, hidden)`` on Qwen3-VL.
    """
    device = model.device
    backbone = backbone_of_model(model)
    features: Features = {}
    if visual.pixel_values_videos is not None:
        features["video"] = backbone.features(
            model.get_video_features(visual.pixel_values_videos.to(device), visual.video_grid_thw.to(device))
        )
    if visual.pixel_values is not None:
        features["image"] = backbone.features(
            model.get_image_features(visual.pixel_values.to(device), visual.image_grid_thw.to(device))
        )
    return features
