"""The command line on bad input and failures: one clear line on stderr, a documented exit code,
never a traceback. Exit codes: 0 done, 1 error, 2 bad command-line input, 3 some files failed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT, SEEDS


def run(args, data_dir, sources=SEEDS, timeout=300, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    base.update(BRIEFBOT_DATA_DIR=str(data_dir), BRIEFBOT_SOURCES_DIR=str(sources), **env)
    return subprocess.run(
        [sys.executable, "-m", "briefbot.cli", *args],
        env=base, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


@pytest.mark.slow
def test_ingest_with_a_failing_file_ingests_the_rest_and_exits_3(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(SEEDS, sources)
    (sources / "report.txt").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n")
    (sources / "dates.md").write_text(
        "---\npublished: 2025-02-30\n---\nRail talks in Tashkent covered a freight corridor.\n"
    )
    result = run(["ingest", str(sources), "--no-progress"], tmp_path / "data", sources)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "report.txt" in result.stderr and "PDF" in result.stderr
    assert "dates.md" in result.stderr and "2025-02-30" in result.stderr  # a warning, not a failure
    assert "1 failed" in result.stdout and "3 indexed" in result.stdout
    assert "could not be ingested" in result.stderr.strip().splitlines()[-1]


def _expected_ids(folder) -> set[str]:
    from retrieval.sources.loaders import iter_source_files, load_document
    from retrieval.text.chunking import chunk_document

    ids = set()
    for path, root in iter_source_files([folder]):
        doc = load_document(path, root)
        ids |= {c.chunk_id for c in chunk_document(doc.meta, doc.text)}
    return ids


@pytest.mark.slow
def test_a_full_disk_mid_ingest_is_one_line_and_the_next_run_repairs_it(tmp_path, embedder):
    """The disk "fills up" under the store (RLIMIT_FSIZE: a write past the limit fails with EFBIG,
    as on a full disk) while 12 new articles are written: one line, exit 1, then a clean re-run."""
    import resource

    from bench.corpus import write_corpus

    data, sources = tmp_path / "data", tmp_path / "sources"
    shutil.copytree(SEEDS, sources)
    assert run(["ingest", "--no-progress"], data, sources).returncode == 0
    write_corpus(sources / "more", 12)
    limit = max(p.stat().st_size for p in data.rglob("*") if p.is_file()) + 4096

    def full_disk():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    base = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    base.update(BRIEFBOT_DATA_DIR=str(data), BRIEFBOT_SOURCES_DIR=str(sources))
    full = subprocess.run(
        [sys.executable, "-m", "briefbot.cli", "ingest", "--no-progress"], env=base, cwd=PROJECT_ROOT,
        capture_output=True, text=True, timeout=300, preexec_fn=full_disk,
    )  # fmt: skip
    assert full.returncode == 1, full.stderr[-2000:]
    assert "Traceback" not in full.stderr
    last = full.stderr.strip().splitlines()[-1]
    assert last.startswith("briefbot: The Chroma store failed while") and "disk may be full" in last

    again = run(["ingest", "--no-progress"], data, sources)
    assert again.returncode == 0, again.stderr[-2000:]
    from briefbot.factory import build_service
    from tests.conftest import make_settings

    store = build_service(make_settings(data, sources), embedder=embedder, ingest_if_empty=False).store
    assert {cid for ids in store.ids_by_source().values() for cid in ids} == _expected_ids(sources)


def _quick(args, tmp_path):
    """A command that must fail on its input before it opens the store or loads a model."""
    result = run(args, tmp_path / "data", timeout=60)
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()
    return result.stderr


def test_text_that_is_not_utf8_is_a_usage_error(tmp_path):
    for args, what in [
        ([b"ask", b"What was agreed on \xff\xfe trade?"], "question"),
        ([b"ask", b"What was agreed?", b"--source", b"Daw\xe9n"], "--source value"),
        ([b"brief", b"Visit to \xc3("], "topic"),
    ]:
        stderr = _quick(args, tmp_path)
        assert f"the {what} is not valid UTF-8" in stderr, stderr


@pytest.mark.slow
def test_since_and_until_must_be_real_dates(tmp_path):
    for value in ["yesterday", "2025-13-45", "2025-02-30", "10/09/2025", "2025-9-1"]:
        stderr = _quick(["ask", "What was agreed?", "--since", value], tmp_path)
        assert "--since" in stderr and "YYYY-MM-DD" in stderr and value in stderr, stderr
    stderr = _quick(["ask", "What was agreed?", "--until", "tomorrow"], tmp_path)
    assert "--until" in stderr and "YYYY-MM-DD" in stderr


@pytest.mark.slow
def test_a_source_name_with_a_line_break_stays_on_one_line_of_the_listing(tmp_path, embedder):
    from briefbot.factory import build_service
    from tests.conftest import make_settings

    sources, data = tmp_path / "sources", tmp_path / "data"
    shutil.copytree(SEEDS, sources)
    (sources / "two\nlines.txt").write_text("Rail talks in Tashkent covered a new freight corridor on Monday.\n")
    (sources / "a\ttab.txt").write_text("A new visa desk opens in Lahore next week, officials said.\n")
    build_service(make_settings(data, sources), embedder=embedder, ingest_if_empty=False).ingestor.ingest([sources])
    result = run(["sources"], data, sources)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert len(lines) == 4 and all(line.count("\t") == 7 for line in lines), lines  # 8 fields
    assert "two\\nlines.txt\t" in result.stdout and "a\\ttab.txt\t" in result.stdout


def test_chromas_compaction_error_on_a_full_disk_says_the_disk_may_be_full():
    """On a really full filesystem Chroma says only "Error in compaction": the line still names the disk."""
    from retrieval.index.store import _failure_message

    message = _failure_message("writing chunks", RuntimeError("Error in compaction: Failed to apply logs"))
    assert "the disk may be full" in message and "briefbot ingest" in message
