"""Preflight of a GRPO run: what one step costs, before a GPU is rented.

Prompt lengths come from the trainer's own data path: the rollouts' decode and frame sampling
(:func:`vqi_grpo.rollout.load_clips`) and the processor through :class:`vqi_video.ClipBatch`, on
the first rows of a training set (:func:`measure_rows`) or, without data, on clips of black frames
at the most frames and pixels the budget allows (:func:`measure_budget`, an upper bound). The
parameter count comes from the model built on the meta device (no weights).

The memory model is simple on purpose, and every term is printed. ``P`` parameters (all trained;
with LoRA, below), ``w`` bytes per value (2 for bfloat16/float16, 4 for float32), ``N`` devices,
``h`` and ``L`` the hidden size and layer count (language model; the vision tower's likewise), ``B``
the micro-batch (``per_device_train_batch_size`` completions), ``S`` prompt + completion tokens,
``T`` completion tokens, ``V`` the vocabulary:

    resident, per device
      weights      P w, divided by N under ZeRO-3
      gradients    P w, divided by N under ZeRO-2 and 3
      optimizer    P (8 + 4 under mixed precision), divided by N under ZeRO-1, 2 and 3: Adam's two
                   float32 moments, and float32 master weights when w = 2
      reference    P w when beta > 0 (the KL term's frozen policy), divided by N under ZeRO-3
    training (the loss forward and backward of one micro-batch)
      activations  A w h B S L without gradient checkpointing; w h B S (L + A) with it (each layer
                   keeps its input, one layer at a time is recomputed whole). A = 17 values per
                   hidden unit per token per layer, Korthikanti et al. (2022)'s 34 s b h bytes in
                   16 bits without the attention matrix, which SDPA and flash attention do not keep
      vision       the same rule over the vision tower's patches (4 per visual token: 2x2 merge),
                   each prompt's clips once (``encode_clips_once``; G times without it)
      logits       B T V 4: float32 log-probabilities over the vocabulary at the completion length
    rollouts (sampling, no gradients)
      gathered     P w (1 - 1/N) under ZeRO-3: generation gathers the whole policy on each device
      KV cache     2 L kv_heads head_dim w S per sequence, for the larger of the two generate
                   calls (the completions; the shuffled completions of the temporal reward)

    peak = resident + max(training, rollouts)

With LoRA (``args.lora``) the base is frozen in its dtype and ``Q`` adapter parameters train:
``r (in + out)`` for each targeted linear layer of shape ``(out, in)``, matched by peft itself on
the meta-device model (:func:`count_lora_parameters`). Weights are then ``(P + Q) w``, gradients
and optimizer states are those of ``Q`` alone, sharded as above (the adapters counted at ``w``;
peft may keep them in float32, ``2 Q`` bytes more); there is no reference term (the reference is
the base with the adapter disabled), and the rollouts gather ``(P + Q) w``. Activations are counted
as above: the backward pass still runs through the layers to reach the adapters.

Optimizer offload, fragmentation, communication buckets and the CUDA context are not modelled:
leave headroom.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModelForImageTextToText

from vqi_video import IMAGE_BACKEND, TEMPORAL_PATCH_SIZE, Clip, ClipBatch, PixelBudget, user_message

from .config import VideoGRPOConfig
from .lora import LoraSettings, add_lora
from .rollout import FrameSampling, load_clips

#: Bytes in one GB as GPU memory is sold and reported (an "80 GB" card holds 80 * 2**30 bytes).
GB = 2**30
#: The memory of the GPUs the paper's configs are written for.
GPU_GB = 80
#: Values kept per hidden unit, per token and layer, for the backward pass (module docstring).
ACTIVATION_VALUES = 17


@dataclass(frozen=True)
class PromptShape:
    """Tokens of one prompt as the model receives it.

    Attributes:
        label: the row it was measured on (its id), or ``budget`` for a no-data estimate.
        task: the row's task.
        visual: visual tokens of each clip, in prompt order.
        length: every token of the prompt: chat template, question and visual tokens.
    """

    label: str
    task: str
    visual: tuple[int, ...]
    length: int

    @property
    def text(self) -> int:
        """Text tokens: the prompt's tokens that are not visual."""
        return self.length - sum(self.visual)


def _measure(processor: Any, label: str, task: str, query: str, clips: list[Clip]) -> PromptShape:
    batch = ClipBatch.from_clips(processor, [clips])
    inputs = batch.inputs(processor, [[user_message(query, clips)]], [clips])
    visual = tuple(batch.tokens[kind][position] for kind, position in (batch.slots[id(c)] for c in clips))
    return PromptShape(label, task, visual, int(inputs["input_ids"].shape[1]))


def measure_rows(processor: Any, sampling: FrameSampling, budget: PixelBudget, rows: Sequence[dict[str, Any]]) -> list[PromptShape]:
    """Prompt shapes of trainer rows (``query``, ``media``, ``task``, ``id``), decoded as the rollouts decode them.

    Args:
        processor: a Qwen2.5-VL or Qwen3-VL processor (its tokenizer counts the text tokens).
        sampling: ``fps`` and ``max_frames`` of the run.
        budget: the run's pixel budget (:meth:`VideoGRPOConfig.pixel_budget`).
        rows: the rows to measure.
    """
    return [
        _measure(processor, str(row.get("id", row["media"][0])), str(row.get("task")), row["query"], load_clips(row, sampling, budget))
        for row in rows
    ]


def budget_clip(sampling: FrameSampling, budget: PixelBudget, *, image: bool) -> Clip:
    """Black frames at the most frames and pixels the budget allows (one frame for an image).

    The frames are ``f a x f b`` pixels, ``f`` the budget's factor (28 on Qwen2.5-VL, 32 on
    Qwen3-VL), with ``a b = max_pixels // f**2`` (``a`` the largest divisor up to the square
    root): every token the budget allows, an upper bound on any clip.
    """
    tokens = budget.max_pixels // budget.factor**2
    rows = max(d for d in range(1, math.isqrt(tokens) + 1) if tokens % d == 0)
    frames = 1 if image else max(TEMPORAL_PATCH_SIZE, sampling.max_frames // TEMPORAL_PATCH_SIZE * TEMPORAL_PATCH_SIZE)
    height, width = budget.factor * rows, budget.factor * (tokens // rows)
    times = np.arange(frames, dtype=np.float64) / sampling.fps
    return Clip(
        frames=np.zeros((frames, height, width, 3), dtype=np.uint8), indices=np.arange(frames, dtype=np.int64),
        timestamps=times, fps=sampling.fps, duration=frames / sampling.fps, total_frames=frames,
        path=Path("budget"), backend=IMAGE_BACKEND if image else "budget", source_size=(height, width),
    )


def measure_budget(
    processor: Any, sampling: FrameSampling, budget: PixelBudget, task: str, query: str, *, clips: int, image: bool
) -> PromptShape:
    """The largest prompt of a task the budget allows, without data: ``clips`` :func:`budget_clip` clips and ``query``."""
    stand_ins = [budget_clip(sampling, budget, image=image) for _ in range(clips)]
    return _measure(processor, "budget", task, query, stand_ins)


def count_parameters(model_config: Any) -> int:
    """Parameters of the model ``model_config`` describes, built on the meta device (no memory, no weights)."""
    with torch.device("meta"):
        model = AutoModelForImageTextToText.from_config(model_config)
    return sum(p.numel() for p in model.parameters())


def count_lora_parameters(model_config: Any, settings: LoraSettings) -> int:
    """Parameters of the LoRA adapter ``settings`` puts on the model ``model_config`` describes: ``r (in + out)``
    for each linear layer of shape ``(out, in)`` that ``target_modules`` matches, as the trainer wraps it
    (:func:`vqi_grpo.add_lora`, peft's matching) on the model built on the meta device (no memory).

    Raises:
        ImportError: when peft is missing, with the install command.
        ValueError: when no module matches ``target_modules`` (peft's message).
    """
    with torch.device("meta"):
        model = add_lora(AutoModelForImageTextToText.from_config(model_config), settings)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def zero_stage(deepspeed: str | Path | dict[str, Any] | None) -> int:
    """The ZeRO stage of a DeepSpeed config (a JSON file or its contents); 0 without one."""
    if deepspeed is None:
        return 0
    settings = deepspeed if isinstance(deepspeed, dict) else json.loads(Path(deepspeed).read_text())
    return int(settings.get("zero_optimization", {}).get("stage", 0))


def value_bytes(dtype: str) -> int:
    """Bytes per value of a training dtype: 2 for ``bfloat16`` / ``float16``, 4 for ``float32``."""
    if dtype not in ("bfloat16", "float16", "float32"):
        raise ValueError(f"dtype {dtype!r}: give bfloat16, float16 or float32")
    return 4 if dtype == "float32" else 2


def training_dtype(args: VideoGRPOConfig, model_config: Any) -> str:
    """The dtype the policy trains in: ``bf16`` / ``fp16`` when set, else the checkpoint's (as transformers loads it)."""
    if args.bf16:
        return "bfloat16"
    if args.fp16:
        return "float16"
    return str(model_config.dtype or torch.float32).removeprefix("torch.")


@dataclass(frozen=True)
class MemoryTerm:
    """One term of a memory estimate: its name, bytes per device, and the rule with its numbers."""

    name: str
    bytes: float
    rule: str


@dataclass(frozen=True)
class MemoryEstimate:
    """Peak GPU memory per device: resident terms plus the larger of two phases' transient terms.

    Attributes:
        resident: held for the whole run (weights, gradients, optimizer, reference).
        phases: per phase (``training``, ``rollouts``, ``generation``), its transient terms.
    """

    resident: tuple[MemoryTerm, ...]
    phases: dict[str, tuple[MemoryTerm, ...]]

    @property
    def peak(self) -> float:
        """Bytes: resident terms plus the costliest phase."""
        return sum(t.bytes for t in self.resident) + max(sum(t.bytes for t in terms) for terms in self.phases.values())

    def fits(self, capacity_gb: float = GPU_GB) -> bool:
        """Whether :attr:`peak` is at most ``capacity_gb`` GB."""
        return self.peak <= capacity_gb * GB

    def format(self) -> list[str]:
        """One line per term, then the peak and the verdict for an 80 GB device."""
        lines = [f"  {t.name:<12} {t.bytes / GB:8.2f} GB  {t.rule}" for t in self.resident]
        for phase, terms in self.phases.items():
            lines.append(f"  during {phase}:")
            lines += [f"    {t.name:<12} {t.bytes / GB:6.2f} GB  {t.rule}" for t in terms]
        lines.append(f"  peak per device {self.peak / GB:.2f} GB; fits in {GPU_GB} GB: {'yes' if self.fits() else 'no'}")
        return lines


def _term(name: str, count: float, rule: str) -> MemoryTerm:
    return MemoryTerm(name, float(count), rule)


def _activations(name: str, w: int, hidden: int, tokens: int, layers: int, checkpointing: bool) -> MemoryTerm:
    if checkpointing:
        return _term(name, w * hidden * tokens * (layers + ACTIVATION_VALUES),
                     f"{w} x {hidden} x {tokens} tokens x ({layers} layers + {ACTIVATION_VALUES}) (checkpointing)")
    return _term(name, ACTIVATION_VALUES * w * hidden * tokens * layers,
                 f"{ACTIVATION_VALUES} x {w} x {hidden} x {tokens} tokens x {layers} layers (no checkpointing)")


def _kv_cache(text: Any, w: int, sequences: int, length: int) -> MemoryTerm:
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // text.num_attention_heads
    per_token = 2 * text.num_hidden_layers * text.num_key_value_heads * head_dim * w
    return _term("KV cache", per_token * sequences * length,
                 f"2 x {text.num_hidden_layers} layers x {text.num_key_value_heads} x {head_dim} x {w} x {sequences} x {length} tokens")


@dataclass(frozen=True)
class GRPOPreflight:
    """What one GRPO step of a config costs (see the module docstring for the memory model).

    Attributes:
        parameters: parameters of the policy's model (its base, with LoRA).
        trainable: parameters trained: ``parameters``, or with LoRA the adapter's.
        lora: the LoRA adapter (``args.lora``); None: full finetuning.
        devices: processes the run is sized for.
        zero_stage: DeepSpeed ZeRO stage (0: none).
        dtype: the training dtype.
        gradient_checkpointing: whether layers are recomputed in the backward pass.
        prompts: the measured prompts.
        measured: True when the prompts are rows of the training set, False for budget stand-ins.
        completion_length: most tokens per completion (``max_completion_length``).
        prompts_per_device: prompts of one micro-batch on one device.
        completions_per_device: completions of one micro-batch (``per_device_train_batch_size``).
        shuffled_per_device: shuffled-clip completions of the temporal reward per micro-batch, at
            most (every prompt of a temporal task).
        steps_factor: micro-batches of one optimiser step over every device (accumulation x devices).
        memory: the memory estimate.
    """

    parameters: int
    trainable: int
    lora: LoraSettings | None
    devices: int
    zero_stage: int
    dtype: str
    gradient_checkpointing: bool
    prompts: tuple[PromptShape, ...]
    measured: bool
    completion_length: int
    prompts_per_device: int
    completions_per_device: int
    shuffled_per_device: int
    steps_factor: int
    memory: MemoryEstimate

    @property
    def prompt_length(self) -> int:
        """The longest measured prompt, in tokens."""
        return max(p.length for p in self.prompts)

    @property
    def sequence_length(self) -> int:
        """Prompt plus completion, in tokens: the longest sequence of the loss."""
        return self.prompt_length + self.completion_length

    def format(self) -> list[str]:
        """The preflight as printable lines."""
        source = "the first rows of the training set" if self.measured else "the frame and pixel budget (no data: an upper bound)"
        lines = [f"visual tokens per clip, from {source}:"]
        for p in self.prompts:
            lines.append(f"  {p.label} ({p.task}): {' + '.join(map(str, p.visual))} visual, {p.text} text = {p.length} prompt tokens")
        per_step = self.steps_factor
        lines += [
            f"sequence: prompt {self.prompt_length} + completion {self.completion_length} = {self.sequence_length} tokens",
            f"rollouts per device and micro-batch: {self.prompts_per_device} prompt(s) x "
            f"{self.completions_per_device // max(1, self.prompts_per_device)} generations = {self.completions_per_device}, "
            f"plus up to {self.shuffled_per_device} shuffled (temporal reward); per optimiser step "
            f"(x{per_step}: accumulation x devices): {self.completions_per_device * per_step} + {self.shuffled_per_device * per_step}",
        ]
        if self.lora is not None:
            lines.append(f"LoRA r {self.lora.r} on {','.join(self.lora.target_modules)}: {self.trainable} trainable parameters "
                         f"({self.trainable / 1e6:.2f} M, {100 * self.trainable / self.parameters:.2f} % of the model), "
                         "no reference copy (the base with the adapter disabled)")
        lines.append(f"memory per device ({self.parameters / 1e9:.2f} B parameters, {self.dtype}, ZeRO-{self.zero_stage} "
                     f"over {self.devices} devices, gradient checkpointing {'on' if self.gradient_checkpointing else 'off'}):")
        return lines + self.memory.format()


def grpo_preflight(
    model_config: Any, args: VideoGRPOConfig, prompts: Sequence[PromptShape], *, devices: int, zero: int,
    measured: bool, parameters: int | None = None,
) -> GRPOPreflight:
    """Size one GRPO step of ``args`` on the model ``model_config`` describes.

    Args:
        model_config: a Qwen2.5-VL or Qwen3-VL config (``text_config``, ``vision_config``).
        args: the run's settings (batch, generations, temporal reward, beta, dtype, checkpointing).
        prompts: measured prompts (:func:`measure_rows`, :func:`measure_budget`); the longest sizes the step.
        devices: processes the run will use.
        zero: its ZeRO stage (:func:`zero_stage`).
        measured: whether ``prompts`` are rows of the training set.
        parameters: the parameter count; None: :func:`count_parameters`.
    """
    if not prompts:
        raise ValueError("grpo_preflight needs at least one measured prompt")
    if zero not in (0, 1, 2, 3):
        raise ValueError(f"ZeRO stage {zero}: DeepSpeed has stages 0-3")
    text, vision = model_config.text_config, model_config.vision_config
    count = count_parameters(model_config) if parameters is None else parameters
    dtype = training_dtype(args, model_config)
    w = value_bytes(dtype)
    adam = 8 + (4 if w == 2 else 0)

    def shard(stage: int) -> int:  # the devices a term is split over from ZeRO stage ``stage`` on
        return devices if zero >= stage else 1

    if args.lora is None:
        trainable, held, weights = count, count, str(count)
    else:
        trainable = count_lora_parameters(model_config, args.lora)
        held, weights = count + trainable, f"({count} + {trainable})"
    resident = [
        _term("weights", held * w / shard(3), f"{weights} x {w} / {shard(3)}"),
        _term("gradients", trainable * w / shard(2), f"{trainable} x {w} / {shard(2)}"),
        _term("optimizer", trainable * adam / shard(1), f"{trainable} x {adam} / {shard(1)}"),
    ]
    if args.beta and args.lora is None:
        resident.append(_term("reference", count * w / shard(3), f"{count} x {w} / {shard(3)} (beta {args.beta})"))

    batch = args.per_device_train_batch_size
    prompts_per_device = batch // args.num_generations
    completion = args.max_completion_length
    sequence = max(p.length for p in prompts) + completion
    merge = vision.spatial_merge_size**2
    encodings = prompts_per_device if args.encode_clips_once else batch  # the clips' passes through the tower
    patches = encodings * max(sum(p.visual) for p in prompts) * merge
    checkpointing = bool(args.gradient_checkpointing)
    training = (
        _activations("activations", w, text.hidden_size, batch * sequence, text.num_hidden_layers, checkpointing),
        _activations("vision", w, vision.hidden_size, patches, vision.depth, checkpointing),
        _term("logits", batch * completion * text.vocab_size * 4, f"{batch} x {completion} x {text.vocab_size} x 4"),
    )
    temporal = args.temporal_mode != "off" and any(p.task in args.temporal_tasks and p.visual for p in prompts)
    shuffled = prompts_per_device * args.temporal_generations if temporal else 0
    rollouts = [_kv_cache(text, w, max(batch, shuffled), sequence)]
    if zero == 3:
        rollouts.insert(0, _term("gathered", held * w * (1 - 1 / devices), f"{weights} x {w} x (1 - 1/{devices})"))
    memory = MemoryEstimate(tuple(resident), {"training": training, "rollouts": tuple(rollouts)})
    return GRPOPreflight(
        parameters=count, trainable=trainable, lora=args.lora, devices=devices, zero_stage=zero, dtype=dtype,
        gradient_checkpointing=checkpointing, prompts=tuple(prompts), measured=measured, completion_length=completion,
        prompts_per_device=prompts_per_device, completions_per_device=batch, shuffled_per_device=shuffled,
        steps_factor=args.gradient_accumulation_steps * devices, memory=memory,
    )


def generation_memory(model_config: Any, prompts: Sequence[PromptShape], *, batch: int, new_tokens: int, dtype: str,
                      parameters: int | None = None) -> MemoryEstimate:
    """Memory of a judge generating answers (no gradients): weights, plus the KV cache of ``batch``
    sequences of the longest prompt and ``new_tokens``, plus one layer's prefill activations."""
    text = model_config.text_config
    count = count_parameters(model_config) if parameters is None else parameters
    w = value_bytes(dtype)
    length = max(p.length for p in prompts) + new_tokens
    prefill = batch * max(p.length for p in prompts)
    terms = (
        _kv_cache(text, w, batch, length),
        _term("prefill", ACTIVATION_VALUES * w * text.hidden_size * prefill,
              f"{ACTIVATION_VALUES} x {w} x {text.hidden_size} x {prefill} tokens (one layer at a time)"),
    )
    return MemoryEstimate((_term("weights", count * w, f"{count} x {w}"),), {"generation": terms})
