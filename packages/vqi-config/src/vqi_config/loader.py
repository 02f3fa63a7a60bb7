"""One loader for every config of the project: a dataclass filled from YAML plus ``key=value`` overrides.

``load_config(StageConfig, "stage2.yaml", ["grpo.max_steps=10", "rewards.alpha=0.5"])`` reads the
YAML mapping, applies the overrides (dotted keys reach nested dataclasses), converts each value to
its field's declared type (``1e-6`` is a float, ``true`` a bool, ``[a, b]`` a list, ``{a: 1}`` a
mapping) and refuses an unknown key (with the closest known one), a value of the wrong type, a
missing required key or a YAML syntax error, each naming the key or the file line and the fix.
A field typed ``Annotated[dict[str, Any], SomeConfig]`` is a *section*: a mapping of keyword
arguments of ``SomeConfig``, each key and type checked when the file is read, the dataclass built
where it is used (for a config such as transformers' ``TrainingArguments``, whose construction
inspects the devices of the machine it runs on, or one whose fields the caller completes).

Nothing is imported but PyYAML, so any package may use it.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
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
    return _yaml(text, "")


def _yaml(text: str, key: str) -> Any:
    """``text`` read as YAML; a syntax error names the key it was given for."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        where = getattr(err, "problem", None) or "not valid YAML"
        raise ValueError(f"{where} in the value {text!r} ({key or 'an override'}): write it as YAML, "
                         "e.g. key={a: 1, b: 2} for a mapping or key=[1, 2] for a list") from None


def _convert(value: Any, kind: Any, key: str) -> Any:
    """Convert a YAML or command-line value to a field's declared type."""
    origin = typing.get_origin(kind)
    if origin is typing.Annotated:
        base, *extras = typing.get_args(kind)
        sections = [e for e in extras if dataclasses.is_dataclass(e)]
        return _section(value, sections[0], key) if sections else _convert(value, base, key)
    if origin in (typing.Union, types.UnionType):
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
            return None
        errors = []
        for option in options:  # the first type the value converts to, as a type checker reads the union
            try:
                return _convert(value, option, key)
            except ValueError as err:
                errors.append(err)
        raise errors[0]
    if kind is Any:
        return _scalar(value) if isinstance(value, str) else value
    if origin is typing.Literal:
        allowed = typing.get_args(kind)
        if value not in allowed:
            raise ValueError(f"expected one of {list(allowed)}, got {value!r} ({key}): give one of them")
        return value
    if origin is dict:
        if isinstance(value, str):  # a mapping written inline on the command line: key={a: 1, b: 2}
            value = _yaml(value, key)
        if not isinstance(value, dict):
            raise ValueError(f"expected a mapping, got {value!r} ({key}): write it as {{a: 1, b: 2}}")
        value_kind = typing.get_args(kind)[1] if typing.get_args(kind) else Any
        return {k: _convert(v, value_kind, f"{key}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise ValueError(f"expected a mapping of {kind.__name__} keys, got {value!r} ({key}): write it as {{a: 1, b: 2}}")
        return build(kind, value, prefix=f"{key}.")
    if origin in (list, tuple):
        items = _yaml(value, key) if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise ValueError(f"expected a list, got {value!r} ({key}): write it as [a, b]")
        args = typing.get_args(kind)
        converted = [_convert(v, args[0] if args else Any, key) for v in items]
        return tuple(converted) if origin is tuple else converted
    if kind is bool and isinstance(value, str):
        if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"expected true or false, got {value!r} ({key}): give true or false")
        return value.lower() in ("true", "1", "yes")
    if kind in (int, float, str) and not isinstance(value, kind):
        if isinstance(value, (dict, list, tuple)) or (kind is int and isinstance(value, float) and not value.is_integer()):
            raise ValueError(f"expected {kind.__name__}, got {value!r} ({key}): give a single {kind.__name__}")
        try:
            return kind(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected {kind.__name__}, got {value!r} ({key}): give a single {kind.__name__}") from None
    return value


def _section(value: Any, cls: type, key: str) -> dict[str, Any]:
    """A config section holding keyword arguments of a package's config dataclass ``cls``: the keys
    it sets, each checked against ``cls``'s fields and converted to the field's type.

    The dataclass itself is built where the section is used (e.g. ``VideoGRPOConfig`` checks the
    devices it will run on), so a config can be read and checked on any machine.
    """
    if isinstance(value, str):
        value = _yaml(value, key)
    if not isinstance(value, dict):
        raise ValueError(f"expected a mapping of {cls.__name__} keys, got {value!r} ({key}): write it as {{a: 1, b: 2}}")
    return _fields(cls, value, f"{key}.")


def _fields(cls: type, values: dict[str, Any], prefix: str) -> dict[str, Any]:
    """``values`` checked against dataclass ``cls``'s fields (an unknown key is refused, with the
    closest known one) and converted to their types."""
    hints = typing.get_type_hints(cls, include_extras=True)
    names = sorted(f.name for f in dataclasses.fields(cls) if f.init)
    unknown = sorted(set(values) - set(names), key=str)
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), names, n=1)
        known = f"the known keys here are {names}" if len(names) <= 20 else f"see {cls.__name__}'s fields for the known ones"
        raise ValueError(f"unknown config key ({prefix}{unknown[0]}): {f'did you mean {prefix}{close[0]}?' if close else known}")
    return {k: _convert(v, hints[k], prefix + k) for k, v in values.items()}


def build(cls: type[T], values: dict[str, Any], prefix: str = "") -> T:
    """Build dataclass ``cls`` from a mapping, converting types and rejecting unknown or missing keys."""
    required = [f.name for f in dataclasses.fields(cls)
                if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    missing = [name for name in required if name not in values]
    if missing:
        raise ValueError(f"missing config key ({prefix}{missing[0]}): set {prefix}{missing[0]}=... "
                         "in the file or on the command line")
    return cls(**_fields(cls, values, prefix))


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


def load_config(cls: type[T], path: str | Path | None = None, overrides: typing.Sequence[str] = ()) -> T:
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
            raise FileNotFoundError(f"config file does not exist ({path}): give the path of a YAML config file")
        try:
            values = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark else str(path)
            raise ValueError(f"{getattr(err, 'problem', None) or 'not valid YAML'} ({where}): fix the YAML syntax there") from None
        if not isinstance(values, dict):
            raise ValueError(f"a config file holds a mapping of keys to values, got a {type(values).__name__} ({path}): write key: value lines")
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"an override must be key=value ({item!r}): e.g. grpo.max_steps=10")
        _set(values, key, value)
    return build(cls, values)


def save_config(config: Any, path: str | Path) -> Path:
    """Write the resolved config as YAML (and return the path)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(to_plain(config), sort_keys=False))
    return path


def to_plain(config: Any) -> Any:
    """A config dataclass as plain YAML data: mappings, lists, numbers, strings (what :func:`save_config` writes)."""
    return json.loads(json.dumps(dataclasses.asdict(config), default=str))
