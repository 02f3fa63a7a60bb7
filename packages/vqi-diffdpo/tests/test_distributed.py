"""Two CPU processes (torchrun + accelerate, gloo) train exactly like one with the same batch."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from safetensors.torch import load_file

from vqi_diffdpo import DiffDPOConfig, PreferencePair, train, write_pairs_jsonl

SCRIPT = """
import sys
import numpy as np
import vqi_diffdpo as V

cfg = V.load_config(sys.argv[1])
V.train(cfg, V.read_pairs_jsonl(sys.argv[2]), np.load)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_match_one_with_the_same_global_batch(
    tiny_wan: Path, tmp_path: Path, make_pairs: Callable[..., list[PreferencePair]]
) -> None:
    pairs = make_pairs(6)
    jsonl = tmp_path / "pairs.jsonl"
    write_pairs_jsonl(jsonl, pairs)
    common = dict(
        model=str(tiny_wan),
        cache_dir=str(tmp_path / "cache"),
        max_sequence_length=16,
        learning_rate=1e-3,
        max_steps=3,
        gradient_accumulation_steps=2,
        cpu=True,
    )
    one = train(
        DiffDPOConfig(output_dir=str(tmp_path / "one"), batch_size=4, **common), pairs, np.load
    )

    config = tmp_path / "two.yaml"
    config.write_text(
        yaml.safe_dump({**common, "output_dir": str(tmp_path / "two"), "batch_size": 2})
    )
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_addr",
        "127.0.0.1",
        "--master_port",
        str(_free_port()),
        str(script),
        str(config),
        str(jsonl),
    ]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]

    two = json.loads((tmp_path / "two" / "checkpoint-3" / "trainer_state.json").read_text())
    # 6 micro-steps of 4 pairs from 6 pairs: one per epoch. A single process with batch 2
    # (the launcher not spawning two) would stop at epoch 1, position 6.
    assert (two["epoch"], two["position"]) == (one.state.epoch, one.state.position) == (5, 4)
    assert two["losses"] == pytest.approx(one.state.losses, rel=1e-5)
    assert two["accuracies"] == one.state.accuracies
    assert one.state.losses[-1] < one.state.losses[0]
    a = load_file(str(one.checkpoint_dir / "transformer" / "diffusion_pytorch_model.safetensors"))
    b = load_file(
        str(
            tmp_path
            / "two"
            / "checkpoint-3"
            / "transformer"
            / "diffusion_pytorch_model.safetensors"
        )
    )
    start = load_file(str(tiny_wan / "transformer" / "diffusion_pytorch_model.safetensors"))
    assert a.keys() == b.keys()
    # Summation order differs between one process and an all-reduce of two: float32 noise, which
    # AdamW's normalised steps carry to ~2e-5 in the 4-layer tiny Wan; training moves them > 1e-3.
    assert all(torch.allclose(a[k], b[k], atol=5e-5) for k in a)
    assert max((a[k] - start[k]).abs().max().item() for k in a) > 1e-3  # it did train
