"""Opening the judge of an app's ``judge`` section (``vqi_judge.JudgeConfig``; the tiny judge when it
names none), and the identity of its predictions."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from vqi_apps.defaults import tiny_judge
from vqi_judge import Judge, JudgeConfig, is_hub_id


def open_judge(config: JudgeConfig) -> Judge:
    """Load the configured judge (building the tiny default when no model is named)."""
    return Judge.from_config(replace(config, model=config.model or str(tiny_judge())))


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
