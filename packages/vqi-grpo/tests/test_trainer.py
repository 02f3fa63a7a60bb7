"""VideoGRPOTrainer on a tiny real Qwen2.5-VL and synthetic clips: learning, mixed batches, temporal
rollouts, the loss forward, bad samples, resume and M-RoPE positions (the rollouts' own sampling:
test_sampler.py). The tests marked ``both_backbones`` run on a tiny Qwen3-VL too: learning, mixed
batches with the token shuffle, the frame shuffle, and time in the training forward."""

import json
import re

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForImageTextToText, AutoProcessor, TrainerCallback

from vqi_grpo import LoraSettings, TaskMixSampler, VideoGRPOConfig, VideoGRPOTrainer
from vqi_grpo.rollout import load_clips
from vqi_judge.tiny import BACKBONES
from vqi_rewards import Correctness, format_reward, make_choice_reward, make_score_reward, temporal_reward

both_backbones = pytest.mark.parametrize("judge_dir", BACKBONES, indirect=True)


def make_trainer(judge_dir, rows, tmp_path, rewards, eos: list[int] | None = None, **overrides) -> VideoGRPOTrainer:
    """The trainer on the tiny judge; ``eos``: the generation config's end-of-sequence ids."""
    settings = dict(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=4, num_generations=4,
        max_completion_length=6, max_steps=2, logging_steps=1, learning_rate=1e-3, report_to=[],
        save_strategy="no", use_cpu=True, max_frames=4, temporal_mode="off", seed=0,
    )
    settings.update(overrides)
    model = AutoModelForImageTextToText.from_pretrained(judge_dir)
    if eos is not None:
        model.generation_config.eos_token_id = eos
    processor = AutoProcessor.from_pretrained(judge_dir)
    return VideoGRPOTrainer(model, processor, rewards, VideoGRPOConfig(**settings), rows, **_temporal(settings))


def _temporal(settings: dict) -> dict:
    if settings["temporal_mode"] == "off":
        return {}
    correctness = Correctness((make_score_reward(score_range=(1, 5), task="video_score"),))
    return {"correctness": correctness, "temporal_reward": temporal_reward}


def logged(trainer, key):
    return [h[key] for h in trainer.state.log_history if key in h]


@both_backbones
@pytest.mark.parametrize("tuning", [
    {"learning_rate": 3e-3},
    {"learning_rate": 5e-3, "max_steps": 20, "lora": LoraSettings(r=8, alpha=64)},
], ids=["full", "lora"])
def test_grpo_raises_a_simple_reward_and_trains_both_towers(judge_dir, tmp_path, tuning, rows_for):
    """Reward: the share of completion tokens from the lower half of the vocabulary (about 1/2 at
    random). 16 steps of 8 completions must raise it clearly, through both the language model and
    the vision tower. Rollouts among the 50 likeliest tokens (``top_k``): the random policy is nearly
    uniform over its 516 tokens, and 16 steps cannot move all of them.

    With LoRA (the default targets, which hold vision MLPs on both backbones) only the adapters
    train, in both towers, and the base stays frozen; it takes 20 steps, lr 5e-3 and alpha / r = 8 to
    rise by the same margin. The frozen base holds the tied output embedding and the final norm, which
    carry most of full finetuning's gain here: the adapters can only turn the normalised hidden state,
    which moves a token's logit by at most sqrt(64) x its embedding's norm (0.16), about 1.3."""
    rows = rows_for(tmp_path / "data", {"video_score": 4})
    processor = AutoProcessor.from_pretrained(judge_dir)
    half = len(processor.tokenizer) // 2

    def low_ids(completions, completion_ids, **_):
        return [sum(t < half for t in ids) / max(1, len(ids)) for ids in completion_ids]

    settings = {"per_device_train_batch_size": 8, "num_generations": 8, "max_completion_length": 8, "max_steps": 16,
                "logging_steps": 2, "top_k": 50} | tuning
    trainer = make_trainer(judge_dir, rows, tmp_path, [low_ids], **settings)
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trained = {n for n, p in trainer.model.named_parameters() if p.requires_grad}
    trainer.train()
    rewards = logged(trainer, "reward")
    assert len(rewards) == trainer.args.max_steps // 2
    assert sum(rewards[-2:]) / 2 > sum(rewards[:2]) / 2 + 0.1, rewards
    changed = {n for n, p in trainer.model.named_parameters() if not torch.equal(p, before[n])}
    assert changed == trained  # every trained weight moved and no frozen one
    # One prompt a step over 4 clips: each decoded once, then read from the clip cache.
    assert (trainer.clip_cache.misses, trainer.clip_cache.hits) == (4, trainer.args.max_steps - 4)
    assert any(".visual." in n for n in changed) and any(".language_model." in n for n in changed)
    assert all(".lora_" in n for n in trained) == ("lora" in tuning)  # LoRA: the adapters alone


@both_backbones
@pytest.mark.parametrize("counts, lora", [
    ({"video_score": 2}, None),  # two prompts that share no clip
    ({"compare": 1, "image_score": 1}, None),  # two clips in a prompt, an image in the other
    ({"compare": 1, "video_score": 1}, LoraSettings(r=4, alpha=8)),  # the reference: the adapter disabled
], ids=["apart", "pair-and-image", "lora"])
def test_encoding_each_clip_once_gives_the_per_row_gradients(judge_dir, tmp_path, counts, lora, rows_for):
    """The loss forward with each distinct clip encoded once and shared by its G rows
    (``encode_clips_once``, the default) gives the loss, the old and reference log-probabilities
    and every parameter's gradient of the forward where each row carries its own pixels, while
    the vision tower sees each clip once instead of G times."""
    rows = rows_for(tmp_path / "data", counts)
    trainer = make_trainer(judge_dir, rows, tmp_path, [_token_parity], per_device_train_batch_size=8,
                           beta=0.1, num_iterations=2, lora=lora)
    inputs = trainer._generate_and_score([row for row in rows for _ in range(4)], 0)
    trainer._advantages([inputs])
    assert inputs["advantages"].abs().sum() > 0
    model = trainer.model
    seen = []
    visual = trainer.accelerator.unwrap_model(model).get_base_model().model.visual if lora else model.model.visual
    visual.register_forward_pre_hook(lambda module, args: seen.append(args[0].shape[0]))
    results = {}
    for once in (True, False):
        trainer.args.encode_clips_once = once
        seen.clear()
        with torch.no_grad():
            old, reference = trainer._logps(model, inputs), trainer._reference_logps(inputs)
        model.zero_grad()
        loss = trainer.compute_loss(model, inputs, num_items_in_batch=inputs["completion_mask"].sum())
        loss.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        results[once] = loss.detach(), old, reference, grads, sum(seen)
    (loss, old, reference, grads, encoded), (row_loss, row_old, row_reference, row_grads, row_encoded) = results[True], results[False]
    torch.testing.assert_close(loss, row_loss)
    torch.testing.assert_close(old, row_old)
    torch.testing.assert_close(reference, row_reference)
    torch.testing.assert_close(inputs["old_logps"], old)
    assert grads.keys() == row_grads.keys() and any(".visual." in n for n in grads)
    for name, grad in row_grads.items():
        torch.testing.assert_close(grads[name], grad, msg=name)
    assert row_encoded == 4 * encoded  # 3 forwards of G = 4 rows per clip against 3 of each clip once


def test_forwards_over_rows_of_similar_length_give_the_padded_batch_s_logps_and_gradients(judge_dir, tmp_path, monkeypatch, rows_for):
    """The loss forward split by length (each row alone, padding cut away) gives the log-probabilities
    (0 past each row's end) and every gradient of one forward over the whole padded micro-batch, on
    prompts of different lengths (a pair, an image, a clip) and completions of different lengths."""
    import vqi_grpo.trainer as trainer_module

    rows = rows_for(tmp_path / "data", {"compare": 1, "image_score": 1, "video_score": 1})
    trainer = make_trainer(judge_dir, rows, tmp_path, [_token_parity], per_device_train_batch_size=12,
                           max_completion_length=12, beta=0.1)
    inputs = trainer._generate_and_score([row for row in rows for _ in range(4)], 0)
    trainer._advantages([inputs])
    prompt, completion = inputs["attention_mask"].sum(1), inputs["completion_mask"].sum(1)
    assert len(set(prompt.tolist())) == 3 and len(set(completion.tolist())) > 1  # padding to cut
    results = {}
    for name, split in (("one", lambda p, c: [list(range(len(p)))]), ("alone", lambda p, c: [[r] for r in reversed(range(len(p)))])):
        monkeypatch.setattr(trainer_module, "length_buckets", split)
        trainer.model.zero_grad()
        logps = trainer._logps(trainer.model, inputs)
        (logps * inputs["completion_mask"]).sum().backward()
        results[name] = logps.detach(), {n: p.grad.clone() for n, p in trainer.model.named_parameters() if p.grad is not None}
    (one, one_grads), (alone, alone_grads) = results["one"], results["alone"]
    mask = inputs["completion_mask"].bool()
    torch.testing.assert_close(alone[mask], one[mask], rtol=0, atol=1e-5)
    assert (alone[~mask] == 0).all() and one.shape == alone.shape == inputs["completion_ids"].shape
    assert one_grads.keys() == alone_grads.keys() and any(".visual." in n for n in one_grads)
    for name, grad in one_grads.items():
        torch.testing.assert_close(alone_grads[name], grad, msg=name)


def test_lora_holds_the_base_once_and_saves_a_merged_model(judge_dir, tmp_path, rows_for):
    """LoRA with beta > 0: no reference copy (the reference is the base with the adapter disabled),
    the trainer's model holds each base weight once and only the adapters train; after training the
    reference log-probabilities are the untrained judge's, and the saved folder (merged weights, the
    adapter in ``adapter/``) loads with ``from_pretrained`` and gives the adapted model's
    log-probabilities."""
    rows = rows_for(tmp_path / "data", {"video_score": 2})
    trainer = make_trainer(judge_dir, rows, tmp_path, [_token_parity], beta=0.1, lora=LoraSettings(r=4, alpha=8),
                           learning_rate=3e-2)
    base = AutoModelForImageTextToText.from_pretrained(judge_dir).eval()
    assert trainer.ref_model is None
    held = sum(p.numel() for n, p in trainer.model.named_parameters() if ".lora_" not in n)
    assert held == sum(p.numel() for p in base.parameters())
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()
    changed = {n for n, p in trainer.model.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all(".lora_" in n for n in changed)  # the base stays frozen
    trainer.model.eval()
    inputs = trainer._buffer[0]
    with torch.no_grad():
        reference, policy = trainer._reference_logps(inputs), trainer._logps(trainer.model, inputs)
        torch.testing.assert_close(reference, trainer._logps(base, inputs))
        assert not torch.allclose(policy, reference)  # the adapter trained
        trainer.save_model(str(tmp_path / "final"))
        assert {p.name for p in (tmp_path / "final" / "adapter").iterdir()} >= {"adapter_model.safetensors", "adapter_config.json"}
        merged = AutoModelForImageTextToText.from_pretrained(tmp_path / "final", use_safetensors=True).eval()
        torch.testing.assert_close(trainer._logps(merged, inputs), policy, atol=1e-5, rtol=1e-5)


def test_accumulation_steps_share_batch_scaling_and_dapo_tokens(judge_dir, tmp_path, rows_for):
    """Two accumulation steps of 2 prompts x 4 completions, as trl's generation batch: with
    scale_rewards batch the advantages are (r - group mean) / (std of all 16 rewards + 1e-4); with
    mask_truncated_completions a completion without end-of-sequence (every id below 100 here, so
    completions of 3 tokens end at random) keeps no loss token; dapo's num_items_in_batch is the
    step's kept tokens, in both micro-batches' losses."""
    rows = rows_for(tmp_path / "data", {"video_score": 4})
    trainer = make_trainer(judge_dir, rows, tmp_path, [_token_parity], eos=list(range(100)), per_device_train_batch_size=8,
                           gradient_accumulation_steps=2, max_steps=1, max_completion_length=3, loss_type="dapo",
                           scale_rewards="batch", mask_truncated_completions=True)
    rewards, normalisers = [], []
    generate, compute_loss = trainer._generate_and_score, trainer.compute_loss

    def spy_generate(batch_rows, micro):
        inputs = generate(batch_rows, micro)
        rewards.append(inputs["rewards"].clone())
        return inputs

    def spy_loss(model, inputs, return_outputs=False, num_items_in_batch=None):
        normalisers.append(num_items_in_batch.item())
        return compute_loss(model, inputs, return_outputs, num_items_in_batch)

    trainer._generate_and_score, trainer.compute_loss = spy_generate, spy_loss
    trainer.train()
    std = torch.cat(rewards).std()
    for batch, reward in zip(trainer._buffer, rewards, strict=True):
        grouped = reward.view(-1, 4)
        expected = ((grouped - grouped.mean(1, keepdim=True)) / (std + 1e-4)).reshape(-1)
        torch.testing.assert_close(batch["advantages"], expected)
    kept = []
    for batch in trainer._buffer:
        for ids in batch["completion_ids"].tolist():
            ended = [i for i, t in enumerate(ids) if t < 100]
            kept.append(ended[0] + 1 if ended else 0)
    assert 0 in kept and any(kept), kept  # both cut and ended completions
    assert [m for b in trainer._buffer for m in b["completion_mask"].sum(1).tolist()] == kept
    assert normalisers == [float(sum(kept))] * 2



def test_old_log_probabilities_come_from_the_first_pass_over_the_rollouts(judge_dir, tmp_path, recwarn, rows_for):
    """num_iterations 2 with two accumulation steps: no forward is spent on the old log-probabilities
    at rollout time; the first pass over a batch (both micro-batches, before the optimiser step)
    keeps its own log-probabilities, which equal a separate no-grad forward of the sampling policy
    (what trl computes), and the second pass, after the step, uses those while its own differ. The
    rollouts print no FutureWarning about trl's use of ``is_gradient_checkpointing``."""
    rows = rows_for(tmp_path / "data", {"video_score": 4})
    trainer = make_trainer(judge_dir, rows, tmp_path, [_token_parity], per_device_train_batch_size=8,
                           gradient_accumulation_steps=2, max_steps=2, num_iterations=2, learning_rate=3e-2)
    sampled, passes = [], []
    generate, compute_loss = trainer._generate_and_score, trainer.compute_loss

    def spy_generate(batch_rows, micro):
        inputs = generate(batch_rows, micro)
        assert "old_logps" not in inputs
        with torch.no_grad():
            sampled.append(trainer._logps(trainer.model, inputs))
        return inputs

    def spy_loss(model, inputs, return_outputs=False, num_items_in_batch=None):
        before = inputs.get("old_logps")
        loss = compute_loss(model, inputs, return_outputs, num_items_in_batch)
        with torch.no_grad():
            passes.append((before, inputs["old_logps"].clone(), trainer._logps(model, inputs)))
        return loss

    trainer._generate_and_score, trainer.compute_loss = spy_generate, spy_loss
    trainer.train()
    assert len(sampled) == 2 and len(passes) == 4  # one rollout batch of two micro-batches, two passes
    mask = [b["completion_mask"].bool() for b in trainer._buffer]
    for micro, (before, old, now) in enumerate(passes[:2]):
        assert before is None
        torch.testing.assert_close(old[mask[micro]], sampled[micro][mask[micro]])
    for micro, (before, old, now) in enumerate(passes[2:]):
        torch.testing.assert_close(old, passes[micro][1])
        assert not torch.allclose(now[mask[micro]], old[mask[micro]])  # the step moved the policy
    assert not [w for w in recwarn if "is_gradient_checkpointing" in str(w.message)]

@both_backbones
def test_mixed_tasks_video_pairs_and_images_in_one_batch(judge_dir, tmp_path, rows_for):
    """Images, single clips and clip pairs of different sizes and lengths share batches."""
    rows = rows_for(tmp_path / "data", {"video_score": 1, "compare": 2, "image_score": 2})
    rows += rows_for(tmp_path / "small", {"video_score": 1}, frames=16, size=28)  # 28x28, more frames
    rewards = [format_reward, make_score_reward(score_range=(1, 5), task="video_score"),
               make_score_reward(score_range=(1, 5), task="image_score"), make_choice_reward(task="compare")]
    trainer = make_trainer(judge_dir, rows, tmp_path, rewards, per_device_train_batch_size=8, num_generations=2,
                           max_steps=3, temporal_mode="tokens", temporal_generations=2,
                           min_pixels=28 * 28)  # below the tiny judge's own floor, so 28x28 clips stay small
    grids = []
    generate = trainer._generate_and_score

    def spy(batch_rows, micro):
        inputs = generate(batch_rows, micro)
        grids.append({tuple(g) for g in inputs["clips"].pixels().get("video_grid_thw", torch.empty(0, 3)).tolist()})
        return inputs

    trainer._generate_and_score = spy
    trainer.train()
    assert max(len(g) for g in grids) >= 2, grids  # clips of different grids in one batch
    for name in ("rewards/format_reward", "rewards/score_reward_video_score", "rewards/choice_reward_compare",
                 "rewards/temporal_reward", "temporal/bonus_rate"):
        assert logged(trainer, name), name
    # Token shuffle: one vision pass per step serves the ordered and the shuffled rollouts.
    assert logged(trainer, "vision_passes") == [1.0, 2.0, 3.0]


@both_backbones
def test_frame_shuffle_encodes_the_shuffled_clips_again(judge_dir, tmp_path, rows_for):
    rows = rows_for(tmp_path / "data", {"video_score": 2})
    trainer = make_trainer(judge_dir, rows, tmp_path, [format_reward], per_device_train_batch_size=8,
                           max_steps=1, temporal_mode="frames", temporal_generations=2)
    trainer.train()
    assert logged(trainer, "vision_passes") == [2.0]  # one for the batch, one for all its shuffled clips


def test_a_set_smaller_than_one_step_is_refused(judge_dir, tmp_path, rows_for):
    rows = rows_for(tmp_path / "data", {"video_score": 1})
    with pytest.raises(ValueError, match=r"^too few prompts for one optimiser step: 1 in the training set, 2 a step"):
        make_trainer(judge_dir, rows, tmp_path, [format_reward], per_device_train_batch_size=8)


def test_task_weights_pick_the_sampler_and_are_checked_against_the_rows(judge_dir, tmp_path, rows_for):
    rows = rows_for(tmp_path / "data", {"video_score": 6, "compare": 2})
    plain = make_trainer(judge_dir, rows, tmp_path, [format_reward])
    assert type(plain._get_train_sampler()).__name__ == "RepeatSampler"  # trl's, rows drawn alike
    mixed = make_trainer(judge_dir, rows, tmp_path, [format_reward], task_weights={"video_score": 1, "compare": 1})
    sampler = mixed._get_train_sampler()
    assert isinstance(sampler, TaskMixSampler) and len(sampler) == 8 * 4
    with pytest.raises(ValueError, match=r"no weight to the training set's task\(s\) \['compare'\]"):
        make_trainer(judge_dir, rows, tmp_path, [format_reward], task_weights={"video_score": 1})


def test_bad_samples_are_skipped_and_counted(judge_dir, tmp_path, rows_for):
    rows = rows_for(tmp_path / "data", {"video_score": 2})
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 64)
    rows += [dict(rows[0], id="missing", media=[str(tmp_path / "nope.mp4")]), dict(rows[0], id="broken", media=[str(broken)])]
    trainer = make_trainer(judge_dir, rows, tmp_path, [format_reward], per_device_train_batch_size=16, max_steps=2)
    trainer.train()
    assert logged(trainer, "skipped")[-1] == 4.0  # the 2 bad prompts in each of the 2 steps
    assert trainer.skipped == 4


def test_resume_continues_with_the_same_data_and_rollouts(judge_dir, tmp_path, rows_for):
    """Stop after step 2 (a kill right after the checkpoint), resume: same weights and rewards as straight."""
    rows = rows_for(tmp_path / "data", {"video_score": 4})
    common = dict(max_steps=4, save_strategy="steps", save_steps=2, learning_rate=3e-3)
    straight = make_trainer(judge_dir, rows, tmp_path / "a", [_token_parity], **common)
    straight.train()
    interrupted = make_trainer(judge_dir, rows, tmp_path / "b", [_token_parity], **common)
    interrupted.add_callback(StopAt(2))
    interrupted.train()
    assert not (tmp_path / "b" / "out" / "checkpoint-4").exists()
    saved = json.loads((tmp_path / "b" / "out" / "checkpoint-2" / "grpo_config.json").read_text())
    assert saved["num_generations"] == 4 and saved["max_steps"] == 4  # the resolved config beside it
    resumed = make_trainer(judge_dir, rows, tmp_path / "b", [_token_parity], **common)
    resumed.train(resume_from_checkpoint=str(tmp_path / "b" / "out" / "checkpoint-2"))
    a = load_file(tmp_path / "a" / "out" / "checkpoint-4" / "model.safetensors")
    b = load_file(tmp_path / "b" / "out" / "checkpoint-4" / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert logged(resumed, "reward") == logged(straight, "reward")  # history restored, then the same steps


class StopAt(TrainerCallback):
    """Ends training after a given step, as a kill right after that step's checkpoint would."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            control.should_training_stop = True
        return control


def _token_parity(completions, completion_ids, **_):
    return [sum(t % 2 for t in ids) / max(1, len(ids)) for ids in completion_ids]


@both_backbones
def test_training_forward_uses_3d_positions_that_follow_time(judge_dir, tmp_path, rows_for):
    rows = rows_for(tmp_path / "data", {"video_score": 1}, frames=16)
    # 16 frames at 8 fps = 2 s; sampled at 4 fps: 8 frames, 4 temporal groups of 2.
    trainer = make_trainer(judge_dir, rows, tmp_path, [_token_parity], max_steps=1, max_frames=8, fps=4.0)
    seen = []
    language_model = trainer.model.model.language_model
    handle = language_model.register_forward_pre_hook(
        lambda module, args, kwargs: seen.append(kwargs["position_ids"]), with_kwargs=True
    )
    trainer.train()
    handle.remove()
    video_id = trainer.processor.tokenizer.convert_tokens_to_ids("<|video_pad|>")
    # The loss forward (and the reference's) run after generation; check one of them.
    positions = seen[-1]
    assert positions.shape[0] in (3, 4)  # M-RoPE (time, height, width) [+ text]: never 1-D
    inputs = trainer._buffer[0]
    is_video = inputs["input_ids"][0] == video_id
    time_axis = positions[-3, 0, : is_video.numel()][is_video]
    times = sorted(set(time_axis.tolist()))
    assert len(times) == 4  # 8 frames = 4 temporal groups, each at its own time
    if trainer.model.config.model_type == "qwen2_5_vl":
        # Each group lasts 0.5 s; M-RoPE's time axis advances tokens_per_second per second of video.
        step = 0.5 * trainer.model.config.vision_config.tokens_per_second
        assert [b - a for a, b in zip(times, times[1:])] == [step] * 3
    else:
        # Qwen3-VL reads time from the text: each group's mean time, written before its tokens.
        times = load_clips(rows[0], trainer.args, trainer.budget)[0].timestamps.reshape(4, 2).mean(1)
        text = trainer.processor.tokenizer.decode(inputs["input_ids"][0])
        assert re.findall(r"<([\d.]+) seconds>", text) == [f"{t:.1f}" for t in times]
        assert times[0] < times[-1] - 1.0  # they span the clip's 2 s
