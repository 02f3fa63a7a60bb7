"""``--dry-run`` of the training apps: a config's preflight (``vqi_grpo.preflight``) on the CPU, in
seconds, writing nothing and loading no weights.

    uv run apps/stage2.py --config apps/configs/stage2/qwen2.5-vl-7b.yaml --dry-run      # sized for 8 devices
    uv run apps/stage2.py --config apps/configs/stage2/qwen2.5-vl-7b.yaml --dry-run 16   # for 16
    uv run apps/stage2.py --config apps/configs/stage2/qwen3-vl-8b.yaml --dry-run        # Qwen3-VL-8B
    uv run apps/stage3.py --config apps/configs/stage3/qwen3-vl-8b.yaml --dry-run        # its stage 3
    uv run apps/stage2.py --config apps/configs/stage2/qwen3-vl-8b.yaml grpo.lora.r=8 --dry-run   # LoRA

The model is the config's starting checkpoint, built on the meta device from its ``config.json``:
a local folder, or a hub id whose published settings ship under ``apps/configs/models/``. With no
model named, the stage's start is followed as the run would follow it (stage 2: this run's
``stage1/final``, else the stage-1 config of the same file name; stage 1: the tiny judge). Prompts
are the first row of each task of the training manifest, decoded and processed as the trainer
does; without data, stand-ins at the frame and pixel budget (an upper bound). Text tokens are
counted by the checkpoint's tokenizer when the folder has one, else by the tiny judge's (the
published tokenizers are not shipped; visual tokens dominate the prompts either way). With
``grpo.lora`` the memory is that of the adapter trained on the frozen base (``vqi_grpo.preflight``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
import transformers
from transformers import AutoConfig, AutoImageProcessor, AutoProcessor, AutoVideoProcessor

from vqi_apps.config import CONFIGS, tiny_config
from vqi_apps.defaults import TINY_GENERATOR, TINY_JUDGE, cache_dir
from vqi_apps.loop import Stage3Config, judge_recipe
from vqi_apps.stages import SYNTHETIC
from vqi_apps.training import StageConfig, grpo_args
from vqi_config import load_config, split_overrides
from vqi_diffdpo import detect_family
from vqi_grpo import (
    PromptShape,
    count_parameters,
    generation_memory,
    grpo_preflight,
    measure_budget,
    measure_rows,
    zero_stage,
)
from vqi_judge import get_task, read_manifest, trainer_rows
from vqi_judge.tiny import build_processor, build_tokenizer, tiny_config as tiny_judge_config
from vqi_video import BACKBONES, PixelBudget, VideoDecodeError, backbone_of

#: Devices a GPU config is sized for unless ``--dry-run N`` says otherwise (the paper's 8 GPUs).
PAPER_DEVICES = 8
#: Hub ids whose published ``config.json`` and processor settings ship as data (no weights).
SHIPPED = {"Qwen/Qwen2.5-VL-7B-Instruct": CONFIGS / "models" / "qwen2.5-vl-7b-instruct",
           "Qwen/Qwen3-VL-8B-Instruct": CONFIGS / "models" / "qwen3-vl-8b-instruct"}


def dry_run(app: str, argv: list[str] | None) -> bool:
    """Run the preflight of ``app`` (``stage1``, ``stage2``, ``stage3``) when its command line has
    ``--dry-run [DEVICES]``, printing it; return whether it did (then the app must stop: nothing
    has been built or written)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--config", type=Path, default=tiny_config(app))
    parser.add_argument("--dry-run", nargs="?", type=int, const=0, default=None)
    rest, overrides = split_overrides(sys.argv[1:] if argv is None else argv)
    known, _ = parser.parse_known_args(rest)
    if known.dry_run is None:
        return False
    if app == "stage3":
        lines = stage3_preflight(known.config, overrides, known.dry_run)
    else:
        lines = stage_preflight(app, known.config, load_config(StageConfig, known.config, overrides), known.dry_run)
    print("\n".join(lines))
    return True


def _devices(requested: int, grpo: dict[str, Any]) -> int:
    return requested or (1 if grpo.get("use_cpu") else PAPER_DEVICES)


def _start(stage: str, config_path: Path, config: StageConfig) -> tuple[str | None, str]:
    """The checkpoint a stage starts from (None: the tiny judge) and how it was found."""
    if config.model:
        return config.model, f"model: {config.model}"
    if stage == "stage1":
        return None, "model: the tiny judge"
    final = config.run.final("stage1")
    if final.is_dir():
        return str(final), f"model: {final}"
    previous = config_path.parent.parent / "stage1" / config_path.name
    if not previous.is_file():
        raise ValueError(f"cannot size stage 2's start: {final} does not exist and there is no {previous} "
                         f"(--config): run stage 1, or set model=")
    model, _ = _start("stage1", previous, load_config(StageConfig, previous, []))
    return model, f"model: {model or 'the tiny judge'}, stage 1's start ({previous}; {final} not there yet)"


def _model(model: str | None) -> tuple[Any, Any, str]:
    """``(model config, processor, text-token note)`` of a checkpoint, without its weights."""
    if model is None:
        built = cache_dir() / TINY_JUDGE
        if built.is_dir():
            return _model(str(built))
        tokenizer = build_tokenizer()
        return tiny_judge_config(tokenizer), build_processor(tokenizer), "text tokens: the tiny judge's tokenizer"
    folder = Path(model) if Path(model).is_dir() else SHIPPED.get(model)
    if folder is None:
        raise ValueError(f"cannot size {model}: not a local folder, and its settings are not shipped "
                         f"(apps/configs/models/ has {sorted(SHIPPED)}): download it, or set model= to a folder")
    config = AutoConfig.from_pretrained(folder)
    if (folder / "tokenizer_config.json").is_file():
        return config, AutoProcessor.from_pretrained(folder), f"text tokens: the tokenizer of {folder}"
    if config.model_type not in BACKBONES:
        raise ValueError(f"cannot size {model}: its model_type {config.model_type!r} is none of {sorted(BACKBONES)}")
    tokenizer = build_tokenizer(backbone=config.model_type)
    processor = getattr(transformers, BACKBONES[config.model_type].processor)(
        image_processor=AutoImageProcessor.from_pretrained(folder), video_processor=AutoVideoProcessor.from_pretrained(folder),
        tokenizer=tokenizer, chat_template=tokenizer.chat_template,
    )
    return config, processor, f"text tokens: the tiny judge's tokenizer ({model}'s is not shipped; an estimate)"


def _prompts(processor: Any, sampling: Any, budget: PixelBudget, manifest: Path | None, media_root: str | None,
             tasks: list[str]) -> tuple[list[PromptShape], bool, list[str]]:
    """The first row of each task of ``manifest`` measured (else budget stand-ins of ``tasks``), whether
    they are data, and notes."""
    if manifest is None or not manifest.is_file():
        notes = [f"no data ({manifest or 'a synthetic set'} not written yet): sized from max_frames and max_pixels"]
        return [_budget(processor, sampling, budget, task) for task in tasks], False, notes
    first: dict[str, Any] = {}
    for row in read_manifest(manifest, media_root=media_root):
        first.setdefault(row.task, row)
    shapes, notes = [], []
    for row in trainer_rows(list(first.values())):
        try:
            shapes += measure_rows(processor, sampling, budget, [row])
        except (VideoDecodeError, FileNotFoundError) as err:
            notes.append(f"{row.get('id', row['media'][0])}: {err}; sized from the budget instead")
            shapes.append(_budget(processor, sampling, budget, row["task"]))
    return shapes, True, notes


def _budget(processor: Any, sampling: Any, budget: PixelBudget, task: str) -> PromptShape:
    spec = get_task(task)
    query = spec.question(**{key: "…" for key in spec.needs})
    return measure_budget(processor, sampling, budget, task, query, clips=spec.clips, image=task == "image_score")


def _grpo(stage: str, config: StageConfig, requested: int, model: str | None, manifest: Path | None,
          tasks: list[str]) -> list[str]:
    """The GRPO preflight lines of a stage config starting from ``model``."""
    model_config, processor, text_note = _model(model)
    # Sized here, run elsewhere: the settings transformers checks against this machine's devices
    # (bf16 needs a GPU unless use_cpu; DeepSpeed needs its launcher) are taken from the config.
    args = grpo_args(replace(config, grpo=config.grpo | {"use_cpu": True, "deepspeed": None}), config.run.stage(stage))
    budget = args.pixel_budget(processor)
    prompts, measured, notes = _prompts(processor, args, budget, manifest, config.media_root, tasks)
    deepspeed = config.grpo.get("deepspeed")
    if deepspeed and not Path(deepspeed).is_file():
        raise FileNotFoundError(f"the DeepSpeed config does not exist ({deepspeed}, grpo.deepspeed): run from the "
                                "repository root, as the training command does, or give its path")
    result = grpo_preflight(model_config, args, prompts, devices=_devices(requested, config.grpo),
                            zero=zero_stage(deepspeed), measured=measured)
    return [text_note, *notes, f"deepspeed: {deepspeed or 'none'}", *result.format()]


def stage_preflight(stage: str, config_path: Path, config: StageConfig, requested: int) -> list[str]:
    """The ``--dry-run`` lines of stage 1 or 2 (``requested`` devices; 0: 8, or 1 for a CPU config)."""
    model, found = _start(stage, config_path, config)
    manifest = Path(config.train) if config.train else config.run.training_data(stage)
    tasks = list(config.synthetic or SYNTHETIC[stage])
    return [f"== {stage} dry run: {config_path}", found,
            *_grpo(stage, config, requested, model, manifest, tasks)]


def stage3_preflight(config_path: Path, overrides: list[str], requested: int) -> list[str]:
    """The ``--dry-run`` lines of stage 3: the judge's tournaments and refresh, and the generator."""
    config = load_config(Stage3Config, config_path, overrides)
    recipe = judge_recipe(config, config_path)
    recipe_path = config_path.parent / config.judge_recipe
    if config.judge.model:
        model, found = config.judge.model, f"judge: {config.judge.model}"
    else:
        model, found = _start("stage2", recipe_path, replace(recipe, name=config.name, runs=config.runs))
        found = f"judge: this run's stage2/final, else stage 2's start; {found}"
    lines = [f"== stage3 dry run: {config_path}", found]

    judge = config.judge
    model_config, processor, text_note = _model(model)
    budget = backbone_of(processor).budget(processor.video_processor, judge.min_pixels, judge.max_pixels)
    pair = _budget(processor, judge, budget, "compare")
    dtype = judge.dtype if judge.dtype != "auto" else str(model_config.dtype or torch.float32).removeprefix("torch.")
    memory = generation_memory(model_config, [pair], batch=judge.batch_size, new_tokens=judge.max_new_tokens, dtype=dtype)
    lines += [
        f"-- tournaments: {config.candidates} candidates per prompt, pairs of two clips sized from the judge's "
        f"budget (max_frames {judge.max_frames}, max_pixels {budget.max_pixels}): {' + '.join(map(str, pair.visual))} "
        f"visual, {pair.text} text = {pair.length} prompt tokens + {judge.max_new_tokens} new; {text_note}",
        f"memory per device ({count_parameters(model_config) / 1e9:.2f} B parameters, {dtype}, batch {judge.batch_size}):",
        *memory.format(),
        f"-- judge refresh (step 5): GRPO with {recipe_path}, grpo overrides {config.grpo or 'none'}",
    ]
    manifest = Path(config.judge_data) if config.judge_data else config.run.training_data("stage2")
    tasks = list(config.judge_synthetic)
    lines += _grpo("stage3", recipe, requested, model, manifest, tasks)
    return lines + ["-- generator (DiffusionDPO / Flow-DPO):", *_generator(config)]


def _generator(config: Stage3Config) -> list[str]:
    """What can be said of the generator's DPO memory: its denoiser's size, when its folder is local."""
    folder = Path(config.generator.model) if config.generator.model else cache_dir() / TINY_GENERATOR
    if not folder.is_dir():
        what = config.generator.model or "the tiny Wan (built on first use)"
        return [f"  cannot size the generator: {what} is not a local folder yet (download or build it first)"]
    family = detect_family(folder)
    settings = family.denoiser_class.load_config(folder / family.denoiser_name)
    with torch.device("meta"):
        denoiser = family.denoiser_class.from_config(settings)
    count = sum(p.numel() for p in denoiser.parameters())
    lora = config.dpo.get("lora_rank")
    return [f"  {family.denoiser_name} of {folder}: {count / 1e6:.1f} M parameters; "
            f"{'LoRA rank ' + str(lora) + ' trains a small part of them' if lora else 'all trained, plus a frozen reference copy'}; "
            "DPO activations are not estimated"]
