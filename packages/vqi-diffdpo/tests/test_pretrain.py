"""pretrain_generator turns the tiny Wan into a generator of its training clips.

Real tiny models on 32x32 clips of a coloured square over a two-colour gradient (the colour named
in the prompt, half of the clips under- or over-exposed); no mocks, nothing downloaded.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from diffusers import WanPipeline

from vqi_diffdpo import WanFamily, build_tiny_unet3d, pretrain_generator

COLOURS = {
    "red": (200, 40, 40),
    "green": (40, 180, 60),
    "blue": (50, 70, 210),
    "yellow": (220, 200, 40),
}
FRAMES, SIZE = 5, 32


def square_clip(rng: np.random.Generator, colour: str) -> np.ndarray:
    """A square of ``colour`` gliding over a random two-colour gradient, maybe badly exposed."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] / (SIZE - 1)
    ends = rng.uniform(60, 200, (2, 3))
    ramp = (xx + yy)[..., None] / 2 if rng.random() < 0.5 else xx[..., None]
    background = (1 - ramp) * ends[0] + ramp * ends[1]
    side = SIZE // 3
    start, velocity = rng.uniform(0, SIZE - side, 2), rng.uniform(-2, 2, 2)
    out = np.empty((FRAMES, SIZE, SIZE, 3))
    for t in range(FRAMES):
        y, x = np.clip(start + velocity * t, 0, SIZE - side).astype(int)
        out[t] = background
        out[t, y : y + side, x : x + side] = COLOURS[colour]
    if rng.random() < 0.5:
        out *= rng.uniform(0.4, 1.6)
    return np.clip(out, 0, 255).astype(np.uint8)


def examples(rng: np.random.Generator, n: int) -> list[tuple[str, np.ndarray]]:
    """``n`` (prompt, clip) pairs whose square has the prompt's colour."""
    colours = [sorted(COLOURS)[int(i)] for i in rng.integers(0, len(COLOURS), n)]
    return [(f"a {c} square gliding over a soft gradient", square_clip(rng, c)) for c in colours]


@pytest.fixture
def wan(tiny_wan: Path, tmp_path: Path) -> Path:
    """A private copy of the session's tiny Wan: pretraining rewrites its folder."""
    return Path(shutil.copytree(tiny_wan, tmp_path / "wan"))


def _reconstruction_error(folder: Path, clips: list[np.ndarray]) -> float:
    pipe = WanPipeline.from_pretrained(folder)
    family = WanFamily()
    errors = []
    with torch.no_grad():
        for frames in clips:
            latents = family.encode_video(pipe, frames)[None]  # (1, channels, f, h, w)
            mean = torch.tensor(pipe.vae.config.latents_mean).view(1, -1, 1, 1, 1)
            std = torch.tensor(pipe.vae.config.latents_std).view(1, -1, 1, 1, 1)
            video = pipe.vae.decode(latents * std + mean).sample[0]  # (3, f, h, w) in [-1, 1]
            target = torch.from_numpy(frames).permute(3, 0, 1, 2).float() / 127.5 - 1
            errors.append(((video - target) ** 2).mean().item())
    return float(np.mean(errors))


def test_tiny_vae_starts_as_an_exact_average_pooling_autoencoder(tiny_wan: Path) -> None:
    frames = square_clip(np.random.default_rng(0), "red")
    pipe = WanPipeline.from_pretrained(tiny_wan)
    with torch.no_grad():
        latents = WanFamily().encode_video(pipe, frames)  # (4, 2, 8, 8), mean 0 std 1 config
        video = pipe.vae.decode(latents[None]).sample[0]  # (3, 5, 32, 32)
    pixels = torch.from_numpy(frames).permute(3, 0, 1, 2).float() / 127.5 - 1
    blocks = torch.nn.functional.avg_pool3d(pixels, (1, 4, 4))  # (3, 5, 8, 8)
    assert torch.allclose(latents[:3, 0], blocks[:, 0], atol=1e-3)  # latent frame 0: frame 0
    assert torch.allclose(latents[:3, 1], blocks[:, 4], atol=1e-3)  # latent frame 1: frame 4
    assert torch.allclose(latents[3], latents[:3].mean(0), atol=1e-3)
    shown = blocks[:, [0, 4, 4, 4, 4]].repeat_interleave(4, 2).repeat_interleave(4, 3)
    assert torch.allclose(video, shown, atol=1e-3)


def test_vae_phase_lowers_reconstruction_error_and_sets_the_latent_normalisation(
    wan: Path,
) -> None:
    held_out = [frames for _, frames in examples(np.random.default_rng(99), 8)]
    before = _reconstruction_error(wan, held_out)
    losses = pretrain_generator(
        wan, examples, num_clips=32, vae_steps=60, vae_batch_size=8, steps=1, progress=False
    )
    after = _reconstruction_error(wan, held_out)
    print(f"reconstruction MSE {before:.4f} -> {after:.4f}; {losses}")
    assert after < 0.85 * before  # typically 0.016 -> 0.012
    assert losses["vae_loss_last"] < losses["vae_loss_first"]
    pipe = WanPipeline.from_pretrained(wan)  # saved, not only set in memory
    assert pipe.vae.config.latents_std != [1.0] * 4
    # The statistics are those of the pool (drawn first, from default_rng(seed)): re-encoded with
    # them, the pool has zero mean and unit std per channel, as WanPipeline's noise expects.
    pool = [frames for _, frames in examples(np.random.default_rng(0), 32)]
    with torch.no_grad():
        latents = torch.stack([WanFamily().encode_video(pipe, frames) for frames in pool])
    assert latents.mean(dim=(0, 2, 3, 4)).abs().max() < 1e-3
    assert (latents.std(dim=(0, 2, 3, 4)) - 1).abs().max() < 1e-3


def test_flow_matching_loss_drops(wan: Path) -> None:
    losses = pretrain_generator(
        wan, examples, num_clips=32, vae_steps=0, steps=120, batch_size=8, progress=False
    )
    print(losses)
    assert losses["loss_last"] < 0.7 * losses["loss_first"]
    assert np.isnan(losses["vae_loss_first"])


def test_samples_take_the_colour_the_prompt_names(wan: Path) -> None:
    pretrain_generator(wan, examples, num_clips=128, vae_steps=0, steps=300, progress=False)
    pipe = WanPipeline.from_pretrained(wan)
    pipe.set_progress_bar_config(disable=True)

    def red_minus_blue(colour: str, seed: int) -> float:
        video = pipe(
            f"a {colour} square gliding over a soft gradient",
            num_frames=FRAMES,
            height=SIZE,
            width=SIZE,
            num_inference_steps=8,
            guidance_scale=1.0,
            max_sequence_length=16,
            generator=torch.Generator().manual_seed(seed),
            output_type="pt",
        ).frames[0]  # (frames, 3, height, width) in [0, 1]
        return (video[:, 0].mean() - video[:, 2].mean()).item()

    # Same seed, same starting noise: the prompt is the only difference within a pair.
    gaps = [red_minus_blue("red", s) - red_minus_blue("blue", s) for s in range(100, 106)]
    print("red-minus-blue gap per seed", np.round(gaps, 3))
    assert min(gaps) > 0
    assert np.mean(gaps) > 0.03  # the square covers ~1/9 of the frame; its R-B swing is ~0.6


def test_errors_name_the_bad_value_and_the_fix(wan: Path, tmp_path: Path) -> None:
    def grey(rng: np.random.Generator, n: int) -> list[tuple[str, np.ndarray]]:
        return [("a clip", np.zeros((FRAMES, SIZE, SIZE, 3), np.float32))] * n

    with pytest.raises(ValueError, match="example 0: frames of float32.*uint8"):
        pretrain_generator(wan, grey, num_clips=2, vae_steps=0, steps=1, progress=False)

    def short(rng: np.random.Generator, n: int) -> list[tuple[str, np.ndarray]]:
        return [("a clip", np.zeros((4, SIZE, SIZE, 3), np.uint8))] * n

    with pytest.raises(ValueError, match="num_frames=4.*4k \\+ 1"):
        pretrain_generator(wan, short, num_clips=2, vae_steps=0, steps=1, progress=False)
    with pytest.raises(ValueError, match="steps=0"):
        pretrain_generator(wan, examples, steps=0, progress=False)
    unet = build_tiny_unet3d(tmp_path / "unet3d")
    with pytest.raises(ValueError, match="TextToVideoSDPipeline.*WanPipeline"):
        pretrain_generator(unet, examples, progress=False)
