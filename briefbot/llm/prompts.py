"""Prompts are files, loaded by name (`answer` -> answer.md): the ones shipped in the `prompts`
package (read with importlib.resources, so a non-editable install finds them), or those in
BRIEFBOT_PROMPTS_DIR when an admin keeps their own."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from briefbot.errors import ConfigError


class PromptLibrary:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory: Traversable = Path(directory) if directory is not None else resources.files("prompts")
        self._texts: dict[str, str] = {}  # read once per library

    def load(self, name: str) -> str:
        if name not in self._texts:
            self._texts[name] = self._read(name)
        return self._texts[name]

    def render(self, name: str, **values: str) -> str:
        """The prompt with {placeholders} filled; other braces are left alone."""
        text = self.load(name)
        for key, value in values.items():
            text = text.replace("{" + key + "}", value)
        return text

    def _read(self, name: str) -> str:
        for suffix in (".md", ".txt"):
            path = self.directory / f"{name}{suffix}"
            if path.is_file():
                return path.read_text(encoding="utf-8")
        raise ConfigError(f"Prompt '{name}' not found in {self.directory} (expected {name}.md)")
