"""Config dataclass checks, YAML loading with key=value overrides, and the shipped examples."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from vqi_diffdpo import DiffDPOConfig, load_config

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_defaults_are_a_valid_tiny_run() -> None:
    cfg = DiffDPOConfig(model="runs/tiny-wan")
    assert (cfg.num_frames, cfg.height, cfg.width) == (5, 32, 32)
    assert cfg.beta is None and cfg.snr_gamma is None and cfg.lora_rank == 0
    assert cfg.lora_targets == ["to_q", "to_k", "to_v", "to_out.0"]
    assert all(f.metadata["help"] for f in fields(DiffDPOConfig))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lora_alpha": 8.0}, "set lora_rank > 0"),
        ({"lr_warmup_steps": 20, "max_steps": 20}, "lower it or raise max_steps"),
        ({"cpu": True, "mixed_precision": "fp16"}, "use bf16 or 'no'"),
        ({"beta": -1.0}, "beta must be > 0 or None, got -1.0"),
        ({"batch_size": 0}, "batch_size must be > 0, got 0"),
        ({"timestep_sampling": "cosine"}, "use 'uniform' or 'logit_normal'"),
        ({"lora_rank": 4, "lora_targets": []}, "at least one module name"),
        ({"checkpoint_every": -1}, "checkpoint_every must be >= 0"),
    ],
)
def test_cross_field_checks_name_the_fix(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        DiffDPOConfig(model="m", **kwargs)


def test_yaml_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("model: runs/m\nmax_steps: 10\nbeta: 5000\nlora_rank: 4\n")
    cfg = load_config(
        path, ["max_steps=30", "cpu=true", "lora_targets=[to_q, to_v]", "snr_gamma=5"]
    )
    assert cfg.max_steps == 30 and cfg.cpu is True
    assert cfg.beta == 5000.0 and isinstance(cfg.beta, float)
    assert cfg.snr_gamma == 5.0 and isinstance(cfg.snr_gamma, float)
    assert cfg.lora_targets == ["to_q", "to_v"]
    assert load_config(None, ["model=x", "resume_from=null"]).resume_from is None


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        (["model=m", "max_step=3"], r"unknown config key \(max_step\): did you mean max_steps\?"),
        (["model=m", "max_steps=many"], r"expected int, got 'many' \(max_steps\)"),
        (["model=m", "cpu=perhaps"], r"expected true or false, got 'perhaps' \(cpu\)"),
        (["model=m", "max_steps"], "an override must be key=value"),
        (["max_steps=3"], r"missing config key \(model\)"),
        (["model=m", "mixed_precision=fp8"], r"expected one of \['no', 'bf16', 'fp16'\], got 'fp8'"),
    ],
)
def test_load_config_errors(overrides: list[str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        load_config(None, overrides)


def test_yaml_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("- model\n")
    with pytest.raises(ValueError, match="holds a mapping of keys to values, got a list"):
        load_config(path)


def test_shipped_examples_load() -> None:
    tiny = load_config(EXAMPLES / "tiny.yaml")
    assert tiny.cpu and tiny.beta is None and tiny.lora_rank == 0
    gpu = load_config(EXAMPLES / "gpu.yaml")
    assert gpu.beta == 5000.0 and gpu.scale_lr and gpu.learning_rate == 1e-8
    assert gpu.lora_rank == 8 and gpu.mixed_precision == "bf16"
    # DiffusionDPO's global batch of 2048 at 1e-8 per pair gives their 2.048e-5; ours, 128 pairs.
    global_batch = 8 * gpu.batch_size * gpu.gradient_accumulation_steps
    assert gpu.learning_rate * global_batch == pytest.approx(1.28e-6)
