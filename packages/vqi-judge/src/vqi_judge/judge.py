"""The judge: a Qwen2.5-VL or Qwen3-VL model that scores, compares and answers about videos with reasoning.

Requests run in batches (left padding, one ``generate`` call per batch). With ``reuse_features``
(the default) every distinct clip of a call is processed and run through the vision tower once,
and each prompt that shows it reuses those features: a clip compared against 7 others is encoded
once, not 7 times. Both paths give the same verdicts under greedy decoding (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch
from tqdm.auto import tqdm
from transformers import AutoModelForImageTextToText, AutoProcessor

from vqi_video import Clip, ClipBatch, backbone_of, build_inputs, encode_clips, read_video, user_message, vision_token_ids

from .checkpoint import CheckpointError, check_checkpoint
from .config import JudgeConfig
from .results import Answer, Comparison, Judgement, Score, parse_judgement
from .tasks import Task, get_task

Media = str | Path | Clip


@dataclass(frozen=True)
class Request:
    """One prompt for the judge: a task, its clips (1, or 2 for comparisons) and its text fields."""

    task: Task
    clips: tuple[Clip, ...]
    prompt: str | None = None
    question: str | None = None
    score_range: tuple[float, float] | None = None

    def message(self) -> dict[str, Any]:
        """The user turn of this request."""
        text = self.task.question(prompt=self.prompt, question=self.question, score_range=self.score_range)
        return user_message(text, self.clips)


class Judge:
    """Score, compare and question videos with a reasoning VLM.

    Args:
        model: an ``AutoModelForImageTextToText`` model of the Qwen2.5-VL or Qwen3-VL family.
        processor: its processor.
        config: how it samples videos and decodes answers (:class:`JudgeConfig`; its ``model``,
            ``device``, ``dtype`` and ``trust_remote_code`` are for :meth:`from_config`).
    """

    def __init__(self, model: Any, processor: Any, config: JudgeConfig | None = None) -> None:
        self.config = config = config or JudgeConfig()
        self.model = model.eval()
        self.processor = processor
        self.budget = backbone_of(processor).budget(processor.video_processor, config.min_pixels, config.max_pixels)
        self.generation = {"max_new_tokens": config.max_new_tokens, "do_sample": config.do_sample}
        if config.do_sample:
            self.generation["temperature"] = config.temperature
        self.suppress = vision_token_ids(processor.tokenizer)

    @classmethod
    def from_config(cls, config: JudgeConfig) -> Judge:
        """Load the judge ``config.model`` names (a local folder, or a hub id: that needs network access).

        Weights load from safetensors only; ``trust_remote_code`` stays off unless the config asks.

        Raises:
            ValueError: the config names no model.
            CheckpointError: the folder is missing, incomplete, holds pickle weights only, or cannot be loaded.
        """
        if not config.model:
            raise ValueError("the judge config names no model (model): give a checkpoint folder or a hub id")
        path_or_id = config.model
        check_checkpoint(path_or_id)
        try:
            model = AutoModelForImageTextToText.from_pretrained(
                path_or_id, dtype=config.dtype, use_safetensors=True, trust_remote_code=config.trust_remote_code
            ).to(config.device)
            processor = AutoProcessor.from_pretrained(path_or_id, trust_remote_code=config.trust_remote_code)
        except OSError as err:  # a hub id that is unreachable or unknown, a folder without a tokenizer
            raise CheckpointError(path_or_id, f"cannot load the judge ({str(err).splitlines()[0]})",
                                  "give a local folder written by save_pretrained, or download the hub id first") from None
        return cls(model, processor, config)

    @classmethod
    def from_pretrained(cls, path_or_id: str | Path, **settings: Any) -> Judge:
        """Load a judge from a local folder or a hub id: :meth:`from_config` with ``model=path_or_id``.

        Args:
            path_or_id: a folder written by ``save_pretrained`` (e.g. :func:`build_tiny_judge`) or a hub id.
            **settings: the other :class:`JudgeConfig` fields (device, dtype, fps, batch_size, …).
        """
        return cls.from_config(JudgeConfig(model=str(path_or_id), **settings))

    def load(self, media: Media) -> Clip:
        """Decode a video or image file with the judge's sampling and pixel budget (clips pass through)."""
        if isinstance(media, Clip):
            return media
        return read_video(media, fps=self.config.fps, max_frames=self.config.max_frames, budget=self.budget)

    def request(self, task: str | Task, media: Sequence[Media], **fields: Any) -> Request:
        """Build a request, decoding its media; ``fields`` are ``prompt``, ``question``, ``score_range``."""
        task = get_task(task) if isinstance(task, str) else task
        clips = tuple(self.load(m) for m in media)
        if len(clips) != task.clips:
            raise ValueError(f"task {task.name!r} shows {task.clips} clip(s) per prompt, got {len(clips)}")
        return Request(task, clips, **fields)

    def score(self, media: Media, *, task: str = "video_score", **fields: Any) -> Score:
        """Score one image or video (``image_score``, ``video_score`` or ``aigc_score`` with ``prompt=``).

        Raises:
            ValueError: for a task whose answer is not a score (use :meth:`compare` or :meth:`ask`).
        """
        request = self.request(task, [media], **fields)
        if request.task.answer not in ("score", "scores"):
            raise ValueError(
                f"score() takes a scoring task (image_score, video_score, aigc_score), got {request.task.name!r}: "
                "use compare() for comparisons and ask() for yes/no questions"
            )
        return cast(Score, self.run([request])[0])  # parse_judgement gives a Score to scoring tasks

    def compare(self, a: Media, b: Media, *, prompt: str | None = None, **fields: Any) -> Comparison:
        """Compare two videos; ``prompt`` is the generation prompt they share (a neutral one when None)."""
        return self.compare_pairs([a, b], [(0, 1)], prompt=prompt, **fields)[0]

    def compare_pairs(
        self, media: Sequence[Media], pairs: Sequence[tuple[int, int]], *, prompt: str | None = None, **fields: Any
    ) -> list[Comparison]:
        """Compare many pairs among the same clips, each clip decoded and encoded once.

        Args:
            media: the candidate clips.
            pairs: ``(i, j)`` index pairs; clip ``i`` is shown as Video A.
            prompt: the generation prompt shared by the clips (None: the task's neutral default).
        """
        clips = [self.load(m) for m in media]
        requests = [self.request("compare", [clips[i], clips[j]], prompt=prompt, **fields) for i, j in pairs]
        return cast(list[Comparison], self.run(requests))  # the compare task's answers are Comparisons

    def ask(self, media: Media, question: str) -> Answer:
        """Ask a yes/no question about one clip."""
        return cast(Answer, self.run([self.request("vqa", [media], question=question)])[0])  # vqa: yes/no

    def run(self, requests: Sequence[Request], *, reuse_features: bool = True, progress: bool = False) -> list[Judgement]:
        """Generate and parse the verdicts of many requests, in batches.

        Args:
            requests: the prompts, in any mix of tasks.
            reuse_features: process and encode each distinct clip once for the whole call.
            progress: show a progress bar over the batches.

        Returns:
            One typed result per request, in order.
        """
        texts = self.generate(requests, reuse_features=reuse_features, progress=progress)
        return [parse_judgement(r.task, t) for r, t in zip(requests, texts)]

    @torch.no_grad()
    def generate(self, requests: Sequence[Request], *, reuse_features: bool = True, progress: bool = False) -> list[str]:
        """The raw completions of ``requests`` (see :meth:`run`)."""
        if reuse_features:
            clips = ClipBatch.from_clips(self.processor, [r.clips for r in requests])
            features = encode_clips(self.model, clips.visual)
        out: list[str] = []
        starts = range(0, len(requests), self.config.batch_size)
        for start in tqdm(starts, desc="judge", unit="batch", disable=not progress):
            batch = requests[start : start + self.config.batch_size]
            if reuse_features:
                conversations = [[r.message()] for r in batch]
                inputs = clips.inputs(self.processor, conversations, [r.clips for r in batch], features=features)
            else:
                inputs = self._plain_inputs(batch)
            out += self._decode(inputs)
        return out

    def _plain_inputs(self, batch: Sequence[Request]) -> dict[str, Any]:
        conversations = [[r.message()] for r in batch]
        return build_inputs(self.processor, conversations, [r.clips for r in batch])

    def _decode(self, inputs: dict[str, Any]) -> list[str]:
        inputs = {k: v.to(self.model.device) if isinstance(v, torch.Tensor) else v for k, v in inputs.items()}
        generated = self.model.generate(**inputs, **self.generation, suppress_tokens=self.suppress)
        new_tokens = generated[:, inputs["input_ids"].shape[1] :]
        return self.processor.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
