"""vqi_apps.generation: a sampling judge's tournament is reproducible, whatever ran before it (on
both backbones)."""

from __future__ import annotations

import torch

from vqi_apps.generation import Candidates, run_tournament
from vqi_judge import Judge
from vqi_video.synthetic import Degradation, clean_frames, degrade, write_clip


def _candidates(folder, prompt_id, seed):
    clean = clean_frames(seed, frames=4)
    damage = [Degradation(), Degradation(blur=2.0), Degradation(noise=30.0)]
    clips = tuple(write_clip(folder / f"{prompt_id}_c{k}.mp4", degrade(clean, d, seed)) for k, d in enumerate(damage))
    return Candidates(prompt_id, "a red square gliding over a soft gradient", (0, 1, 2), clips)


def _verdicts(folder):
    return (folder / "log.jsonl").read_text().splitlines()


def test_a_sampling_judge_gives_each_prompt_the_same_verdicts_alone_or_after_others(any_judge, tmp_path):
    judge = Judge.from_pretrained(any_judge, do_sample=True, temperature=1.0, max_new_tokens=64)
    first, second = _candidates(tmp_path, "p000", 1), _candidates(tmp_path, "p001", 2)
    both = run_tournament(judge, [first, second], tmp_path / "both", both_orders=True, seed=0)
    torch.manual_seed(12345)  # whatever state the global generator is left in
    alone = run_tournament(judge, [second], tmp_path / "alone", both_orders=True, seed=0)
    assert alone[0].reasoning == both[1].reasoning
    assert alone[0].result.wins == both[1].result.wins
    assert _verdicts(tmp_path / "alone") == [line for line in _verdicts(tmp_path / "both") if '"p001"' in line]
    # The draws are samples, not a fixed answer: another seed changes some of the texts.
    other = run_tournament(judge, [second], tmp_path / "other", both_orders=True, seed=1)
    assert other[0].reasoning != alone[0].reasoning
