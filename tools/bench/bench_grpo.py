"""Benchmark vqi-grpo against stock trl, and the two temporal shuffles against each other.

    uv run tools/bench/bench_grpo.py [--steps 6] [--only rollouts|vision]

1. Image task, same tiny Qwen2.5-VL, same settings (4 prompts x 4 completions, 16 new tokens,
   β 0.001, float32): seconds per step, rollouts included (:class:`StepTimer`), of
   ``vqi_grpo.VideoGRPOTrainer`` vs trl's ``GRPOTrainer`` in the same run (goal: ratio <= 1.1).
2. Video task with the temporal reward: token-group shuffle vs frame shuffle, seconds per step and
   vision-encoder passes per step (goal for tokens: one pass per step, whatever the clips).
3. Rollouts, 4 video prompts x G = 8, 16 new tokens, on the same encoded clips: one ``generate``
   call for all prompts vs one call per prompt, generated tokens per second (goal: ratio >= 2), and
   a check that both give the same completion ids (seeded sampling does not depend on batching).
4. The vision tower in the loss, 2 video prompts x G = 8 per step, 16-frame clips, β 0.001: seconds
   per step with each distinct clip encoded once in the loss forwards (``encode_clips_once``, the
   default) vs every row encoding its own pixels, the ratio (goal >= 1.5), and the vision tower's
   share of the step in each (its forwards, the rollouts' and the reference's too, and its backward).
The first step of each run, and the first rollout of each kind, is a warm-up and not timed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from datasets import Dataset
from PIL import Image
import torch
from transformers import AutoModelForImageTextToText, AutoProcessor, TrainerCallback
from trl import GRPOConfig, GRPOTrainer

from vqi_grpo import VideoGRPOConfig, VideoGRPOTrainer
from vqi_grpo.rollout import Draw
from vqi_judge import ManifestRow, build_tiny_judge, trainer_rows, with_media_root
from vqi_rewards import temporal_reward
from vqi_video import ClipBatch
from vqi_video.synthetic import SYNTHETIC_FPS
from vqi_video.synthetic_tasks import make_synthetic_dataset

COMMON = dict(per_device_train_batch_size=16, num_generations=4, max_completion_length=16, beta=0.001,
              learning_rate=1e-4, report_to=[], save_strategy="no", use_cpu=True, seed=0, logging_steps=1)


class StepTimer(TrainerCallback):
    """Wall-clock seconds of every optimiser step, from the end of the one before: with the rollouts,
    which vqi-grpo runs before transformers' ``on_step_begin`` (in ``get_batch_samples``) and trl
    after it (in ``training_step``)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def on_train_begin(self, args, state, control, **kwargs):
        self.start = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        now = time.perf_counter()
        self.times.append(now - self.start)
        self.start = now


class VisionTimer(TrainerCallback):
    """Seconds of every optimiser step (as :class:`StepTimer` counts it) spent in vision towers: each
    forward, timed by hooks, and the backward, from the gradient of the tower's output arriving to
    that of its first weight (the patch embedding, the last one autograd reaches) being accumulated."""

    def __init__(self, towers: list[torch.nn.Module]) -> None:
        self.times: list[float] = []
        self.spent = 0.0
        for tower in towers:
            tower.register_forward_pre_hook(self._start)
            tower.register_forward_hook(self._stop)
            if tower.patch_embed.proj.weight.requires_grad:  # the policy's, not the frozen reference's
                tower.patch_embed.proj.weight.register_post_accumulate_grad_hook(self._backward_done)

    def _start(self, module, args):
        self.start = time.perf_counter()

    def _stop(self, module, args, output):
        self.spent += time.perf_counter() - self.start
        if output.pooler_output.requires_grad:
            output.pooler_output.register_hook(self._backward_starts)

    def _backward_starts(self, grad):
        self.backward_start = time.perf_counter()

    def _backward_done(self, param):
        self.spent += time.perf_counter() - self.backward_start

    def on_step_end(self, args, state, control, **kwargs):
        self.times.append(self.spent)
        self.spent = 0.0


def parity(completions, completion_ids=None, **_):
    return [sum(t % 2 for t in ids) / max(1, len(ids)) for ids in completion_ids]


def rows(root: Path, counts: dict[str, int], frames: int = 16) -> list[dict]:
    out = make_synthetic_dataset(root, counts, seed=0, frames=frames)
    return trainer_rows(with_media_root([ManifestRow(**row) for row in out], root))


def run_ours(judge: Path, data: list[dict], steps: int, **extra) -> tuple[list[float], float]:
    timer = StepTimer()
    args = VideoGRPOConfig(output_dir=str(judge.parent / "ours"), max_steps=steps, **(COMMON | extra))
    model = AutoModelForImageTextToText.from_pretrained(judge)
    temporal = {}
    if args.temporal_mode != "off":
        temporal = {"correctness": lambda completions, **kw: [0.5] * len(completions), "temporal_reward": temporal_reward}
    trainer = VideoGRPOTrainer(model, AutoProcessor.from_pretrained(judge), [parity], args, data,
                               callbacks=[timer], **temporal)
    trainer.train()
    return timer.times[1:], trainer.sampler.vision_passes / steps


def run_trl(judge: Path, data: list[dict], steps: int) -> list[float]:
    timer = StepTimer()
    # trl's layout: an "image" column, and a prompt whose image placeholder it fills in.
    records = [
        {"image": Image.open(r["media"][0]).convert("RGB"),
         "prompt": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": r["query"]}]}]}
        for r in data
    ]
    # trl's GRPOConfig defaults to bf16 autocast (slow on a CPU); vqi-grpo runs float32 here: like with like.
    args = GRPOConfig(output_dir=str(judge.parent / "trl"), max_steps=steps, bf16=False, **COMMON)
    model = AutoModelForImageTextToText.from_pretrained(judge)
    trainer = GRPOTrainer(model=model, reward_funcs=[parity], args=args, train_dataset=Dataset.from_list(records),
                          processing_class=AutoProcessor.from_pretrained(judge), callbacks=[timer])
    trainer.train()
    return timer.times[1:]


@torch.no_grad()
def run_rollouts(judge: Path, data: list[dict], repeats: int, generations: int = 8) -> bool:
    """Time batched vs per-prompt ``Sampler._generate`` on the same features; True if their ids agree."""
    args = VideoGRPOConfig(output_dir=str(judge.parent / "rollouts"), temporal_mode="off", max_frames=8, fps=4.0,
                           **(COMMON | dict(per_device_train_batch_size=len(data) * generations,
                                            num_generations=generations, beta=0.0)))
    model = AutoModelForImageTextToText.from_pretrained(judge).eval()
    trainer = VideoGRPOTrainer(model, AutoProcessor.from_pretrained(judge), [parity], args, data)
    groups = trainer._groups([row for row in data for _ in range(generations)], 0)
    sampler = trainer.sampler
    batch = ClipBatch.from_clips(trainer.processor, [g.clips for g in groups])
    features = sampler._encode(model, batch)
    draws = [Draw(g, g.clips, len(g.rows), 0) for g in groups]
    kinds = {
        "batched": lambda: sampler._generate(model, batch, draws, features),
        "per-prompt": lambda: [sampler._generate(model, batch, [d], features)[0] for d in draws],
    }
    ids, rates = {}, {}
    for name, run in kinds.items():
        ids[name] = run()  # warm-up
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        rates[name] = sum(len(c) for group in ids[name] for c in group) / statistics.median(times)
    print(f"rollouts, {len(groups)} prompts x G = {generations}, median of {repeats}: batched "
          f"{rates['batched']:.0f} tok/s, per-prompt {rates['per-prompt']:.0f} tok/s, "
          f"ratio {rates['batched'] / rates['per-prompt']:.2f} (goal >= 2)")
    differ = [i for i, (a, b) in enumerate(zip(ids["batched"], ids["per-prompt"])) if a != b]
    print("rollout ids: batched and per-prompt identical for every prompt" if not differ
          else f"rollout ids: MISMATCH between batched and per-prompt in prompts {differ}")
    return not differ


def run_vision(judge: Path, data: list[dict], steps: int, once: bool) -> tuple[list[float], list[float]]:
    """Seconds per step and in the vision towers per step (warm-up left out), G = 8, 16 frames a clip."""
    steps_timer = StepTimer()
    args = VideoGRPOConfig(output_dir=str(judge.parent / "vision"), max_steps=steps, temporal_mode="off",
                           encode_clips_once=once, fps=float(SYNTHETIC_FPS), max_frames=16,
                           **(COMMON | dict(per_device_train_batch_size=16, num_generations=8)))
    model = AutoModelForImageTextToText.from_pretrained(judge)
    trainer = VideoGRPOTrainer(model, AutoProcessor.from_pretrained(judge), [parity], args, data, callbacks=[steps_timer])
    vision = VisionTimer([m.model.visual for m in (trainer.model, trainer.ref_model)])
    trainer.add_callback(vision)
    trainer.train()
    return steps_timer.times[1:], vision.times[1:]


def report_vision(judge: Path, root: Path, steps: int) -> None:
    """Print section 4: a step with each clip encoded once in the loss against one encoding per row."""
    data = rows(root / "vision", {"video_score": 2 * steps})
    runs = {name: run_vision(judge, data, steps, once) for name, once in (("once", True), ("per-row", False))}
    step = {name: statistics.median(times) for name, (times, _) in runs.items()}
    share = {name: sum(vision) / sum(times) for name, (times, vision) in runs.items()}
    print(f"loss vision, 2 prompts x G = 8, 16-frame clips, median of {steps - 1} steps: each clip once "
          f"{step['once']:.3f} s/step (vision tower {share['once']:.0%} of it), per row {step['per-row']:.3f} s/step "
          f"(vision tower {share['per-row']:.0%}), ratio {step['per-row'] / step['once']:.2f} (goal >= 1.5)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=5, help="timed rollouts of each kind")
    parser.add_argument("--only", choices=["rollouts", "vision"], help="run one section")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        judge = build_tiny_judge(root / "judge", seed=0, format_steps=0)
        if args.only == "vision":
            report_vision(judge, root, args.steps)
            return 0
        same = run_rollouts(judge, rows(root / "rollouts", {"video_score": 4}), args.repeats)
        if args.only == "rollouts":
            return 0 if same else 1
        images = rows(root / "images", {"image_score": 16})
        ours, _ = run_ours(judge, images, args.steps, temporal_mode="off")
        stock = run_trl(judge, images, args.steps)
        ratio = statistics.median(ours) / statistics.median(stock)
        print(f"image step, median of {args.steps - 1}: vqi-grpo {statistics.median(ours):.3f} s, "
              f"trl GRPOTrainer {statistics.median(stock):.3f} s, ratio {ratio:.2f} (goal <= 1.1)")
        videos = rows(root / "videos", {"video_score": 16})
        tokens, token_passes = run_ours(judge, videos, args.steps, temporal_mode="tokens", max_frames=8, fps=4.0)
        frames, frame_passes = run_ours(judge, videos, args.steps, temporal_mode="frames", max_frames=8, fps=4.0)
        print(f"video step with the temporal reward: tokens {statistics.median(tokens):.3f} s, "
              f"{token_passes:.1f} vision passes/step; frames {statistics.median(frames):.3f} s, "
              f"{frame_passes:.1f} vision passes/step (4 prompts per step)")
        report_vision(judge, root, args.steps)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
