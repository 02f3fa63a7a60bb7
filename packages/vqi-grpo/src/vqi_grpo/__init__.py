"""GRPO for video VLMs (VQ-Insight stages 1-2): video and two-video rollouts, temporal rollouts on
shuffled clips, multi-task batches, on transformers' Trainer and trl's pieces."""

import importlib.metadata

from vqi_grpo.config import VideoGRPOConfig
from vqi_grpo.lora import LoraSettings, add_lora, merged_state_dict, save_merged
from vqi_grpo.loss import LOSS_TYPES, SCALE_REWARDS, group_advantages, grpo_loss
from vqi_grpo.mixing import TaskMixSampler
from vqi_grpo.preflight import (
    GRPOPreflight,
    MemoryEstimate,
    MemoryTerm,
    PromptShape,
    count_lora_parameters,
    count_parameters,
    generation_memory,
    grpo_preflight,
    measure_budget,
    measure_rows,
    zero_stage,
)
from vqi_grpo.trainer import VideoGRPOTrainer

__version__ = importlib.metadata.version("vqi-grpo")

__all__ = [
    "GRPOPreflight",
    "LOSS_TYPES",
    "LoraSettings",
    "MemoryEstimate",
    "MemoryTerm",
    "PromptShape",
    "SCALE_REWARDS",
    "TaskMixSampler",
    "VideoGRPOConfig",
    "VideoGRPOTrainer",
    "__version__",
    "add_lora",
    "count_lora_parameters",
    "count_parameters",
    "generation_memory",
    "group_advantages",
    "grpo_loss",
    "grpo_preflight",
    "measure_budget",
    "measure_rows",
    "merged_state_dict",
    "save_merged",
    "zero_stage",
]
