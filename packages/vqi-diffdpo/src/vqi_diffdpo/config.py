"""Trainer configuration: one dataclass whose defaults are a tiny CPU run, plus YAML loading.

``load_config("examples/tiny.yaml", ["max_steps=50", "lora_rank=8"])`` reads the YAML mapping,
applies ``key=value`` overrides and validates the result, with the rules of vqi-config's loader
(the one the vq-insight apps read their configs with).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import MISSING, asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import vqi_config


def _help(text: str, default: Any = MISSING, **kwargs: Any) -> Any:
    if default is MISSING:
        return field(metadata={"help": text}, **kwargs)
    return field(default=default, metadata={"help": text}, **kwargs)


@dataclass
class DiffDPOConfig:
    """DiffusionDPO / Flow-DPO training on preference pairs; defaults are a tiny CPU run.

    Every field has help text in ``fields(DiffDPOConfig)[i].metadata["help"]``.
    """

    model: str = _help("Folder of a diffusers WanPipeline or TextToVideoSDPipeline.")
    output_dir: str = _help(
        "Run folder: checkpoints, latent cache, final pipeline.", "runs/diffdpo"
    )
    num_frames: int = _help("Frames per clip; the video loader must return exactly this.", 5)
    height: int = _help("Clip height in pixels; clips of another size are skipped.", 32)
    width: int = _help("Clip width in pixels; clips of another size are skipped.", 32)
    max_sequence_length: int = _help(
        "Wan prompt length in tokens; sample with the same value (WanPipeline's default is 512). "
        "TextToVideoSD uses its tokenizer's model_max_length.",
        512,
    )
    beta: float | None = _help(
        "DPO temperature with the 1/2 inside the sigmoid; None: 5000 for epsilon prediction "
        "(DiffusionDPO), 100 for flow matching (Flow-DPO).",
        None,
    )
    snr_gamma: float | None = _help(
        "Min-SNR-gamma weight Gamma(lambda_t) of eq. 9 on each pair; None: no weight, as "
        "DiffusionDPO's code.",
        None,
    )
    timestep_sampling: Literal["uniform", "logit_normal"] = _help(
        "Timestep distribution: uniform (DiffusionDPO), or logit_normal (flow matching only).",
        "uniform",
    )
    learning_rate: float = _help("AdamW learning rate (per sample if scale_lr).", 1e-4)
    scale_lr: bool = _help(
        "Multiply learning_rate by the global batch in pairs, as DiffusionDPO's --scale_lr.", False
    )
    lr_warmup_steps: int = _help("Linear warm-up steps, then constant.", 0)
    adam_beta1: float = _help("AdamW beta1.", 0.9)
    adam_beta2: float = _help("AdamW beta2.", 0.999)
    adam_epsilon: float = _help("AdamW epsilon.", 1e-8)
    weight_decay: float = _help("AdamW weight decay (DiffusionDPO: 1e-2).", 1e-2)
    max_grad_norm: float = _help("Gradient clipping norm (DiffusionDPO: 1.0).", 1.0)
    batch_size: int = _help("Pairs per process per micro-step (2x that many clips).", 2)
    gradient_accumulation_steps: int = _help("Micro-steps per optimizer step.", 1)
    max_steps: int = _help("Optimizer steps.", 20)
    seed: int = _help("Seed of the data order, noise and timesteps.", 0)
    lora_rank: int = _help(
        "LoRA rank; 0 trains every weight against a frozen copy, >0 trains adapters and uses "
        "the base with adapters disabled as reference (needs the lora extra).",
        0,
    )
    lora_alpha: float | None = _help("LoRA alpha; None: equal to lora_rank.", None)
    lora_targets: list[str] = _help(
        "Module names that get LoRA adapters.",
        default=MISSING,
        default_factory=lambda: ["to_q", "to_k", "to_v", "to_out.0"],
    )
    gradient_checkpointing: bool = _help(
        "Recompute activations in the backward pass: less memory, about a third more time.", False
    )
    mixed_precision: Literal["no", "bf16", "fp16"] = _help(
        "accelerate mixed precision; frozen weights are stored in that dtype.", "no"
    )
    cpu: bool = _help("Force the CPU even when a GPU is present.", False)
    checkpoint_every: int = _help("Save a checkpoint every N steps; 0: only at the end.", 0)
    resume_from: str | None = _help("A checkpoint folder of this run to continue from.", None)
    cache_dir: str | None = _help("Latent cache folder; None: <output_dir>/latent_cache.", None)

    def __post_init__(self) -> None:
        """Cross-field checks; each error names the fix."""
        positive = ["num_frames", "height", "width", "max_sequence_length", "batch_size"]
        positive += ["gradient_accumulation_steps", "max_steps", "learning_rate"]
        for name in positive:
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("beta", "snr_gamma", "lora_alpha"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be > 0 or None, got {value}")
        if self.timestep_sampling not in ("uniform", "logit_normal"):
            raise ValueError(
                f"timestep_sampling={self.timestep_sampling!r}; use 'uniform' or 'logit_normal'"
            )
        if self.mixed_precision not in ("no", "bf16", "fp16"):
            raise ValueError(
                f"mixed_precision={self.mixed_precision!r}; use 'no', 'bf16' or 'fp16'"
            )
        if self.lora_rank < 0:
            raise ValueError(f"lora_rank must be >= 0, got {self.lora_rank}")
        if self.lora_alpha is not None and self.lora_rank == 0:
            raise ValueError(
                f"lora_alpha={self.lora_alpha} has no effect with lora_rank=0: set lora_rank > 0 "
                "to train LoRA adapters, or remove lora_alpha"
            )
        if self.lora_rank and not self.lora_targets:
            raise ValueError("lora_rank > 0 needs at least one module name in lora_targets")
        if not 0 <= self.lr_warmup_steps < self.max_steps:
            raise ValueError(
                f"lr_warmup_steps={self.lr_warmup_steps} must be in [0, max_steps="
                f"{self.max_steps}):"
                " lower it or raise max_steps"
            )
        if self.checkpoint_every < 0:
            raise ValueError(f"checkpoint_every must be >= 0, got {self.checkpoint_every}")
        if self.cpu and self.mixed_precision == "fp16":
            raise ValueError("fp16 mixed precision does not run on the CPU: use bf16 or 'no'")

    def to_dict(self) -> dict[str, Any]:
        """Plain values, for YAML next to the weights."""
        return asdict(self)


def load_config(path: str | Path | None, overrides: Sequence[str] = ()) -> DiffDPOConfig:
    """Build a config from a YAML mapping and ``key=value`` overrides (vqi-config's loader).

    Args:
        path: a YAML file holding a mapping of field names to values, or ``None`` for defaults.
        overrides: ``key=value`` strings applied after the file (``beta=5000``, ``cpu=true``,
            ``lora_targets=[to_q,to_v]``).

    Returns:
        The validated config.

    Raises:
        ValueError: for an unknown key (with the closest valid name), a value of the wrong type,
            a missing ``model``, an override without ``=``, or any check of :class:`DiffDPOConfig`.
    """
    return vqi_config.load_config(DiffDPOConfig, path, overrides)
