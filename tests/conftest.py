"""Cross-package and app tests: the apps' cache is a temp folder. The helpers here (browser.py,
entrypoints.py) are importable through the ``pythonpath`` of the root pyproject's pytest settings."""

import os
from pathlib import Path

import pytest

from vqi_judge import build_tiny_judge
from vqi_judge.tiny import BACKBONES

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def app_cache(tmp_path_factory):
    """Every app test builds its tiny models into one fresh cache, not the user's."""
    cache = tmp_path_factory.mktemp("vqi-cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("VQI_CACHE", str(cache))
    yield cache
    patch.undo()


@pytest.fixture(scope="session")
def shared_media() -> Path:
    """The team's real media folder (``$VQI_SHARED_MEDIA`` or ``../shared/media``); skip when absent."""
    media = Path(os.environ.get("VQI_SHARED_MEDIA") or ROOT.parent / "shared" / "media")
    if not (media / "labels").is_dir():
        pytest.skip(f"no shared media at {media}; set VQI_SHARED_MEDIA to run this test")
    return media


@pytest.fixture(scope="session", params=BACKBONES)
def any_judge(request, app_cache, tmp_path_factory) -> Path:
    """A judge folder of each backbone: the apps' tiny judge (Qwen2.5-VL, answer format taught), and a
    tiny Qwen3-VL left untaught (its code paths are under test, not its verdicts: teaching costs minutes)."""
    if request.param == "qwen2_5_vl":
        from vqi_apps.defaults import tiny_judge

        return tiny_judge()
    return build_tiny_judge(tmp_path_factory.mktemp("judge") / request.param, seed=0, backbone=request.param)
