"""Cross-package and app tests: the apps folder and the helpers here (browser.py) are importable,
and the apps' cache is a temp folder."""

import os
import sys
from pathlib import Path

import pytest

APPS = Path(__file__).resolve().parents[1] / "apps"
sys.path.insert(0, str(APPS))
sys.path.append(str(APPS.parent / "tests"))


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
    media = Path(os.environ.get("VQI_SHARED_MEDIA") or APPS.parents[1] / "shared" / "media")
    if not (media / "labels").is_dir():
        pytest.skip(f"no shared media at {media}; set VQI_SHARED_MEDIA to run this test")
    return media
