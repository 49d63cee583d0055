"""Settings from the environment and `.env` (prefix BRIEFBOT_). Built only by entry points."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Annotated

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BRIEFBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- where things live
    data_dir: Path = Path(".briefbot")
    sources_dir: Path = PROJECT_ROOT / "sources"
    prompts_dir: Path = PROJECT_ROOT / "prompts"

    # --- vector store
    chroma_path: Path | None = None  # default: <data_dir>/chroma
    chroma_host: str | None = None  # set to use a Chroma server (chroma run) instead
    chroma_port: int = 8000
    chroma_ssl: bool = False
    chroma_auth_token: SecretStr | None = None
    chroma_auth_header: str = "Authorization"  # or X-Chroma-Token, as the proxy expects
    collection: str = "briefbot"
    lexical_index_dir: Path | None = None  # the persisted BM25 index per store generation; default: <data_dir>/lexical

    # --- embeddings and chunking
    embedding_batch_size: int = 64
    embedding_backend: Literal["auto", "onnx", "torch", "torch-bf16"] = "auto"
    model_cache_dir: Path | None = None  # the exported ONNX model; default: ~/.cache/briefbot
    chunk_sentences: int = 4
    chunk_overlap: int = 1
    chunk_max_chars: int = 1200
    max_file_bytes: int = 20_000_000

    # --- retrieval and answers
    top_k: int = 8
    answer_max_sentences: int = 4  # the answer's lead plus at most three supporting sentences
    max_question_chars: int = 8000

    # --- optional language model (OpenAI or any compatible endpoint)
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_timeout: float = 20.0
    openai_max_retries: int = 2
    llm_budget_seconds: float = 25.0

    # --- Slack
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_allowed_channels: Annotated[list[str], NoDecode] = Field(default_factory=list)
    slack_allowed_users: Annotated[list[str], NoDecode] = Field(default_factory=list)
    slack_ephemeral: bool = False
    slack_host: str = "127.0.0.1"  # HTTP mode listens here; put a TLS proxy in front
    slack_port: int = 3000
    feedback_path: Path | None = None  # default: <data_dir>/feedback.sqlite3

    log_level: str = "INFO"

    @field_validator(
        "chroma_path", "lexical_index_dir", "model_cache_dir", "chroma_host", "chroma_auth_token", "openai_api_key", "openai_base_url",
        "slack_bot_token", "slack_signing_secret", "slack_app_token", "feedback_path",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value):
        """`BRIEFBOT_X=` in .env means "not set", as .env.example shows it."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("slack_allowed_channels", "slack_allowed_users", mode="before")
    @classmethod
    def _split_csv(cls, value):
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @property
    def chroma_dir(self) -> Path:
        return self.chroma_path or self.data_dir / "chroma"

    @property
    def lexical_dir(self) -> Path:
        return self.lexical_index_dir or self.data_dir / "lexical"

    @property
    def feedback_file(self) -> Path:
        return self.feedback_path or self.data_dir / "feedback.sqlite3"

    @property
    def llm_configured(self) -> bool:
        return self.openai_api_key is not None and bool(self.openai_api_key.get_secret_value())
