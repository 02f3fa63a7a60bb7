"""The loader: types converted, nested keys, sections, and each refusal naming the key and the fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest

from vqi_config import build, load_config, save_config, split_overrides, to_plain


@dataclass
class Optim:
    lr: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.999)
    schedule: Literal["constant", "cosine"] = "constant"


@dataclass
class Trainer:
    steps: int = 1
    bf16: bool = False


@dataclass
class Run:
    model: str
    steps: int = 100
    seed: int | None = None
    tags: list[str] = field(default_factory=list)
    weights: dict[str, float] | None = None
    optim: Optim = field(default_factory=Optim)
    trainer: Annotated[dict[str, Any], Trainer] = field(default_factory=dict)


def test_yaml_then_overrides_with_types_converted(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("model: m\nsteps: 5\noptim:\n  lr: 1.0e-3\n  schedule: cosine\ntrainer: {steps: 3}\n")
    config = load_config(Run, path, ["steps=7", "optim.lr=1e-6", "optim.betas=[0.5, 0.6]", "seed=none",
                                     "tags=[a, b]", "weights={x: 1, y: 2}", "trainer.bf16=true"])
    assert config.steps == 7 and config.seed is None and config.tags == ["a", "b"]
    assert config.optim == Optim(lr=1e-6, betas=(0.5, 0.6), schedule="cosine")
    assert isinstance(config.optim.lr, float) and config.weights == {"x": 1.0, "y": 2.0}
    assert config.trainer == {"steps": 3, "bf16": True}  # a section: checked keyword arguments


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    config = load_config(Run, None, ["model=m", "optim.betas=[0.1, 0.2]", "weights={a: 0.5}"])
    again = load_config(Run, save_config(config, tmp_path / "config.yaml"))
    assert again == config and to_plain(again)["optim"]["betas"] == [0.1, 0.2]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model=m", "step=3"], "unknown config key (step): did you mean steps?"),
        (["model=m", "optim.rate=3"], "unknown config key (optim.rate): the known keys here are ['betas', 'lr', 'schedule']"),
        (["model=m", "trainer.step=3"], "unknown config key (trainer.step): did you mean trainer.steps?"),
        (["model=m", "steps=many"], "expected int, got 'many' (steps): give a single int"),
        (["model=m", "steps=1.5"], "expected int, got '1.5' (steps): give a single int"),
        (["model=m", "trainer.bf16=maybe"], "expected true or false, got 'maybe' (trainer.bf16): give true or false"),
        (["model=m", "optim.schedule=linear"], "expected one of ['constant', 'cosine'], got 'linear' (optim.schedule): give one of them"),
        (["model=m", "optim=3"], "expected a mapping of Optim keys, got '3' (optim): write it as {a: 1, b: 2}"),
        (["model=m", "tags={a: 1"], "(tags): write it as YAML"),
        (["steps=3"], "missing config key (model): set model=... in the file or on the command line"),
        (["model=m", "=3"], "an override must be key=value ('=3'): e.g. grpo.max_steps=10"),
    ],
)
def test_refusals_name_the_key_and_the_fix(overrides: list[str], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        load_config(Run, None, overrides)
    assert message in str(caught.value)


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="config file does not exist"):
        load_config(Run, tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("model: m\nsteps: [1, 2\n")
    with pytest.raises(ValueError, match=r"broken.yaml:\d+\): fix the YAML syntax there"):
        load_config(Run, broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- model\n")
    with pytest.raises(ValueError, match="holds a mapping of keys to values, got a list"):
        load_config(Run, listed)


def test_build_reaches_nested_dataclasses() -> None:
    assert build(Run, {"model": "m", "optim": {"lr": "2e-5"}}).optim.lr == 2e-5


def test_split_overrides_keeps_files_named_like_overrides(tmp_path: Path) -> None:
    clip = tmp_path / "a=b.mp4"
    clip.write_bytes(b"")
    rest, overrides = split_overrides([str(clip), "steps=3", "--config", "x.yaml", "optim.lr=1"])
    assert rest == [str(clip), "--config", "x.yaml"] and overrides == ["steps=3", "optim.lr=1"]
