"""A tiny but real Qwen2.5-VL or Qwen3-VL judge, built locally from configs (no hub, no download).

It is the embedded default of every app and the fixture of every test that needs a model: the
same classes, processor and code paths as Qwen2.5-VL-7B or Qwen3-VL-8B, at a few hundred thousand
parameters. The tokenizer is a byte-level BPE trained here with ``tokenizers`` on the judge's own
prompts and answers, so any text encodes; it carries every special token the two generations
share (Qwen3-VL adds none that a judge uses) and a chat template that renders conversations the
way the backbone's does: Qwen2.5-VL adds a default system turn, Qwen3-VL none. Qwen3-VL's
processor writes each temporal group's timestamp into the text itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    GenerationConfig,
    PreTrainedConfig,
    PreTrainedTokenizerFast,
    ProcessorMixin,
    Qwen2_5_VLConfig,
    Qwen2_5_VLForConditionalGeneration,
    Qwen2_5_VLProcessor,
    Qwen3VLConfig,
    Qwen3VLForConditionalGeneration,
    Qwen3VLProcessor,
)
from transformers.models.qwen2_vl import Qwen2VLImageProcessor
from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor
from transformers.models.qwen3_vl.video_processing_qwen3_vl import Qwen3VLVideoProcessor

from vqi_video.synthetic import COLOURS

from .describe import UNITS, side_by_side, words
from .instruct import teach_format
from .tasks import DIMENSIONS, TASKS

# Qwen2.5-VL's special tokens, in the order of its tokenizer (ids follow the trained vocabulary here).
SPECIAL_TOKENS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
    "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>",
]
# Added (not special) tokens: they must survive decoding with skip_special_tokens=True.
REASONING_TOKENS = ["<think>", "</think>", "<answer>", "</answer>"]

# Qwen2.5-VL's template opens with a default system turn when the chat has none; Qwen3-VL's does not.
DEFAULT_SYSTEM = (
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
)


def _chat_template(system: str) -> str:
    return (
        "{% for message in messages %}"
        f"{system}"
        "<|im_start|>{{ message['role'] }}\n"
        "{% if message['content'] is string %}{{ message['content'] }}"
        "{% else %}{% for part in message['content'] %}"
        "{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
        "{% elif part['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>"
        "{% else %}{{ part['text'] }}{% endif %}"
        "{% endfor %}{% endif %}"
        "<|im_end|>\n"
        "{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )


def _corpus() -> list[str]:
    """Text the tokenizer is trained on: every task prompt and the shapes of the answers."""
    lines = [task.template for task in TASKS.values()]
    lines += ["<think>The video is sharp, the motion is smooth and the colours are natural.</think>"]
    lines += [f"<think>{_description(index)}</think><answer>" for index in range(16)]
    lines += [f"<answer>{x}</answer>" for x in ("Video A", "Video B", "yes", "no", "3.7", "72.40")]
    lines += [", ".join(f'"{d}": {v}' for d, v in zip(DIMENSIONS, ("4.25", "3.5", "2.0")))]
    lines += ["blur noise jpeg compression stutter frame drop flicker artifacts", "0123456789 .,:;!?"]
    return lines * 4


def _description(index: int) -> str:
    """A reasoning in the words the base judge is taught (:mod:`vqi_judge.describe`), digits cycling."""
    values = [{name: (index + shift + k) % 10 for shift, name in enumerate(UNITS)} for k in (0, 3)]
    colour = sorted(COLOURS)[index % len(COLOURS)]
    return f"{words(values[0], colour)} {side_by_side(values, [colour, colour])}"


def build_tokenizer(vocab_size: int = 512, backbone: str = "qwen2_5_vl") -> PreTrainedTokenizerFast:
    """Train the tiny judge's byte-level BPE tokenizer with the Qwen special tokens and the
    backbone's chat template."""
    tiny = tiny_backbone(backbone)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(), trainer)
    tok.add_tokens(REASONING_TOKENS)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        chat_template=tiny.chat_template,
    )


def _qwen2_5_vl_processor(tokenizer: PreTrainedTokenizerFast, pixels: int, template: str) -> ProcessorMixin:
    size = {"shortest_edge": pixels, "longest_edge": pixels}
    return Qwen2_5_VLProcessor(image_processor=Qwen2VLImageProcessor(size=size), video_processor=Qwen2VLVideoProcessor(size=size),
                               tokenizer=tokenizer, chat_template=template)


def _qwen3_vl_processor(tokenizer: PreTrainedTokenizerFast, pixels: int, template: str) -> ProcessorMixin:
    # Its video size bounds a whole clip, and a frame holds at most max_video_tokens merged tokens.
    patches = {"patch_size": 16, "image_mean": [0.5] * 3, "image_std": [0.5] * 3}
    image = Qwen2VLImageProcessor(size={"shortest_edge": pixels, "longest_edge": pixels}, **patches)
    video = Qwen3VLVideoProcessor(size={"shortest_edge": pixels, "longest_edge": 768 * pixels}, max_video_tokens=16, **patches)
    return Qwen3VLProcessor(image_processor=image, video_processor=video, tokenizer=tokenizer, chat_template=template)


def _qwen2_5_vl_config(text: dict[str, Any], tokens: dict[str, int]) -> PreTrainedConfig:
    """Qwen2.5-VL-7B's windowed and full-attention vision blocks and M-RoPE."""
    return Qwen2_5_VLConfig(
        text_config=text | {"tie_word_embeddings": True,
                            "rope_parameters": {"rope_type": "default", "mrope_section": [2, 3, 3], "rope_theta": 10000.0}},
        vision_config={"depth": 2, "hidden_size": 64, "num_heads": 2, "intermediate_size": 128, "out_hidden_size": 64,
                       "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2, "window_size": 56,
                       "fullatt_block_indexes": [1]},
        tie_word_embeddings=True,
        **tokens,
    )


def _qwen3_vl_config(text: dict[str, Any], tokens: dict[str, int]) -> PreTrainedConfig:
    """Qwen3-VL-8B's learned vision positions (an 8x8 grid), a DeepStack level and interleaved M-RoPE."""
    return Qwen3VLConfig(
        text_config=text | {"head_dim": 16, "rope_parameters": {
            "rope_type": "default", "mrope_section": [2, 3, 3], "mrope_interleaved": True, "rope_theta": 10000.0}},
        vision_config={"depth": 2, "hidden_size": 64, "num_heads": 2, "intermediate_size": 128, "out_hidden_size": 64,
                       "patch_size": 16, "spatial_merge_size": 2, "temporal_patch_size": 2,
                       "num_position_embeddings": 64, "deepstack_visual_indexes": [0]},
        tie_word_embeddings=True,
        **tokens,
    )


@dataclass(frozen=True)
class TinyBackbone:
    """How the tiny judge is built on one backbone.

    Attributes:
        frame_side: every frame is ``frame_side`` pixels square: 8x8 patches merged 2x2 into 16
            tokens per temporal group (fewer, 4 tokens, hide exposure and blur from a tower this
            small: shared LEARNING notes), so smaller clips are scaled up to it.
        chat_template: Qwen2.5-VL's opens with a default system turn when the chat has none;
            Qwen3-VL's does not (its processor writes the timestamps itself).
        processor: ``(tokenizer, pixels per frame, chat template) -> processor``.
        config: ``(text settings, vision token ids) -> model config``.
        model: the model class.
    """

    frame_side: int
    chat_template: str
    processor: Callable[[PreTrainedTokenizerFast, int, str], ProcessorMixin]
    config: Callable[[dict[str, Any], dict[str, int]], PreTrainedConfig]
    model: type


TINY = {
    "qwen2_5_vl": TinyBackbone(112, _chat_template(DEFAULT_SYSTEM), _qwen2_5_vl_processor, _qwen2_5_vl_config,
                               Qwen2_5_VLForConditionalGeneration),
    "qwen3_vl": TinyBackbone(128, _chat_template(""), _qwen3_vl_processor, _qwen3_vl_config, Qwen3VLForConditionalGeneration),
}
BACKBONES = tuple(TINY)


def tiny_backbone(backbone: str) -> TinyBackbone:
    """How the tiny judge is built on ``backbone``.

    Raises:
        ValueError: an unknown backbone, naming the known ones.
    """
    if backbone not in TINY:
        raise ValueError(f"unknown backbone {backbone!r}: choose one of {', '.join(BACKBONES)}")
    return TINY[backbone]


def build_processor(tokenizer: PreTrainedTokenizerFast, backbone: str = "qwen2_5_vl") -> ProcessorMixin:
    """The backbone's real processor with the tiny judge's pixel budget (one frame size)."""
    tiny = tiny_backbone(backbone)
    return tiny.processor(tokenizer, tiny.frame_side**2, tiny.chat_template)


def tiny_config(tokenizer: PreTrainedTokenizerFast, backbone: str = "qwen2_5_vl") -> PreTrainedConfig:
    """A config with every structural feature of the published model at toy width and depth (2x2
    patch merging in both; see ``_qwen2_5_vl_config`` and ``_qwen3_vl_config``)."""
    tiny = tiny_backbone(backbone)
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    text = {"vocab_size": len(tokenizer), "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 4096,
            "bos_token_id": None, "eos_token_id": ids["<|im_end|>"], "pad_token_id": ids["<|endoftext|>"]}
    tokens = {"image_token_id": ids["<|image_pad|>"], "video_token_id": ids["<|video_pad|>"],
              "vision_start_token_id": ids["<|vision_start|>"], "vision_end_token_id": ids["<|vision_end|>"]}
    return tiny.config(text, tokens)


def build_tiny_judge(path: str | Path, seed: int = 0, *, backbone: str = "qwen2_5_vl", format_steps: int = 0) -> Path:
    """Build, initialise and save a tiny Qwen2.5-VL or Qwen3-VL judge.

    Args:
        path: folder to write (model in safetensors, processor, tokenizer, generation config).
        seed: initialisation seed; the same seed gives the same weights.
        backbone: ``qwen2_5_vl`` or ``qwen3_vl``.
        format_steps: supervised steps that teach the answer format but not the answers
            (:func:`vqi_judge.instruct.teach_format`), standing in for the instruct tuning of a
            real base model; 0 keeps the random initialisation.

    Returns:
        The folder, loadable with :meth:`vqi_judge.Judge.from_pretrained` or transformers'
        ``AutoModelForImageTextToText`` / ``AutoProcessor``.

    Raises:
        ValueError: an unknown backbone, naming the known ones.
    """
    tiny = tiny_backbone(backbone)
    path = Path(path)
    tokenizer = build_tokenizer(backbone=backbone)
    processor = build_processor(tokenizer, backbone)
    config = tiny_config(tokenizer, backbone)
    torch.manual_seed(seed)
    model = tiny.model(config)
    model.generation_config = GenerationConfig(
        eos_token_id=config.text_config.eos_token_id,
        pad_token_id=config.text_config.pad_token_id,
        do_sample=False,
        max_new_tokens=64,
    )
    if format_steps:
        teach_format(model, processor, steps=format_steps, seed=seed, size=tiny.frame_side, progress=True)
    model.save_pretrained(path, safe_serialization=True)
    processor.save_pretrained(path)
    return path
