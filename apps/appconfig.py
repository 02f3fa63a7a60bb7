"""Configs of the apps: a dataclass per app, filled from a YAML file plus ``key=value`` overrides.

``uv run apps/infer.py clip.mp4 --config apps/configs/infer/tiny.yaml batch_size=4 model.dtype=bfloat16``
reads the YAML, applies the overrides (dotted keys reach nested dataclasses), converts each value
to its field's type and rejects unknown keys with the list of known ones. The resolved config is
what the apps save beside their outputs.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


def _scalar(text: str) -> Any:
    """A command-line or YAML string as the number or value it spells (``1e-6`` is a float here,
    though YAML 1.1 reads it as a string)."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return yaml.safe_load(text)


def _convert(value: Any, kind: Any, key: str) -> Any:
    """Convert a YAML or command-line value to a field's declared type."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
            return None
        return _convert(value, options[0], key)
    if kind is Any:
        return _scalar(value) if isinstance(value, str) else value
    if origin is dict:
        if isinstance(value, str):  # a mapping written inline on the command line: key={a: 1, b: 2}
            value = yaml.safe_load(value)
        if not isinstance(value, dict):
            raise ValueError(f"{key}: expected a mapping, got {value!r}")
        value_kind = typing.get_args(kind)[1] if typing.get_args(kind) else Any
        return {k: _convert(v, value_kind, f"{key}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise ValueError(f"{key}: expected a mapping for {kind.__name__}, got {value!r}")
        return build(kind, value, prefix=f"{key}.")
    if origin in (list, tuple):
        items = yaml.safe_load(value) if isinstance(value, str) else value
        args = typing.get_args(kind)
        converted = [_convert(v, args[0] if args else Any, key) for v in items]
        return tuple(converted) if origin is tuple else converted
    if kind is bool and isinstance(value, str):
        if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"{key}: expected true or false, got {value!r}")
        return value.lower() in ("true", "1", "yes")
    if kind in (int, float, str) and not isinstance(value, kind):
        try:
            return kind(value)
        except ValueError:
            raise ValueError(f"{key}: expected {kind.__name__}, got {value!r}") from None
    return value


def build(cls: type[T], values: dict[str, Any], prefix: str = "") -> T:
    """Build dataclass ``cls`` from a mapping, converting types and rejecting unknown keys."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ValueError(f"unknown config key(s) {[prefix + u for u in unknown]}; known: {sorted(names)}")
    return cls(**{k: _convert(v, hints[k], prefix + k) for k, v in values.items()})


def _set(tree: dict[str, Any], dotted: str, value: str) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        tree = tree.setdefault(part, {})
    tree[leaf] = value


_OVERRIDE = re.compile(r"^[A-Za-z_][\w.]*=")


def split_overrides(argv: list[str]) -> tuple[list[str], list[str]]:
    """Separate ``key=value`` overrides from the other command-line arguments.

    An argument is an override when it starts with a dotted identifier and ``=`` and is not an
    existing file (so a clip named ``a=b.mp4`` stays a clip).
    """
    overrides = [a for a in argv if _OVERRIDE.match(a) and not Path(a).exists()]
    return [a for a in argv if a not in overrides], overrides


def load_config(cls: type[T], path: str | Path | None, overrides: list[str]) -> T:
    """Read ``path`` (YAML; optional) into ``cls`` and apply ``key=value`` overrides.

    Args:
        cls: the app's config dataclass; its defaults fill whatever the file does not set.
        path: a YAML file or None.
        overrides: ``key=value`` strings; ``a.b=value`` sets a nested field.

    Returns:
        The config, every field converted to its declared type.
    """
    values: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"config file {path} does not exist; see apps/configs/ for the shipped ones")
        values = yaml.safe_load(path.read_text()) or {}
        if not isinstance(values, dict):
            raise ValueError(f"{path}: a config file holds a mapping of keys to values, got {type(values).__name__}")
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"override {item!r} is not key=value")
        _set(values, key, value)
    return build(cls, values)


def save_config(config: Any, path: str | Path) -> Path:
    """Write the resolved config as YAML (and return the path)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = json.loads(json.dumps(dataclasses.asdict(config), default=str))
    path.write_text(yaml.safe_dump(plain, sort_keys=False))
    return path


def run(main: Any) -> None:
    """Run an app's ``main``; a bad config, path or input ends with its message, not a traceback."""
    try:
        main()
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
