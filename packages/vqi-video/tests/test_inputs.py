"""Token concat: clips → processor inputs with VideoMetadata, for one, two or many clips and images,
on Qwen2.5-VL's processor and (where the backbones differ) Qwen3-VL's."""

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import (
    PreTrainedTokenizerFast,
    Qwen2_5_VLConfig,
    Qwen2_5_VLForConditionalGeneration,
    Qwen2_5_VLModel,
    Qwen2_5_VLProcessor,
    Qwen3VLConfig,
    Qwen3VLForConditionalGeneration,
    Qwen3VLProcessor,
)
from transformers.models.qwen2_vl import Qwen2VLImageProcessor
from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor
from transformers.models.qwen3_vl.video_processing_qwen3_vl import Qwen3VLVideoProcessor

from transformers.video_utils import VideoMetadata

from vqi_video import (
    Clip,
    ClipBatch,
    PixelBudget,
    backbone_of,
    backbone_of_model,
    build_inputs,
    clip_labels,
    encode_clips,
    process_clips,
    select,
    shuffle_frames,
    tokenize,
    user_message,
)
from vqi_video.spans import rows_per_clip

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
            "<|image_pad|>", "<|video_pad|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}{% for c in m['content'] %}"
    "{% if c['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif c['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% else %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def make_processor(backbone: str):
    """A real processor of the backbone over a word-level tokenizer built here (no hub)."""
    words = ["[UNK]", "user", "assistant", "Video", "A:", "B:", "C:", "rate", "which", "is", "better?"]
    words += [f"<{t / 10:.1f}" for t in range(40)] + ["seconds>"]  # Qwen3-VL's timestamps
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.add_special_tokens(SPECIALS)
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<|endoftext|>", eos_token="<|im_end|>")
    if backbone == "qwen2_5_vl":
        return Qwen2_5_VLProcessor(image_processor=Qwen2VLImageProcessor(), video_processor=Qwen2VLVideoProcessor(),
                                   tokenizer=hf, chat_template=CHAT_TEMPLATE)
    patches = {"patch_size": 16, "image_mean": [0.5] * 3, "image_std": [0.5] * 3}
    return Qwen3VLProcessor(image_processor=Qwen2VLImageProcessor(**patches), video_processor=Qwen3VLVideoProcessor(**patches),
                            tokenizer=hf, chat_template=CHAT_TEMPLATE)


@pytest.fixture(scope="module")
def processor() -> Qwen2_5_VLProcessor:
    """Qwen2.5-VL's processor (sizes below are in its 28-pixel tokens)."""
    return make_processor("qwen2_5_vl")


@pytest.fixture(scope="module", params=["qwen2_5_vl", "qwen3_vl"])
def any_processor(request):
    """Each backbone's processor, for what must hold on both."""
    return make_processor(request.param)


def unit(processor) -> int:
    """Side of one merged token in pixels: 28 (Qwen2.5-VL), 32 (Qwen3-VL)."""
    return processor.video_processor.patch_size * processor.video_processor.merge_size


def make_clip(frames: int, height: int = 56, width: int = 84, *, step: int = 12, fps: float = 24.0,
              image: bool = False, seed: int = 0) -> Clip:
    """A decoded clip of random pixels: source frames 0, step, 2*step, … of a ``fps`` video."""
    pixels = np.random.default_rng(seed).integers(0, 256, (frames, height, width, 3), dtype=np.uint8)
    indices = np.arange(frames) * step
    return Clip(
        frames=pixels,
        indices=indices,
        timestamps=indices / fps,
        fps=fps,
        duration=frames * step / fps,
        total_frames=frames * step,
        path=Path("image.png" if image else "synthetic.mp4"),
        backend="pillow" if image else "synthetic",
        source_size=(height, width),
    )


def video_token_id(processor) -> int:
    return processor.tokenizer.convert_tokens_to_ids("<|video_pad|>")


def test_clip_labels():
    assert clip_labels(3) == ["Video A", "Video B", "Video C"]
    with pytest.raises(ValueError):
        clip_labels(0)


def test_user_message_layouts():
    one, two = make_clip(2), make_clip(2, seed=1)
    assert user_message("rate", [one])["content"] == [{"type": "video"}, {"type": "text", "text": "rate"}]
    texts = [p.get("text") for p in user_message("which is better?", [one, two])["content"]]
    assert texts == ["Video A: ", None, " ", "Video B: ", None, " ", "which is better?"]
    with pytest.raises(ValueError, match="2 labels for 1 clips"):
        user_message("rate", [one], labels=["x", "y"])


def test_one_clip_inputs(processor):
    clip = make_clip(4)  # 4 frames, 56x84 → grid (2, 4, 6) → 2*4*6/4 = 12 video tokens
    batch = build_inputs(processor, [[user_message("rate", [clip])]], [[clip]])
    assert batch["video_grid_thw"].tolist() == [[2, 4, 6]]
    assert batch["pixel_values_videos"].shape == (2 * 4 * 6, 3 * 2 * 14 * 14)
    is_video = batch["input_ids"][0] == video_token_id(processor)
    assert int(is_video.sum()) == 12
    assert torch.equal(batch["mm_token_type_ids"][0] == 2, is_video)
    # Sampled every 12th frame of 24 fps = 2 fps; a temporal patch holds 2 frames = 1 second.
    assert batch["second_per_grid_ts"].tolist() == [1.0]


def test_two_clips_of_different_sizes_in_a_batch(processor):
    a, b, c = make_clip(4), make_clip(2, 28, 56, seed=1), make_clip(6, 84, 28, seed=2)
    conversations = [[user_message("which is better?", [a, b])], [user_message("rate", [c])]]
    batch = build_inputs(processor, conversations, [[a, b], [c]])
    grid = batch["video_grid_thw"]
    assert grid.tolist() == [[2, 4, 6], [1, 2, 4], [3, 6, 2]]
    assert rows_per_clip(grid) == [48, 8, 36]
    tokens = (batch["input_ids"] == video_token_id(processor)).sum(dim=1).tolist()
    assert tokens == [12 + 2, 9]
    # Left padding: the shorter row starts with pad tokens, both rows end with the assistant header.
    assert batch["attention_mask"][1, 0] == 0 and batch["attention_mask"][0].all()


def test_matches_the_processor_called_directly(any_processor):
    """Our two-step path gives exactly what transformers' processor gives in one call (on Qwen3-VL,
    the timestamps it writes into the text too)."""
    processor, u = any_processor, unit(any_processor)
    a, b, c = make_clip(4, 2 * u, 3 * u), make_clip(2, u, 2 * u, seed=1), make_clip(6, 3 * u, u, seed=2, step=5)
    conversations = [[user_message("which is better?", [a, b])], [user_message("rate", [c])]]
    ours = build_inputs(processor, conversations, [[a, b], [c]])
    texts = [processor.apply_chat_template(conv, add_generation_prompt=True, tokenize=False) for conv in conversations]
    theirs = processor(
        text=texts,
        videos=[a.frames, b.frames, c.frames],
        video_metadata=[VideoMetadata(**clip.metadata()) for clip in (a, b, c)],
        videos_kwargs={"do_resize": False, "do_sample_frames": False},
        padding=True,
        padding_side="left",
        return_tensors="pt",
    )
    for key in ("input_ids", "attention_mask", "mm_token_type_ids", "pixel_values_videos", "video_grid_thw"):
        assert torch.equal(ours[key], theirs[key]), key
    assert ("second_per_grid_ts" in ours) is isinstance(processor, Qwen2_5_VLProcessor)
    if "second_per_grid_ts" in ours:
        torch.testing.assert_close(ours["second_per_grid_ts"], torch.as_tensor(theirs["second_per_grid_ts"]).float())


def test_qwen3_budget_sizes_frames_as_its_video_processor_does():
    """Qwen3-VL-8B's published video settings: the frame sizes of our decode budget give the patch
    counts of transformers' own resize (per-frame cap on), short and long clips, any aspect."""
    video = Qwen3VLVideoProcessor(size={"shortest_edge": 4096, "longest_edge": 25165824}, patch_size=16)
    budget = backbone_of(make_processor("qwen3_vl")).budget(video)
    assert budget == PixelBudget(min_pixels=4096, max_pixels=768 * 32 * 32, total_pixels=12582912, factor=32)
    for frames in (4, 16, 64, 256):
        for height, width in ((1080, 1920), (480, 640), (720, 406)):
            h, w = budget.frame_size(height, width, frames)
            ours = frames // 2 * (h // 16) * (w // 16)
            assert ours == video.get_num_of_video_patches(frames, height, width, {"cap_pixels_per_frame": True})
    assert budget.frame_size(1080, 1920, 16) == (640, 1152)  # 768 tokens a frame: 20 x 36
    override = backbone_of(make_processor("qwen3_vl")).budget(video, min_pixels=1024, max_pixels=128 * 32 * 32)
    assert (override.min_pixels, override.max_pixels) == (1024, 131072)


def test_an_unknown_processor_or_model_names_the_backbones():
    known = r"the judge runs on qwen2_5_vl \(Qwen2_5_VLProcessor\), qwen3_vl \(Qwen3VLProcessor\)$"
    with pytest.raises(ValueError, match=r"^no backbone for a LlavaProcessor: " + known):
        backbone_of(type("LlavaProcessor", (), {})())
    with pytest.raises(ValueError, match=r"^no backbone for model_type 'llava': " + known):
        backbone_of_model(SimpleNamespace(config=SimpleNamespace(model_type="llava")))


def test_qwen3_writes_slot_times_so_a_frame_shuffle_shows_no_order():
    """Qwen3-VL reads time from the text: each temporal group's mean time, the same for a clip and
    for its frame-shuffled copy (whose frames keep their true timestamps)."""
    processor = make_processor("qwen3_vl")
    clip = make_clip(6, 32, 32, step=6)  # 24 fps, every 6th frame: 0, 0.25, … 1.25 s
    shuffled, _ = shuffle_frames(clip, rng=0)
    ids = [build_inputs(processor, [[user_message("rate", [c])]], [[c]])["input_ids"] for c in (clip, shuffled)]
    assert torch.equal(ids[0], ids[1])
    text = processor.tokenizer.decode(ids[0][0])
    assert re.findall(r"<(\d\.\d) seconds>", text) == ["0.1", "0.6", "1.1"]
    assert "[UNK]" not in text


def test_select_reuses_processed_clips(processor):
    """Processing 3 clips once, then picking (0, 1), (0, 2) equals processing the pairs directly."""
    clips = [make_clip(2, seed=s) for s in range(3)]
    visual = process_clips(processor, clips)
    picked = select(visual, [0, 1, 0, 2], [])
    direct = process_clips(processor, [clips[0], clips[1], clips[0], clips[2]])
    assert torch.equal(picked.pixel_values_videos, direct.pixel_values_videos)
    assert torch.equal(picked.video_grid_thw, direct.video_grid_thw)
    assert torch.equal(picked.second_per_grid_ts, direct.second_per_grid_ts)
    pads = "<|video_pad|>" * 6
    text = tokenize(processor, [[user_message("rate", clips[:2])]], [[pads, pads]], [[]])
    assert int((text["mm_token_type_ids"] == 2).sum()) == 12
    with pytest.raises(ValueError, match="placeholders in the rendered text"):
        tokenize(processor, [[user_message("rate", clips[:2])]], [[pads]], [[]])


def test_image_clip_uses_the_image_processor(processor):
    image = make_clip(1, 56, 56, image=True)
    batch = build_inputs(processor, [[user_message("rate", [image])]], [[image]])
    assert batch["image_grid_thw"].tolist() == [[1, 4, 4]]
    assert "pixel_values_videos" not in batch


def test_mismatched_placeholders_and_sizes_are_rejected(processor):
    clip = make_clip(2)
    with pytest.raises(ValueError, match="placeholders"):
        build_inputs(processor, [[user_message("rate", [clip])]], [[clip, clip]])
    odd = make_clip(2, 50, 84)
    with pytest.raises(ValueError, match="not multiples of 28"):
        build_inputs(processor, [[user_message("rate", [odd])]], [[odd]])


def tiny_config(processor) -> Qwen2_5_VLConfig | Qwen3VLConfig:
    tok = processor.tokenizer
    text = {"vocab_size": len(tok), "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
            "num_key_value_heads": 1, "intermediate_size": 32,
            "rope_parameters": {"rope_type": "default", "mrope_section": [1, 1, 2], "rope_theta": 1e4}}
    vision = {"depth": 1, "hidden_size": 16, "num_heads": 2, "intermediate_size": 32, "out_hidden_size": 16}
    ids = {"video_token_id": video_token_id(processor), "image_token_id": tok.convert_tokens_to_ids("<|image_pad|>"),
           "vision_start_token_id": tok.convert_tokens_to_ids("<|vision_start|>")}
    if isinstance(processor, Qwen2_5_VLProcessor):
        return Qwen2_5_VLConfig(text_config=text, vision_config=vision, **ids)
    return Qwen3VLConfig(text_config=text | {"head_dim": 8}, **ids, vision_config=vision | {
        "patch_size": 16, "num_position_embeddings": 16, "deepstack_visual_indexes": [0]})


def test_clip_batch_features_give_the_same_logits_as_pixels(any_processor):
    """Encoding each distinct clip once and handing the features over (with Qwen3-VL's DeepStack
    levels) equals the model encoding pixels."""
    processor, u = any_processor, unit(any_processor)
    config = tiny_config(processor)
    torch.manual_seed(0)
    model_class = Qwen2_5_VLForConditionalGeneration if isinstance(config, Qwen2_5_VLConfig) else Qwen3VLForConditionalGeneration
    model = model_class(config).eval()
    a, b, image = make_clip(4, 2 * u, 3 * u), make_clip(2, u, 2 * u, seed=1), make_clip(1, 2 * u, 2 * u, image=True, seed=2)
    rows = [[a, b], [b, a], [image], [a]]
    conversations = [[user_message("which is better?", row)] for row in rows]
    batch = ClipBatch.from_clips(processor, rows)
    assert batch.visual.video_grid_thw.shape[0] == 2  # a and b processed once each
    with torch.no_grad():
        features = encode_clips(model, batch.visual)
        reused = model(**batch.inputs(processor, conversations, rows, features=features)).logits
        plain = model(**build_inputs(processor, conversations, rows)).logits
    torch.testing.assert_close(reused, plain, rtol=0, atol=1e-5)



def test_copies_of_clips_get_slots_of_their_own_with_the_same_inputs(any_processor):
    """ClipBatch.with_copies: a copy of a video and of an image each take the next slot of their
    kind, with their original's grid and text and no pixels; inputs with the copies in place of
    their originals, given the features per slot, equal the originals' inputs, and the copies'
    slots receive the copies' features."""
    processor, u = any_processor, unit(any_processor)
    a, b, image = make_clip(4, 2 * u, 3 * u), make_clip(2, u, 2 * u, seed=1), make_clip(1, 2 * u, 2 * u, image=True, seed=2)
    batch = ClipBatch.from_clips(processor, [[a, b], [image]])
    a2, image2 = Clip(**vars(a)), Clip(**vars(image))
    both = batch.with_copies([(a, a2), (image, image2)])
    assert both.slots[id(a2)] == ("video", 2) and both.slots[id(image2)] == ("image", 1)
    assert (both.tokens["video"], both.texts["video"][2]) == ([*batch.tokens["video"], batch.tokens["video"][0]], batch.texts["video"][0])
    rows, copied = [[a, b], [image]], [[a2, b], [image2]]
    conversations = [[user_message("which is better?", row)] for row in rows]
    assert both.visual.pixel_values_videos is None and both.visual.pixel_values is None
    with pytest.raises(ValueError, match="holds no pixels"):
        both.inputs(processor, conversations, copied)
    features = {kind: tuple(torch.full((1, 1), float(v)) for v in range(n)) for kind, n in (("video", 2), ("image", 1))}
    copy_features = {"video": (*features["video"], features["video"][0]), "image": (*features["image"], features["image"][0])}
    original = batch.inputs(processor, conversations, rows, features=features)
    through_copies = both.inputs(processor, conversations, copied, features=copy_features)
    assert original.keys() == through_copies.keys()
    for key, value in original.items():
        if key != "mm_encoder_outputs":
            torch.testing.assert_close(through_copies[key], value, rtol=0, atol=0, msg=key)
    for kind in ("video", "image"):
        for got, want in zip(through_copies["mm_encoder_outputs"][kind].pooler_output,
                             original["mm_encoder_outputs"][kind].pooler_output, strict=True):
            torch.testing.assert_close(got, want, rtol=0, atol=0)
    marked = {kind: tuple(torch.full((1, 1), float(v)) for v in range(n)) for kind, n in (("video", 3), ("image", 2))}
    shared = both.rows(copied).share(backbone_of(processor), marked)["mm_encoder_outputs"]
    assert [t.flatten()[0].item() for t in shared["video"].pooler_output] == [2.0, 1.0]  # a's copy, then b
    assert [t.flatten()[0].item() for t in shared["image"].pooler_output] == [1.0]

def test_clip_rows_subset_shows_the_clips_of_those_rows(processor):
    """ClipRows.subset(rows) gives the pixels, grids and shared features of those rows, in the order
    asked, as the rows of a batch built for them alone would."""
    u = unit(processor)
    a, b, image = make_clip(4, 2 * u, 3 * u), make_clip(2, u, 2 * u, seed=1), make_clip(1, 2 * u, 2 * u, image=True, seed=2)
    rows = [[a, b], [image], [b], [a, image]]
    batch = ClipBatch.from_clips(processor, rows)
    part = batch.rows(rows).subset([3, 0])
    assert part.order == {"video": [0, 0, 1], "image": [0]}
    alone = ClipBatch.from_clips(processor, [rows[3], rows[0]]).rows([rows[3], rows[0]]).pixels()
    got = part.pixels()
    assert got.keys() == alone.keys()
    for key, value in alone.items():
        torch.testing.assert_close(got[key], value, rtol=0, atol=0, msg=key)
    marked = {kind: tuple(torch.full((1, 1), float(v)) for v in range(n)) for kind, n in (("video", 2), ("image", 1))}
    shared = batch.rows(rows).subset([2, 1]).share(backbone_of(processor), marked)["mm_encoder_outputs"]
    assert [t.flatten()[0].item() for t in shared["video"].pooler_output] == [1.0]  # row 2 shows b
    assert [t.flatten()[0].item() for t in shared["image"].pooler_output] == [0.0]


def test_clip_rows_encoded_once_give_the_gradients_of_pixels_per_row(any_processor):
    """ClipRows.encode runs the vision tower once over the distinct clips (with Qwen3-VL's DeepStack
    levels) and hands their features to every row showing them: the same logits and the same
    gradient in every weight as each row carrying its clips' pixels, with the tower seeing each
    clip once instead of once per row."""
    processor, u = any_processor, unit(any_processor)
    config = tiny_config(processor)
    torch.manual_seed(0)
    model_class = Qwen2_5_VLForConditionalGeneration if isinstance(config, Qwen2_5_VLConfig) else Qwen3VLForConditionalGeneration
    model = model_class(config)
    a, b, image = make_clip(4, 2 * u, 3 * u), make_clip(2, u, 2 * u, seed=1), make_clip(1, 2 * u, 2 * u, image=True, seed=2)
    rows = [[a, b], [b, a], [image], [a], [a]]
    batch = ClipBatch.from_clips(processor, rows)
    text = batch.text(processor, [[user_message("which is better?", row)] for row in rows], rows, padding_side="right")
    clip_rows = batch.rows(rows)
    seen = []
    model.model.visual.register_forward_pre_hook(lambda module, args: seen.append(args[0].shape[0]))
    weights = torch.randn(len(rows), text["input_ids"].shape[1], config.text_config.vocab_size, generator=torch.Generator().manual_seed(1))
    results = {}
    for name, vision in (("pixels", clip_rows.pixels), ("encoded", lambda: clip_rows.encode(model))):
        model.zero_grad()
        logits = model(**text, **vision()).logits
        (logits * weights).sum().backward()
        results[name] = logits.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    (plain, plain_grads), (shared, shared_grads) = results["pixels"], results["encoded"]
    torch.testing.assert_close(shared, plain, rtol=0, atol=1e-5)
    assert shared_grads.keys() == plain_grads.keys() and any(".visual." in n for n in plain_grads)
    for name, grad in plain_grads.items():
        torch.testing.assert_close(shared_grads[name], grad, msg=name)
    a_rows, b_rows = rows_per_clip(batch.visual.video_grid_thw)
    image_rows = batch.visual.pixel_values.shape[0]
    assert sorted(seen[:2]) == sorted([4 * a_rows + 2 * b_rows, image_rows])  # per row: a 4 times, b twice
    assert sorted(seen[2:]) == sorted([a_rows + b_rows, image_rows])  # encoded: each clip once


@pytest.mark.parametrize("step, seconds_per_group", [(12, 1.0), (6, 0.5), (24, 2.0)])
def test_temporal_positions_advance_with_real_time(processor, step, seconds_per_group):
    """M-RoPE's time axis must follow the clip's real timing, which only the metadata carries."""
    clip = make_clip(8, step=step)  # 4 temporal groups of 2*3 merged tokens each
    batch = build_inputs(processor, [[user_message("rate", [clip])]], [[clip]])
    config = tiny_config(processor)
    model = Qwen2_5_VLModel(config)
    positions, _ = model.get_rope_index(
        batch["input_ids"],
        mm_token_type_ids=batch["mm_token_type_ids"],
        video_grid_thw=batch["video_grid_thw"],
        second_per_grid_ts=batch["second_per_grid_ts"],
        attention_mask=batch["attention_mask"],
    )
    assert positions.shape[0] == 3  # (time, height, width): M-RoPE, not 1-D positions
    time_axis = positions[0, 0][batch["input_ids"][0] == video_token_id(processor)]
    group_starts = time_axis.reshape(4, -1)[:, 0]
    steps = (group_starts[1:] - group_starts[:-1]).tolist()
    tokens_per_second = config.vision_config.tokens_per_second
    assert steps == [seconds_per_group * tokens_per_second] * 3
