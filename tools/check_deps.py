"""Check the package boundaries of the workspace.

Usage: ``uv run tools/check_deps.py``

Fails (exit 1, one line per problem) when:
- a package imports a sibling it does not declare in ``[project.dependencies]``;
- a sibling requirement has no version range (``>=lower,<upper``) or no workspace source;
- an import crosses an edge the architecture forbids (see ``ALLOWED``; GUIDE.md section 1);
- the declared sibling graph has a cycle.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import workspace

# Which siblings each package may depend on: the tree of GUIDE.md section 1. A package missing
# here may depend on no sibling until this table names it: new edges are a design decision.
LIBRARIES: dict[str, set[str]] = {
    "vqi-rewards": set(),
    "vqi-metrics": set(),
    "vqi-tournament": set(),
    "vqi-video": set(),
    "vqi-config": set(),
    "vqi-diffdpo": {"vqi-config"},
    "vqi-judge": {"vqi-video", "vqi-rewards"},
    "vqi-grpo": {"vqi-video"},
}
# The apps (apps/: vqi_apps and the entry scripts) sit on top: they may use every library, and
# no library may use them.
ALLOWED: dict[str, set[str]] = LIBRARIES | {"vqi-apps": set(LIBRARIES)}


def imported_modules(files: list[Path]) -> dict[str, list[str]]:
    """Map each top-level module imported in ``files`` to the places importing it."""
    found: dict[str, list[str]] = {}
    for file in files:
        tree = ast.parse(file.read_text(), filename=str(file))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                where = f"{file.relative_to(workspace.ROOT)}:{node.lineno}"
                found.setdefault(name.split(".")[0], []).append(where)
    return found


def has_range(requirement: str) -> bool:
    """True when a requirement bounds its version from below and above."""
    return ">=" in requirement and "<" in requirement.replace("<=", "")


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one cycle of ``graph`` as a list of nodes, or None when it is acyclic."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def check() -> list[str]:
    """Return every boundary problem found in the workspace."""
    members = [*workspace.packages(), workspace.apps()]
    by_module = {p.module: p for p in members}
    problems: list[str] = []
    graph: dict[str, set[str]] = {}
    for package in members:
        declared = package.requirement_names()
        siblings = {n for n in declared if n in {m.name for m in members}}
        graph[package.name] = siblings
        for name in sorted(siblings):
            if not has_range(declared[name]):
                problems.append(f"{package.name}: '{declared[name]}' needs a range like '{name}>=0.1,<0.2'")
            if name not in package.workspace_sources:
                problems.append(
                    f"{package.name}: add '{name} = {{ workspace = true }}' to [tool.uv.sources]"
                )
            if package.name in ALLOWED and name not in ALLOWED[package.name]:
                problems.append(f"{package.name}: may not depend on {name} (GUIDE.md section 1)")
        if package.name not in ALLOWED:
            problems.append(f"{package.name}: not in tools/check_deps.py ALLOWED; add its sibling edges")
        for module, places in sorted(imported_modules(package.source_files()).items()):
            sibling = by_module.get(module)
            if sibling and sibling.name != package.name and sibling.name not in siblings:
                problems.append(
                    f"{places[0]}: imports {module} but {package.name} does not declare "
                    f"'{sibling.name}>=…' in [project.dependencies]"
                )
    if cycle := find_cycle(graph):
        problems.append("dependency cycle: " + " -> ".join(cycle))
    return problems


def main() -> int:
    """Print the problems found; exit 1 when there are any."""
    problems = check()
    for problem in problems:
        print(problem)
    count = len(workspace.packages())
    print(f"check_deps: {count} packages + apps, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
