"""A reasoning video-quality judge: score, compare and ask about videos with a Qwen2.5-VL or Qwen3-VL model."""

import importlib.metadata

from vqi_judge.checkpoint import CheckpointError, check_checkpoint, is_hub_id
from vqi_judge.config import JudgeConfig
from vqi_judge.converters import FORMATS, convert
from vqi_judge.judge import Judge, Request
from vqi_judge.manifest import (
    DIMENSIONS,
    ManifestRow,
    MissingMediaError,
    check_media,
    read_manifest,
    with_media_root,
    write_manifest,
)
from vqi_judge.results import Answer, Comparison, Judgement, Score, parse_judgement
from vqi_judge.tasks import REASONING_SUFFIX, TASKS, Task, get_task
from vqi_judge.tiny import build_tiny_judge
from vqi_judge.training import task_rewards, trainer_rows, training_rewards

__version__ = importlib.metadata.version("vqi-judge")

__all__ = [
    "CheckpointError",
    "check_checkpoint",
    "is_hub_id",
    "DIMENSIONS",
    "FORMATS",
    "REASONING_SUFFIX",
    "ManifestRow",
    "MissingMediaError",
    "check_media",
    "convert",
    "read_manifest",
    "with_media_root",
    "write_manifest",
    "TASKS",
    "Answer",
    "Comparison",
    "Judge",
    "JudgeConfig",
    "Judgement",
    "Request",
    "Score",
    "Task",
    "__version__",
    "build_tiny_judge",
    "get_task",
    "parse_judgement",
    "task_rewards",
    "trainer_rows",
    "training_rewards",
]
