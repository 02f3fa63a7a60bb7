"""DiffusionDPO (paper eq. 9) and Flow-DPO for diffusers video generators, trained on pairs."""

from importlib.metadata import version

from vqi_diffdpo.cache import LatentCache
from vqi_diffdpo.checkpoint import TrainerState
from vqi_diffdpo.config import DiffDPOConfig, load_config
from vqi_diffdpo.data import (
    PreferencePair,
    SkipReport,
    read_pairs_jsonl,
    write_pairs_jsonl,
)
from vqi_diffdpo.family import GeneratorFamily, UNet3DFamily, WanFamily, detect_family
from vqi_diffdpo.loss import DIFFUSION_DPO_BETA, FLOW_DPO_BETA, DPOMetrics, diffusion_dpo_loss
from vqi_diffdpo.pretrain import pretrain_generator
from vqi_diffdpo.reference import frozen_copy, parameter_bytes
from vqi_diffdpo.schedule import EpsilonSchedule, FlowMatchingSchedule, schedule_for
from vqi_diffdpo.step import dpo_batch_loss
from vqi_diffdpo.targets import ddpm_noisy, flow_matching_noisy, flow_matching_target
from vqi_diffdpo.tiny import build_tiny_unet3d, build_tiny_wan
from vqi_diffdpo.trainer import TrainResult, export_pipeline, train
from vqi_diffdpo.weighting import min_snr_weight

__version__ = version("vqi-diffdpo")

__all__ = [
    "DIFFUSION_DPO_BETA",
    "FLOW_DPO_BETA",
    "DPOMetrics",
    "DiffDPOConfig",
    "EpsilonSchedule",
    "FlowMatchingSchedule",
    "GeneratorFamily",
    "LatentCache",
    "PreferencePair",
    "SkipReport",
    "TrainResult",
    "TrainerState",
    "UNet3DFamily",
    "WanFamily",
    "__version__",
    "build_tiny_unet3d",
    "build_tiny_wan",
    "ddpm_noisy",
    "detect_family",
    "diffusion_dpo_loss",
    "dpo_batch_loss",
    "export_pipeline",
    "flow_matching_noisy",
    "flow_matching_target",
    "frozen_copy",
    "load_config",
    "min_snr_weight",
    "parameter_bytes",
    "pretrain_generator",
    "read_pairs_jsonl",
    "schedule_for",
    "train",
    "write_pairs_jsonl",
]
