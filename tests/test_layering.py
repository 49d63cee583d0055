"""The layers import downwards only: `retrieval` (ingest, store, search) knows nothing of the core
or the bot; the core knows nothing of the bot except the CLI's `serve` entry; benchmarks use no
test fixtures (conftest) and tests read nothing outside the repo."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_packages(path: Path) -> set[str]:
    """Every module a file imports (top level and inside functions), as dotted names."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def offenders(folder: str, forbidden: tuple[str, ...], allowed_files: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in allowed_files:
            continue
        for name in sorted(imported_packages(path)):
            if name.split(".")[0] in forbidden:
                found.append(f"{relative} imports {name}")
    return found


@pytest.mark.parametrize(
    "folder,forbidden,allowed",
    [
        ("retrieval", ("briefbot", "bot", "tests", "bench"), ()),
        ("briefbot", ("bot", "tests", "bench"), ("briefbot/cli.py",)),
        ("bot", ("tests", "bench"), ()),
    ],
    ids=["retrieval", "briefbot", "bot"],
)
def test_packages_import_only_the_layers_below_them(folder, forbidden, allowed):
    assert offenders(folder, forbidden, allowed) == []


def test_benchmarks_use_no_test_fixtures():
    found = [f for f in offenders("bench", ("tests",)) if "conftest" in f]
    assert found == []
