"""``--dry-run`` of the stage apps on the 7B, Qwen3-VL-8B and tiny configs: the preflight's lines, exit 0, nothing
written, no weights, no data (a fresh clone)."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from entrypoints import APPS, load_app
from vqi_judge import ManifestRow, write_manifest
from vqi_video.synthetic import write_clip


@pytest.fixture
def fresh_clone(tmp_path, monkeypatch, app_cache):
    """A working folder as a fresh clone's root: the DeepSpeed configs the 7B configs name, no data, no runs."""
    shutil.copytree(APPS / "configs" / "deepspeed", tmp_path / "apps" / "configs" / "deepspeed")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}


def dry_run(stage: str, config: str, *extra: str, capsys) -> str:
    """Run ``apps/<stage>.py --config apps/configs/<stage>/<config> --dry-run``; return what it printed,
    runs of spaces as one (the columns are for people)."""
    path = APPS / "configs" / stage / config
    assert load_app(stage).main(["--config", str(path), "--dry-run", *extra]) is None
    return "\n".join(" ".join(line.split()) for line in capsys.readouterr().out.splitlines())


#: Per paper backbone: its hub id, parameters (the published config.json, built on the meta device),
#: pixels of a frame at the 128-token training budget, and the vision tower's activations line of a
#: two-clip prompt (2 x 1024 tokens x 4 patches) with gradient checkpointing.
BACKBONES = {
    "qwen2.5-vl-7b": ("Qwen/Qwen2.5-VL-7B-Instruct", 8292166656, "8.29 B", "11.58 GB", 100352,
                      "vision 0.96 GB 2 x 1280 x 8192 tokens x (32 layers + 17)"),
    "qwen3-vl-8b": ("Qwen/Qwen3-VL-8B-Instruct", 8767123696, "8.77 B", "12.25 GB", 131072,
                    "vision 0.77 GB 2 x 1152 x 8192 tokens x (27 layers + 17)"),
}


@pytest.mark.parametrize("family", list(BACKBONES))
@pytest.mark.parametrize("stage", ["stage1", "stage2", "stage3"])
def test_the_paper_configs_print_their_costs_and_write_nothing(stage, family, fresh_clone, app_cache, capsys):
    """Each backbone's published settings: Qwen2.5-VL-7B-Instruct's 8.29 B parameters and 128 tokens of
    28x28 pixels a frame, Qwen3-VL-8B-Instruct's 8.77 B and 128 tokens of 32x32 (its text counts each
    temporal group's timestamp); stage 3's tournaments at its judge's (stage 2's) budget."""
    model, count, billions, optimizer, pixels, vision = BACKBONES[family]
    before, cache = files(fresh_clone), files(app_cache)
    out = dry_run(stage, f"{family}.yaml", capsys=capsys)
    assert files(fresh_clone) == before and files(app_cache) == cache  # no runs/, no model built
    assert "no data (data/" in out and "sized from max_frames and max_pixels" in out
    assert f"text tokens: the tiny judge's tokenizer ({model}'s is not shipped; an estimate)" in out
    assert f"memory per device ({billions} parameters, bfloat16, ZeRO-3 over 8 devices, gradient checkpointing on):" in out
    assert f"optimizer {optimizer} {count} x 12 / 8" in out
    assert "fits in 80 GB: yes" in out and "LoRA" not in out
    if stage == "stage1":
        assert "budget (image_score): 128 visual" in out
        assert "8 generations = 8, plus up to 0 shuffled" in out
    else:
        assert "budget (compare): 1024 + 1024 visual" in out and vision in out
        assert "8 generations = 8, plus up to 4 shuffled (temporal reward); per optimiser step (x8: accumulation x devices): 64 + 32" in out
    if stage == "stage3":
        assert (f"-- tournaments: 10 candidates per prompt, pairs of two clips sized from the judge's budget "
                f"(max_frames 16, max_pixels {pixels}): 1024 + 1024 visual") in out
        assert f"stage3/../stage2/{family}.yaml, grpo overrides {{'num_train_epochs': 1.0}}" in out  # the judge refresh
        assert "cannot size the generator: checkpoints/t2v-turbo-ms is not a local folder yet" in out


def test_lora_sizes_the_adapters_and_drops_the_reference(fresh_clone, capsys):
    """grpo.lora on the Qwen3-VL-8B stage 2, r 8 on q_proj and v_proj: 36 layers x 8 x ((4096 + 4096) +
    (4096 + 1024)) = 3833856 trainable parameters (0.04 % of 8767123696); gradients and Adam states for
    them alone, the frozen base beside them, no reference copy although beta is 0.001."""
    out = dry_run("stage2", "qwen3-vl-8b.yaml", "grpo.lora.r=8", "grpo.lora.target_modules=[q_proj, v_proj]", capsys=capsys)
    assert ("LoRA r 8 on q_proj,v_proj: 3833856 trainable parameters (3.83 M, 0.04 % of the model), "
            "no reference copy (the base with the adapter disabled)") in out
    assert "weights 2.04 GB (8767123696 + 3833856) x 2 / 8" in out
    assert "gradients 0.00 GB 3833856 x 2 / 8" in out and "optimizer 0.01 GB 3833856 x 12 / 8" in out
    assert "reference" not in out.replace("no reference copy", "")
    assert "peak per device 20.11 GB; fits in 80 GB: yes" in out  # 36.43 GB in full finetuning


def test_the_7b_without_zero_does_not_fit(fresh_clone, capsys):
    """The 7B stage 1 with ZeRO off (bf16 off: the checkpoint's bfloat16): 2 + 2 + 12 + 2 = 18 bytes a
    parameter on every device, 139 GB before activations."""
    out = dry_run("stage1", "qwen2.5-vl-7b.yaml", "grpo.deepspeed=null", "grpo.bf16=false", capsys=capsys)
    assert "bfloat16, ZeRO-0 over 8 devices" in out  # the published checkpoint's dtype
    assert "fits in 80 GB: no" in out
    assert "weights 15.45 GB 8292166656 x 2 / 1" in out


def test_devices_are_given_on_the_command_line(fresh_clone, capsys):
    out = dry_run("stage2", "qwen2.5-vl-7b.yaml", "16", capsys=capsys)
    assert "ZeRO-3 over 16 devices" in out and "weights 0.97 GB 8292166656 x 2 / 16" in out


@pytest.mark.parametrize("stage", ["stage1", "stage2", "stage3"])
def test_the_tiny_configs_size_the_tiny_judge_on_one_cpu(stage, fresh_clone, app_cache, capsys):
    before, cache = files(fresh_clone), files(app_cache)
    out = dry_run(stage, "tiny.yaml", capsys=capsys)
    assert files(fresh_clone) == before and files(app_cache) == cache
    # The tiny judge's own tokenizer once another test of the session has built it into the cache.
    assert "text tokens: the tiny judge's tokenizer" in out or f"text tokens: the tokenizer of {app_cache}" in out
    assert "float32, ZeRO-0 over 1 devices, gradient checkpointing off" in out
    assert "fits in 80 GB: yes" in out
    if stage == "stage3":
        assert "cannot size the generator: the tiny Wan (built on first use) is not a local folder yet" in out


def test_a_dry_run_reads_the_first_row_of_each_task_of_a_manifest(fresh_clone, capsys):
    """With a manifest, its rows are decoded as the trainer decodes them: a 2 s clip at 8 fps
    sampled at 2 fps gives 4 frames; 64x64 becomes 112x112 (the tiny budget): 2 x 16 = 32 tokens."""
    write_clip(fresh_clone / "data" / "a.mp4", np.zeros((16, 64, 64, 3), dtype=np.uint8), fps=8)
    write_manifest([ManifestRow(id="a", dataset="synthetic", task="video_score", media=["a.mp4"], score=3.0, score_range=(1.0, 5.0))], fresh_clone / "data" / "m.jsonl")
    out = dry_run("stage2", "tiny.yaml", "train=data/m.jsonl", capsys=capsys)
    assert "visual tokens per clip, from the first rows of the training set:" in out
    assert "a (video_score): 32 visual" in out
