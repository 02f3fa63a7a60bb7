"""Where the apps' configs come from and what a run folder records of them.

Every app config is a dataclass read by vqi-config's one loader (``vqi_config.load_config``: YAML
plus ``key=value`` overrides, types converted, unknown keys refused). This module names the
shipped configs, saves the resolved config in a run folder and refuses a folder made with other
settings or from other models, checks output folders, and ends an app on a bad input with one line.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from vqi_apps.processes import Processes
from vqi_config import load_config, save_config, to_plain

T = TypeVar("T")

#: The shipped configs, ``apps/configs/<app>/*.yaml``: ``tiny.yaml`` is each app's embedded default.
#: They sit beside this package in the workspace's apps/ member (an editable install).
CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def tiny_config(app: str) -> Path:
    """The embedded default config of an app: ``apps/configs/<app>/tiny.yaml``."""
    return CONFIGS / app / "tiny.yaml"


def _changed(before: Any, after: Any, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two plain configs."""
    if isinstance(before, dict) and isinstance(after, dict):
        return [k for key in sorted(set(before) | set(after), key=str)
                for k in _changed(before.get(key), after.get(key), f"{prefix}{key}.")]
    return [] if before == after else [prefix.rstrip(".")]


def _refuse_changed(folder: str | Path, saved: Path, current: Any, what: Callable[[list[str]], str]) -> None:
    """Refuse ``folder`` when the record ``saved`` there differs from ``current``; ``what`` says how."""
    if saved.is_file():
        changed = _changed(yaml.safe_load(saved.read_text()), current)  # YAML reads the JSON records too
        if changed:
            raise ValueError(f"the run there {what(changed)} ({folder}): "
                             f"give another name=, or delete {folder} to start it again")


def claim_folder(folder: str | Path, config: Any, processes: Processes = Processes()) -> Path:
    """Save ``config`` as ``folder/config.yaml``, the settings of the run kept in ``folder``.

    A folder already holding a run with other settings is refused (its finished steps and
    checkpoints would otherwise be reused for settings that did not make them). Every process
    checks; process 0 writes, once all have checked.

    Raises:
        ValueError: naming the folder, the first changed keys and the fix.
    """
    path = Path(folder) / "config.yaml"
    shown = lambda changed: ", ".join(changed[:3]) + (", ..." if len(changed) > 3 else "")
    _refuse_changed(folder, path, to_plain(config), lambda changed: f"was made with other settings ({shown(changed)} differ)")
    processes.wait()
    processes.main_writes(lambda: save_config(config, path))
    return path


def saved_config(cls: type[T], folder: str | Path) -> T | None:
    """The config :func:`claim_folder` saved in ``folder``, read into ``cls``; None when there is none."""
    path = Path(folder) / "config.yaml"
    return load_config(cls, path, []) if path.is_file() else None


def claim_inputs(folder: str | Path, inputs: dict[str, Any], processes: Processes = Processes()) -> None:
    """Save what a run in ``folder`` starts from (``inputs.json``: e.g. the identity of each starting
    model); refuse a folder whose run started from something else, whose steps it would reuse.
    Every process checks; process 0 writes, once all have checked.

    Raises:
        ValueError: naming the folder, the inputs that changed and the fix.
    """
    path = Path(folder) / "inputs.json"
    plain = json.loads(json.dumps(inputs, default=str))
    names = lambda changed: ", ".join(sorted({c.split(".")[0] for c in changed}))
    _refuse_changed(folder, path, plain, lambda changed: f"started from another {names(changed)}")
    processes.wait()

    def write() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(plain, indent=2))

    processes.main_writes(write)


def writable_folder(folder: str | Path, key: str) -> Path:
    """Create ``folder`` (and its parents) and check that files can be written in it.

    Raises:
        ValueError: naming the folder, the config key that chose it and the fix.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        blocker = next((p for p in [folder, *folder.parents] if p.exists()), folder)
        if not blocker.is_dir():
            reason = f"{blocker} is a file, not a folder"
        elif blocker == folder:
            reason = f"{folder} is not writable ({err.strerror or err})"
        else:
            reason = f"cannot create folders in {blocker} ({err.strerror or err})"
        raise ValueError(f"{reason} ({key}): set {key}= to a folder you can write") from None
    return folder


def run(main: Any) -> None:
    """Run an app's ``main``; a bad config, path or input ends with its message, not a traceback."""
    try:
        main()
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
