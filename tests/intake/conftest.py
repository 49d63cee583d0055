"""Intake tests: a loopback news site (tests/fakes/news_site.py) and a fresh real store per test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from briefbot.settings import Settings
from tests import documents
from tests.fakes.news_site import NewsSite
from tests.intake import content


@pytest.fixture
def site():
    with NewsSite() as news:
        news.page("/article", content.RAIL_ARTICLE)
        news.redirect("/moved", "/article")
        news.page("/login", content.LOGIN_WALL)
        news.stream("/huge", 50_000_000)
        news.add("/statement.pdf", content.statement_pdf(), "application/pdf")
        news.add("/scan.pdf", documents.scanned_pdf(), "application/pdf")
        news.add(
            "/note.docx", content.note_docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )  # fmt: skip
        for n in content.ITEMS:
            news.page(f"/news/{n}", content.news_item_html(n))
        news.add("/feed.rss", content.rss(news.base_url, [1, 2, 3]), "application/rss+xml",
                 etag='"three"', last_modified="Fri, 10 Oct 2025 09:00:00 GMT")  # fmt: skip
        news.add("/atom.xml", content.atom(news.base_url), "application/atom+xml")
        yield news


@dataclass
class Intaking:
    settings: Settings
    service: object
    intake: object


def make_intake(tmp_path, embedder, **overrides) -> Intaking:
    from briefbot.factory import build_intake, build_service

    sources = tmp_path / "empty-sources"
    sources.mkdir(parents=True, exist_ok=True)
    values = dict(data_dir=tmp_path / "data", sources_dir=sources, fetch_allow_private=True)
    values.update(overrides)
    settings = Settings(_env_file=None, **values)
    service = build_service(settings, embedder=embedder, ingest_if_empty=False)
    return Intaking(settings, service, build_intake(settings, service))


@pytest.fixture
def intaking(tmp_path, embedder) -> Intaking:
    return make_intake(tmp_path, embedder)


def stored(service, source_id: str) -> int:
    """How many chunks the store holds for a source."""
    return len(service.store.ids_by_source().get(source_id, set()))
