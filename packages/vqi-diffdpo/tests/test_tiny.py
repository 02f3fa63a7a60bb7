"""The tiny builders write folders that stock diffusers pipelines load and sample from fast."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import torch
from diffusers import (
    DDPMScheduler,
    FlowMatchEulerDiscreteScheduler,
    TextToVideoSDPipeline,
    UniPCMultistepScheduler,
    WanPipeline,
)
from transformers import AutoTokenizer

from vqi_diffdpo import build_tiny_unet3d, build_tiny_wan, detect_family
from vqi_diffdpo.family import UNet3DFamily, WanFamily


def _sample(pipe, **kwargs) -> tuple[torch.Tensor, float]:
    pipe.set_progress_bar_config(disable=True)
    args = dict(num_frames=5, height=32, width=32, num_inference_steps=8, guidance_scale=1.0)
    # CPU time, not wall time: other jobs on a shared 2-core machine must not fail the test.
    start = time.process_time()
    video = pipe("a red ball rolling", **args, **kwargs, output_type="pt").frames
    return video, time.process_time() - start


def test_tiny_wan_loads_in_stock_pipeline_and_samples_fast(tiny_wan: Path) -> None:
    pipe = WanPipeline.from_pretrained(tiny_wan)
    assert (
        isinstance(pipe.scheduler, UniPCMultistepScheduler)
        and pipe.scheduler.config.use_flow_sigmas
    )
    _sample(pipe, generator=torch.Generator().manual_seed(0))  # warm-up
    video, seconds = _sample(pipe, generator=torch.Generator().manual_seed(0))
    assert video.shape == (1, 5, 3, 32, 32)
    assert 0 <= video.min() and video.max() <= 1
    assert seconds < 1.0
    again, _ = _sample(pipe, generator=torch.Generator().manual_seed(0))
    assert torch.equal(video, again)
    assert detect_family(tiny_wan) == WanFamily()


def test_tiny_unet3d_loads_in_stock_pipeline_and_samples_fast(tiny_unet3d: Path) -> None:
    pipe = TextToVideoSDPipeline.from_pretrained(tiny_unet3d)
    assert pipe.scheduler.config.prediction_type == "epsilon"
    _sample(pipe)  # warm-up
    video, seconds = _sample(pipe, generator=torch.Generator().manual_seed(0))
    assert video.shape == (1, 5, 3, 32, 32)
    assert seconds < 1.0
    assert detect_family(tiny_unet3d) == UNet3DFamily()


def test_scheduler_choices_and_seeds(tmp_path: Path) -> None:
    euler = build_tiny_wan(tmp_path / "euler", seed=1, scheduler="flow_match_euler")
    ddpm = build_tiny_unet3d(tmp_path / "ddpm", scheduler="ddpm")
    assert isinstance(WanPipeline.from_pretrained(euler).scheduler, FlowMatchEulerDiscreteScheduler)
    assert isinstance(TextToVideoSDPipeline.from_pretrained(ddpm).scheduler, DDPMScheduler)
    same = build_tiny_wan(tmp_path / "same", seed=1, scheduler="flow_match_euler")
    files = sorted(p.relative_to(euler) for p in euler.rglob("*.safetensors"))
    assert files == sorted(p.relative_to(same) for p in same.rglob("*.safetensors"))
    assert all((euler / f).read_bytes() == (same / f).read_bytes() for f in files)


def test_tokenizer_is_local_and_reloads_with_auto_tokenizer(tiny_wan: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_wan / "tokenizer")
    ids = tokenizer("A bright RED ball", padding="max_length", max_length=8).input_ids
    words = tokenizer.convert_ids_to_tokens(ids[:5])
    assert words == ["a", "bright", "red", "ball", "</s>"]
    assert tokenizer("zebra").input_ids[0] == tokenizer.unk_token_id
    synthetic = [  # the stage-3 prompts of the synthetic world
        "a red square gliding over a soft gradient",
        "a blue square moving quickly over a bright gradient",
        "a green square moving slowly over a dark gradient",
    ]
    for prompt in synthetic:
        assert tokenizer.unk_token_id not in tokenizer(prompt).input_ids, prompt
    index = json.loads((tiny_wan / "model_index.json").read_text())
    assert index["_class_name"] == "WanPipeline"


def test_detect_family_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="model_index.json not found"):
        detect_family(tmp_path)
    (tmp_path / "model_index.json").write_text('{"_class_name": "StableDiffusionPipeline"}')
    with pytest.raises(ValueError, match="'StableDiffusionPipeline' is not supported"):
        detect_family(tmp_path)
