"""What stages 1 and 2 share: the reward settings, and running vqi-grpo from a config into a stage
folder on a manifest's rows (vqi-judge turns them into trainer rows and the paper's rewards).

The stage folder ``runs/<name>/<stage>/`` holds the trainer's checkpoints, ``final/`` (the model and
processor in HF format, loadable by ``Judge.from_pretrained``, then ``summary.yaml``) and
``config.yaml`` (the resolved config); see ``vqi_apps.runfolder``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from transformers import AutoModelForImageTextToText, AutoProcessor

from vqi_apps.config import claim_folder
from vqi_apps.processes import Processes
from vqi_apps.runfolder import RunFolder, StageSummary, last_checkpoint, stage_summary
from vqi_grpo import VideoGRPOConfig, VideoGRPOTrainer
from vqi_judge import (
    CheckpointError,
    ManifestRow,
    check_checkpoint,
    check_media,
    trainer_rows,
    training_rewards,
)
from vqi_rewards import temporal_reward


@dataclass
class RewardConfig:
    """Which of the paper's rewards are on, and their options (paper defaults; official variants named).

    Attributes:
        score_mode: ``l1`` (eq. 3) or ``relative`` (the authors' code).
        multidim_weights: λ per dimension of eq. 6; None: 1 each (paper).
        length: the length control reward (eq. 5) on or off (Table 4-5 ablation LCR).
        length_mode: ``paper`` (γ 0.1, strict bounds) or ``official`` (+0.2 when > 1 completion is right).
        l_min: lower length bound in tokens (paper 320).
        l_max: upper length bound in tokens (paper 512).
        temporal: the temporal modeling reward (eq. 4) on or off (ablation TMR).
        temporal_mode: ``paper`` (per completion) or ``official`` (group means).
        alpha: temporal bonus (paper 0.3).
        mu: temporal margin (paper 0.8).
    """

    score_mode: str = "l1"
    multidim_weights: dict[str, float] | None = None
    length: bool = True
    length_mode: str = "paper"
    l_min: int = 320
    l_max: int = 512
    temporal: bool = True
    temporal_mode: str = "paper"
    alpha: float = 0.3
    mu: float = 0.8


@dataclass
class StageConfig:
    """Settings of a GRPO stage (apps/stage1.py, apps/stage2.py, and stage 3's judge refresh).

    Attributes:
        name: the run name: outputs go to ``runs/<name>/<stage>/``.
        runs: the folder holding every run.
        model: the starting checkpoint; None: the previous stage's ``final/`` of this run (stage 2),
            or the tiny judge (stage 1).
        train: the training manifest; None: a synthetic set built into the run folder.
        media_root: where relative media paths of ``train`` resolve (default: the manifest's folder).
        synthetic: items per task of the synthetic training set.
        rewards: see :class:`RewardConfig`.
        grpo: keyword arguments of ``vqi_grpo.VideoGRPOConfig`` (TrainingArguments + GRPO fields).
    """

    name: str = "tiny"
    runs: str = "runs"
    model: str | None = None
    train: str | None = None
    media_root: str | None = None
    synthetic: dict[str, int] = field(default_factory=dict)
    rewards: RewardConfig = field(default_factory=RewardConfig)
    grpo: Annotated[dict[str, Any], VideoGRPOConfig] = field(default_factory=dict)

    @property
    def run(self) -> RunFolder:
        """``runs/<name>``."""
        return RunFolder.at(self.runs, self.name)


def grpo_args(config: StageConfig, folder: Path) -> VideoGRPOConfig:
    """The stage's ``VideoGRPOConfig``; a setting transformers refuses is an error naming the section."""
    grpo = {"output_dir": str(folder), "report_to": [], "save_strategy": "steps", "logging_steps": 1} | config.grpo
    if not config.rewards.temporal:
        grpo["temporal_mode"] = "off"
    try:
        return VideoGRPOConfig(**grpo)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{str(err).splitlines()[0]} (grpo): change that setting in the config's grpo section") from None


def run_stage(
    config: StageConfig, stage: str, model_path: str | Path, rows: list[ManifestRow], folder: Path | None = None,
    processes: Processes = Processes(),
) -> Path:
    """Train ``model_path`` with GRPO on ``rows`` into ``folder`` (default ``runs/<name>/<stage>/``); return ``final/``.

    On several processes every one trains (data-parallel, accelerate's), process 0 writes the files.
    """
    folder = folder or config.run.stage(stage)
    final = folder / "final"
    check_media(rows)
    args = grpo_args(config, folder)
    check_checkpoint(model_path)
    last = last_checkpoint(folder)
    if last is not None:
        try:
            check_checkpoint(last)
        except CheckpointError as err:
            raise CheckpointError(err.path, f"cannot resume: {err.reason}",
                                  f"delete {last} to resume from the checkpoint before it") from None
    claim_folder(folder, config, processes)
    r = config.rewards
    rewards, correctness = training_rewards(
        rows, score_mode=r.score_mode, multidim_weights=r.multidim_weights,
        length=r.length, length_mode=r.length_mode, l_min=r.l_min, l_max=r.l_max,
    )
    model = AutoModelForImageTextToText.from_pretrained(model_path, use_safetensors=True)
    processor = AutoProcessor.from_pretrained(model_path)
    temporal = {}
    if args.temporal_mode != "off":
        bonus = partial(temporal_reward, alpha=r.alpha, mu=r.mu, mode=r.temporal_mode)
        temporal = {"correctness": correctness, "temporal_reward": bonus}
    trainer = VideoGRPOTrainer(model, processor, rewards, args, trainer_rows(rows), **temporal)
    seconds = trainer.train(resume_from_checkpoint=str(last) if last else None).metrics["train_runtime"]
    trainer.save_model(str(final))  # on process 0 (transformers')
    summary = _summary(trainer, skipped=sum(processes.gather([trainer.skipped])))
    processes.main_writes(lambda: (processor.save_pretrained(str(final)), summary.write(stage_summary(final))))
    if processes.main:
        minutes, rest = divmod(round(seconds), 60)
        print(f"{stage}: {trainer.state.global_step} steps, {summary.skipped_prompts} prompts skipped, "
              f"trained for {minutes} min {rest} s{' (since the resumed checkpoint)' if last else ''}; model in {final}")
    return final


def _summary(trainer: VideoGRPOTrainer, skipped: int) -> StageSummary:
    history = [h for h in trainer.state.log_history if "reward" in h]
    return StageSummary(
        steps=trainer.state.global_step,
        skipped_prompts=skipped,
        reward_first=history[0]["reward"] if history else None,
        reward_last=history[-1]["reward"] if history else None,
        rewards=[h["reward"] for h in history],
        losses=[h["loss"] for h in history if "loss" in h],
    )
