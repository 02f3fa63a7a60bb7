"""What the workspace contains: its packages, their declared dependencies and their sources.

Shared by the checks in this folder so that each reads ``pyproject.toml`` files the same way.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ROOT / "packages"

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class Package:
    """One workspace package: its folder, distribution name, import name and declared requirements."""

    path: Path
    name: str
    version: str
    requirements: tuple[str, ...]
    workspace_sources: frozenset[str]

    @property
    def module(self) -> str:
        """The import name (``vqi-rewards`` → ``vqi_rewards``)."""
        return self.name.replace("-", "_")

    @property
    def source_dir(self) -> Path:
        """Where the package's modules live (src layout)."""
        return self.path / "src" / self.module

    def source_files(self) -> list[Path]:
        """The package's modules, and the scripts at the top of its folder (apps/stage1.py, ...)."""
        return sorted(self.source_dir.rglob("*.py")) + sorted(self.path.glob("*.py"))

    def requirement_names(self) -> dict[str, str]:
        """Map each declared runtime requirement's normalised name to its full specifier."""
        names = {}
        for req in self.requirements:
            match = _NAME.match(req)
            if match:
                names[normalise(match.group(1))] = req
        return names


def normalise(name: str) -> str:
    """PEP 503 normalisation of a distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def load(path: Path) -> Package:
    """Read a member's ``pyproject.toml``."""
    data = tomllib.loads((path / "pyproject.toml").read_text())
    project = data["project"]
    sources = data.get("tool", {}).get("uv", {}).get("sources", {})
    return Package(
        path=path,
        name=normalise(project["name"]),
        version=project["version"],
        requirements=tuple(project.get("dependencies", [])),
        workspace_sources=frozenset(normalise(n) for n, s in sources.items() if s.get("workspace")),
    )


def packages() -> list[Package]:
    """Every library under ``packages/``, sorted by name."""
    return sorted(
        (load(p) for p in PACKAGES.iterdir() if (p / "pyproject.toml").is_file()),
        key=lambda p: p.name,
    )


def apps() -> Package:
    """The ``apps`` member (``vqi_apps`` and the entry scripts), which may import every package."""
    return load(ROOT / "apps")
