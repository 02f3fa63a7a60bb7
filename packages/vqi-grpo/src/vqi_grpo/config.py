"""Settings of :class:`vqi_grpo.VideoGRPOTrainer`: transformers' TrainingArguments plus GRPO's own."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from transformers import TrainingArguments

from vqi_video import PixelBudget, backbone_of

from .lora import LoraSettings
from .loss import IMPORTANCE_SAMPLING_LEVELS, LOSS_TYPES, SCALE_REWARDS
from .mixing import check_weights

TEMPORAL_MODES = ("tokens", "frames", "off")


@dataclass
class VideoGRPOConfig(TrainingArguments):
    """GRPO for video VLMs. Defaults follow the VQ-Insight paper (N = 8, β = 0.001).

    Batching: ``per_device_train_batch_size`` counts completions and must hold whole groups
    (a multiple of ``num_generations``), so the completions of one prompt, its advantages and its
    temporal rollouts stay on one process.
    """

    num_generations: int = field(default=8, metadata={"help": "Completions per prompt (paper: 8)."})
    max_completion_length: int = field(default=512, metadata={"help": "New tokens per completion."})
    temperature: float = field(default=1.0, metadata={"help": "Sampling temperature of rollouts."})
    top_p: float = field(default=1.0, metadata={"help": "Nucleus sampling of rollouts."})
    top_k: int = field(default=0, metadata={"help": "Sample rollouts among the k likeliest tokens; 0: all (trl's default)."})
    beta: float = field(default=0.001, metadata={"help": "KL weight to the frozen reference (paper: 0.001)."})
    epsilon: float = field(default=0.2, metadata={"help": "Lower clip range δ of the ratio (eq. 2)."})
    epsilon_high: float | None = field(default=None, metadata={"help": "Upper clip range; None: epsilon."})
    loss_type: str = field(default="grpo", metadata={"help": "grpo (the paper's; trl's default is dapo) | bnpo | dr_grpo | dapo (see vqi_grpo.loss)."})
    importance_sampling_level: str = field(default="token", metadata={"help": "token | sequence (GSPO): a ratio per token or one per completion."})
    scale_rewards: bool | str = field(
        default="group",
        metadata={"help": "group (the group's std, eq. 1) | batch (the std of the step's whole batch, over every "
                          "accumulation step and process) | none (centring only, Dr. GRPO); true: group, false: none (trl)."},
    )
    mask_truncated_completions: bool = field(
        default=False,
        metadata={"help": "Leave completions cut at max_completion_length (no end-of-sequence token) out of the loss (DAPO)."},
    )
    lora: LoraSettings | None = field(
        default=None, metadata={"help": "Train a LoRA adapter on the frozen base (vqi_grpo.LoraSettings); None: every weight."}
    )
    encode_clips_once: bool = field(
        default=True,
        metadata={"help": "Loss forwards (and the reference log-probabilities) encode each distinct clip of a "
                          "micro-batch once and share its features with the rows showing it, so the backward pass goes "
                          "through the vision tower once per clip; false: every row carries its clips' pixels and the "
                          "tower runs once per completion (the same gradients, G times the vision work)."},
    )
    num_iterations: int = field(default=1, metadata={"help": "Optimiser passes over each generated batch (μ)."})
    reward_weights: list[float] | None = field(default=None, metadata={"help": "One weight per reward; None: 1."})
    temporal_mode: str = field(
        default="tokens",
        metadata={"help": "Temporal modeling reward rollouts: tokens (shuffle encoded temporal groups, the "
                          "paper), frames (shuffle frames and re-encode, the authors' code) or off."},
    )
    temporal_generations: int | None = field(
        default=None, metadata={"help": "Shuffled completions per prompt; None: num_generations // 2 (authors)."}
    )
    temporal_tasks: list[str] = field(
        default_factory=lambda: ["video_score", "aigc_score", "vqa"],
        metadata={"help": "Tasks whose rows get shuffled rollouts (the paper skips comparisons)."},
    )
    task_weights: dict[str, float] | None = field(
        default=None,
        metadata={"help": "Sampling weight of each task's rows, e.g. {compare: 1, vqa: 1, video_score: 1}, so a "
                          "small task is not drowned by a large one (vqi_grpo.mixing); None: every row alike (trl)."},
    )
    fps: float = field(default=2.0, metadata={"help": "Frames per second sampled from each video."})
    max_frames: int = field(default=16, metadata={"help": "Most frames per video (authors: 16)."})
    clip_cache_mb: int = field(
        default=512,
        metadata={"help": "Decoded clips kept in memory (MB of frames), so a prompt drawn again in a later epoch is "
                          "not decoded again (vqi_video.ClipCache); 0: decode every time."},
    )
    min_pixels: int | None = field(default=None, metadata={"help": "Fewest pixels per frame; None: processor's."})
    max_pixels: int | None = field(default=None, metadata={"help": "Most pixels per frame; None: processor's."})

    @property
    def prompts_per_step(self) -> int:
        """Prompts one optimiser step draws, over every process and accumulation step."""
        rows = self.per_device_train_batch_size * self.gradient_accumulation_steps * self.world_size
        return rows // self.num_generations

    def pixel_budget(self, processor: Any) -> PixelBudget:
        """The frame budget of the rollouts: ``min_pixels`` / ``max_pixels``, else what the
        processor's video processor allows (:meth:`vqi_video.Backbone.budget`)."""
        return backbone_of(processor).budget(processor.video_processor, self.min_pixels, self.max_pixels)

    def check_prompts(self, count: int, where: str = "the training set") -> None:
        """Refuse a training set with fewer prompts than one step draws: it would train 0 steps.

        Raises:
            ValueError: naming the counts, the settings behind them and the fix.
        """
        if count < self.prompts_per_step:
            raise ValueError(
                f"too few prompts for one optimiser step: {count} in {where}, {self.prompts_per_step} a step "
                f"(per_device_train_batch_size {self.per_device_train_batch_size} x gradient_accumulation_steps "
                f"{self.gradient_accumulation_steps} x {self.world_size} processes / num_generations "
                f"{self.num_generations}): add rows or lower per_device_train_batch_size"
            )

    def __post_init__(self) -> None:
        super().__post_init__()
        # The trainer consumes whole rows (media paths, labels): no column may be dropped.
        self.remove_unused_columns = False
        if self.num_generations < 2:
            raise ValueError(f"num_generations={self.num_generations}: GRPO compares completions, use >= 2")
        if self.per_device_train_batch_size % self.num_generations:
            raise ValueError(
                f"per_device_train_batch_size={self.per_device_train_batch_size} must be a multiple of "
                f"num_generations={self.num_generations}: set it to num_generations * prompts per device"
            )
        if self.temporal_mode not in TEMPORAL_MODES:
            raise ValueError(f"temporal_mode={self.temporal_mode!r}; choose one of {TEMPORAL_MODES}")
        if self.loss_type not in LOSS_TYPES:
            raise ValueError(f"loss_type={self.loss_type!r}; choose one of {LOSS_TYPES}")
        if self.importance_sampling_level not in IMPORTANCE_SAMPLING_LEVELS:
            raise ValueError(f"importance_sampling_level={self.importance_sampling_level!r}; choose one of {IMPORTANCE_SAMPLING_LEVELS}")
        self.scale_rewards = {True: "group", False: "none"}.get(self.scale_rewards, self.scale_rewards)  # trl's bools
        if self.scale_rewards not in SCALE_REWARDS:
            raise ValueError(f"scale_rewards={self.scale_rewards!r}; choose one of {SCALE_REWARDS} (or true / false)")
        if self.epsilon_high is None:
            self.epsilon_high = self.epsilon
        if self.temporal_generations is None:
            self.temporal_generations = max(1, self.num_generations // 2)
        if self.task_weights is not None:
            check_weights(self.task_weights)
        if self.num_iterations < 1:
            raise ValueError(f"num_iterations={self.num_iterations} must be >= 1")
        if self.clip_cache_mb < 0:
            raise ValueError(f"clip_cache_mb={self.clip_cache_mb} must be >= 0 (0 turns the cache off)")

    def to_dict(self) -> dict[str, Any]:
        """transformers' serialisation (``grpo_config.json`` in every checkpoint), ``lora`` as a mapping."""
        values = super().to_dict()
        if self.lora is not None:
            values["lora"] = asdict(self.lora)
        return values
