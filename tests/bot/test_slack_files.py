"""Shared files are downloaded with the bot token only from Slack's own origins (scheme, host and
port), with the body's size bounded after decoding."""

from __future__ import annotations

import gzip

import pytest

from bot.sources import SlackFiles
from briefbot.errors import BriefbotError
from retrieval.errors import RetrievalError
from tests.fakes.news_site import NewsSite

TOKEN = "xoxb-test-download-token"


def test_the_token_goes_to_the_api_origin_and_never_to_another_port_on_its_host():
    with NewsSite() as api, NewsSite() as other:
        api.add("/files/F1/note.txt", b"The ferry to Gwadar starts in May.", "text/plain")
        other.add("/files/F1/note.txt", b"stolen", "text/plain")
        files = SlackFiles.for_api(TOKEN, api.url("/api/"), 1_000_000)
        assert files.download(api.url("/files/F1/note.txt")) == b"The ferry to Gwadar starts in May."
        assert api.requests()[0][1]["authorization"] == f"Bearer {TOKEN}"

        with pytest.raises(BriefbotError, match=r"not Slack's \(http://127\.0\.0\.1:\d+\); not downloaded"):
            files.download(other.url("/files/F1/note.txt"))  # same host, another port
        with pytest.raises(BriefbotError, match="not Slack's"):
            files.download(api.url("/files/F1/note.txt").replace("http://", "https://"))  # another scheme
        assert other.requests() == []  # the token never left


def test_a_compressed_file_is_capped_after_decoding():
    with NewsSite() as api:
        api.add(
            "/files/F2/big.txt", gzip.compress(b"a" * 5_000_000), "text/plain", headers={"Content-Encoding": "gzip"}
        )
        files = SlackFiles.for_api(TOKEN, api.url("/api/"), 1_000_000)
        with pytest.raises((BriefbotError, RetrievalError), match="limit"):
            files.download(api.url("/files/F2/big.txt"))
