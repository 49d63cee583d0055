"""The layers import downwards only: `retrieval` (reading sources, text, the index) knows nothing of
the core or the bot; the core (`briefbot`) knows nothing of the bot; inside `retrieval`, `text`
reads neither `sources` nor `index`; no two files import each other, directly or round a circle;
benchmarks use no test fixtures (conftest) and tests read nothing outside the repo."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("briefbot", "bot", "retrieval")


def imported_packages(path: Path) -> set[str]:
    """Every module a file imports (top level and inside functions), as dotted names; `from a import b`
    also yields `a.b`, which is a module when b is one."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def offenders(folder: str, forbidden: tuple[str, ...], allowed_files: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in allowed_files:
            continue
        for name in sorted(imported_packages(path)):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{relative} imports {name}")
    return found


@pytest.mark.parametrize(
    "folder,forbidden",
    [
        ("retrieval", ("briefbot", "bot", "tests", "bench")),
        ("retrieval/text", ("retrieval.sources", "retrieval.index")),
        ("briefbot", ("bot", "tests", "bench")),
        ("bot", ("tests", "bench")),
    ],
    ids=["retrieval", "retrieval-text", "briefbot", "bot"],
)
def test_packages_import_only_the_layers_below_them(folder, forbidden):
    assert offenders(folder, forbidden) == []


def module_graph() -> dict[str, set[str]]:
    """Our modules (files) and the modules of ours each imports. A package's `__init__` counts as
    the package's module."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path

    def edges(path: Path, name: str) -> set[str]:
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                submodules = {f"{node.module}.{alias.name}" for alias in node.names} & modules.keys()
                # `from pkg import submodule` depends on the submodule, not on the package's face
                found |= submodules if len(submodules) == len(node.names) else submodules | {node.module}
        return {m for m in found if m in modules and m != name}

    return {name: edges(path, name) for name, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan), as sorted lists."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles_between_files():
    assert circles(module_graph()) == []


def test_the_circle_check_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_benchmarks_use_no_test_fixtures():
    found = [f for f in offenders("bench", ("tests",)) if "conftest" in f]
    assert found == []
