"""Evidence that the trainer learns a preference: fresh samples move toward what winners share.

Winners are the brighter clip of each pair. The tiny generator's transformer is random (not
pre-trained here), so the property is measured where the preference acts, in latent space: the
projection of a sample's mean latent on the "brighter" direction, i.e. the mean latent of bright
minus dark clips from a held-out set (other textures, never trained on). Samples come from the
stock WanPipeline with new seeds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from diffusers import WanPipeline

from vqi_diffdpo import DiffDPOConfig, PreferencePair, WanFamily, train

SEEDS = range(100, 110)  # sampling seeds, none used in training


def _brightness_direction(model: Path, held_out: list[PreferencePair]) -> torch.Tensor:
    pipe = WanPipeline.from_pretrained(model)
    family = WanFamily()
    with torch.no_grad():
        mean = lambda path: family.encode_video(pipe, np.load(path)).mean(dim=(1, 2, 3))
        bright = torch.stack([mean(p.winner) for p in held_out]).mean(0)
        dark = torch.stack([mean(p.loser) for p in held_out]).mean(0)
    direction = bright - dark  # (channels,)
    return direction / direction.norm()


def _scores(folder: Path, direction: torch.Tensor) -> torch.Tensor:
    pipe = WanPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    scores = []
    for seed in SEEDS:
        latents = pipe(
            "a video clip",
            num_frames=5,
            height=32,
            width=32,
            num_inference_steps=10,
            guidance_scale=1.0,
            max_sequence_length=16,
            output_type="latent",
            generator=torch.Generator().manual_seed(seed),
        ).frames  # (1, channels, frames, h, w)
        scores.append(latents[0].mean(dim=(1, 2, 3)) @ direction)
    return torch.stack(scores)


def test_dpo_moves_fresh_samples_toward_the_winners_property_and_swapping_reverses_it(
    tiny_wan: Path, tmp_path: Path, make_pairs: Callable[..., list[PreferencePair]]
) -> None:
    direction = _brightness_direction(tiny_wan, make_pairs(8, seed=1))

    def run(name: str, pairs: list[PreferencePair]) -> torch.Tensor:
        cfg = DiffDPOConfig(
            model=str(tiny_wan),
            output_dir=str(tmp_path / name),
            cache_dir=str(tmp_path / "cache"),
            max_sequence_length=16,
            learning_rate=1e-3,
            weight_decay=0.0,
            batch_size=4,
            max_steps=40,
            cpu=True,
        )
        result = train(cfg, pairs, np.load)
        assert result.state.accuracies[-1] == 1.0  # it separates its own training pairs
        return _scores(result.pipeline_dir, direction)

    base = _scores(tiny_wan, direction)
    brighter = run("dpo", make_pairs(16, seed=0))
    darker = run("swapped", make_pairs(16, seed=0, swap=True))
    spread = base.std().item()
    print(
        f"base {base.mean():.3f}±{spread:.3f}  dpo {brighter.mean():.3f}  "
        f"swapped {darker.mean():.3f}"
    )
    # Paired by seed (same initial noise): every sample moves, in the trained direction, and by
    # several times the seed-to-seed spread of the untrained model.
    assert (brighter > base).all() and (darker < base).all()
    assert (brighter - base).mean() > 3 * spread
    assert (base - darker).mean() > 3 * spread
