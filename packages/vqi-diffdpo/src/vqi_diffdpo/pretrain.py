"""Pre-train a Wan generator in place on clips that a callable supplies, CPU-sized.

Two phases on one pool of ``(prompt, clip)`` examples drawn once:

1. **VAE**: reconstruction (mean squared error of the decoded posterior mean) refines the
   autoencoder; then ``latents_mean`` / ``latents_std`` are set per channel from the pool's
   latents and saved in the VAE config, so ``WanPipeline`` de-normalises samples correctly.
2. **Generator**: flow matching in that normalised latent space (``x_t = (1 - σ) x0 + σ ε``,
   target ``ε - x0``, timesteps drawn with the pipeline sampler's shift), training the transformer
   *and the text encoder* together: with a frozen random text encoder the transformer took
   thousands of steps to tell the prompts apart, trained together they separate within hundreds.

The package stays data-agnostic: ``examples(rng, n)`` returns the clips. Because the pool mixes
clean and degraded clips with nothing in the prompt to tell them apart, samples vary in quality
from seed to seed, which is what a preference method then has to move.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from diffusers import WanPipeline
from tqdm.auto import tqdm

from vqi_diffdpo.family import WanFamily, _pixels, detect_family
from vqi_diffdpo.schedule import schedule_for

Examples = Callable[[np.random.Generator, int], list[tuple[str, np.ndarray]]]


def _draw(examples: Examples, rng: np.random.Generator, n: int) -> tuple[list[str], np.ndarray]:
    """Call ``examples`` once and check what it returns: ``n`` prompts and equal-shape clips."""
    rows = examples(rng, n)
    if not isinstance(rows, list) or len(rows) != n:
        got = f"a list of {len(rows)}" if isinstance(rows, list) else type(rows).__name__
        raise ValueError(
            f"examples(rng, {n}) returned {got}; return a list of {n} (prompt, frames) pairs"
        )
    prompts, clips = [], []
    for i, row in enumerate(rows):
        if not isinstance(row, tuple | list) or len(row) != 2:
            raise ValueError(f"example {i} is {type(row).__name__}; return (prompt, frames) pairs")
        prompt, frames = row
        if not isinstance(prompt, str) or not prompt:
            raise ValueError(f"example {i}: prompt {prompt!r} must be a non-empty string")
        if not isinstance(frames, np.ndarray):
            raise ValueError(
                f"example {i}: frames are {type(frames).__name__}; return a numpy array"
            )
        if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
            raise ValueError(
                f"example {i}: frames of {frames.dtype} with shape {frames.shape}; return "
                "(frames, height, width, 3) uint8"
            )
        if frames.shape != rows[0][1].shape:
            raise ValueError(
                f"example {i}: frames of shape {frames.shape} but example 0 has "
                f"{rows[0][1].shape}; every clip must share one (frames, height, width, 3) shape"
            )
        prompts.append(prompt)
        clips.append(frames)
    return prompts, np.stack(clips)


def _window_means(losses: list[float]) -> tuple[float, float]:
    """Mean of the first and of the last tenth (at least one value) of a loss history."""
    if not losses:
        return math.nan, math.nan
    k = max(1, len(losses) // 10)
    return float(np.mean(losses[:k])), float(np.mean(losses[-k:]))


def _cosine(step: int, total: int, warmup: int) -> float:
    """Learning-rate factor: linear warm-up, then cosine decay to zero."""
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def pretrain_generator(
    path: str | Path,
    examples: Examples,
    *,
    num_clips: int = 256,
    vae_steps: int = 40,
    vae_batch_size: int = 8,
    vae_lr: float = 1e-4,
    steps: int = 3000,
    batch_size: int = 16,
    lr: float = 2e-3,
    max_sequence_length: int = 16,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, float]:
    """Train a saved ``WanPipeline`` folder on ``examples`` and save it back (safetensors).

    Runs on the CPU in float32 with the caller's torch thread setting. The pool of clips is drawn
    once with ``examples(numpy.random.default_rng(seed), num_clips)``; both phases sample batches
    from it. Sample the result with the clip shape of the examples and the same
    ``max_sequence_length`` (the stock pipeline pads prompts with zeros to that length, and the
    transformer attends to the padding, so a different length changes what it sees).

    Args:
        path: folder of a ``WanPipeline`` (e.g. from ``build_tiny_wan``), overwritten in place.
        examples: ``examples(rng, n) -> [(prompt, frames), ...]`` with ``n`` pairs, frames
            ``(frames, height, width, 3)`` uint8, one shape for all (Wan: ``4k + 1`` frames,
            sides divisible by the VAE stride times the patch size).
        num_clips: size of the pool drawn from ``examples``.
        vae_steps: reconstruction steps of the VAE phase (0 skips it; the normalisation is still
            measured and saved).
        vae_batch_size: clips per VAE step.
        vae_lr: AdamW learning rate of the VAE phase.
        steps: flow-matching steps of the generator phase.
        batch_size: clips per generator step.
        lr: peak AdamW learning rate of the generator phase (warm-up, then cosine decay to 0).
        max_sequence_length: prompt length in tokens used for training; sample (and run DPO)
            with the same value.
        seed: seeds the pool, the batches, the noise and the timesteps.
        progress: show a tqdm progress bar.

    Returns:
        ``vae_loss_first`` / ``vae_loss_last`` (reconstruction MSE on pixels in [-1, 1]) and
        ``loss_first`` / ``loss_last`` (flow-matching MSE), each the mean over the first or last
        tenth of the phase's steps (NaN for a phase of 0 steps).

    Raises:
        ValueError: for a folder that is not a ``WanPipeline``, bad sizes or bad examples (the
            message names the value and the fix).
    """
    family = detect_family(path)
    if not isinstance(family, WanFamily):
        raise ValueError(
            f"{path} holds a {family.pipeline_class.__name__}; pretrain_generator trains "
            "WanPipeline folders (build one with build_tiny_wan)"
        )
    sizes = {"num_clips": num_clips, "vae_batch_size": vae_batch_size, "steps": steps}
    sizes |= {"batch_size": batch_size, "max_sequence_length": max_sequence_length}
    for name, value in sizes.items():
        if value < 1:
            raise ValueError(f"{name}={value}; it must be at least 1")
    if vae_steps < 0:
        raise ValueError(f"vae_steps={vae_steps}; use 0 to skip the VAE phase, or more")

    pipe = WanPipeline.from_pretrained(path)
    vae, transformer, text_encoder = pipe.vae, pipe.transformer, pipe.text_encoder
    rng = np.random.default_rng(seed)
    generator = torch.Generator().manual_seed(seed)
    prompts, clips = _draw(examples, rng, num_clips)  # clips: (n, frames, height, width, 3)
    family.check_clip_shape(pipe, transformer.config, *clips.shape[1:4])

    def pixels(indices: torch.Tensor) -> torch.Tensor:  # (batch, 3, frames, height, width)
        return torch.stack([_pixels(clips[i], vae.device, vae.dtype) for i in indices.tolist()])

    bar = tqdm(total=vae_steps + steps, desc="pretrain", disable=not progress)
    vae_losses: list[float] = []
    optimizer = torch.optim.AdamW(vae.parameters(), lr=vae_lr, weight_decay=0.0)
    for _ in range(vae_steps):
        video = pixels(torch.randint(0, num_clips, (vae_batch_size,), generator=generator))
        recon = vae.decode(vae.encode(video).latent_dist.mode()).sample
        loss = torch.nn.functional.mse_loss(recon, video)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        vae_losses.append(loss.item())
        bar.set_postfix(phase="vae", loss=f"{loss.item():.4f}")
        bar.update()

    # encode_video normalises with the config's statistics: undo them, measure, store new ones.
    with torch.no_grad():
        encoded = torch.stack([family.encode_video(pipe, clip) for clip in clips])
    old_mean = torch.tensor(vae.config.latents_mean).view(1, -1, 1, 1, 1)
    old_std = torch.tensor(vae.config.latents_std).view(1, -1, 1, 1, 1)
    raw = encoded * old_std + old_mean  # (n, channels, latent_frames, h, w)
    mean, std = raw.mean(dim=(0, 2, 3, 4)), raw.std(dim=(0, 2, 3, 4))
    if bool((std < 1e-6).any()):
        raise ValueError(
            f"latent channels {torch.nonzero(std < 1e-6).flatten().tolist()} are constant over "
            "the clips (std < 1e-6): the VAE ignores them and they cannot be normalised; use a "
            "VAE whose every latent channel carries signal (build_tiny_wan's does)"
        )
    vae.register_to_config(latents_mean=mean.tolist(), latents_std=std.tolist())
    latents = (raw - mean.view(1, -1, 1, 1, 1)) / std.view(1, -1, 1, 1, 1)

    schedule = schedule_for(pipe.scheduler)
    params = [*transformer.parameters(), *text_encoder.parameters()]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    warmup = max(1, min(100, steps // 20))
    losses: list[float] = []
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = lr * _cosine(step, steps, warmup)
        indices = torch.randint(0, num_clips, (batch_size,), generator=generator)
        x0 = latents[indices]  # (batch, channels, latent_frames, h, w)
        noise = torch.randn(x0.shape, generator=generator)
        timesteps = schedule.sample_timesteps(batch_size, generator)
        # One text-encoder pass per distinct prompt of the batch, with gradients.
        batch_prompts = [prompts[i] for i in indices.tolist()]
        embeds = {p: family.encode_prompt(pipe, p, max_sequence_length) for p in set(batch_prompts)}
        prediction = family.predict(
            transformer,
            schedule.noisy(x0, noise, timesteps),
            timesteps,
            torch.stack([embeds[p] for p in batch_prompts]),  # (batch, sequence, dim)
        )
        loss = torch.nn.functional.mse_loss(prediction.float(), schedule.target(x0, noise))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        losses.append(loss.item())
        bar.set_postfix(phase="generator", loss=f"{loss.item():.4f}")
        bar.update()
    bar.close()

    pipe.save_pretrained(path)
    vae_first, vae_last = _window_means(vae_losses)
    first, last = _window_means(losses)
    return {
        "vae_loss_first": vae_first,
        "vae_loss_last": vae_last,
        "loss_first": first,
        "loss_last": last,
    }
