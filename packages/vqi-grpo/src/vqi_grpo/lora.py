"""LoRA for the judge: a peft adapter trained on the frozen base, which also serves as the reference.

With ``VideoGRPOConfig.lora`` set the trainer wraps the policy with :func:`add_lora`; the KL term's
reference is the same model with the adapter disabled (``disable_adapter()``), so the base weights
are held once. The trainer's saves write the merged model in HF format (:func:`save_merged`: what
``from_pretrained``, the next stage and eval load) and the adapter alone in ``adapter/`` beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

ADAPTER_DIR = "adapter"
ADAPTER_WEIGHTS = "adapter_model.safetensors"


@dataclass
class LoraSettings:
    """A LoRA adapter (``grpo.lora`` in the stage configs).

    Attributes:
        r: the adapter's rank.
        alpha: its scale numerator: the update is ``alpha / r * B @ A``.
        target_modules: names of the linear layers that get an adapter (a module matches when its
            name ends with one). The default covers the language model's attention and MLP
            projections, which Qwen2.5-VL's vision MLPs share, and Qwen3-VL's vision MLPs
            (``linear_fc1``, ``linear_fc2``, also its patch merger's); add ``qkv`` and ``proj``
            for the vision tower's attention.
    """

    r: int = 16
    alpha: float = 32.0
    target_modules: list[str] = field(
        default_factory=lambda: [
            "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "linear_fc1", "linear_fc2"
        ]
    )

    def __post_init__(self) -> None:
        if self.r < 1:
            raise ValueError(f"LoRA rank r={self.r} must be >= 1 (grpo.lora.r): use e.g. 8, or leave grpo.lora out to train every weight")
        if self.alpha <= 0:
            raise ValueError(f"LoRA alpha={self.alpha} must be > 0 (grpo.lora.alpha): use e.g. 2 * r")
        if not self.target_modules:
            raise ValueError("LoRA target_modules is empty (grpo.lora.target_modules): name at least one linear layer, e.g. [q_proj, v_proj]")


def _peft() -> Any:
    try:
        import peft
    except ImportError:
        raise ImportError("LoRA needs peft: pip install 'vqi-grpo[lora]' (or leave grpo.lora out)") from None
    return peft


def add_lora(model: Any, settings: LoraSettings) -> Any:
    """Wrap ``model`` in a peft ``PeftModel`` with a fresh adapter (``B = 0``: it starts as the base).

    Only the adapter trains; ``with model.disable_adapter():`` runs the base.

    Raises:
        ImportError: when peft is missing, with the install command.
        ValueError: when no module of ``model`` matches ``target_modules`` (peft's message).
    """
    peft = _peft()
    config = peft.LoraConfig(r=settings.r, lora_alpha=settings.alpha, target_modules=list(settings.target_modules),
                             lora_dropout=0.0)
    return peft.get_peft_model(model, config)


def merged_state_dict(model: Any) -> dict[str, torch.Tensor]:
    """The base model's state dict with every adapter folded in (``W + alpha / r * B @ A``).

    Built tensor by tensor, so neither the training model nor a copy of it is changed or made.
    """
    lora_layer = _peft().tuners.lora.LoraLayer
    base = model.get_base_model()
    deltas = {f"{name}.base_layer.weight": module.get_delta_weight(module.active_adapters[0])
              for name, module in base.named_modules() if isinstance(module, lora_layer)}
    merged = {}
    for key, tensor in base.state_dict().items():
        if ".lora_" in key:
            continue
        if key in deltas:
            tensor = tensor + deltas[key].to(tensor.dtype)
        merged[key.replace(".base_layer.", ".")] = tensor.detach()
    return merged


def save_merged(model: Any, folder: str | Path) -> None:
    """Write the merged model of a ``PeftModel`` to ``folder`` in HF format (the adapter itself:
    ``model.save_pretrained(folder / ADAPTER_DIR)``)."""
    model.get_base_model().save_pretrained(folder, state_dict=merged_state_dict(model))


def load_adapter_weights(model: Any, folder: str | Path) -> None:
    """Load the adapter that :func:`save_merged` wrote to ``folder`` into ``model`` (a resume)."""
    from safetensors.torch import load_file

    _peft().set_peft_model_state_dict(model, load_file(Path(folder) / ADAPTER_DIR / ADAPTER_WEIGHTS))
