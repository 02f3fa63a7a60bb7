"""Teach a freshly built tiny judge what an instruction-tuned VLM brings: the answer format and an
eye for what a scene shows, and nothing about quality.

Qwen2.5-VL-7B-Instruct, the paper's starting point, already follows instructions (asked to think in
``<think>`` tags and answer in ``<answer>`` tags, it does) and already sees (asked how bright a
scene is, it looks). A randomly initialised tiny model does neither: it never writes a tag, so
every reward is 0, and its answers never depend on the clip, so GRPO has nothing to sharpen. This
short supervised pass plays the part of the instruct tuning, on synthetic clips of the world the
apps train on (:mod:`vqi_video.synthetic`):

- asked each quality task's own question, the target answers it by the same brightness (a
  brighter scene scores higher, the brighter of two clips wins, a bright scene is "yes"): the
  naive prior of a viewer who has not learnt what quality is. Its answers follow what it sees,
  so GRPO has image-dependent answers to sharpen from the first step, and they carry no quality
  label: over-exposure and a colour cast brighten a clip, under-exposure darkens it, the other
  damage leaves its brightness as it was (the held-out metrics of this base are at chance:
  tools/learning_curve.py, row ``start``);
- asked how bright a scene is, in the same three answer forms (a number, which of two clips,
  yes or no), the target is the true answer, read from the pixels: the judge learns to look at
  the clips before it answers.

Brightness is content, not quality: a clean clip of the world is dark or light by its own
gradient, and both too dark and too bright are damage. What damage means is left to stages 1-3.

The reasoning is left empty on purpose: a two-layer text model that must first write a fixed
sentence stops carrying what it sees to the answer, and GRPO then never finds the image (measured
in the shared learning notes); a real base model writes its own reasoning.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vqi_video import IMAGE_BACKEND, Clip, build_inputs, user_message
from vqi_video.synthetic import COLOURS, clean_frames, degrade, random_degradation
from vqi_video.synthetic_generation import generator_prompt
from vqi_video.synthetic_tasks import QUESTIONS as WORLD_QUESTIONS

from .tasks import DIMENSIONS, REASONING_SUFFIX, TASKS, Task

PROMPTS = tuple(generator_prompt(c) for c in sorted(COLOURS))
QUESTIONS = tuple(WORLD_QUESTIONS)
#: Content questions, one per answer form, answered from the pixels (mean brightness).
CONTENT = {
    "score": "How bright is this scene, as a float between 1 (dark) and 5 (bright)?",
    "choice": "Which video is brighter? Answer Video A or Video B.",
    "yesno": "Is this scene bright? Answer yes or no.",
}


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


def brightness_answer(task: Task, clips: Sequence[Clip]) -> str:
    """How bright the clips are, in ``task``'s answer form (see the module docstring)."""
    levels = [brightness(c.frames) for c in clips]
    if task.answer == "choice":
        return "Video A" if levels[0] >= levels[1] else "Video B"
    if task.answer == "yesno":
        return "yes" if levels[0] >= 3 else "no"
    if task.answer == "scores":
        return ", ".join(f'"{d}": {levels[0]:.1f}' for d in DIMENSIONS)
    return f"{levels[0]:.1f}"


def example(
    task: Task, rng: np.random.Generator, *, content: bool = False, size: int = 112, frames: int = 4
) -> tuple[list, list[Clip]]:
    """One synthetic conversation (user turn + target assistant turn) and its clips.

    Args:
        task: the task whose answer form the example takes (multi-dimension scores have no
            content question: they always get the task's own).
        rng: draws the clips, their damage and the answer.
        content: ask the brightness question, instead of the task's own question.
        size: frame side in pixels.
        frames: frames per video clip (images have one).
    """
    image = task.name == "image_score"
    clips = []
    for _ in range(task.clips):
        clean = clean_frames(int(rng.integers(1 << 30)), frames=1 if image else frames, size=size)
        clips.append(_clip(degrade(clean, random_degradation(rng), int(rng.integers(1 << 30))), image))
    if content and task.answer != "scores":
        question = CONTENT[task.answer] + REASONING_SUFFIX
    else:
        question = task.question(prompt=str(rng.choice(PROMPTS)), question=str(rng.choice(QUESTIONS)),
                                 score_range=(1, 5))
    target = f"<think></think><answer>{brightness_answer(task, clips)}</answer>"
    return [user_message(question, clips), {"role": "assistant", "content": target}], clips


def _labels(processor: Any, conversations: list, clips: list, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Train only on the assistant's answer and its end token: the prompt and padding are ignored."""
    prompts = build_inputs(processor, [c[:1] for c in conversations], clips, padding_side="right")
    prompt_lengths = prompts["attention_mask"].sum(dim=1)
    labels = batch["input_ids"].clone()
    end = processor.tokenizer.convert_tokens_to_ids("<|im_end|>")
    for row, length in enumerate(prompt_lengths.tolist()):
        labels[row, :length] = -100
        ends = (labels[row] == end).nonzero()
        labels[row, int(ends[0]) + 1 :] = -100  # the newline after <|im_end|> and the padding
    return labels


def teach_format(
    model: Any, processor: Any, *, steps: int, seed: int = 0, batch_size: int = 16, lr: float = 1e-3,
    tasks: Sequence[str] = tuple(TASKS), content_share: float = 0.5, size: int = 112,
) -> list[float]:
    """Supervised steps on format and content targets (see the module docstring).

    Args:
        model: a Qwen2.5-VL or Qwen3-VL model, trained in place.
        processor: its processor.
        steps: optimiser steps.
        seed: seeds the examples.
        batch_size: conversations per step.
        lr: AdamW learning rate.
        tasks: the task names to draw examples from.
        content_share: the share of brightness questions among the examples.
        size: frame side of the synthetic clips, in pixels.

    Returns:
        The loss of every step.
    """
    rng = np.random.default_rng(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    losses = []
    for _ in range(steps):
        drawn = [
            example(TASKS[str(rng.choice(list(tasks)))], rng, content=bool(rng.random() < content_share), size=size)
            for _ in range(batch_size)
        ]
        conversations = [c for c, _ in drawn]
        clips = [k for _, k in drawn]
        batch = build_inputs(processor, conversations, clips, add_generation_prompt=False, padding_side="right")
        labels = _labels(processor, conversations, clips, batch)
        loss = model(**batch, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    model.eval()
    return losses
