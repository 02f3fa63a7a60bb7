"""A tiny but real Qwen2.5-VL judge, built locally from configs (no hub, no download).

It is the embedded default of every app and the fixture of every test that needs a model: the
same classes, processor and code paths as Qwen2.5-VL-7B, at a few hundred thousand parameters.
The tokenizer is a byte-level BPE trained here with ``tokenizers`` on the judge's own prompts and
answers, so any text encodes; it carries every Qwen2.5-VL special token and a chat template that
renders conversations the way Qwen2.5-VL's does.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GenerationConfig, PreTrainedTokenizerFast, Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration
from transformers import Qwen2_5_VLProcessor
from transformers.models.qwen2_vl import Qwen2VLImageProcessor
from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor

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

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
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

# The tiny judge sees every frame at 112x112 pixels: 8x8 patches of 14 px, merged 2x2 into 16 tokens
# per temporal group. Fewer (56 px, 4 tokens) hide exposure and blur from a tower this small
# (measured: shared LEARNING notes), so smaller clips are scaled up to this size.
TINY_MIN_PIXELS = 112 * 112
TINY_MAX_PIXELS = 112 * 112


def _corpus() -> list[str]:
    """Text the tokenizer is trained on: every task prompt and the shapes of the answers."""
    lines = [task.template for task in TASKS.values()]
    lines += ["<think>The video is sharp, the motion is smooth and the colours are natural.</think>"]
    lines += ["<think></think><answer>"]
    lines += [f"<answer>{x}</answer>" for x in ("Video A", "Video B", "yes", "no", "3.7", "72.40")]
    lines += [", ".join(f'"{d}": {v}' for d, v in zip(DIMENSIONS, ("4.25", "3.5", "2.0")))]
    lines += ["blur noise jpeg compression stutter frame drop flicker artifacts", "0123456789 .,:;!?"]
    return lines * 4


def build_tokenizer(vocab_size: int = 512) -> PreTrainedTokenizerFast:
    """Train the tiny judge's byte-level BPE tokenizer with the Qwen2.5-VL special tokens."""
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
        chat_template=CHAT_TEMPLATE,
    )


def build_processor(tokenizer: PreTrainedTokenizerFast) -> Qwen2_5_VLProcessor:
    """The real Qwen2.5-VL processor with the tiny judge's pixel budget."""
    size = {"shortest_edge": TINY_MIN_PIXELS, "longest_edge": TINY_MAX_PIXELS}
    return Qwen2_5_VLProcessor(
        image_processor=Qwen2VLImageProcessor(size=size),
        video_processor=Qwen2VLVideoProcessor(size=size),
        tokenizer=tokenizer,
        chat_template=CHAT_TEMPLATE,
    )


def tiny_config(tokenizer: PreTrainedTokenizerFast) -> Qwen2_5_VLConfig:
    """A Qwen2.5-VL config with every structural feature of the 7B (windowed and full-attention
    vision blocks, 2x2 patch merging, M-RoPE) at toy width and depth."""
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    return Qwen2_5_VLConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "max_position_embeddings": 4096,
            "rope_parameters": {"rope_type": "default", "mrope_section": [2, 3, 3], "rope_theta": 10000.0},
            "tie_word_embeddings": True,
            "bos_token_id": None,
            "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"],
        },
        vision_config={
            "depth": 2,
            "hidden_size": 64,
            "num_heads": 2,
            "intermediate_size": 128,
            "out_hidden_size": 64,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 56,
            "fullatt_block_indexes": [1],
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=True,
    )


def build_tiny_judge(path: str | Path, seed: int = 0, *, format_steps: int = 0) -> Path:
    """Build, initialise and save a tiny Qwen2.5-VL judge.

    Args:
        path: folder to write (model in safetensors, processor, tokenizer, generation config).
        seed: initialisation seed; the same seed gives the same weights.
        format_steps: supervised steps that teach the answer format but not the answers
            (:func:`vqi_judge.instruct.teach_format`), standing in for the instruct tuning of a
            real base model; 0 keeps the random initialisation.

    Returns:
        The folder, loadable with :meth:`vqi_judge.Judge.from_pretrained` or transformers'
        ``AutoModelForImageTextToText`` / ``AutoProcessor``.
    """
    path = Path(path)
    tokenizer = build_tokenizer()
    processor = build_processor(tokenizer)
    config = tiny_config(tokenizer)
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        eos_token_id=config.text_config.eos_token_id,
        pad_token_id=config.text_config.pad_token_id,
        do_sample=False,
        max_new_tokens=64,
    )
    if format_steps:
        teach_format(model, processor, steps=format_steps, seed=seed)
    model.save_pretrained(path, safe_serialization=True)
    processor.save_pretrained(path)
    return path
