"""Pairs JSONL, the encode-once latent cache and the skipping of bad pairs."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from safetensors import safe_open

from vqi_diffdpo import (
    DiffDPOConfig,
    LatentCache,
    PreferencePair,
    read_pairs_jsonl,
    write_pairs_jsonl,
)
from vqi_diffdpo.data import SkipPair
from vqi_diffdpo.dataset import prepare_pairs
from vqi_diffdpo.family import WanFamily


def write_mp4(path: Path, frames: np.ndarray) -> None:
    """Encode ``(frames, height, width, 3) uint8`` with FFmpeg's MPEG-4 encoder through PyAV."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=8)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())


def read_mp4(path: str) -> np.ndarray:
    """Decode every frame as RGB, ``(frames, height, width, 3) uint8``."""
    with av.open(path) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def test_jsonl_round_trip_resolves_relative_paths(tmp_path: Path) -> None:
    pairs = [
        PreferencePair("a cat", "clips/a.mp4", "clips/b.mp4", {"judge": "vq-insight", "wins": 7}),
        PreferencePair("a dog", "/data/c.mp4", "d.mp4"),
    ]
    path = tmp_path / "pairs.jsonl"
    write_pairs_jsonl(path, pairs)
    assert json.loads(path.read_text().splitlines()[0])["provenance"] == {
        "judge": "vq-insight",
        "wins": 7,
    }
    back = read_pairs_jsonl(path)
    assert back[0] == PreferencePair(
        "a cat",
        str(tmp_path / "clips/a.mp4"),
        str(tmp_path / "clips/b.mp4"),
        {"judge": "vq-insight", "wins": 7},
    )
    assert back[1].winner == "/data/c.mp4" and back[1].provenance == {}


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("{not json", r"pairs.jsonl:2: not valid JSON"),
        ('{"prompt": "p", "winner": "w.mp4"}', r"pairs.jsonl:2: keys \['loser'\] must be strings"),
        (
            '{"prompt": "p", "winner": "w", "loser": "l", "provenance": 3}',
            "provenance must be an object",
        ),
    ],
)
def test_malformed_jsonl_names_file_and_line(tmp_path: Path, line: str, match: str) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"prompt": "p", "winner": "w", "loser": "l"}\n' + line + "\n")
    with pytest.raises(ValueError, match=match):
        read_pairs_jsonl(path)


def test_cache_encodes_each_clip_once_and_notices_edits(tmp_path: Path) -> None:
    clip = tmp_path / "a.npy"
    np.save(clip, np.full((5, 32, 32, 3), 7, np.uint8))
    decoded, encoded = [], []

    def load(path: str) -> np.ndarray:
        decoded.append(path)
        return np.load(path)

    def encode(frames: np.ndarray) -> torch.Tensor:
        encoded.append(frames.shape)
        return torch.full((4, 2, 4, 4), float(frames[0, 0, 0, 0]))

    cache = LatentCache(tmp_path / "cache", "ns-1")
    first = cache.clip(str(clip), load, encode, (5, 32, 32))
    second = cache.clip(str(clip), load, encode, (5, 32, 32))
    assert first == second and len(decoded) == 1 and len(encoded) == 1
    assert torch.equal(cache.load(first.key), torch.full((4, 2, 4, 4), 7.0))
    with safe_open(str(tmp_path / "cache" / f"{first.key}.safetensors"), "pt") as f:
        assert f.metadata()["path"] == str(clip.resolve())
    # Editing the clip changes its mtime and size key: it is encoded again.
    np.save(clip, np.full((5, 32, 32, 3), 9, np.uint8))
    os.utime(clip, ns=(1, 1))
    edited = cache.clip(str(clip), load, encode, (5, 32, 32))
    assert edited.key != first.key and torch.equal(
        cache.load(edited.key), torch.full((4, 2, 4, 4), 9.0)
    )
    # Another encoder (namespace) never reuses the first one's latents.
    other = LatentCache(tmp_path / "cache", "ns-2").clip(str(clip), load, encode, (5, 32, 32))
    assert other.key != edited.key and len(encoded) == 3
    assert not list((tmp_path / "cache").glob("*.tmp"))


def test_cache_skip_reasons(tmp_path: Path) -> None:
    cache = LatentCache(tmp_path / "cache", "ns")
    encode = lambda frames: torch.zeros(1)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    small = tmp_path / "small.mp4"
    write_mp4(small, np.zeros((5, 16, 16, 3), np.uint8))
    floats = tmp_path / "floats.npy"
    np.save(floats, np.zeros((5, 32, 32, 3), np.float32))
    cases = [
        (str(tmp_path / "gone.mp4"), read_mp4, "missing", "does not exist"),
        (str(bad), read_mp4, "undecodable", "InvalidDataError"),
        (
            str(floats),
            np.load,
            "undecodable",
            r"float32 \(5, 32, 32, 3\), not \(F, H, W, 3\) uint8",
        ),
        (str(small), read_mp4, "mismatched_size", "is 5x16x16 .* the run needs 5x32x32"),
    ]
    for path, loader, reason, match in cases:
        with pytest.raises(SkipPair, match=match) as info:
            cache.clip(path, loader, encode, (5, 32, 32))
        assert info.value.reason == reason


def test_prepare_pairs_skips_bad_pairs_and_logs_each(
    tiny_wan: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rng = np.random.default_rng(0)
    clips = {}
    for name in ("w0", "l0", "w1", "l1"):
        clips[name] = tmp_path / f"{name}.mp4"
        write_mp4(clips[name], rng.integers(0, 255, (5, 32, 32, 3), dtype=np.uint8))
    write_mp4(tmp_path / "small.mp4", np.zeros((5, 16, 16, 3), np.uint8))
    (tmp_path / "bad.mp4").write_bytes(b"\x00" * 64)
    pairs = [
        PreferencePair("a red ball", str(clips["w0"]), str(clips["l0"])),
        PreferencePair("a cat", str(tmp_path / "missing.mp4"), str(clips["l0"])),
        PreferencePair("a cat", str(clips["w1"]), str(tmp_path / "bad.mp4")),
        PreferencePair("a cat", str(clips["w1"]), str(clips["w1"])),
        PreferencePair("a cat", str(clips["w1"]), str(tmp_path / "small.mp4")),
        PreferencePair("a dog", str(clips["w1"]), str(clips["l1"])),
    ]
    cfg = DiffDPOConfig(
        model=str(tiny_wan), output_dir=str(tmp_path / "run"), max_sequence_length=16
    )
    with caplog.at_level(logging.WARNING, logger="vqi_diffdpo.data"):
        prepared = prepare_pairs(cfg, WanFamily(), pairs, read_mp4, torch.device("cpu"), False)
    assert dict(prepared.skipped.counts) == {
        "missing": 1,
        "undecodable": 1,
        "identical": 1,
        "mismatched_size": 1,
    }
    assert prepared.skipped.summary() == (
        "4 skipped (identical 1, mismatched_size 1, missing 1, undecodable 1)"
    )
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 4
    assert any("skipping pair 1" in m and "missing: " in m for m in messages)
    assert any("skipping pair 3" in m and "identical: " in m for m in messages)
    assert len(prepared.pairs) == 2 and prepared.pairs[0].prompt_key != prepared.pairs[1].prompt_key
    winner = prepared.clips.load(prepared.pairs[0].winner_key)
    assert winner.shape == (4, 2, 8, 8)  # z_dim, 1 + (5 - 1) / 4 frames, 32 / 4, 32 / 4
    assert prepared.prompts.load(prepared.pairs[0].prompt_key).shape == (16, 32)

    # A second run finds everything in the cache, identical pairs included, and decodes nothing.
    def never(path: str) -> np.ndarray:
        raise AssertionError(f"decoded {path} again")

    again = prepare_pairs(
        cfg, WanFamily(), pairs[:1] + pairs[3:4], never, torch.device("cpu"), False
    )
    assert again.pairs == prepared.pairs[:1] and dict(again.skipped.counts) == {"identical": 1}
