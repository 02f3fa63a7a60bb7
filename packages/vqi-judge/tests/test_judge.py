"""The judge on a tiny real Qwen2.5-VL and Qwen3-VL: loading, every task, batching, feature reuse,
suppression (every test runs on both backbones)."""

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from vqi_judge import Answer, Comparison, Judge, JudgeConfig, Score, build_tiny_judge, get_task, parse_judgement
from vqi_judge.tiny import BACKBONES, REASONING_TOKENS, SPECIAL_TOKENS
from vqi_video.synthetic import Degradation, clean_frames, degrade, write_clip, write_image


@pytest.fixture(scope="module", params=BACKBONES)
def backbone(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def judge_dir(tmp_path_factory, backbone) -> Path:
    return build_tiny_judge(tmp_path_factory.mktemp("tiny-judge"), seed=0, backbone=backbone)


@pytest.fixture(scope="module")
def judge(judge_dir) -> Judge:
    return Judge.from_pretrained(judge_dir, batch_size=4, max_new_tokens=12)


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> list[Path]:
    """Four synthetic clips of increasing damage and one image."""
    root = tmp_path_factory.mktemp("media")
    clips = [
        write_clip(root / f"clip{i}.mp4", degrade(clean_frames(i), Degradation(blur=i * 0.9), seed=i))
        for i in range(4)
    ]
    return [*clips, write_image(root / "image.png", clean_frames(9, frames=1)[0])]


def test_tiny_judge_round_trip_is_deterministic(judge_dir, backbone, tmp_path):
    again = build_tiny_judge(tmp_path / "again", seed=0, backbone=backbone)
    other = build_tiny_judge(tmp_path / "other", seed=1, backbone=backbone)
    weights = load_file(judge_dir / "model.safetensors")
    assert weights.keys() == load_file(again / "model.safetensors").keys()
    assert all(torch.equal(v, load_file(again / "model.safetensors")[k]) for k, v in weights.items())
    assert not all(torch.equal(v, load_file(other / "model.safetensors")[k]) for k, v in weights.items())
    judge = Judge.from_pretrained(judge_dir)
    params = sum(p.numel() for p in judge.model.parameters())
    assert 100_000 < params < 1_000_000, params
    expected = {"qwen2_5_vl": "Qwen2_5_VLForConditionalGeneration", "qwen3_vl": "Qwen3VLForConditionalGeneration"}
    assert type(judge.model).__name__ == expected[backbone]
    assert not list(judge_dir.glob("*.bin")), "weights must be saved as safetensors only"


def test_unknown_backbone_names_the_known_ones(tmp_path):
    with pytest.raises(ValueError, match=r"^unknown backbone 'llava': choose one of qwen2_5_vl, qwen3_vl$"):
        build_tiny_judge(tmp_path / "j", backbone="llava")
    assert not (tmp_path / "j").exists()


def test_tokenizer_carries_qwen_tokens_and_reasoning_tags(judge):
    tok = judge.processor.tokenizer
    for token in SPECIAL_TOKENS + REASONING_TOKENS:
        ids = tok(token, add_special_tokens=False)["input_ids"]
        assert len(ids) == 1, token
    text = "<think>sharp and smooth</think><answer>Video B</answer>"
    ids = tok(text + "<|im_end|>")["input_ids"]
    assert tok.decode(ids, skip_special_tokens=True) == text


def test_every_task_returns_its_typed_result(judge, media):
    clip_a, clip_b, image = media[0], media[1], media[-1]
    image_score = judge.score(image, task="image_score")
    video_score = judge.score(clip_a)
    aigc = judge.score(clip_a, task="aigc_score", prompt="a square gliding")
    comparison = judge.compare(clip_a, clip_b, prompt="a square gliding")
    answer = judge.ask(clip_a, "Is the motion smooth?")
    assert [type(r) for r in (image_score, video_score, aigc, comparison, answer)] == [
        Score, Score, Score, Comparison, Answer
    ]
    assert [r.task for r in (image_score, video_score, aigc, comparison, answer)] == [
        "image_score", "video_score", "aigc_score", "compare", "vqa"
    ]
    for result in (image_score, video_score, aigc, comparison, answer):
        assert isinstance(result.text, str)
        # An untrained tiny model writes no answer block: parsing fails, visibly, without raising.
        assert result.parse_failed is (parse_judgement(get_task(result.task), result.text).parse_failed)


def test_parse_judgement_reads_each_answer_kind():
    cases = {
        "video_score": ("<think>ok</think><answer>3.5</answer>", {"score": 3.5}),
        "aigc_score": ('<think>ok</think><answer>"spatial": 4, "temporal": 2.5, "alignment": 3</answer>',
                       {"scores": {"spatial": 4.0, "temporal": 2.5, "alignment": 3.0}}),
        "compare": ("<think>B is sharper</think><answer>video b</answer>", {"choice": "Video B", "winner": 1}),
        "vqa": ("<think>no jumps</think><answer>Yes</answer>", {"answer": "yes"}),
    }
    for task, (text, expected) in cases.items():
        result = parse_judgement(get_task(task), text)
        assert not result.parse_failed
        assert result.reasoning == text.split("<think>")[1].split("</think>")[0]
        for key, value in expected.items():
            assert getattr(result, key) == value, (task, key)
    bad = parse_judgement(get_task("compare"), "<answer>yes</answer>")
    assert bad.parse_failed and bad.choice is None and bad.winner is None


def test_reused_features_give_the_same_verdicts(judge, media):
    """Round robin over 4 clips: encoding each clip once equals encoding it per prompt (greedy)."""
    pairs = [(i, j) for i in range(4) for j in range(4) if i != j]
    clips = [judge.load(m) for m in media[:4]]
    requests = [judge.request("compare", [clips[i], clips[j]], prompt="a square") for i, j in pairs]
    reused = judge.generate(requests, reuse_features=True)
    plain = judge.generate(requests, reuse_features=False)
    assert reused == plain


def test_reuse_encodes_each_clip_once(judge, media, monkeypatch):
    clips = [judge.load(m) for m in media[:4]]
    calls = []
    visual = judge.model.model.visual
    monkeypatch.setattr(visual, "forward", _counting(visual.forward, calls))
    judge.compare_pairs(clips, [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)])
    assert len(calls) == 1 and calls[0] == 4  # one vision pass over the 4 distinct clips


def _counting(forward, calls):
    def wrapped(hidden_states, grid_thw, **kwargs):
        calls.append(len(grid_thw))
        return forward(hidden_states, grid_thw=grid_thw, **kwargs)
    return wrapped


def test_batched_equals_one_at_a_time(judge_dir, media):
    batched = Judge.from_pretrained(judge_dir, batch_size=4, max_new_tokens=12)
    single = Judge.from_pretrained(judge_dir, batch_size=1, max_new_tokens=12)
    clips = [batched.load(m) for m in media[:4]]
    requests = [batched.request("video_score", [c]) for c in clips]
    requests.append(batched.request("compare", clips[:2], prompt="a square"))
    assert batched.generate(requests) == single.generate(requests)


def test_vision_placeholders_are_never_generated(judge, media):
    """A model that prefers <|video_pad|> above all must still never emit it."""
    video_pad = judge.processor.tokenizer.convert_tokens_to_ids("<|video_pad|>")

    def favour_video_pad(module, args, output):
        output[..., video_pad] += 1e4
        return output

    handle = judge.model.lm_head.register_forward_hook(favour_video_pad)
    try:
        text = judge.generate([judge.request("video_score", [media[0]])])[0]
        ids = judge.processor.tokenizer(text, add_special_tokens=False)["input_ids"]
        assert video_pad not in ids and len(ids) > 0
        # And the hook really does push the token: without suppression it would be all we get.
        unsuppressed = judge.model.generate(
            **{k: v for k, v in judge._plain_inputs([judge.request("video_score", [media[0]])]).items()},
            max_new_tokens=3,
            do_sample=False,
        )
        assert unsuppressed[0, -3:].tolist() == [video_pad] * 3
    finally:
        handle.remove()


def test_wrong_clip_count_and_unknown_task_are_clear_errors(judge, media):
    with pytest.raises(ValueError, match="shows 2 clip"):
        judge.request("compare", [media[0]])
    with pytest.raises(ValueError, match="unknown task 'rank'"):
        judge.request("rank", [media[0]])
    with pytest.raises(ValueError, match="needs prompt"):
        judge.score(media[0], task="aigc_score")
    with pytest.raises(ValueError, match=r"^score\(\) takes a scoring task .*, got 'vqa': use compare\(\)"):
        judge.score(media[0], task="vqa", question="Is it sharp?")


def test_sampling_is_seeded(judge_dir, media):
    sampler = Judge.from_pretrained(judge_dir, do_sample=True, max_new_tokens=8)
    request = [sampler.request("video_score", [media[0]])]
    torch.manual_seed(3)
    first = sampler.generate(request)
    torch.manual_seed(3)
    assert sampler.generate(request) == first


def test_format_teaching_makes_answers_readable_but_teaches_no_quality(backbone, tmp_path, media):
    """A few supervised steps on random answers: the loss falls and greedy answers parse."""
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from vqi_judge.instruct import teach_format
    from vqi_judge.tiny import tiny_backbone

    folder = build_tiny_judge(tmp_path / "j", seed=0, backbone=backbone)
    model = AutoModelForImageTextToText.from_pretrained(folder)
    processor = AutoProcessor.from_pretrained(folder)
    losses = teach_format(model, processor, steps=120, seed=0, tasks=("video_score",), size=tiny_backbone(backbone).frame_side)
    assert sum(losses[-5:]) / 5 < 0.15 * sum(losses[:5]) / 5, [round(x, 2) for x in losses]
    judge = Judge(model, processor, JudgeConfig(max_new_tokens=64))
    results = [judge.score(m) for m in media[:4]]
    assert sum(not r.parse_failed for r in results) >= 3, [r.text for r in results]
    assert all(1 <= r.score <= 5 for r in results if not r.parse_failed)
