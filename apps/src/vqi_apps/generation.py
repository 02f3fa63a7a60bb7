"""The generator and the judge as a selector: what apps/generate.py and stage 3's steps 1-2 share.

``sample_candidates`` makes N clips per prompt from a diffusers pipeline and saves each as an
H.264 MP4 with its seed; ``run_tournament`` lets the judge compare every pair of a prompt's
candidates (vqi-tournament's schedule, vqi-judge's batched ``compare_pairs``: each clip encoded
once), recording each prompt's verdicts durably before tallying.

On disk, a candidate folder holds ``<prompt_id>_c<k>.mp4`` and one ``<prompt_id>.json`` per
prompt (prompt, seeds, clip names), written atomically after its clips: a prompt whose JSON
exists is complete. A tournament folder holds ``log.jsonl`` (vqi-tournament's durable record of
verdicts), ``reasoning/<prompt_id>.json`` (the judge's text per ordered pair: written and read
by ``vqi_apps.runfolder``) and, once every prompt is judged, ``results.jsonl`` (wins, best,
worst, win matrix per prompt: :func:`outcome`, written and read by ``vqi_apps.runfolder``).
"""

from __future__ import annotations

import inspect
import json
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from diffusers import DiffusionPipeline
from tqdm.auto import tqdm

from vqi_apps.defaults import tiny_generator
from vqi_apps.processes import Processes
from vqi_apps.runfolder import PromptOutcome, read_reasoning, write_reasoning
from vqi_diffdpo import detect_family
from vqi_judge import Judge
from vqi_tournament import PromptResult, TournamentLog, TournamentResult, write_atomic
from vqi_video.synthetic import write_clip


@dataclass
class GeneratorConfig:
    """Which text-to-video generator samples candidates, and how.

    Attributes:
        model: a diffusers WanPipeline or TextToVideoSDPipeline folder; None: the tiny Wan,
            built on first use.
        device: ``cpu``, ``cuda``, ...
        num_frames: frames per clip (Wan: 4k + 1).
        height: clip height in pixels.
        width: clip width in pixels.
        num_inference_steps: denoising steps per clip.
        guidance_scale: classifier-free guidance (1.0 turns it off).
        max_sequence_length: prompt length in tokens (Wan); DPO must use the same.
        fps: frame rate written into the MP4 files.
        batch_size: candidates per pipeline call.
    """

    model: str | None = None
    device: str = "cpu"
    num_frames: int = 5
    height: int = 32
    width: int = 32
    num_inference_steps: int = 8
    guidance_scale: float = 1.0
    max_sequence_length: int = 512
    fps: int = 8
    batch_size: int = 4


@dataclass(frozen=True)
class Candidates:
    """One prompt's candidate clips.

    Attributes:
        prompt_id: the prompt's id.
        prompt: the prompt text.
        seeds: the generation seed of each clip.
        clips: the clip files, in candidate order.
    """

    prompt_id: str
    prompt: str
    seeds: tuple[int, ...]
    clips: tuple[Path, ...]


def generator_path(config: GeneratorConfig) -> Path:
    """The generator folder the config names (building the tiny default when it names none)."""
    return Path(config.model) if config.model else tiny_generator()


def open_generator(path: str | Path, device: str = "cpu") -> DiffusionPipeline:
    """Load a generator folder with its own pipeline class (safetensors only, no remote code)."""
    family = detect_family(path)
    pipe = family.pipeline_class.from_pretrained(str(path), use_safetensors=True).to(device)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def candidate_seeds(seed: int, prompt_index: int, n: int) -> list[int]:
    """The seeds of a prompt's candidates: the same in every round, so rounds compare like for like."""
    return [seed + 1000 * prompt_index + k for k in range(n)]


def sample(pipe: DiffusionPipeline, config: GeneratorConfig, prompt: str, seeds: Sequence[int]) -> np.ndarray:
    """Sample one clip per seed for ``prompt``: ``(len(seeds), frames, H, W, 3)`` uint8.

    Each clip's starting noise comes from its own seeded generator, so a clip does not depend
    on which other clips share its batch.
    """
    extra = {}
    if "max_sequence_length" in inspect.signature(pipe.__call__).parameters:
        extra["max_sequence_length"] = config.max_sequence_length
    out = []
    for start in range(0, len(seeds), config.batch_size):
        chunk = seeds[start : start + config.batch_size]
        frames = pipe(
            prompt=[prompt] * len(chunk),
            generator=[torch.Generator(config.device).manual_seed(s) for s in chunk],
            num_frames=config.num_frames,
            height=config.height,
            width=config.width,
            num_inference_steps=config.num_inference_steps,
            guidance_scale=config.guidance_scale,
            output_type="np",
            **extra,
        ).frames
        out.append(np.asarray(frames))
    video = np.concatenate(out)
    return (video.clip(0.0, 1.0) * 255.0).round().astype(np.uint8)


def read_candidates(folder: Path, prompt_id: str) -> Candidates | None:
    """A prompt's complete candidates in ``folder``, or None when they are not all written."""
    record = folder / f"{prompt_id}.json"
    if not record.is_file():
        return None
    data = json.loads(record.read_text(encoding="utf-8"))
    clips = tuple(folder / name for name in data["clips"])
    if not all(c.is_file() for c in clips):
        return None
    return Candidates(prompt_id, data["prompt"], tuple(data["seeds"]), clips)


def sample_candidates(
    pipe: DiffusionPipeline,
    config: GeneratorConfig,
    folder: Path,
    prompts: Sequence[tuple[str, str, Sequence[int]]],
    *,
    desc: str = "generate",
    progress: bool = True,
) -> list[Candidates]:
    """Make and save the candidates of every ``(prompt_id, prompt, seeds)``; complete prompts are kept
    (``progress``: show a progress bar).

    Returns:
        Every prompt's candidates, in input order.
    """
    results = []
    for prompt_id, prompt, seeds in tqdm(prompts, desc=desc, unit="prompt", disable=not progress):
        done = read_candidates(folder, prompt_id)
        if done is None or done.prompt != prompt or list(done.seeds) != list(seeds):
            names = [f"{prompt_id}_c{k}.mp4" for k in range(len(seeds))]
            for name, frames in zip(names, sample(pipe, config, prompt, seeds)):
                write_clip(folder / name, frames, fps=config.fps)
            record = {"prompt": prompt, "seeds": list(seeds), "clips": names}
            write_atomic(folder / f"{prompt_id}.json", json.dumps(record, indent=1).encode("utf-8"))
            done = Candidates(prompt_id, prompt, tuple(seeds), tuple(folder / name for name in names))
        results.append(done)
    return results


@dataclass(frozen=True)
class Tournament:
    """A finished tournament of one prompt's candidates, with the judge's text per ordered pair."""

    candidates: Candidates
    result: TournamentResult
    reasoning: dict[tuple[int, int], str]

    def prompt_result(self, relative_to: Path, round: int, generator: str, judge: str) -> PromptResult:
        """As vqi-tournament's ``PromptResult``, clip paths relative to ``relative_to``."""
        clips = [os.path.relpath(c, relative_to) for c in self.candidates.clips]
        return PromptResult(
            self.candidates.prompt_id, self.candidates.prompt, clips, self.result,
            round=round, generator=generator, judge=judge, seeds=self.candidates.seeds,
        )


def run_tournament(
    judge: Judge, candidates: Sequence[Candidates], folder: Path, *, both_orders: bool, seed: int,
    desc: str = "tournament", processes: Processes = Processes(),
) -> list[Tournament]:
    """Judge every pair of each prompt's candidates (resuming from ``folder``) and tally them.

    Each prompt's pending comparisons go to the judge in one batch (each clip encoded once)
    and are recorded together in ``log.jsonl``: a kill loses at most one prompt's verdicts per
    process. A sampling judge draws from a generator seeded with ``seed`` and the prompt id, so a
    resumed run, or one on another number of processes, gives the verdicts an uninterrupted one
    does. Ties on wins are broken by a random draw seeded the same way.

    On several processes, each judges every ``world``-th prompt; process 0 records the verdicts
    of each round of ``world`` prompts (the log's only writer) and returns the tallies, the
    others an empty list.
    """
    log = TournamentLog(folder / "log.jsonl")
    starts = range(0, len(candidates), processes.world)
    for start in tqdm(starts, desc=desc, unit=f"{processes.world} prompts" if processes.world > 1 else "prompt",
                      disable=not processes.main):
        judged = []
        for item in processes.share(candidates[start : start + processes.world]):
            pending = log.pending(item.prompt_id, len(item.clips), both_orders=both_orders)
            if pending:
                torch.manual_seed(zlib.crc32(f"{seed}/{item.prompt_id}".encode()))
                verdicts = judge.compare_pairs(item.clips, pending, prompt=item.prompt)
                judged.append((item.prompt_id, [(pair, v.winner, v.text) for pair, v in zip(pending, verdicts)]))
        everyone = processes.gather(judged)
        for prompt_id, verdicts in everyone if processes.main else []:
            reasoning = read_reasoning(folder, prompt_id) | {pair: text for pair, _, text in verdicts}
            write_reasoning(folder, prompt_id, reasoning)
            log.record(prompt_id, [(pair, winner) for pair, winner, _ in verdicts])
    if not processes.main:
        return []
    return [Tournament(item, log.tally(item.prompt_id, len(item.clips), both_orders=both_orders,
                                       seed=f"{seed}/{item.prompt_id}"), read_reasoning(folder, item.prompt_id))
            for item in candidates]


def outcome(tournament: Tournament, relative_to: Path) -> PromptOutcome:
    """A judged prompt as its row of ``results.jsonl`` (clip paths relative to ``relative_to``)."""
    c, r = tournament.candidates, tournament.result
    return PromptOutcome(
        prompt_id=c.prompt_id, prompt=c.prompt, clips=[os.path.relpath(p, relative_to) for p in c.clips],
        seeds=list(c.seeds), wins=list(r.wins), best=r.best, worst=r.worst,
        win_matrix=[list(row) for row in r.win_matrix], disagreement_rate=r.disagreement_rate,
    )
