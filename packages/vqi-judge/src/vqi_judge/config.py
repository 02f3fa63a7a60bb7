"""The judge's settings: which checkpoint, where it runs, how it samples videos and decodes answers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class JudgeConfig:
    """How a :class:`~vqi_judge.Judge` loads and runs (``Judge.from_config``; the apps' ``judge`` section).

    Attributes:
        model: a local folder written by ``save_pretrained`` or a hub id; None: the caller names
            it (the apps: their default judge).
        device: ``cpu``, ``cuda``, ``cuda:1``, …
        dtype: ``auto`` (as saved), ``bfloat16``, ``float32``, …
        trust_remote_code: allow model code from the checkpoint (off by default).
        fps: frames per second sampled from each video.
        max_frames: most frames per video.
        min_pixels: fewest pixels per frame; None: the processor's ``size["shortest_edge"]``.
        max_pixels: most pixels per frame; None: the processor's ``size["longest_edge"]``.
        batch_size: prompts per ``generate`` call.
        max_new_tokens: completion length limit.
        do_sample: sample instead of greedy decoding; ``temperature`` applies then.
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
