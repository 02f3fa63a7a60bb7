"""vqi-video: decode, sample and resize video frames for Qwen2.5-VL and Qwen3-VL judges.

Frame-accurate decoding (decord where it is exact, PyAV everywhere), Qwen-style frame sampling and
pixel budgets, robust to real-world files.
"""

import importlib.metadata

from vqi_video.backbone import BACKBONES, Backbone, backbone_of, backbone_of_model
from vqi_video.batching import ClipBatch, ClipRows, encode_clips
from vqi_video.cache import ClipCache
from vqi_video.clip import IMAGE_BACKEND, Clip
from vqi_video.errors import VideoDecodeError
from vqi_video.image import read_image
from vqi_video.inputs import (
    VisualInputs,
    build_inputs,
    clip_labels,
    placeholder_texts,
    process_clips,
    select,
    tokenize,
    user_message,
    vision_token_ids,
)
from vqi_video.read import read_frames, read_video
from vqi_video.resize import PixelBudget, smart_resize
from vqi_video.sampling import TEMPORAL_PATCH_SIZE, num_sampled_frames, sample_indices
from vqi_video.shuffle import group_permutation, permute_groups, shuffle_frames, shuffle_groups

__version__ = importlib.metadata.version("vqi-video")

__all__ = [
    # Decoding and sampling
    "Clip",
    "ClipCache",
    "IMAGE_BACKEND",
    "PixelBudget",
    "TEMPORAL_PATCH_SIZE",
    "VideoDecodeError",
    "num_sampled_frames",
    "read_frames",
    "read_image",
    "read_video",
    "sample_indices",
    "smart_resize",
    # Backbones: what differs between Qwen2.5-VL and Qwen3-VL
    "BACKBONES",
    "Backbone",
    "backbone_of",
    "backbone_of_model",
    # Temporal shuffling and token concat
    "ClipBatch",
    "ClipRows",
    "encode_clips",
    "VisualInputs",
    "build_inputs",
    "clip_labels",
    "group_permutation",
    "permute_groups",
    "placeholder_texts",
    "process_clips",
    "select",
    "shuffle_frames",
    "shuffle_groups",
    "tokenize",
    "user_message",
    "vision_token_ids",
]
