"""Stages 1 and 2 from their configs: check and claim the stage folder, build the training rows,
train with GRPO (``vqi_apps.training``); the tiny default of a stage runs the previous one first.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vqi_apps.config import claim_folder, tiny_config, writable_folder
from vqi_apps.defaults import synthetic_training_set, tiny_judge
from vqi_apps.processes import Processes
from vqi_apps.runfolder import is_complete, previous_stage
from vqi_apps.training import StageConfig, grpo_args, run_stage
from vqi_config import load_config, split_overrides
from vqi_judge import ManifestRow, check_checkpoint, read_manifest

#: Items per task of each stage's synthetic training set, when the config names none.
SYNTHETIC = {"stage1": {"image_score": 32}, "stage2": {"video_score": 8, "aigc_score": 8, "compare": 8, "vqa": 8}}
#: The seed of each stage's synthetic training set (the held-out sets use others).
SYNTHETIC_SEEDS = {"stage1": 1, "stage2": 2}


def stage_config(doc: str, stage: str, argv: list[str] | None) -> tuple[Path, StageConfig]:
    """Parse a stage app's command line: ``--config`` (default: the stage's tiny one) plus ``key=value``
    overrides; return the config file and the config, checked and claimed (:func:`prepare`)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=tiny_config(stage),
                        help="YAML config (default: the tiny CPU one)")
    rest, overrides = split_overrides(sys.argv[1:] if argv is None else argv)
    path = parser.parse_args(rest).config
    return path, prepare(stage, path, overrides)


def prepare(stage: str, path: Path, overrides: list[str]) -> StageConfig:
    """Read a stage's config and check everything it names before anything is written: its keys and
    types, the GRPO settings as transformers checks them, the starting checkpoint and the run
    folder; then claim the stage folder (``config.yaml``)."""
    config = load_config(StageConfig, path, overrides)
    folder = config.run.stage(stage)
    args = grpo_args(config, folder)
    if config.train and Path(config.train).is_file():  # a missing one is reported where it is read
        args.check_prompts(len(read_manifest(config.train, media_root=config.media_root)), str(config.train))
    elif config.synthetic:
        args.check_prompts(sum(config.synthetic.values()), "the synthetic set (synthetic)")
    if config.model is not None:
        check_checkpoint(config.model)
    writable_folder(folder, "runs")
    claim_folder(folder, config, Processes.current())
    return config


def train_rows(config: StageConfig, stage: str) -> list[ManifestRow]:
    """The training manifest's rows, or a synthetic set (built into the cache once) listed in the stage folder."""
    if config.train:
        return read_manifest(config.train, media_root=config.media_root)
    manifest = config.run.training_data(stage)
    if not manifest.is_file():
        counts = config.synthetic or SYNTHETIC[stage]
        Processes.current().main_writes(lambda: synthetic_training_set(manifest, counts, seed=SYNTHETIC_SEEDS[stage]))
    return read_manifest(manifest)


def finished(config: StageConfig, stage: str) -> Path | None:
    """The stage's ``final/`` folder when the stage is complete (it is then not trained again)."""
    final = config.run.final(stage)
    if is_complete(final):
        print(f"{stage} already complete: {final}")
        return final
    return None


def run_stage1(config: StageConfig) -> Path:
    """Stage 1 of a prepared config, from ``model`` (default: the tiny judge); return its ``final/``."""
    if done := finished(config, "stage1"):
        return done
    return run_stage(config, "stage1", config.model or tiny_judge(), train_rows(config, "stage1"), processes=Processes.current())


def run_stage2(config: StageConfig, tiny: bool) -> Path:
    """Stage 2 of a prepared config, from ``model`` (default: this run's ``stage1/final``); return its ``final/``.

    Args:
        config: the stage-2 config (:func:`prepare`).
        tiny: the config is the tiny default: stage 1 runs first, on its tiny config, when its
            judge is missing; with any other config a missing one is an error naming the fix.
    """
    if done := finished(config, "stage2"):
        return done
    start = config.model or previous_stage(config.run.final("stage1"), "stage1", "model", tiny,
                                           lambda: run_tiny("stage1", config.name, config.runs))
    return run_stage(config, "stage2", start, train_rows(config, "stage2"), processes=Processes.current())


def run_tiny(stage: str, name: str, runs: str) -> Path:
    """Stage 1 or 2 of run ``name`` on its tiny config (what the tiny default of the next stage runs first)."""
    config = prepare(stage, tiny_config(stage), [f"name={name}", f"runs={runs}"])
    return run_stage1(config) if stage == "stage1" else run_stage2(config, tiny=True)
