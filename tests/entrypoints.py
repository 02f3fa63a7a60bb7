"""The scripts under apps/ and tools/, loaded as modules by the tests that call their ``main``.

Scripts are files, not packages: each is loaded from its path once, as the module
``script_<folder>_<name>`` (registered in ``sys.modules`` so that its dataclasses' type hints resolve).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
APPS = ROOT / "apps"
TOOLS = ROOT / "tools"


def load_script(path: Path) -> ModuleType:
    """The script at ``path`` as a module (loaded on first call, then reused)."""
    name = f"script_{path.parent.name}_{path.stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def load_app(name: str) -> ModuleType:
    """``apps/<name>.py`` as a module."""
    return load_script(APPS / f"{name}.py")
