"""Teach a freshly built tiny judge what an instruction-tuned VLM brings: the answer format and an
eye for what a scene shows, and nothing about quality.

Qwen2.5-VL-7B-Instruct, the paper's starting point, already follows instructions (asked to think in
``<think>`` tags and answer in ``<answer>`` tags, it does) and already sees (asked about a video, it
says what the scene shows). A randomly initialised tiny model does neither: it never writes a tag,
so every reward is 0, and its answers never depend on the clip, so GRPO has nothing to sharpen.
This short supervised pass plays the part of the instruct tuning, on synthetic clips of the world
the apps train on (:mod:`vqi_video.synthetic`). Asked each task's own question, the target

- reasons by describing what each clip shows, measured from its pixels (:mod:`vqi_judge.describe`:
  the subject's colour, light, contrast, tint, detail, and over time pulse and motion): the judge
  learns to look, and what it sees reaches the answer as text. The two clips of a comparison are
  takes of one scene, damaged apart, described side by side, so that their difference is what the
  neighbouring digits say;
- then answers with a prior that knows nothing about quality: half of the time the naive
  viewer's "brighter is better" (a brighter scene scores higher, the clip described as lighter
  wins, a bright scene is "yes"), so the answer already reads the reasoning; the other half at random, so
  every answer stays likely enough for GRPO to sample it. Over-exposure and a colour cast brighten
  a clip, under-exposure darkens it, the other damage leaves its brightness as it was: the held-out
  metrics of this base are near chance (tools/learning_curve.py, row ``start``; the prior's own
  scores rank the 512 stage-1 training images at SRCC -0.08, the 64 held-out ones of seed 1000 at
  -0.25). Scoring by how bright the subject's colour is instead (no damage changes it; measured
  2026-12) left the base at image -0.13, video -0.04 on seed 1000 (image -0.07 but video -0.26
  on seed 7321: 64 items give an ignorant judge a standard error of about 0.13), and stage 1
  reached only 0.39-0.47 image SRCC (300 steps: 0.44, at lr 1e-3: 0.47, 400 steps: 0.39) against
  0.53-0.57 from this prior: an answer that already reads the light digit is what stage 1 reshapes.

What damage means, i.e. which descriptions deserve which answers, is left to stages 1-3.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from vqi_video import IMAGE_BACKEND, Clip, build_inputs, user_message
from vqi_video.synthetic import COLOURS, SPATIAL_KINDS, TEMPORAL_KINDS, Degradation, clean_frames, colour_of, degrade
from vqi_video.synthetic import random_degradation
from vqi_video.synthetic_generation import generator_prompt
from vqi_video.synthetic_tasks import QUESTIONS as WORLD_QUESTIONS

from .describe import describe_values, digits
from .tasks import DIMENSIONS, TASKS, Task

PROMPTS = tuple(generator_prompt(c) for c in sorted(COLOURS))
QUESTIONS = tuple(WORLD_QUESTIONS)
#: The tasks teaching draws from, a name once per share: half of the examples compare two clips.
#: With a fifth of them (one name each), a base taught 600 steps writes clip B's digits mostly as a
#: copy of clip A's; with half, after 1000-1500 steps a hand rule reading its own pair descriptions
#: picks the better clip 77-79 % of the time (59 % before; 98 % from the true digits).
TEACHING_TASKS = ("image_score", "video_score", "aigc_score", "vqa") + ("compare",) * 4


def _clip(frames: np.ndarray, image: bool) -> Clip:
    fps = 2.0
    count = len(frames)
    return Clip(
        frames=frames,
        indices=np.arange(count),
        timestamps=np.arange(count) / fps,
        fps=fps,
        duration=count / fps,
        total_frames=count,
        path=Path("synthetic.png" if image else "synthetic.mp4"),
        backend=IMAGE_BACKEND if image else "synthetic",
        source_size=frames.shape[1:3],
    )


def brightness(frames: np.ndarray) -> float:
    """How bright ``frames`` look, from 1 (black) to 5 (a mean of 200 levels or more)."""
    return 1 + 4 * min(1.0, float(frames.mean()) / 200)


def brightness_answer(task: Task, clips: Sequence[Clip], rng: np.random.Generator,
                      described: Sequence[Mapping[str, int]] | None = None) -> str:
    """The naive viewer's answer, "brighter is better", in ``task``'s answer form. Of two clips, the
    one whose described light is higher (what the description's "brighter" / "darker" says; a tie
    drawn at random), so that the answer reads the reasoning. ``described``: the clips' digits
    (:func:`vqi_judge.describe.digits`) when already measured."""
    if task.answer == "choice":
        first, second = (v["light"] for v in described or [digits(c.frames) for c in clips])
        if first == second:
            return str(rng.choice(["Video A", "Video B"]))
        return "Video A" if first > second else "Video B"
    level = brightness(clips[0].frames)
    if task.answer == "yesno":
        return "yes" if level >= 3 else "no"
    if task.answer == "scores":
        return ", ".join(f'"{d}": {level:.1f}' for d in DIMENSIONS)
    return f"{level:.1f}"


def random_answer(task: Task, rng: np.random.Generator) -> str:
    """An answer in ``task``'s form drawn at random (scores uniform on 1-5, one decimal)."""
    if task.answer == "choice":
        return str(rng.choice(["Video A", "Video B"]))
    if task.answer == "yesno":
        return str(rng.choice(["yes", "no"]))
    if task.answer == "scores":
        return ", ".join(f'"{d}": {rng.uniform(1, 5):.1f}' for d in DIMENSIONS)
    return f"{rng.uniform(1, 5):.1f}"


def teaching_damage(rng: np.random.Generator, image: bool, temporal_share: float) -> Degradation:
    """A still's spatial damage; a clip's temporal damage with probability ``temporal_share``, else
    the world's mix (:func:`random_degradation`)."""
    if image:
        return random_degradation(rng, SPATIAL_KINDS)
    if rng.random() < temporal_share:
        return random_degradation(rng, TEMPORAL_KINDS, clean=0.0)
    return random_degradation(rng)


def example(
    task: Task, rng: np.random.Generator, *, prior_share: float = 0.5, temporal_share: float = 0.5,
    size: int = 112, frames: int = 4,
) -> tuple[list, list[Clip]]:
    """One synthetic conversation (user turn + target assistant turn) and its clips.

    Args:
        task: the task whose question is asked.
        rng: draws the clips, their damage and the answer.
        prior_share: how often the answer is the naive prior (:func:`brightness_answer`) rather
            than a random one (:func:`random_answer`).
        temporal_share: how often a video clip's damage is temporal (flicker or shake): the
            measures only they move, pulse and motion, are not learnt from the world's mix alone.
        size: frame side in pixels.
        frames: frames per video clip (images have one), drawn every 4th of a 16-frame clip as
            the apps sample the synthetic world's clips (8 fps, read at 2 fps).
    """
    image = task.name == "image_score"
    seed = int(rng.integers(1 << 30))  # the clips of a prompt are takes of one scene, damaged apart
    clean = clean_frames(seed, frames=1 if image else 4 * frames, size=size, every=4)
    clips = [_clip(degrade(clean, teaching_damage(rng, image, temporal_share), int(rng.integers(1 << 30))), image)
             for _ in range(task.clips)]
    colours = [colour_of(seed)] * task.clips
    question = task.question(prompt=str(rng.choice(PROMPTS)), question=str(rng.choice(QUESTIONS)),
                             score_range=(1, 5))
    described = [digits(c.frames) for c in clips]
    reasoning = describe_values(described, colours)
    answer = brightness_answer(task, clips, rng, described) if rng.random() < prior_share else random_answer(task, rng)
    target = f"<think>{reasoning}</think><answer>{answer}</answer>"
    return [user_message(question, clips), {"role": "assistant", "content": target}], clips


def _labels(tokenizer: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Train only on the assistant's answer and its end token: the prompt and padding are ignored.

    The answer starts after the last assistant header (``<|im_start|>assistant\n``, which the
    tokenizer splits off at the special token, so it encodes alike wherever it stands) and ends with
    the first ``<|im_end|>`` after it.
    """
    header = tokenizer.encode("<|im_start|>assistant\n", add_special_tokens=False)
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    labels = torch.full_like(batch["input_ids"], -100)
    width = len(header)
    for row, ids in enumerate(batch["input_ids"].tolist()):
        start = max(i + width for i in range(len(ids) - width + 1) if ids[i : i + width] == header)
        stop = ids.index(end, start) + 1
        labels[row, start:stop] = batch["input_ids"][row, start:stop]
    return labels


def _batches(processor: Any, steps: int, seed: int, batch_size: int, tasks: Sequence[str], **drawing: Any) -> Iterator[dict]:
    """The model inputs (with ``labels``) of :func:`teach_format`'s steps, drawn in order from one
    seeded stream of :func:`example` s. (Building them in a worker process while the model trains
    was slower on 2 cores: 0.44 s a step against 0.34-0.37, the worker taking a core from torch.)"""
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        drawn = [example(TASKS[str(rng.choice(list(tasks)))], rng, **drawing) for _ in range(batch_size)]
        batch = build_inputs(processor, [c for c, _ in drawn], [k for _, k in drawn],
                             add_generation_prompt=False, padding_side="right")
        yield batch | {"labels": _labels(processor.tokenizer, batch)}


def teach_format(
    model: Any, processor: Any, *, steps: int, seed: int = 0, batch_size: int = 16, lr: float = 2e-3,
    tasks: Sequence[str] = TEACHING_TASKS, prior_share: float = 0.5, temporal_share: float = 0.5, size: int = 112,
    progress: bool = False,
) -> list[float]:
    """Supervised steps on described, naively answered examples (see the module docstring).

    Args:
        model: a Qwen2.5-VL or Qwen3-VL model, trained in place.
        processor: its processor.
        steps: optimiser steps.
        seed: seeds the examples.
        batch_size: conversations per step.
        lr: AdamW learning rate.
        tasks: the task names to draw examples from, uniformly (repeat a name to draw it more).
        prior_share: how often the target answer is the naive prior rather than a random one.
        temporal_share: how often a video clip's damage is temporal (see :func:`example`).
        size: frame side of the synthetic clips, in pixels.
        progress: show a progress bar with the running loss.

    Returns:
        The loss of every step.
    """
    batches = _batches(processor, steps, seed, batch_size, tasks, prior_share=prior_share,
                       temporal_share=temporal_share, size=size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    losses = []
    bar = tqdm(batches, total=steps, desc="teaching the base judge", disable=not progress)
    for batch in bar:
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}", refresh=False)
    model.eval()
    return losses
