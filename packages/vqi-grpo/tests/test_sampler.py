"""Rollouts on the tiny judge: the token shuffle's one vision pass, prompts sharing clips, and each
prompt read once for its G completions. The tests marked ``both_backbones`` run on a tiny Qwen3-VL too."""

import dataclasses

import numpy as np
import pytest
import torch
from transformers import AutoModelForImageTextToText, AutoProcessor, LogitsProcessorList

from vqi_grpo import VideoGRPOConfig
from vqi_grpo.rollout import Draw, Group, Sampler, SeededSampling, load_clips, row_seeds
from vqi_judge.tiny import BACKBONES
from vqi_video import ClipBatch, encode_clips, group_permutation, permute_groups, vision_token_ids

both_backbones = pytest.mark.parametrize("judge_dir", BACKBONES, indirect=True)


def make_sampler(judge_dir, tmp_path, **settings) -> tuple:
    """The tiny judge (eval mode), its processor, the settings (2 prompts x 2 completions, 8-frame
    clips, ``settings`` on top) and a rollout Sampler."""
    model = AutoModelForImageTextToText.from_pretrained(judge_dir).eval()
    processor = AutoProcessor.from_pretrained(judge_dir)
    args = VideoGRPOConfig(output_dir=str(tmp_path / "out"), per_device_train_batch_size=2, num_generations=2,
                           use_cpu=True, max_frames=8, report_to=[], **settings)
    tok = processor.tokenizer
    return model, processor, args, Sampler(processor, args, vision_token_ids(tok), {tok.eos_token_id}, tok.pad_token_id)



@both_backbones
def test_token_shuffle_in_one_vision_pass_equals_encoding_shuffled_pixels(judge_dir, tmp_path, rows_for):
    """The shuffled rollouts sampled from the permuted features of the one vision pass are those
    sampled when each prompt's model encodes its clips' pixels with the temporal groups permuted
    the same way (Qwen3-VL: with its DeepStack levels permuted alike)."""
    rows = rows_for(tmp_path / "data", {"video_score": 2, "compare": 1}, frames=8)
    model, processor, args, sampler = make_sampler(judge_dir, tmp_path, max_completion_length=6, temporal_generations=3,
                                                   temporal_tasks=["video_score", "compare"])
    budget = args.pixel_budget(processor)
    groups = [Group([row] * 2, load_clips(row, args, budget), seed=11 + i) for i, row in enumerate(rows)]
    batch = sampler.sample(model, groups)
    assert sampler.vision_passes == 1

    visual = batch.visual
    per_clip = list(torch.split(visual.pixel_values_videos, visual.video_grid_thw.prod(-1).tolist()))
    for group in groups:  # the rollout's permutations: one per video clip, drawn from the group's seed
        rng = np.random.default_rng(group.seed)
        for clip in group.clips:
            _, position = batch.slots[id(clip)]
            grid = visual.video_grid_thw[position : position + 1]
            per_clip[position] = permute_groups(per_clip[position], grid, [group_permutation(int(grid[0, 0]), rng)])
    shuffled_pixels = dataclasses.replace(batch, visual=dataclasses.replace(visual, pixel_values_videos=torch.cat(per_clip)))
    with torch.no_grad():
        encoded_per_prompt = sampler._generate(model, shuffled_pixels, [Draw(g, g.clips, 3, 1) for g in groups], None)
    assert [g.shuffled for g in groups] == encoded_per_prompt
    assert all(len(g.shuffled) == 3 for g in groups)


def test_prompts_sharing_clips_sample_what_each_samples_alone(judge_dir, tmp_path, rows_for):
    """Two prompts showing the same clip objects (the clip cache hands a clip drawn twice in a step
    to both), each with its own seed: each one's ordered and token-shuffled completions are those it
    samples alone, so one prompt's permutation does not leak into the other's."""
    row = rows_for(tmp_path / "data", {"video_score": 1}, frames=8)[0]
    model, processor, args, sampler = make_sampler(judge_dir, tmp_path, max_completion_length=6, temporal_generations=3)
    clips = load_clips(row, args, args.pixel_budget(processor))
    together = [Group([row] * 2, clips, seed=s) for s in (11, 12)]
    sampler.sample(model, together)
    for group in together:
        alone = Group([row] * 2, clips, seed=group.seed)
        sampler.sample(model, [alone])
        assert (alone.completions, alone.shuffled) == (group.completions, group.shuffled)
    assert together[0].shuffled != together[1].shuffled


@both_backbones
def test_completions_continue_a_prompt_read_once(judge_dir, tmp_path, rows_for):
    """Sampling G completions of a prompt reads the prompt once (a forward over one row per prompt
    fills the cache that the G rows continue) and samples what generate over G full copies of the
    prompt samples, seed for seed, on prompts of different lengths (a pair, a clip, an image)."""
    rows = rows_for(tmp_path / "data", {"compare": 1, "video_score": 1, "image_score": 1}, frames=8)
    model, processor, args, sampler = make_sampler(judge_dir, tmp_path, max_completion_length=8, top_k=50)
    groups = [Group([row], load_clips(row, args, args.pixel_budget(processor)), seed=5 + i) for i, row in enumerate(rows)]
    draws = [Draw(g, g.clips, count, 0) for g, count in zip(groups, (3, 2, 4), strict=True)]
    batch = ClipBatch.from_clips(processor, [g.clips for g in groups])
    read = []
    model.get_input_embeddings().register_forward_hook(lambda module, args, out: read.append(tuple(args[0].shape)))
    with torch.no_grad():
        features = encode_clips(model, batch.visual)
        shared = sampler._generate(model, batch, draws, features)
        prompt_rows = read[0]
        inputs = batch.inputs(processor, [d.conversation for d in draws for _ in range(d.count)],
                              [d.clips for d in draws for _ in range(d.count)], features=features)
        seeds = [s for d in draws for s in row_seeds(d.group.seed, d.count)]
        out = model.generate(**inputs, generation_config=sampler.generation,
                             logits_processor=LogitsProcessorList([SeededSampling(seeds, 1.0, top_k=50)]))
    full = []  # each row up to its first end token
    for row in out[:, inputs["input_ids"].shape[1] :].tolist():
        ends = [i for i, token in enumerate(row) if token in sampler.eos]
        full.append(row[: ends[0] + 1] if ends else row)
    assert prompt_rows == (3, inputs["input_ids"].shape[1] - 1)  # the prompts once, all but their last token
    assert read[1] == (9, 1)  # then the 9 completions go on from the last token
    assert [len(ids) for ids in shared] == [3, 2, 4]
    assert [c for ids in shared for c in ids] == full
    assert len({tuple(c) for c in shared[2]}) > 1  # the rows of a prompt draw apart


