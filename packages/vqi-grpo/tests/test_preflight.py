"""The preflight's token counts and memory terms, against values derived by hand."""

from pathlib import Path

import numpy as np
import pytest
from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

from vqi_grpo import (
    LoraSettings,
    PromptShape,
    VideoGRPOConfig,
    count_lora_parameters,
    count_parameters,
    grpo_preflight,
    measure_budget,
    measure_rows,
    zero_stage,
)
from vqi_grpo.preflight import GB
from vqi_judge.tiny import build_processor, build_tokenizer, tiny_config
from vqi_video import PixelBudget
from vqi_video.synthetic import write_clip


def small_config(**extra) -> Qwen2_5_VLConfig:
    """Language model: hidden 64, 2 layers, 4 heads (head_dim 16), 2 KV heads, vocab 512; vision: depth 2, hidden 32, 2x2 merge."""
    return Qwen2_5_VLConfig(
        text_config={"vocab_size": 512, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                     "num_attention_heads": 4, "num_key_value_heads": 2,
                     "rope_parameters": {"rope_type": "default", "mrope_section": [2, 3, 3]}},
        vision_config={"depth": 2, "hidden_size": 32, "num_heads": 2, "intermediate_size": 64, "out_hidden_size": 64,
                       "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2, "window_size": 56,
                       "fullatt_block_indexes": [1]},
        **extra,
    )


def args(tmp_path: Path, **kwargs) -> VideoGRPOConfig:
    settings = {"num_generations": 2, "per_device_train_batch_size": 4, "max_completion_length": 10, "beta": 0.04,
                "bf16": True} | kwargs
    return VideoGRPOConfig(output_dir=str(tmp_path), use_cpu=True, report_to=[], **settings)


PROMPT = PromptShape("row-1", "video_score", (16,), 30)


def terms(result) -> dict[str, float]:
    memory = result.memory
    return {t.name: t.bytes for t in [*memory.resident, *(t for phase in memory.phases.values() for t in phase)]}


def test_memory_terms_of_a_small_config_zero2_without_checkpointing(tmp_path):
    """1000 parameters in bfloat16 (w = 2, Adam 8 + 4 = 12 bytes), 2 devices, ZeRO-2:
    weights 1000 x 2 = 2000; gradients 2000 / 2 = 1000; optimizer 12000 / 2 = 6000; reference 2000.
    Micro-batch 4 completions of 30 + 10 = 40 tokens (160 tokens): activations 17 x 2 x 64 x 160 x 2
    layers = 696320; 2 prompts per device of 16 visual tokens = 128 patches: vision 17 x 2 x 32 x 128
    x 2 = 278528; logits 4 x 10 x 512 x 4 = 81920 (training 1056768). Rollouts: 2 prompts x 1
    shuffled (num_generations // 2) = 2 < 4 sequences: KV cache 2 x 2 x 2 x 16 x 2 = 256 bytes per
    token x 4 x 40 = 40960. Peak 11000 + 1056768 = 1067768."""
    result = grpo_preflight(small_config(), args(tmp_path), [PROMPT], devices=2, zero=2, measured=True, parameters=1000)
    assert terms(result) == {"weights": 2000, "gradients": 1000, "optimizer": 6000, "reference": 2000,
                             "activations": 696320, "vision": 278528, "logits": 81920, "KV cache": 40960}
    assert result.memory.peak == 1067768
    assert (result.prompt_length, result.sequence_length) == (30, 40)
    assert (result.prompts_per_device, result.completions_per_device, result.shuffled_per_device) == (2, 4, 2)
    assert result.steps_factor == 2
    assert result.memory.fits()


def test_checkpointing_keeps_layer_inputs_and_zero3_gathers_for_rollouts(tmp_path):
    """Checkpointing: activations 2 x 64 x 160 x (2 + 17) = 389120, vision 2 x 32 x 128 x (2 + 17) =
    155648. ZeRO-3 over 2 devices: weights and reference 2000 / 2 = 1000; rollouts gather the other
    half, 1000 x 2 x (1 - 1/2) = 1000. No beta: no reference."""
    result = grpo_preflight(small_config(), args(tmp_path, gradient_checkpointing=True, beta=0.0), [PROMPT],
                            devices=2, zero=3, measured=True, parameters=1000)
    found = terms(result)
    assert (found["activations"], found["vision"]) == (389120, 155648)
    assert (found["weights"], found["gathered"]) == (1000, 1000)
    assert "reference" not in found


def test_vision_activations_count_each_completion_without_encode_clips_once(tmp_path):
    """Each row encoding its own pixels: 4 completions x 16 visual tokens x 4 = 256 patches, vision
    17 x 2 x 32 x 256 x 2 = 557056, twice the 2 prompts' clips encoded once (278528)."""
    result = grpo_preflight(small_config(), args(tmp_path, encode_clips_once=False), [PROMPT], devices=2, zero=2,
                            measured=True, parameters=1000)
    assert terms(result)["vision"] == 557056


def test_float32_without_zero_does_not_fit_a_7b_model(tmp_path):
    """8.29e9 parameters in float32 with no ZeRO: weights 4 + gradients 4 + Adam 8 + reference 4 =
    20 bytes a parameter, 154 GB before activations: no."""
    result = grpo_preflight(small_config(), args(tmp_path, bf16=False), [PROMPT], devices=8, zero=0, measured=False,
                            parameters=8_292_166_656)
    assert result.dtype == "float32"
    assert sum(t.bytes for t in result.memory.resident) == 8_292_166_656 * 20
    assert not result.memory.fits()
    assert result.format()[-1].endswith("fits in 80 GB: no")
    assert result.memory.peak / GB > 154


def test_parameters_are_counted_on_the_meta_device():
    config = small_config()
    assert count_parameters(config) == sum(p.numel() for p in Qwen2_5_VLForConditionalGeneration(config).parameters())


QV = LoraSettings(r=8, target_modules=["q_proj", "v_proj"])


@pytest.mark.parametrize(("backbone", "default"), [("qwen2_5_vl", 25600), ("qwen3_vl", 35840)])
def test_lora_parameters_are_those_of_the_adapters_peft_puts_on_the_tiny_judge(backbone, default):
    """r (in + out) per matched linear layer of shape (out, in), r = 8. The tiny judge's language model:
    2 layers, hidden 64, 4 query and 2 key-value heads of 16, MLP 128. q_proj 64 -> 64: 8 x 128 = 1024;
    v_proj 64 -> 32: 8 x 96 = 768; 2 x (1024 + 768) = 3584 on both backbones. The default targets add
    k_proj 768, o_proj 1024, gate_proj / up_proj 64 -> 128 and down_proj 128 -> 64, 8 x 192 = 1536 each:
    2 x 8192 = 16384 in the language model. Vision (depth 2, hidden 64, MLP 128): Qwen2.5-VL's
    gate/up/down_proj, 2 x 3 x 1536 = 9216 (its merger's Linears are mlp.0 / mlp.2: not targeted),
    25600 in all; Qwen3-VL's linear_fc1 / linear_fc2, 2 x 2 x 1536 = 6144, and those of its two
    patch mergers (the last block's and one DeepStack level's), 256 -> 256 and 256 -> 64: 2 x (8 x 512
    + 8 x 320) = 13312, 35840 in all."""
    config = tiny_config(build_tokenizer(backbone=backbone), backbone)
    assert count_lora_parameters(config, QV) == 3584
    assert count_lora_parameters(config, LoraSettings(r=8)) == default


def test_lora_trains_the_adapters_alone_on_the_frozen_base_without_a_reference_copy(tmp_path):
    """The tiny judge (P parameters), r 8 on q_proj and v_proj (Q = 3584, above), bfloat16, 2 devices,
    ZeRO-2: weights (P + Q) x 2, not sharded; gradients Q x 2 / 2 = 3584; optimizer Q x 12 / 2 = 21504;
    no reference though beta > 0. Full finetuning holds P x 2 + P + 6 P + P x 2 = 11 P: the LoRA peak is
    11 P - (2 P + 2 Q + 3584 + 21504) = 9 P - 32256 lower, the training terms being the same."""
    config = tiny_config(build_tokenizer())
    count = count_parameters(config)
    full = grpo_preflight(config, args(tmp_path), [PROMPT], devices=2, zero=2, measured=True)
    lora = grpo_preflight(config, args(tmp_path, lora=QV), [PROMPT], devices=2, zero=2, measured=True)
    resident = {t.name: t.bytes for t in lora.memory.resident}
    assert resident == {"weights": (count + 3584) * 2, "gradients": 3584, "optimizer": 21504}
    assert {t.name for t in full.memory.resident} == {"weights", "gradients", "optimizer", "reference"}
    assert lora.memory.phases == full.memory.phases
    assert full.memory.peak - lora.memory.peak == 9 * count - 32256 > 0
    assert (lora.parameters, lora.trainable, full.trainable) == (count, 3584, count)
    assert (f"LoRA r 8 on q_proj,v_proj: 3584 trainable parameters (0.00 M, {100 * 3584 / count:.2f} % of the model), "
            "no reference copy (the base with the adapter disabled)") in lora.format()
    assert not any(line.startswith("LoRA") for line in full.format())


def test_zero3_gathers_the_base_and_the_adapters_for_the_rollouts(tmp_path):
    """ZeRO-3 over 4 devices with LoRA: weights (P + 3584) x 2 / 4, gathered (P + 3584) x 2 x 3/4."""
    config = tiny_config(build_tokenizer())
    held = count_parameters(config) + 3584
    found = terms(grpo_preflight(config, args(tmp_path, lora=QV), [PROMPT], devices=4, zero=3, measured=True))
    assert (found["weights"], found["gathered"]) == (held * 2 / 4, held * 2 * 3 / 4)


def test_zero_stage_is_read_from_a_deepspeed_json(tmp_path):
    path = tmp_path / "ds.json"
    path.write_text('{"zero_optimization": {"stage": 2}}')
    assert (zero_stage(path), zero_stage({"bf16": {}}), zero_stage(None)) == (2, 0, 0)


@pytest.fixture(scope="module")
def processor():
    return build_processor(build_tokenizer())


def test_visual_tokens_of_a_decoded_clip_follow_the_patch_arithmetic(tmp_path, processor):
    """A 2 s, 64x96 clip at 4 fps sampled at 2 fps: 4 frames; 64x96 rounds to 56x84 (within 3136-12544
    pixels). Tokens = 4 / 2 temporal x (56/14)(84/14) / 4 = 2 x 24 / 4 = 12."""
    clip = write_clip(tmp_path / "a.mp4", np.zeros((8, 64, 96, 3), dtype=np.uint8), fps=4)
    sampling = args(tmp_path, fps=2.0, max_frames=16)
    budget = PixelBudget(min_pixels=3136, max_pixels=12544)
    [shape] = measure_rows(processor, sampling, budget, [{"id": "a", "task": "video_score", "query": "How good?", "media": [str(clip)]}])
    assert shape.visual == (12,)
    assert shape.label == "a" and shape.text > 0 and shape.length == shape.text + 12


def test_the_budget_stand_in_has_every_token_the_budget_allows(tmp_path, processor):
    """max_pixels 100352 = 128 x 28^2 tokens a frame group (224x448), max_frames 16: 8 x 128 = 1024 per
    clip; an image is one group: 128."""
    sampling = args(tmp_path, max_frames=16)
    budget = PixelBudget(min_pixels=3136, max_pixels=100352)
    pair = measure_budget(processor, sampling, budget, "compare", "Which?", clips=2, image=False)
    image = measure_budget(processor, sampling, budget, "image_score", "How good?", clips=1, image=True)
    assert (pair.visual, image.visual) == ((1024, 1024), (128,))
    assert pair.label == "budget"


def test_a_preflight_needs_a_prompt(tmp_path):
    with pytest.raises(ValueError, match="at least one"):
        grpo_preflight(small_config(), args(tmp_path), [], devices=1, zero=0, measured=False, parameters=1)
