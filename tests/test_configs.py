"""Every shipped app config loads into its app's config class, and overrides reach nested fields."""

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from entrypoints import load_app
from vqi_apps import defaults
from vqi_apps.config import CONFIGS
from vqi_apps.evaluation import EvalConfig
from vqi_apps.loop import Stage3Config, dpo_config, judge_recipe
from vqi_apps.prepare import planned_outputs
from vqi_apps.runfolder import RunFolder
from vqi_apps.training import StageConfig, grpo_args
from vqi_config import load_config, save_config
from vqi_grpo import LoraSettings
from vqi_video.synthetic import COLOURS
from vqi_video.synthetic_generation import generator_prompt

infer = load_app("infer")

CLASSES = {"infer": infer.InferConfig, "eval": EvalConfig, "stage1": StageConfig, "stage2": StageConfig,
           "stage3": Stage3Config}


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*/*.yaml")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_config_loads_and_its_saved_copy_reads_back_the_same(path, tmp_path):
    """What an app saves beside its outputs (config.yaml) is the config it ran with."""
    config = load_config(CLASSES[path.parent.name], path, [])
    assert load_config(CLASSES[path.parent.name], save_config(config, tmp_path / "config.yaml")) == config


@pytest.mark.parametrize("family", ["tiny", "qwen2.5-vl-7b", "qwen3-vl-8b"])
def test_each_judge_is_run_with_the_frame_sampling_it_was_trained_with(family):
    """The frame rate and frame count of a judge's training (stage 2's grpo.fps / grpo.max_frames)
    are those its inference, evaluation and (paper) stage-3 tournaments sample with; the tiny
    stage 3, whose candidates are 5-frame clips, samples every frame of them."""
    stage2 = load_config(StageConfig, CONFIGS / "stage2" / f"{family}.yaml").grpo
    trained = (stage2.get("fps", 2.0), stage2.get("max_frames", 16))
    assert trained == (2.0, 16)  # the authors' budget, in every family
    runs = [load_config(infer.InferConfig, CONFIGS / "infer" / f"{family}.yaml").judge]
    runs += [load_config(EvalConfig, p).judge for p in sorted((CONFIGS / "eval").glob(f"{family}*.yaml"))]
    assert [(j.fps, j.max_frames) for j in runs] == [trained] * len(runs)
    stage3 = load_config(Stage3Config, CONFIGS / "stage3" / f"{family}.yaml")
    if family == "tiny":
        assert stage3.judge.fps >= stage3.generator.fps and stage3.judge.max_frames >= stage3.generator.num_frames
    else:
        assert (stage3.judge.fps, stage3.judge.max_frames) == trained


@pytest.mark.parametrize("family", ["qwen2.5-vl-7b", "qwen3-vl-8b"])
@pytest.mark.parametrize("stage", ["stage1", "stage2"])
def test_paper_configs_carry_the_paper_settings(stage, family):
    config = load_config(StageConfig, CONFIGS / stage / f"{family}.yaml", [])
    grpo = config.grpo
    assert (grpo["num_generations"], grpo["beta"], grpo["learning_rate"], grpo["num_train_epochs"]) == (8, 0.001, 1e-6, 3)
    assert config.rewards.score_mode == "l1"
    if stage == "stage2":
        r = config.rewards
        assert (r.l_min, r.l_max, r.alpha, r.mu, r.temporal, r.length) == (320, 512, 0.3, 0.8, True, True)
    # The authors' 4 to 128 tokens a frame, in each backbone's tokens (28 or 32 pixels a side).
    side = {"qwen2.5-vl-7b": 28, "qwen3-vl-8b": 32}[family]
    assert (grpo["min_pixels"], grpo["max_pixels"]) == (4 * side**2, 128 * side**2)


def on_qwen3(value: Any, key: str = "") -> Any:
    """A value of a 7B config as its Qwen3-VL-8B twin has it: the model, the run name (``runs/<name>/``
    paths with it) and the configs it names are Qwen3-VL's, a pixel budget counts the same tokens
    in 32x32 pixels (28x28 on Qwen2.5-VL); everything else is the same."""
    if isinstance(value, dict):
        return {k: on_qwen3(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [on_qwen3(v) for v in value]
    if key in ("min_pixels", "max_pixels"):
        assert value % 28**2 == 0
        return value // 28**2 * 32**2
    if key == "name":
        return "qwen3-8b" if value == "paper" else value
    if isinstance(value, str):
        renames = {"Qwen/Qwen2.5-VL-7B-Instruct": "Qwen/Qwen3-VL-8B-Instruct", "runs/paper/": "runs/qwen3-8b/",
                   "qwen2.5-vl-7b.yaml": "qwen3-vl-8b.yaml"}
        for old, new in renames.items():
            value = value.replace(old, new)
    return value


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*/qwen2.5-vl-7b*.yaml")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_7b_config_has_a_qwen3_twin_that_differs_in_the_model_only(path):
    """Stages 1-3, inference and both evaluations on Qwen3-VL-8B change the model, the run name and
    the pixel budget's token size only."""
    twin = path.with_name(path.name.replace("qwen2.5-vl-7b", "qwen3-vl-8b"))
    qwen25, qwen3 = (load_config(CLASSES[path.parent.name], p, []) for p in (path, twin))
    assert asdict(qwen3) == on_qwen3(asdict(qwen25))


def test_stage3_configs_reach_every_package_config():
    """Each stage-3 config's DPO and GRPO sections are valid vqi-diffdpo / vqi-grpo settings."""
    for path in sorted((CONFIGS / "stage3").glob("*.yaml")):
        config = load_config(Stage3Config, path, [])
        dpo = dpo_config(config, Path("generator"), Path("out"))
        assert (dpo.num_frames, dpo.height) == (config.generator.num_frames, config.generator.height)
        assert config.candidates >= 2 and judge_recipe(config, path).grpo["num_generations"] >= 2
    paper = load_config(Stage3Config, CONFIGS / "stage3" / "qwen2.5-vl-7b.yaml", [])
    assert (paper.candidates, paper.both_orders, paper.dpo["beta"]) == (10, False, 5000.0)


def test_stage3_tiny_samples_the_tiny_generator_as_it_was_trained():
    """Clip shape, prompt length and prompts of the tiny stage 3 are those of the generator's pre-training."""
    config = load_config(Stage3Config, CONFIGS / "stage3" / "tiny.yaml", [])
    g = config.generator
    assert g.model is None  # the tiny default, vqi_apps.defaults
    assert (g.num_frames, g.height, g.width) == (defaults.GENERATOR_FRAMES, defaults.GENERATOR_SIZE, defaults.GENERATOR_SIZE)
    assert g.max_sequence_length == defaults.GENERATOR_SEQUENCE_LENGTH
    assert dpo_config(config, Path("generator"), Path("out")).max_sequence_length == g.max_sequence_length
    assert sorted(config.prompts) == sorted(generator_prompt(colour) for colour in COLOURS)


def test_overrides_convert_types_and_reject_unknown_keys():
    config = load_config(infer.InferConfig, None, ["judge.batch_size=3", "judge.do_sample=true", "judge.min_pixels=None"])
    assert (config.judge.batch_size, config.judge.do_sample, config.judge.min_pixels) == (3, True, None)
    with pytest.raises(ValueError, match="expected int"):
        load_config(infer.InferConfig, None, ["judge.batch_size=three"])
    with pytest.raises(ValueError, match="must be key=value"):
        load_config(infer.InferConfig, None, ["=3"])


@pytest.mark.parametrize(("family", "name"), [("qwen2.5-vl-7b", "paper"), ("qwen3-vl-8b", "qwen3-8b")])
def test_paper_configs_chain_through_one_run_folder(family, name):
    """Each paper config of a backbone reads the judge the app before it writes: stage 1 -> 2 -> 3 in
    one run folder, eval on stage 2's judge and on stage 3's refreshed one (Table 1); every data
    file they read is one that apps/prepare.py makes."""
    paper = {stage: load_config(CLASSES[stage], CONFIGS / stage / f"{family}.yaml", [])
             for stage in ("stage1", "stage2", "stage3")}  # fmt: skip
    assert {(c.runs, c.name) for c in paper.values()} == {("runs", name)}
    run = RunFolder.at("runs", name)
    assert paper["stage2"].model is None and paper["stage3"].judge.model is None  # the previous stage's final
    assert paper["stage3"].judge_recipe == f"../stage2/{family}.yaml"
    evals = {p.name: load_config(EvalConfig, p, []) for p in sorted((CONFIGS / "eval").glob(f"{family}*.yaml"))}
    assert Path(evals[f"{family}.yaml"].judge.model) == run.final("stage2")
    assert Path(evals[f"{family}-stage3.yaml"].judge.model) == run.refreshed_judge
    reads = {paper["stage1"].train, paper["stage2"].train, paper["stage3"].prompts_file, paper["stage3"].judge_data,
             *(m for config in evals.values() for m in config.manifests)}
    assert paper["stage1"].media_root is None  # prepare writes media paths relative to the manifest
    assert {Path(p) for p in reads} <= set(planned_outputs("data"))


def test_grpo_options_and_the_lora_section_reach_the_trainer_config(tmp_path):
    """grpo.scale_rewards (trl's values and bools), grpo.mask_truncated_completions and grpo.lora are
    typed when the config is read, reach VideoGRPOConfig, and the saved copy reads back the same."""
    stage2 = CONFIGS / "stage2" / "tiny.yaml"
    config = load_config(StageConfig, stage2, ["grpo.scale_rewards=false", "grpo.mask_truncated_completions=true",
                                               "grpo.lora.r=8", "grpo.lora.target_modules=[q_proj, v_proj]"])
    assert config.grpo["scale_rewards"] is False and config.grpo["mask_truncated_completions"] is True
    assert config.grpo["lora"] == LoraSettings(r=8, alpha=32.0, target_modules=["q_proj", "v_proj"])
    assert load_config(StageConfig, save_config(config, tmp_path / "config.yaml")) == config
    args = grpo_args(config, tmp_path / "stage2")
    assert (args.scale_rewards, args.mask_truncated_completions, args.lora) == ("none", True, config.grpo["lora"])
    assert grpo_args(load_config(StageConfig, stage2, ["grpo.scale_rewards=batch"]), tmp_path).scale_rewards == "batch"
    assert grpo_args(load_config(StageConfig, stage2), tmp_path).lora is None  # absent: full finetuning
