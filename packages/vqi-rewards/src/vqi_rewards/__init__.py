"""The VQ-Insight rewards for trl-style GRPO, and the parsers for the model's answers.

Every reward except ``temporal_reward`` follows trl's contract
``fn(completions, **columns) -> list[float | None]``; see the README for each formula.
``Correctness`` merges the task rewards into how right each completion is, which the official
length reward (``OfficialLength``) and the temporal reward need.
"""

import importlib.metadata

from vqi_rewards.choice import choice_reward, make_choice_reward
from vqi_rewards.correctness import Correctness
from vqi_rewards.format import format_reward
from vqi_rewards.length import OfficialLength, make_length_reward
from vqi_rewards.multidim import make_multidim_reward
from vqi_rewards.parse import (
    ParsedCompletion,
    parse_choice,
    parse_completion,
    parse_score,
    parse_scores,
)
from vqi_rewards.score import make_score_reward
from vqi_rewards.temporal import temporal_reward

__version__ = importlib.metadata.version("vqi-rewards")

__all__ = [
    "Correctness",
    "OfficialLength",
    "ParsedCompletion",
    "__version__",
    "choice_reward",
    "format_reward",
    "make_choice_reward",
    "make_length_reward",
    "make_multidim_reward",
    "make_score_reward",
    "parse_choice",
    "parse_completion",
    "parse_score",
    "parse_scores",
    "temporal_reward",
]
