"""Shared fixtures: a clean environment, one embedding model per run, services over real Chroma."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from briefbot.settings import PROJECT_ROOT, Settings

SEEDS = PROJECT_ROOT / "sources"
DEV_SET = Path(__file__).resolve().parent / "data" / "seed_questions.jsonl"  # the dev set, kept in the repo


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    """No developer's BRIEFBOT_/SLACK_/OPENAI_ variables leak into a test."""
    for name in list(os.environ):
        if name.startswith(("BRIEFBOT_", "SLACK_", "OPENAI_")):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def _model_cache(tmp_path_factory) -> Path:
    """The run's model cache; with pytest-xdist (`make check`), one folder for all the workers.
    BRIEFBOT_TEST_MODEL_CACHE keeps it between runs (`make check` does: the ONNX export, made from
    the checked weights, is then made once, not on every run)."""
    kept = os.environ.get("BRIEFBOT_TEST_MODEL_CACHE")
    base = tmp_path_factory.getbasetemp()
    cache = Path(kept) if kept else (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "model-cache"
    cache.mkdir(parents=True, exist_ok=True)
    return cache


@pytest.fixture(scope="session")
def embedder(_model_cache):
    import fcntl

    from retrieval.index.embedder import MiniLMEmbedder

    embedder = MiniLMEmbedder(cache_dir=_model_cache)
    with open(_model_cache.parent / "model-cache.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one worker exports the ONNX model, the others then load it
        embedder.embed(["warm up"])
    return embedder


@pytest.fixture(scope="session")
def model_cache_dir(embedder, _model_cache) -> Path:
    """The run's one model cache, with the ONNX export already made: give it to every briefbot
    subprocess (BRIEFBOT_MODEL_CACHE_DIR) and to embedders whose test is not about exporting."""
    embedder.embed(["warm up"])  # loads the model, exporting it to ONNX once
    return _model_cache


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


# ---- log hygiene: nothing secret reaches the logs at INFO or above, in any test -------------
import logging  # noqa: E402
import re  # noqa: E402

SECRET_PATTERNS = [
    re.compile(r"xox[bp]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{6,}"),
]
KNOWN_SECRETS: set[str] = set()  # tests add the signing secrets and tokens they configure


class _LeakWatch(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:
            text = str(record.msg)
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        hit = any(p.search(text) for p in SECRET_PATTERNS) or any(s and s in text for s in KNOWN_SECRETS)
        if hit:
            self.leaks.append(f"{record.name} {record.levelname}: {text[:300]}")


_WATCH = _LeakWatch()


def pytest_configure(config):
    root = logging.getLogger()
    root.addHandler(_WATCH)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)  # so INFO records reach the watch


def pytest_sessionfinish(session, exitstatus):
    if _WATCH.leaks:
        print("\nSECRETS IN THE LOGS at INFO or above:\n  " + "\n  ".join(_WATCH.leaks[:20]))
        session.exitstatus = 1
