"""What differs between the Qwen-VL generations a judge runs on, and nowhere else.

Everything else in the workspace (decoding, the token concat, feature reuse, the token shuffle,
GRPO) is the same for both; they ask the :class:`Backbone` of their processor or model for:

- **the pixel budget** its video processor's ``size`` stands for. Qwen2.5-VL: pixels per frame.
  Qwen3-VL: ``longest_edge`` is a clip total and a frame holds at most ``max_video_tokens`` merged
  tokens (32-pixel tokens: 16-pixel patches merged 2x2);
- **the text of a video placeholder**. Qwen2.5-VL: one ``<|video_pad|>`` per merged token, time
  reaching M-RoPE through ``second_per_grid_ts``. Qwen3-VL: time is written in the text, each
  temporal group as ``<t seconds><|vision_start|>`` + its tokens + ``<|vision_end|>``, ``t`` the
  mean time of its two frames, exactly as its processor writes it (tested). The times are those of
  the slots, in order (the sorted clip timestamps): a clip whose frames were shuffled
  (:func:`vqi_video.shuffle_frames`) shows the same times as one whose encoded groups were
  (the paper's token shuffle), so neither mode tells the model the original order;
- **the vision tensors beside the pixels** (Qwen2.5-VL's ``second_per_grid_ts``; none for Qwen3-VL);
- **the encoded features of a clip**. Qwen2.5-VL: ``(tokens, hidden)``. Qwen3-VL also feeds the
  language model DeepStack features from intermediate vision blocks, so a clip's features are
  ``(tokens, 1 + deepstack levels, hidden)``; either way a clip's rows are its merged tokens, group
  after group, so the token shuffle permutes both alike. Both towers attend within one temporal
  group with spatial positions only, so shuffling encoded groups equals encoding shuffled ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from transformers.modeling_outputs import BaseModelOutputWithPooling
from transformers.models.qwen3_vl.modeling_qwen3_vl import BaseModelOutputWithDeepstackFeatures

from .clip import Clip
from .resize import PixelBudget
from .sampling import TEMPORAL_PATCH_SIZE

VIDEO_PAD = "<|video_pad|>"
VISION_START, VISION_END = "<|vision_start|>", "<|vision_end|>"


@dataclass(frozen=True)
class Backbone:
    """A Qwen-VL generation: the behaviour of Qwen2.5-VL; :class:`Qwen3VL` overrides what differs.

    Attributes:
        name: the ``model_type`` of its transformers config (``qwen2_5_vl``).
        processor: the name of its transformers processor class.
    """

    name: str = "qwen2_5_vl"
    processor: str = "Qwen2_5_VLProcessor"

    def budget(self, video_processor: Any, min_pixels: int | None = None, max_pixels: int | None = None) -> PixelBudget:
        """The frame budget the video processor's ``size`` stands for, with per-frame overrides.

        Args:
            video_processor: the processor's ``video_processor``.
            min_pixels: fewest pixels per frame; None: the processor's.
            max_pixels: most pixels per frame; None: the processor's.
        """
        size = video_processor.size
        return PixelBudget(min_pixels=min_pixels or size["shortest_edge"], max_pixels=max_pixels or size["longest_edge"],
                           factor=video_processor.patch_size * video_processor.merge_size)

    def video_text(self, clip: Clip, groups: int, tokens_per_group: int) -> str:
        """The text that stands for one clip's ``<|video_pad|>`` placeholder once expanded."""
        return VIDEO_PAD * (groups * tokens_per_group)

    def video_extras(self, clips: Sequence[Clip], video_processor: Any) -> dict[str, torch.Tensor]:
        """Per-clip tensors the model takes beside the pixels: ``second_per_grid_ts`` ``(videos,)``,
        seconds per temporal group (frames per group / the rate they were sampled at)."""
        seconds = [video_processor.temporal_patch_size / c.sampled_fps for c in clips]
        return {"second_per_grid_ts": torch.tensor(seconds, dtype=torch.float32)}

    def features(self, output: Any) -> tuple[torch.Tensor, ...]:
        """One ``(tokens_i, hidden)`` tensor per clip from ``get_video_features`` / ``get_image_features``."""
        return tuple(output.pooler_output)

    def encoder_output(self, features: Sequence[torch.Tensor]) -> BaseModelOutputWithPooling:
        """What the model takes as ``mm_encoder_outputs[kind]`` for clips of these features."""
        return BaseModelOutputWithPooling(pooler_output=tuple(features))


@dataclass(frozen=True)
class Qwen3VL(Backbone):
    """Qwen3-VL: timestamps in the text, a whole-clip pixel budget, DeepStack features."""

    name: str = "qwen3_vl"
    processor: str = "Qwen3VLProcessor"

    def budget(self, video_processor: Any, min_pixels: int | None = None, max_pixels: int | None = None) -> PixelBudget:
        """Per frame: ``shortest_edge`` to ``max_video_tokens`` merged tokens; per clip: ``longest_edge``.

        The frame sizes are those of its video processor with ``cap_pixels_per_frame`` (tested):
        a frame gets at most ``longest_edge / frames``, which :class:`PixelBudget` (counting per
        temporal patch of 2 frames, as qwen-vl-utils) writes ``total_pixels / frames * 2``.
        """
        size, factor = video_processor.size, video_processor.patch_size * video_processor.merge_size
        return PixelBudget(min_pixels=min_pixels or size["shortest_edge"],
                           max_pixels=max_pixels or video_processor.max_video_tokens * factor**2,
                           total_pixels=size["longest_edge"] // TEMPORAL_PATCH_SIZE, factor=factor)

    def video_text(self, clip: Clip, groups: int, tokens_per_group: int) -> str:
        """``<t seconds>`` then the group's tokens between vision start and end, for each group."""
        times = np.sort(np.asarray(clip.timestamps, dtype=np.float64))
        times = np.concatenate([times, times[-1:].repeat(-len(times) % TEMPORAL_PATCH_SIZE)])
        pairs = times.reshape(-1, TEMPORAL_PATCH_SIZE)
        if len(pairs) != groups:
            raise ValueError(f"{clip.path}: {len(clip.timestamps)} frames make {len(pairs)} temporal groups, "
                             f"the processed clip has {groups}")
        group = VISION_START + VIDEO_PAD * tokens_per_group + VISION_END
        return "".join(f"<{(first + last) / 2:.1f} seconds>{group}" for first, last in pairs[:, [0, -1]])

    def video_extras(self, clips: Sequence[Clip], video_processor: Any) -> dict[str, torch.Tensor]:
        """None: Qwen3-VL reads time from the text."""
        return {}

    def features(self, output: Any) -> tuple[torch.Tensor, ...]:
        """One ``(tokens_i, 1 + deepstack levels, hidden)`` tensor per clip: merged output, then DeepStack."""
        levels = [output.pooler_output, *output.deepstack_features]
        return tuple(torch.stack(per_clip, dim=1) for per_clip in zip(*levels))

    def encoder_output(self, features: Sequence[torch.Tensor]) -> BaseModelOutputWithDeepstackFeatures:
        """The merged output and each DeepStack level, split back out of :meth:`features`."""
        levels = features[0].shape[1]
        return BaseModelOutputWithDeepstackFeatures(
            pooler_output=tuple(f[:, 0] for f in features),
            deepstack_features=[tuple(f[:, level] for f in features) for level in range(1, levels)],
        )


BACKBONES: dict[str, Backbone] = {b.name: b for b in (Backbone(), Qwen3VL())}


def _known() -> str:
    return ", ".join(f"{b.name} ({b.processor})" for b in BACKBONES.values())


def backbone_of(processor: Any) -> Backbone:
    """The backbone of a processor (``AutoProcessor.from_pretrained(...)``), by its class.

    Raises:
        ValueError: a processor of another model family, naming the known ones.
    """
    name = type(processor).__name__
    for backbone in BACKBONES.values():
        if backbone.processor == name:
            return backbone
    raise ValueError(f"no backbone for a {name}: the judge runs on {_known()}")


def backbone_of_model(model: Any) -> Backbone:
    """The backbone of a model, by its config's ``model_type``.

    Raises:
        ValueError: a model of another family, naming the known ones.
    """
    name = model.config.model_type
    if name not in BACKBONES:
        raise ValueError(f"no backbone for model_type {name!r}: the judge runs on {_known()}")
    return BACKBONES[name]
