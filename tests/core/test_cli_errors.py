"""The command line on bad input and failures: one clear line on stderr, a documented exit code,
never a traceback. Exit codes: 0 done, 1 error, 2 bad command-line input, 3 some files failed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from tests.conftest import PROJECT_ROOT, SEEDS


def run(args, data_dir, sources=SEEDS, timeout=300, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    base.update(BRIEFBOT_DATA_DIR=str(data_dir), BRIEFBOT_SOURCES_DIR=str(sources), **env)
    return subprocess.run(
        [sys.executable, "-m", "briefbot.cli", *args],
        env=base, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_ingest_with_a_failing_file_ingests_the_rest_and_exits_3(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(SEEDS, sources)
    (sources / "report.txt").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n")
    (sources / "dates.md").write_text("---\npublished: 2025-02-30\n---\nRail talks in Tashkent covered a freight corridor.\n")
    result = run(["ingest", str(sources), "--no-progress"], tmp_path / "data", sources)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "report.txt" in result.stderr and "PDF" in result.stderr
    assert "dates.md" in result.stderr and "2025-02-30" in result.stderr  # a warning, not a failure
    assert "1 failed" in result.stdout and "3 indexed" in result.stdout
    assert "could not be ingested" in result.stderr.strip().splitlines()[-1]
