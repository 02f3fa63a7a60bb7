"""Model inputs for a Qwen2.5-VL or Qwen3-VL processor from decoded clips (the token concat).

Two steps, so that a clip's pixels are processed (and, by a judge, encoded) once however many
prompts show it:

1. :func:`process_clips` turns clips into vision tensors with the processor's image and video
   processors, passing a ``VideoMetadata`` per clip (real fps and sampled indices: without it
   Qwen2.5-VL's temporal position ids collapse to 0 and the model cannot see time).
2. :func:`tokenize` renders conversations with the chat template, expands each placeholder to
   its clip's text (:func:`placeholder_texts`: the tokens, and on Qwen3-VL the timestamps, see
   :mod:`vqi_video.backbone`) and builds ``mm_token_type_ids`` (0 text, 1 image, 2 video), which
   transformers 5 needs on every forward that carries vision tokens.

:func:`build_inputs` does both for a batch, like calling the processor itself. The processor
never receives a file path (transformers would load it through torchcodec and a system FFmpeg).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers.video_utils import VideoMetadata

from .backbone import VIDEO_PAD, backbone_of
from .clip import Clip
from .spans import pick_clips, rows_per_clip

Message = dict[str, Any]
IMAGE_PAD = "<|image_pad|>"
VISION_TOKENS = ("<|vision_start|>", "<|vision_end|>", "<|vision_pad|>", IMAGE_PAD, VIDEO_PAD)


def vision_token_ids(tokenizer: Any) -> list[int]:
    """Ids of the vision placeholder tokens, to suppress during generation.

    A small or young model emits them otherwise, and the processor then miscounts placeholders on
    the next turn.
    """
    vocab = tokenizer.get_vocab()
    return [vocab[t] for t in VISION_TOKENS if t in vocab]


def clip_labels(count: int) -> list[str]:
    """Names of the clips of a multi-clip prompt: ``Video A``, ``Video B``, …"""
    if not 1 <= count <= len(string.ascii_uppercase):
        raise ValueError(f"between 1 and 26 clips per prompt, got {count}")
    return [f"Video {letter}" for letter in string.ascii_uppercase[:count]]


def _placeholder(clip: Clip) -> Message:
    return {"type": "image"} if clip.is_image else {"type": "video"}


def user_message(question: str, clips: Sequence[Clip], *, labels: Sequence[str] | None = None) -> Message:
    """One user turn showing ``clips`` then asking ``question``.

    One clip gives ``<video> question``; several give ``Video A: <video> Video B: <video> question``
    (the comparison layout of VQ-Insight), with ``labels`` overriding the names.

    Args:
        question: the instruction text that follows the clips.
        clips: the clips (or one-frame image clips) in the order the model should see them.
        labels: one name per clip when there are several; default :func:`clip_labels`.

    Returns:
        A chat message ``{"role": "user", "content": [...]}`` for ``processor.apply_chat_template``.
    """
    if not clips:
        raise ValueError("user_message needs at least one clip")
    if len(clips) == 1 and labels is None:
        content = [_placeholder(clips[0])]
    else:
        names = list(labels) if labels is not None else clip_labels(len(clips))
        if len(names) != len(clips):
            raise ValueError(f"{len(names)} labels for {len(clips)} clips")
        content = []
        for name, clip in zip(names, clips):
            content += [{"type": "text", "text": f"{name}: "}, _placeholder(clip), {"type": "text", "text": " "}]
    content.append({"type": "text", "text": question})
    return {"role": "user", "content": content}


@dataclass(frozen=True)
class VisualInputs:
    """Processed pixels of some clips, videos and images kept apart as the model takes them.

    Attributes:
        pixel_values_videos: ``(video_rows, C * temporal_patch * patch * patch)`` or None.
        video_grid_thw: ``(videos, 3)`` grids ``(t, h, w)`` or None.
        second_per_grid_ts: ``(videos,)`` seconds per temporal group (Qwen2.5-VL) or None.
        pixel_values: ``(image_rows, patch_dim)`` or None.
        image_grid_thw: ``(images, 3)`` or None.
    """

    pixel_values_videos: torch.Tensor | None = None
    video_grid_thw: torch.Tensor | None = None
    second_per_grid_ts: torch.Tensor | None = None
    pixel_values: torch.Tensor | None = None
    image_grid_thw: torch.Tensor | None = None

    def as_kwargs(self) -> dict[str, torch.Tensor]:
        """The tensors that are present, by the model's argument names."""
        return {k: v for k, v in vars(self).items() if v is not None}

    def to(self, device: torch.device | str) -> VisualInputs:
        """The same tensors on ``device``."""
        return VisualInputs(**{k: v.to(device) for k, v in self.as_kwargs().items()})


def _check_sizes(clip: Clip, factor: int) -> None:
    _, height, width, _ = clip.frames.shape
    if height % factor or width % factor:
        raise ValueError(
            f"{clip.path}: frames are {height}x{width}, not multiples of {factor}; decode with a "
            "pixel budget (read_video(..., budget=PixelBudget())) so the processor does not resize again"
        )


def process_clips(processor: Any, clips: Sequence[Clip]) -> VisualInputs:
    """Run the processor's video and image processors over clips, without any text.

    Args:
        processor: a Qwen2.5-VL or Qwen3-VL processor.
        clips: decoded clips at the processor's sizes (multiples of ``patch_size * merge_size``);
            one-frame image clips go to the image processor.

    Returns:
        The vision tensors, videos in the order of ``clips``' videos, images in the order of its images.
    """
    video_proc = processor.video_processor
    factor = video_proc.patch_size * video_proc.merge_size
    for clip in clips:
        _check_sizes(clip, factor)
    videos = [c for c in clips if not c.is_image]
    images = [c for c in clips if c.is_image]
    out: dict[str, Any] = {}
    if videos:
        metadata = [VideoMetadata(**c.metadata()) for c in videos]
        processed = video_proc(
            videos=[c.frames for c in videos],
            video_metadata=metadata,
            do_resize=False,
            do_sample_frames=False,
            # Our pixel budget already caps frames the way qwen-vl-utils does; saying so also
            # silences transformers' warning about its uncapped default.
            cap_pixels_per_frame=True,
            return_tensors="pt",
        )
        out["pixel_values_videos"] = processed["pixel_values_videos"]
        out["video_grid_thw"] = processed["video_grid_thw"]
        out |= backbone_of(processor).video_extras(videos, video_proc)
    if images:
        processed = processor.image_processor(
            images=[c.frames[0] for c in images], do_resize=False, return_tensors="pt"
        )
        out["pixel_values"] = processed["pixel_values"]
        out["image_grid_thw"] = processed["image_grid_thw"]
    return VisualInputs(**out)


def _placeholders(conversation: Sequence[Message]) -> list[str]:
    kinds = []
    for message in conversation:
        content = message.get("content")
        if isinstance(content, list):
            kinds += [part["type"] for part in content if part.get("type") in ("image", "video")]
    return kinds


def _expand(text: str, pad: str, replacements: list[str]) -> str:
    pieces = text.split(pad)
    if len(pieces) - 1 != len(replacements):
        raise ValueError(f"{len(pieces) - 1} {pad} placeholders in the rendered text for {len(replacements)} clips")
    out = [pieces[0]]
    for replacement, piece in zip(replacements, pieces[1:]):
        out += [replacement, piece]
    return "".join(out)


def tokenize(
    processor: Any,
    conversations: Sequence[Sequence[Message]],
    video_texts: Sequence[Sequence[str]],
    image_texts: Sequence[Sequence[str]],
    *,
    add_generation_prompt: bool = True,
    padding_side: str = "left",
) -> dict[str, torch.Tensor]:
    """Render and tokenise conversations, each placeholder expanded to its clip's text.

    Args:
        processor: a Qwen2.5-VL or Qwen3-VL processor (chat template + tokenizer).
        conversations: one chat per row.
        video_texts: per row, the text of each video placeholder in order (:func:`placeholder_texts`).
        image_texts: the same for image placeholders.
        add_generation_prompt: end each text with the assistant header (inference, rollouts).
        padding_side: ``"left"`` for generation, ``"right"`` for training losses.

    Returns:
        ``input_ids``, ``attention_mask`` and ``mm_token_type_ids``, each ``(rows, length)``.
    """
    tokenizer = processor.tokenizer
    texts = []
    for conversation, videos, images in zip(conversations, video_texts, image_texts, strict=True):
        text = processor.apply_chat_template(list(conversation), add_generation_prompt=add_generation_prompt, tokenize=False)
        texts.append(_expand(_expand(text, VIDEO_PAD, list(videos)), IMAGE_PAD, list(images)))
    encoded = tokenizer(texts, padding=True, padding_side=padding_side, return_tensors="pt")
    ids = encoded["input_ids"]
    types = torch.zeros_like(ids)
    types[ids == tokenizer.convert_tokens_to_ids(IMAGE_PAD)] = 1
    types[ids == tokenizer.convert_tokens_to_ids(VIDEO_PAD)] = 2
    return {"input_ids": ids, "attention_mask": encoded["attention_mask"], "mm_token_type_ids": types}


def token_counts(visual: VisualInputs, merge_size: int) -> tuple[list[int], list[int]]:
    """Placeholder token counts of the videos and of the images in ``visual``, in order."""
    videos = rows_per_clip(visual.video_grid_thw, merge_size) if visual.video_grid_thw is not None else []
    images = rows_per_clip(visual.image_grid_thw, merge_size) if visual.image_grid_thw is not None else []
    return videos, images


def placeholder_texts(processor: Any, clips: Sequence[Clip], visual: VisualInputs) -> tuple[list[str], list[str]]:
    """The expanded text of each video and of each image of ``clips``, processed as ``visual``, in order."""
    merge = processor.video_processor.merge_size
    videos = [c for c in clips if not c.is_image]
    grids = visual.video_grid_thw.tolist() if videos else []
    backbone = backbone_of(processor)
    video_texts = [backbone.video_text(c, t, h * w // merge**2) for c, (t, h, w) in zip(videos, grids, strict=True)]
    _, images = token_counts(visual, merge)
    return video_texts, [IMAGE_PAD * n for n in images]


def select(
    visual: VisualInputs, video_order: Sequence[int], image_order: Sequence[int], *, pixels: bool = True
) -> VisualInputs:
    """The vision tensors of some clips of ``visual``, repeated or reordered as the prompts show them.

    Args:
        visual: processed clips (see :func:`process_clips`).
        video_order: indices into ``visual``'s videos, in placeholder order across the batch.
        image_order: the same for images.
        pixels: pick the pixel rows too; False: the grids (and ``second_per_grid_ts``) only, for
            inputs whose clips arrive encoded.
    """
    out: dict[str, Any] = {}
    if video_order:
        out["video_grid_thw"] = visual.video_grid_thw[list(video_order)]
        if pixels:
            out["pixel_values_videos"], _ = pick_clips(visual.pixel_values_videos, visual.video_grid_thw, video_order)
        if visual.second_per_grid_ts is not None:
            out["second_per_grid_ts"] = visual.second_per_grid_ts[list(video_order)]
    if image_order:
        out["image_grid_thw"] = visual.image_grid_thw[list(image_order)]
        if pixels:
            out["pixel_values"], _ = pick_clips(visual.pixel_values, visual.image_grid_thw, image_order)
    return VisualInputs(**out)


def build_inputs(
    processor: Any,
    conversations: Sequence[Sequence[Message]],
    clips: Sequence[Sequence[Clip]],
    *,
    add_generation_prompt: bool = True,
    padding_side: str = "left",
) -> dict[str, torch.Tensor]:
    """Tokenise a batch of conversations together with their clips (both steps at once).

    Args:
        processor: a Qwen2.5-VL or Qwen3-VL processor (``AutoProcessor.from_pretrained(...)``).
        conversations: one chat (list of messages) per row; its ``{"type": "video"}`` /
            ``{"type": "image"}`` parts are the placeholders, in order.
        clips: per row, one decoded clip per placeholder, in the same order, at the processor's
            sizes (the pixel budget is applied while decoding, so the processor never resizes).
        add_generation_prompt: end each text with the assistant header (inference, rollouts).
        padding_side: ``"left"`` for generation, ``"right"`` for training losses.

    Returns:
        ``input_ids``, ``attention_mask``, ``mm_token_type_ids`` and the vision tensors present:
        ``pixel_values_videos``, ``video_grid_thw``, ``second_per_grid_ts`` (Qwen2.5-VL),
        ``pixel_values``, ``image_grid_thw``.
    """
    if len(conversations) != len(clips):
        raise ValueError(f"{len(conversations)} conversations but {len(clips)} rows of clips")
    for row, (conversation, row_clips) in enumerate(zip(conversations, clips)):
        kinds = _placeholders(conversation)
        wanted = ["image" if clip.is_image else "video" for clip in row_clips]
        if kinds != wanted:
            raise ValueError(f"row {row}: placeholders {kinds} do not match the clips given {wanted}")
    flat = [clip for row in clips for clip in row]
    visual = process_clips(processor, flat)
    videos, images = placeholder_texts(processor, flat, visual)
    video_texts, image_texts = [], []
    for row_clips in clips:
        n_videos = sum(not c.is_image for c in row_clips)
        video_texts.append(videos[:n_videos])
        image_texts.append(images[: len(row_clips) - n_videos])
        videos, images = videos[n_videos:], images[len(row_clips) - n_videos :]
    text = tokenize(processor, conversations, video_texts, image_texts,
                    add_generation_prompt=add_generation_prompt, padding_side=padding_side)
    return text | visual.as_kwargs()
