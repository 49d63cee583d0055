"""Settings as the admin meets them: `.env.example` documents every setting with its default."""

from __future__ import annotations

import re

from briefbot.settings import PROJECT_ROOT, Settings

EXAMPLE = PROJECT_ROOT / ".env.example"
_LINE = re.compile(r"^#?\s*(BRIEFBOT_[A-Z_]+)=(.*)$")


def example_lines() -> dict[str, str]:
    found = {}
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = _LINE.match(line.strip())
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def test_every_setting_is_in_env_example():
    documented = set(example_lines())
    expected = {f"BRIEFBOT_{name.upper()}" for name in Settings.model_fields}
    assert expected - documented == set(), "settings missing from .env.example"
    assert documented - expected == set(), ".env.example names settings that do not exist"


def test_env_example_as_dot_env_gives_the_defaults(tmp_path):
    env = tmp_path / ".env"
    env.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    from_example = Settings(_env_file=env)
    defaults = Settings(_env_file=None)
    assert from_example.model_dump() == defaults.model_dump()
    assert not from_example.llm_configured  # a blank key means "not set", not an empty key


def test_environment_wins_over_dot_env(tmp_path, monkeypatch):
    env = tmp_path / ".env"
    env.write_text("BRIEFBOT_TOP_K=5\nBRIEFBOT_SLACK_ALLOWED_CHANNELS=C1, C2\n", encoding="utf-8")
    monkeypatch.setenv("BRIEFBOT_TOP_K", "12")
    settings = Settings(_env_file=env)
    assert settings.top_k == 12 and settings.slack_allowed_channels == ["C1", "C2"]
