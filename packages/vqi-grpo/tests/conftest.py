"""Fixtures of vqi-grpo's tests on the tiny judge: the policy folder and synthetic trainer rows."""

from pathlib import Path

import pytest

from vqi_judge import ManifestRow, build_tiny_judge, trainer_rows, with_media_root
from vqi_video.synthetic_tasks import make_synthetic_dataset


@pytest.fixture(scope="module")
def judge_dir(tmp_path_factory, request) -> Path:
    """The tiny policy: Qwen2.5-VL, or each backbone where a test parametrises it (indirect)."""
    backbone = getattr(request, "param", "qwen2_5_vl")
    return build_tiny_judge(tmp_path_factory.mktemp(f"policy-{backbone}"), seed=0, backbone=backbone)


def _rows_for(root: Path, counts: dict[str, int], seed: int = 1, frames: int = 8, size: int = 56) -> list[dict]:
    """Synthetic trainer rows with absolute media paths and the judge's query text."""
    rows = make_synthetic_dataset(root, counts, seed=seed, frames=frames, size=size)
    return trainer_rows(with_media_root([ManifestRow(**row) for row in rows], root))


@pytest.fixture
def rows_for():
    """``rows_for(root, counts, seed=1, frames=8, size=56)``: synthetic trainer rows written under ``root``."""
    return _rows_for
