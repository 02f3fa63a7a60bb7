"""GRPO for video VLMs, composed from transformers' Trainer and trl's pieces.

trl's ``GRPOTrainer`` handles images only and re-runs the processor on images for its loss; video
tensors (``pixel_values_videos``, ``video_grid_thw``, ``second_per_grid_ts``) would have to ride
through a dozen of its private methods. This trainer keeps transformers' Trainer (accelerate,
DeepSpeed, checkpoints, resume) and trl's sampler, log-softmax and unwrapping helpers, and owns the
rest in a few short methods:

1. ``get_batch_samples``: for every micro-batch of the optimiser step (as trl's generation batch),
   decode each prompt's clips, sample ``num_generations`` completions (and the shuffled ones of the
   temporal reward) and score them; then compute the advantages (eq. 1; ``batch`` scaling over the
   whole step) and count the step's completion tokens (``dapo``'s normaliser), over every process.
2. ``compute_loss``: log-probabilities of the completions with the clips encoded in the forward (the
   vision tower trains too: each distinct clip of the micro-batch once, its features shared by the
   rows showing it, unless ``encode_clips_once`` is off), in forwards over rows of similar length,
   and the clipped, KL-penalised objective (eq. 2).

Rows are dicts: ``query`` (the instruction shown after the clips), ``media`` (paths), ``task``,
and any label columns the rewards read. Rows that cannot be decoded are skipped with their whole
group, logged, and counted in the progress line and the final summary.
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from transformers import Trainer, set_seed
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR
from trl.models.utils import prepare_deepspeed, unwrap_model_for_generation
from trl.trainer.utils import RepeatSampler, selective_log_softmax

from vqi_video import ClipCache, ClipRows, VideoDecodeError, backbone_of_model, encode_clips, vision_token_ids

from .buckets import length_buckets
from .config import VideoGRPOConfig
from .lora import ADAPTER_DIR, add_lora, load_adapter_weights, save_merged
from .loss import group_advantages, grpo_loss
from .mixing import TaskMixSampler, check_weights
from .rollout import Group, Sampler, group_seed, load_clips, truncated
from .scoring import RewardFn, columns_of, combine, reward_name, score

logger = logging.getLogger(__name__)

Correctness = Callable[..., list[float]]
TemporalReward = Callable[[list[float], list[float]], list[float]]


class VideoGRPOTrainer(Trainer):
    """GRPO with video, two-video and image prompts in one batch.

    With ``args.lora`` the policy is wrapped in a peft adapter on the frozen base, and the base with
    the adapter disabled is the reference (no second model); saves write the merged model and the
    adapter in ``adapter/`` (:mod:`vqi_grpo.lora`).

    Args:
        model: a Qwen2.5-VL or Qwen3-VL ``PreTrainedModel`` (the policy).
        processor: its processor.
        reward_funcs: trl-style rewards ``fn(completions, **columns) -> list[float | None]``.
        args: :class:`VideoGRPOConfig`.
        train_dataset: a sequence of row dicts (see the module docstring).
        correctness: ``fn(completions, **columns) -> list[float]`` in ``[0, 1]``: how correct each
            completion is, for the temporal reward (e.g. the task reward). None: no temporal reward.
        temporal_reward: ``fn(seq_correct, shuffled_correct) -> list[float]``, the bonus per ordered
            completion (vqi-rewards' ``temporal_reward``). Needs ``correctness``.
        callbacks: transformers callbacks.
    """

    def __init__(
        self,
        model: Any,
        processor: Any,
        reward_funcs: Sequence[RewardFn],
        args: VideoGRPOConfig,
        train_dataset: Sequence[dict[str, Any]],
        *,
        correctness: Correctness | None = None,
        temporal_reward: TemporalReward | None = None,
        callbacks: list | None = None,
    ) -> None:
        if (correctness is None) != (temporal_reward is None):
            raise ValueError("pass both correctness and temporal_reward for the temporal reward, or neither")
        args.check_prompts(len(train_dataset))  # a smaller set would train 0 steps and say nothing
        if args.task_weights is not None:  # refused now, not when train() builds the sampler
            if absent := check_weights(args.task_weights, [str(row.get("task")) for row in train_dataset]):
                logger.warning("task_weights: the training set has no rows of %s; their weight is left out", absent)
        if args.lora is not None:
            set_seed(args.seed)  # the adapter's initial weights follow the run's seed, not what ran before
            model = add_lora(model, args.lora)
        super().__init__(
            model=model,
            args=args,
            train_dataset=train_dataset,
            data_collator=lambda rows: rows,
            processing_class=processor,
            callbacks=callbacks,
        )
        self.processor = processor
        self.reward_funcs = list(reward_funcs)
        self.columns = sorted({k for row in train_dataset for k in row} - {"completions"})
        self.correctness = correctness
        self.temporal_reward = temporal_reward if args.temporal_mode != "off" else None
        self.ref_model = self._reference(model) if args.beta and args.lora is None else None
        tok = processor.tokenizer
        self.sampler = Sampler(processor, args, vision_token_ids(tok), _eos_ids(model, tok), tok.pad_token_id)
        self.budget = args.pixel_budget(processor)
        self.clip_cache = ClipCache(args.clip_cache_mb * 2**20)
        self._buffer: list[dict[str, Any]] = []
        self._tokens = torch.zeros(())
        self._metrics: dict[str, list[float]] = defaultdict(list)
        self.skipped = 0

    def _reference(self, model: Any) -> Any:
        """The frozen reference policy of the KL term, on the training device."""
        if self.is_deepspeed_enabled:
            # Under ZeRO-3 the policy's parameters are partitioned away: load a fresh copy (partitioned
            # the same way) and wrap it for inference, as trl does.
            fresh = type(model).from_pretrained(model.config._name_or_path, dtype=model.dtype, use_safetensors=True)
            return prepare_deepspeed(fresh.eval(), self.accelerator)
        return copy.deepcopy(model).eval().requires_grad_(False).to(self.accelerator.device)

    # -- data ---------------------------------------------------------------------------------

    def _get_train_sampler(self, dataset: Any = None) -> RepeatSampler | TaskMixSampler:
        args = self.args
        dataset = dataset if dataset is not None else self.train_dataset
        # One chunk = the prompts of one optimiser step, each repeated num_generations times; the
        # chunk repeats num_iterations times so the same rollouts are optimised μ times.
        repeats = {"mini_repeat_count": args.num_generations, "batch_size": args.prompts_per_step,
                   "repeat_count": args.num_iterations, "seed": args.seed}
        if args.task_weights is None:
            return RepeatSampler(dataset, **repeats)
        return TaskMixSampler([row["task"] for row in dataset], args.task_weights, **repeats)

    @property
    def loss_is_scaled_for_ga(self) -> bool:
        """``dapo`` divides by the whole step's completion tokens, which spans the accumulation
        steps; the other losses are a micro-batch's, which transformers' Trainer divides by them."""
        return self.args.loss_type == "dapo"

    def _groups(self, rows: list[dict[str, Any]], micro: int) -> list[Group]:
        """Split the local rows of accumulation step ``micro`` into prompts, decoding each prompt's
        clips once; skip bad ones."""
        n = self.args.num_generations
        # accelerate deals a step's micro-batches to the processes in turn: this one is global batch
        # micro * processes + process_index, so a prompt's seed does not depend on the layout.
        first = (micro * self.accelerator.num_processes + self.accelerator.process_index) * (len(rows) // n)
        groups = []
        for g in range(len(rows) // n):
            group_rows = rows[g * n : (g + 1) * n]
            try:
                clips = load_clips(group_rows[0], self.args, self.budget, self.clip_cache)
            except (VideoDecodeError, FileNotFoundError) as err:
                self.skipped += 1
                logger.warning("skipped a prompt (%s): %s", group_rows[0].get("id", group_rows[0]["media"]), err)
                continue
            groups.append(Group(group_rows, clips, group_seed(self.args.seed, self.state.global_step, first + g)))
        return groups

    # -- rollouts and rewards --------------------------------------------------------------------

    def get_batch_samples(self, epoch_iterator: Any, num_batches: int, device: Any) -> tuple[list[dict[str, Any]], torch.Tensor]:
        """The optimiser step's micro-batches, rolled out and scored (every ``num_iterations`` steps;
        reused in between), and the step's completion tokens over every process (``dapo``'s
        ``num_items_in_batch``, as trl counts its generation batch)."""
        rows, _ = super().get_batch_samples(epoch_iterator, num_batches, device)
        if not self._buffer or self.state.global_step % self.args.num_iterations == 0:
            self._buffer = [self._generate_and_score(batch, micro) for micro, batch in enumerate(rows)]
            self._advantages(self._buffer)
            local = sum(b["completion_mask"].sum().item() for b in self._buffer if not b.get("empty"))
            self._tokens = self.accelerator.reduce(torch.tensor(float(local), device=self.accelerator.device), reduction="sum")
        return self._buffer, self._tokens

    def _prepare_inputs(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """A micro-batch as :meth:`get_batch_samples` prepared it (on the device already)."""
        return inputs

    def _advantages(self, batches: list[dict[str, Any]]) -> None:
        """Replace each micro-batch's ``rewards`` by its ``advantages`` (eq. 1, ``scale_rewards``)."""
        scored = [b for b in batches if not b.get("empty")]
        rewards = torch.cat([b["rewards"] for b in scored]) if scored else torch.empty(0)
        std = self._batch_std(rewards) if self.args.scale_rewards == "batch" else None
        for batch in scored:
            batch["advantages"] = group_advantages(batch.pop("rewards"), self.args.num_generations,
                                                   scale=self.args.scale_rewards, batch_std=std)

    def _batch_std(self, rewards: torch.Tensor) -> torch.Tensor:
        """The sample std of the step's rewards on every process (trl gathers them), from summed moments."""
        moments = torch.stack([torch.tensor(float(rewards.numel())), rewards.sum(), (rewards**2).sum()]).double()
        count, total, squares = self.accelerator.reduce(moments.to(self.accelerator.device), reduction="sum").cpu()
        variance = (squares - total**2 / count) / (count - 1).clamp(min=1.0)
        return variance.clamp(min=0.0).sqrt().to(rewards.device, rewards.dtype)

    def _generate_and_score(self, rows: list[dict[str, Any]], micro: int) -> dict[str, Any]:
        groups = self._groups(rows, micro)
        names = [reward_name(f) for f in self.reward_funcs] + (["temporal_reward"] if self.temporal_reward is not None else [])
        if not groups:  # still logged: the other processes' metrics are added up with this one's
            self._log_rollouts(names, torch.empty(0, len(names)), torch.empty(0), [])
            return {"empty": True}
        model = self.model_wrapped
        with _unwrapped(model, self.accelerator) as unwrapped:
            unwrapped.eval()
            batch = self.sampler.sample(unwrapped, groups)
            unwrapped.train()
        rows = [r for g in groups for r in g.rows]
        completions_ids = [c for g in groups for c in g.completions]
        texts = self.processor.tokenizer.batch_decode(completions_ids, skip_special_tokens=True)
        rewards = score(self.reward_funcs, texts, completions_ids, rows, self.columns)  # (B, R)
        if self.temporal_reward is not None:
            rewards = torch.cat([rewards, self._temporal(groups, texts).unsqueeze(1)], dim=1)
        total = combine(rewards, self._weights(len(names)))  # (B,)
        self._log_rollouts(names, rewards, total, completions_ids)

        conversations = [g.conversation for g in groups for _ in g.rows]
        clips = [g.clips for g in groups for _ in g.rows]
        prompt = batch.text(self.processor, conversations, clips)  # left-padded prompts
        completion = _pad_right(completions_ids, self.processor.tokenizer.pad_token_id)
        if self.args.mask_truncated_completions:
            completion["completion_mask"][truncated(completions_ids, self.sampler.eos)] = 0
        inputs = prompt | completion | {"rewards": total}
        inputs = {k: v.to(self.accelerator.device) for k, v in inputs.items()}
        inputs["clips"] = batch.rows(clips).to(self.accelerator.device)  # each row's clips, for the forwards
        if self.args.beta:
            with torch.no_grad():
                inputs["ref_logps"] = self._reference_logps(inputs)
        return inputs

    def _reference_logps(self, inputs: dict[str, Any]) -> torch.Tensor:
        """``(B, T)`` log-probabilities under the reference: the frozen copy, or with LoRA the base
        (the policy with its adapter disabled)."""
        if self.ref_model is not None:
            return self._logps(self.ref_model, inputs)
        with self.accelerator.unwrap_model(self.model).disable_adapter():
            return self._logps(self.model, inputs)

    def _weights(self, count: int) -> list[float] | None:
        weights = self.args.reward_weights
        if weights is None:
            return None
        if len(weights) == count - (self.temporal_reward is not None):
            return [*weights, 1.0] if self.temporal_reward is not None else list(weights)
        return list(weights)

    def _temporal(self, groups: list[Group], texts: list[str]) -> torch.Tensor:
        """The temporal modeling reward (eq. 4) of every ordered completion; 0 outside temporal groups."""
        bonus = torch.zeros(len(texts))
        start = 0
        fired = total = 0
        for group in groups:
            n = len(group.rows)
            if group.shuffled:
                columns = columns_of(group.rows, self.columns)
                seq = self.correctness(completions=texts[start : start + n], **columns)
                shuffled_texts = self.processor.tokenizer.batch_decode(group.shuffled, skip_special_tokens=True)
                m = len(shuffled_texts)
                shuffled_columns = {k: [v[0]] * m for k, v in columns.items()}
                rand = self.correctness(completions=shuffled_texts, **shuffled_columns)
                values = self.temporal_reward(list(seq), list(rand))
                bonus[start : start + n] = torch.tensor(values, dtype=torch.float32)
                fired += sum(v > 0 for v in values)
                total += n
            start += n
        if total:
            self._metrics["temporal/bonus_rate"].append(fired / total)
        return bonus

    def _log_rollouts(self, names: list[str], rewards: torch.Tensor, total: torch.Tensor, ids: list[list[int]]) -> None:
        """Log the step's rollout metrics over every process's rollouts (sums and counts added across
        processes, as trl gathers its rewards), so the figures do not depend on the process count."""
        scored = ~rewards.isnan()  # (B, R): a task's reward is NaN on other tasks' rows
        stats = torch.cat([
            torch.where(scored, rewards, 0.0).sum(0), scored.sum(0),  # (R,), (R,)
            torch.tensor([total.sum().item(), total.numel(), sum(map(len, ids)), self.sampler.vision_passes, self.skipped]),
        ]).double().to(self.accelerator.device)
        stats = self.accelerator.reduce(stats, reduction="sum").cpu()
        r = len(names)
        for j, name in enumerate(names):
            if stats[r + j] > 0:
                self._metrics[f"rewards/{name}"].append((stats[j] / stats[r + j]).item())
        reward_sum, rows, tokens, vision_passes, skipped = stats[2 * r :].tolist()
        if rows:
            self._metrics["reward"].append(reward_sum / rows)
            self._metrics["completion_length"].append(tokens / rows)
        self._metrics["vision_passes"].append(vision_passes)
        self._metrics["skipped"].append(skipped)

    # -- loss ------------------------------------------------------------------------------------

    def _logps(self, model: Any, inputs: dict[str, Any]) -> torch.Tensor:
        """``(B, T)`` log-probabilities of the completion tokens under ``model`` (0 past each row's
        end), in forwards over rows of similar length (:func:`length_buckets`), each cut to its
        longest prompt and completion.

        The vision inputs: with ``encode_clips_once``, each distinct clip encoded once by the
        (unwrapped) model, in the autograd graph, its features shared by every row showing it in
        any forward; else every row's pixels, encoded by the model once per row.
        """
        completion_ids = inputs["completion_ids"]  # (B, T)
        prompt_mask, completion_mask = inputs["attention_mask"], inputs["completion_mask"]  # (B, P), (B, T)
        clips: ClipRows = inputs["clips"]
        encoder = self.accelerator.unwrap_model(model)
        features = encode_clips(encoder, clips.visual) if self.args.encode_clips_once else None
        backbone = backbone_of_model(encoder)
        prompt_lengths, completion_lengths = prompt_mask.sum(1).tolist(), completion_mask.sum(1).tolist()
        parts, order = [], []
        for rows in length_buckets(prompt_lengths, completion_lengths):
            index = torch.tensor(rows, device=completion_ids.device)
            p = max(prompt_lengths[r] for r in rows)  # left-padded: a row's prompt is in its last p columns
            t = max(1, *(completion_lengths[r] for r in rows))  # right-padded: in the first t
            ids = completion_ids[index, :t]
            # Completion tokens are text: type 0. Every forward that carries vision tokens needs these.
            types = torch.cat([inputs["mm_token_type_ids"][index, -p:], torch.zeros_like(ids)], dim=1)
            part = clips.subset(rows)
            vision = part.pixels() if features is None else part.share(backbone, features)
            logits = model(input_ids=torch.cat([inputs["input_ids"][index, -p:], ids], dim=1),
                           attention_mask=torch.cat([prompt_mask[index, -p:], completion_mask[index, :t]], dim=1),
                           mm_token_type_ids=types, **vision).logits
            logits = logits[:, -t - 1 : -1] / self.args.temperature  # (rows, t, V)
            parts.append(torch.nn.functional.pad(selective_log_softmax(logits, ids), (0, completion_ids.size(1) - t)))
            order.extend(rows)
        return torch.cat(parts)[torch.argsort(torch.tensor(order, device=completion_ids.device))]  # rows in their order

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False, num_items_in_batch: Any = None) -> torch.Tensor:
        if inputs.get("empty"):
            # Every prompt of this batch was skipped: a zero loss that still touches every parameter,
            # so distributed gradient reduction stays in step.
            return sum(p.sum() for p in model.parameters() if p.requires_grad) * 0.0
        logps = self._logps(model, inputs)
        if "old_logps" not in inputs:
            # The first pass over these rollouts: no optimiser step since they were sampled, so the
            # sampling policy's log-probabilities are this forward's. Kept for the other
            # num_iterations - 1 passes (trl spends a forward on them at generation time).
            inputs["old_logps"] = logps.detach()
        loss, metrics = grpo_loss(
            logps,
            inputs["old_logps"],
            inputs.get("ref_logps"),
            inputs["advantages"],
            inputs["completion_mask"],
            beta=self.args.beta,
            epsilon_low=self.args.epsilon,
            epsilon_high=self.args.epsilon_high,
            loss_type=self.args.loss_type,
            max_completion_length=self.args.max_completion_length,
            importance_sampling_level=self.args.importance_sampling_level,
            # trl's normaliser: the step's tokens over every process, whose gradients are averaged.
            num_items_in_batch=num_items_in_batch / self.accelerator.num_processes,
        )
        for name, value in metrics.items():
            self._metrics[name].append(value.item())
        return loss

    def _save_checkpoint(self, model: Any, trial: Any) -> None:
        """transformers' checkpoint, plus the resolved settings as ``grpo_config.json`` beside it."""
        super()._save_checkpoint(model, trial)
        if self.args.should_save:
            folder = Path(self.args.output_dir) / f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
            (folder / "grpo_config.json").write_text(self.args.to_json_string())

    def _save(self, output_dir: str | None = None, state_dict: dict | None = None) -> None:
        """transformers' save; with LoRA, the merged model in HF format (what ``from_pretrained``, the
        next stage and eval load) with the adapter alone in ``adapter/``."""
        if self.args.lora is None:
            return super()._save(output_dir, state_dict)
        output_dir = output_dir if output_dir is not None else self.args.output_dir
        # Under ZeRO-3 each process holds a shard of every weight (the state dict transformers gathered
        # holds the adapter alone): gather them all, on every process, as the rollouts do, to merge.
        with _unwrapped(self.model_wrapped, self.accelerator) as model:
            super()._save(str(Path(output_dir) / ADAPTER_DIR))  # the adapter, processor and training args
            if self.args.should_save:
                save_merged(model, output_dir)
                self.processing_class.save_pretrained(output_dir)

    def _load_from_checkpoint(self, resume_from_checkpoint: str, model: Any = None) -> None:
        """Load a checkpoint's weights through ``from_pretrained`` (with LoRA: its adapter).

        transformers 5 saves Qwen2.5-VL in its published key layout (``visual.*``, ``model.*``)
        and maps the keys back only in ``from_pretrained``; Trainer's own resume loads the raw
        file with ``strict=False`` and would silently keep the initial weights.
        """
        if self.is_deepspeed_enabled or self.is_fsdp_enabled:
            return super()._load_from_checkpoint(resume_from_checkpoint, model)
        target = self.accelerator.unwrap_model(model if model is not None else self.model)
        if self.args.lora is not None:
            return load_adapter_weights(target, resume_from_checkpoint)
        loaded = type(target).from_pretrained(resume_from_checkpoint, dtype=target.dtype, use_safetensors=True)
        target.load_state_dict(loaded.state_dict())

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """Add the rollout metrics gathered since the last log (means) to transformers' logs."""
        for name, values in self._metrics.items():
            logs[name] = sum(values) / len(values)
        self._metrics.clear()
        super().log(logs, start_time)


@contextmanager
def _unwrapped(model: Any, accelerator: Any) -> Iterator[Any]:
    """trl's ``unwrap_model_for_generation`` (the whole model, gathered under ZeRO-3), without the
    FutureWarning transformers 5 raises on the property trl reads: it is about trl's code, not the
    user's, and would repeat at every rollout."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
        with unwrap_model_for_generation(model, accelerator) as unwrapped:
            yield unwrapped


def _eos_ids(model: Any, tokenizer: Any) -> set[int]:
    """Every token id that ends a completion: the tokenizer's and the generation config's."""
    configured = model.generation_config.eos_token_id
    configured = [] if configured is None else [configured] if isinstance(configured, int) else list(configured)
    return {tokenizer.eos_token_id, *configured}


def _pad_right(ids: list[list[int]], pad: int) -> dict[str, torch.Tensor]:
    """Completion ids right-padded into ``completion_ids`` and ``completion_mask`` ``(B, T)``."""
    width = max(1, max(map(len, ids)))
    tensor = torch.full((len(ids), width), pad, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, row in enumerate(ids):
        tensor[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return {"completion_ids": tensor, "completion_mask": mask}
