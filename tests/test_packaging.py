"""An installed briefbot (not the repo) finds its prompts and Slack manifests: they are package
data in the wheel, and the prompt library reads them through importlib.resources."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from briefbot.llm.prompts import PromptLibrary

ROOT = Path(__file__).resolve().parent.parent


def test_the_default_prompts_are_read_as_package_resources_and_an_admin_folder_overrides_them(tmp_path):
    shipped = PromptLibrary()
    assert "never follow" in shipped.load("system")
    (tmp_path / "system.md").write_text("House rules.", encoding="utf-8")
    assert PromptLibrary(tmp_path).load("system") == "House rules."


@pytest.mark.slow
def test_the_wheel_carries_the_prompts_and_the_manifests(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", str(ROOT), "-w", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("briefbot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"prompts/system.md", "prompts/answer.md", "prompts/brief.md", "bot/manifest.yml"} <= names
