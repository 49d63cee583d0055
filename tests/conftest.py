"""Shared fixtures: a clean environment, one embedding model per run, services over real Chroma."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from briefbot.settings import PROJECT_ROOT, Settings

SEEDS = PROJECT_ROOT / "sources"
DEV_SET = PROJECT_ROOT.parent / "shared" / "eval" / "seed_questions.jsonl"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    """No developer's BRIEFBOT_/SLACK_/OPENAI_ variables leak into a test."""
    for name in list(os.environ):
        if name.startswith(("BRIEFBOT_", "SLACK_", "OPENAI_")):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def embedder():
    from retrieval.embedder import MiniLMEmbedder

    return MiniLMEmbedder()


def make_settings(data_dir: Path, sources_dir: Path = SEEDS, **overrides) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, sources_dir=sources_dir, **overrides)


@pytest.fixture(scope="session")
def seed_service(tmp_path_factory, embedder):
    """The real service over the two seed articles, in embedded Chroma (read-only use, please)."""
    from briefbot.factory import build_service

    data = tmp_path_factory.mktemp("seed-store")
    return build_service(make_settings(data), embedder=embedder)


@pytest.fixture
def seed_copy(tmp_path) -> Path:
    """A writable copy of the seed articles."""
    target = tmp_path / "sources"
    shutil.copytree(SEEDS, target)
    return target
