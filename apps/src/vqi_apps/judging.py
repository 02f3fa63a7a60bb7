"""The judge settings every app shares, and opening a judge from them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from vqi_apps.defaults import tiny_judge
from vqi_judge import Judge, is_hub_id


@dataclass
class JudgeConfig:
    """Which judge runs and how it samples videos.

    Attributes:
        model: a local folder or a hub id; None: the tiny judge, built on first use.
        device: ``cpu``, ``cuda``, ``cuda:1``, …
        dtype: ``auto`` (as saved), ``bfloat16``, ``float32``, …
        trust_remote_code: allow model code from the checkpoint (off by default).
        fps: frames per second sampled from each video.
        max_frames: most frames per video.
        min_pixels: fewest pixels per frame; None: the processor's setting.
        max_pixels: most pixels per frame; None: the processor's setting.
        batch_size: prompts per generate call.
        max_new_tokens: completion length limit.
        do_sample: sample instead of greedy decoding.
        temperature: sampling temperature.
    """

    model: str | None = None
    device: str = "cpu"
    dtype: str = "auto"
    trust_remote_code: bool = False
    fps: float = 2.0
    max_frames: int = 16
    min_pixels: int | None = None
    max_pixels: int | None = None
    batch_size: int = 8
    max_new_tokens: int = 256
    do_sample: bool = False
    temperature: float = 1.0


def open_judge(config: JudgeConfig) -> Judge:
    """Load the configured judge (building the tiny default when no model is named)."""
    return Judge.from_pretrained(
        config.model or tiny_judge(),
        device=config.device,
        dtype=config.dtype,
        trust_remote_code=config.trust_remote_code,
        fps=config.fps,
        max_frames=config.max_frames,
        min_pixels=config.min_pixels,
        max_pixels=config.max_pixels,
        batch_size=config.batch_size,
        max_new_tokens=config.max_new_tokens,
        do_sample=config.do_sample,
        temperature=config.temperature,
    )


# Settings that change how fast predictions come, not what they are.
_NOT_IN_IDENTITY = ("device", "batch_size")


def judge_identity(config: JudgeConfig) -> dict[str, Any]:
    """What determines the judge's predictions: its weights (a hub id, or each weight and config
    file's name, size and modification time) and its generation settings."""
    settings = {k: v for k, v in asdict(config).items() if k not in ("model", *_NOT_IN_IDENTITY)}
    return {"weights": model_identity(config.model or tiny_judge()), "settings": settings}


def model_identity(model: str | Path) -> Any:
    """Which weights a model folder holds: each weight and config file's path in the folder, size
    and modification time (a rewritten file changes it); a hub id stands for itself."""
    if is_hub_id(model):
        return str(model)
    folder = Path(model).expanduser().resolve()
    files = sorted(p for p in folder.rglob("*") if p.suffix in (".safetensors", ".json") and p.is_file())
    stats = [[str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns] for p in files]
    return {"folder": str(folder), "files": stats}


def media_identity(paths: list[str | Path]) -> list[list[int]]:
    """Size and modification time of each media file: a prediction is reused only for the same files."""
    return [[Path(p).stat().st_size, Path(p).stat().st_mtime_ns] for p in paths]
