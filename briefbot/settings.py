"""Settings from the environment and `.env` (prefix BRIEFBOT_). Built only by entry points."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from retrieval.index.sets import DEFAULT_SET, set_names
from retrieval.sources.loaders import DEFAULT_MAX_BYTES
from retrieval.text.chunking import MAX_CHUNK_CHARS, OVERLAP_SENTENCES, SENTENCES_PER_CHUNK

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BRIEFBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- where things live
    data_dir: Path = Path(".briefbot")
    sources_dir: Path = PROJECT_ROOT / "sources"
    prompts_dir: Path | None = None  # default: the prompts shipped with briefbot (the prompts package)

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
    chunk_sentences: int = SENTENCES_PER_CHUNK
    chunk_overlap: int = OVERLAP_SENTENCES
    chunk_max_chars: int = MAX_CHUNK_CHARS
    max_file_bytes: int = DEFAULT_MAX_BYTES

    # --- links and feeds (see retrieval/sources/fetch.py)
    fetch_allow_private: bool = False  # fetch from loopback/private/link-local addresses (tests, intranets)
    fetch_allow_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)  # trusted internal hosts
    fetch_max_bytes: int = DEFAULT_MAX_BYTES
    fetch_timeout: float = 15.0  # seconds per connect / read
    fetch_total_seconds: float = 60.0  # one link, redirects included
    feeds: Annotated[list[str], NoDecode] = Field(default_factory=list)  # RSS/Atom feeds `briefbot watch` polls
    feed_interval_seconds: float = 900.0  # how often `briefbot watch` polls them
    feed_max_items: int = 50  # newest items read from a feed per poll

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
    # channel ID (or `dm`) -> the source sets answers there may come from: "C0123:public,cables;dm:public"
    slack_channel_sets: Annotated[dict[str, frozenset[str]], NoDecode] = Field(default_factory=dict)
    slack_default_sets: Annotated[frozenset[str], NoDecode] = frozenset({DEFAULT_SET})  # channels not listed
    slack_source_admins: Annotated[list[str], NoDecode] = Field(default_factory=list)  # may add sources
    slack_ephemeral: bool = False
    slack_host: str = "127.0.0.1"  # HTTP mode listens here; put a TLS proxy in front
    slack_port: int = 3000
    slack_queue_limit: int = Field(default=200, ge=1)  # questions taken but not yet answered; more are told "busy"
    feedback_path: Path | None = None  # default: <data_dir>/feedback.sqlite3
    slack_canvas: bool = True  # /brief and digests into the channel's canvas where canvases:write allows

    # --- watched topics and their digests (docs/digests.md)
    watches_path: Path | None = None  # default: <data_dir>/watches.sqlite3 (replicas share one file)
    digest_hour: int = Field(default=8, ge=0, le=23)  # local hour from which a period's digest is due
    digest_when_nothing_new: Literal["line", "silent"] = "line"  # one short line, or nothing
    digest_check_seconds: float = Field(default=60.0, gt=0)  # how often serve looks for due digests

    log_level: str = "INFO"

    @field_validator(
        "chroma_path",
        "prompts_dir",
        "lexical_index_dir",
        "model_cache_dir",
        "chroma_host",
        "chroma_auth_token",
        "openai_api_key",
        "openai_base_url",
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "feedback_path",
        "watches_path",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value):
        """`BRIEFBOT_X=` in .env means "not set", as .env.example shows it."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "slack_allowed_channels",
        "slack_allowed_users",
        "slack_source_admins",
        "fetch_allow_hosts",
        "feeds",
        mode="before",
    )
    @classmethod
    def _split_csv(cls, value):
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("slack_channel_sets", mode="before")
    @classmethod
    def _channel_sets(cls, value):
        """ "C0123:public,cables;C0456:public;dm:public" -> {channel: sets}; `dm` (any case) is every DM."""
        if not isinstance(value, str):
            return value
        mapping: dict[str, frozenset[str]] = {}
        for entry in value.split(";"):
            if not entry.strip():
                continue
            channel, colon, names = entry.partition(":")
            channel = channel.strip()
            if not colon or not channel:
                raise ValueError(f"'{entry.strip()}' is not CHANNEL:SET[,SET] (e.g. C0123:public,cables;dm:public)")
            mapping["dm" if channel.lower() == "dm" else channel] = set_names([names])
        return mapping

    @field_validator("slack_default_sets", mode="before")
    @classmethod
    def _default_sets(cls, value):
        """Blank means not set (public), as for every setting; a channel that may read nothing is
        given a set that holds nothing, e.g. `none`."""
        if isinstance(value, str):
            return set_names([value]) if value.strip() else frozenset({DEFAULT_SET})
        return value

    @field_validator("slack_channel_sets", mode="after")
    @classmethod
    def _checked_names(cls, value):
        return {channel: set_names(names) for channel, names in value.items()}

    @property
    def chroma_dir(self) -> Path:
        return self.chroma_path or self.data_dir / "chroma"

    @property
    def feed_state_file(self) -> Path:
        """What `briefbot watch` remembers of each feed (ETag, Last-Modified, items seen)."""
        return self.data_dir / "feeds.json"

    @property
    def lexical_dir(self) -> Path:
        return self.lexical_index_dir or self.data_dir / "lexical"

    @property
    def feedback_file(self) -> Path:
        return self.feedback_path or self.data_dir / "feedback.sqlite3"

    @property
    def watches_file(self) -> Path:
        return self.watches_path or self.data_dir / "watches.sqlite3"

    @property
    def llm_configured(self) -> bool:
        return self.openai_api_key is not None and bool(self.openai_api_key.get_secret_value())
