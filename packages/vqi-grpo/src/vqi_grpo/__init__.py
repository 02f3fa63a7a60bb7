"""GRPO for video VLMs (VQ-Insight stages 1-2): video and two-video rollouts, temporal rollouts on
shuffled clips, multi-task batches, on transformers' Trainer and trl's pieces."""

import importlib.metadata

from vqi_grpo.config import VideoGRPOConfig
from vqi_grpo.loss import LOSS_TYPES, group_advantages, grpo_loss
from vqi_grpo.mixing import TaskMixSampler
from vqi_grpo.trainer import VideoGRPOTrainer

__version__ = importlib.metadata.version("vqi-grpo")

__all__ = [
    "LOSS_TYPES",
    "TaskMixSampler",
    "VideoGRPOConfig",
    "VideoGRPOTrainer",
    "__version__",
    "group_advantages",
    "grpo_loss",
]
