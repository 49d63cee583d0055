"""The command line as a person uses it: a fresh store, ingest on first use, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import SEEDS


@pytest.fixture
def run(tmp_path, model_cache_dir):
    """`briefbot ARGS` in a subprocess over a fresh data folder, with the run's exported model."""

    def run(args, **env):
        base = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
        base.update(
            BRIEFBOT_DATA_DIR=str(tmp_path / "data"), BRIEFBOT_SOURCES_DIR=str(SEEDS),
            BRIEFBOT_MODEL_CACHE_DIR=str(model_cache_dir), **env,
        )  # fmt: skip
        return subprocess.run(
            [sys.executable, "-m", "briefbot.cli", *args], env=base, capture_output=True, text=True, timeout=300
        )

    return run


@pytest.mark.slow  # a subprocess loads the model and ingests the seeds
def test_first_ask_ingests_and_prints_json(run):
    result = run(["ask", "Who signed the action plan?", "--json"])
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert "Nurtleu" in answer["text"] and answer["sources"]
    assert {"sentences", "sources", "timings_ms", "refused"} <= set(answer)
    cited = {c["source_id"] for s in answer["sentences"] for c in s["citations"]}
    assert cited and all(c["start"] < c["end"] for s in answer["sentences"] for c in s["citations"])
    listing = run(["sources"])
    assert "000_69c16f647ae5ebe9.txt" in listing.stdout and "2025-09-10" in listing.stdout


def test_empty_question_is_a_usage_error(run, tmp_path):
    result = run(["ask", "   "])
    assert result.returncode == 2
    assert "question is empty" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # failed before touching the store


def test_unreachable_chroma_server_is_a_clear_error(run):
    result = run(["ask", "What was agreed?"], BRIEFBOT_CHROMA_HOST="127.0.0.1", BRIEFBOT_CHROMA_PORT="9")
    assert result.returncode == 1
    assert "Cannot reach the Chroma server at 127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_5000_character_question_is_answered(seed_service):
    question = "What was agreed on connectivity? " + "Please include every detail of the plan. " * 130
    assert len(question) > 5000
    answer = seed_service.ask(question)
    assert answer.sentences or answer.refused


def test_follow_up_uses_the_earlier_question_as_context(seed_service):
    answer = seed_service.ask("and on trade?", context="What was agreed on connectivity?")
    assert not answer.refused
    assert "trade" in answer.text.lower()


@pytest.mark.slow  # a subprocess loads the model and ingests the seeds
def test_ask_through_a_configured_model_says_who_wrote_it(run):
    from tests.core.test_llm import API_KEY, GOOD, GOOD_AT, answering
    from tests.fakes.openai_server import FakeOpenAI

    with FakeOpenAI() as model:
        model.then(answering((GOOD, GOOD_AT)))
        result = run(
            ["ask", "What was agreed on connectivity?"], BRIEFBOT_OPENAI_API_KEY=API_KEY,
            BRIEFBOT_OPENAI_BASE_URL=model.base_url, BRIEFBOT_OPENAI_MODEL="fake-gpt",
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert GOOD in result.stdout and "[1]" in result.stdout
    assert "written by fake-gpt, citations checked" in result.stdout
    assert API_KEY not in result.stdout + result.stderr


@pytest.mark.slow  # subprocesses load the model and ingest the seeds
def test_ask_concludes_through_the_command_line(run):
    """Issue 20, end to end as a user types it: the count said first, a verdict decided by the
    evidence it quotes, and a refusal in grammatical English."""
    counted = run(["ask", "How many joint working groups met?"])
    assert counted.returncode == 0, counted.stderr
    assert counted.stdout.lstrip().startswith("Two: information technology and agriculture."), counted.stdout
    verdict = run(["ask", "Were any MoUs signed?", "--json"])
    assert verdict.returncode == 0, verdict.stderr
    answer = json.loads(verdict.stdout)
    assert answer["sentences"][0]["text"].startswith("No"), answer["text"]
    assert "expected to be signed" in answer["sentences"][0]["citations"][0]["quote"]
    refused = run(["ask", "Where did the signing take place?"])
    assert "take placed" not in refused.stdout and "where the signing take" not in refused.stdout
