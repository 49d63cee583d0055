"""Fixtures of the core tests."""

from __future__ import annotations

import pytest

from briefbot.factory import build_service
from tests.conftest import SEEDS, make_settings
from tests.support.llm_sources import write_sources


@pytest.fixture(scope="session")
def llm_store(tmp_path_factory, embedder):
    """(data dir, sources dir): the seeds plus an article with a planted instruction, ingested once."""
    sources = write_sources(SEEDS, tmp_path_factory.mktemp("llm-sources"))
    data = tmp_path_factory.mktemp("llm-store")
    build_service(make_settings(data, sources), embedder=embedder)
    return data, sources
