"""Wires the core from Settings. Entry points (CLI, bot start-up) call this; nothing else reads settings."""

from __future__ import annotations

import logging
from pathlib import Path

from briefbot.answering.brief import BriefBuilder
from briefbot.answering.compose import OfflineComposer
from briefbot.answering.evidence import SentenceScorer
from briefbot.errors import StoreError
from briefbot.llm.chat_model import ChatModel
from briefbot.llm.grounding import GroundingGuard
from briefbot.service import BriefingService, Generator
from briefbot.settings import Settings
from retrieval.index.embedder import Embedder, MiniLMEmbedder
from retrieval.index.lexical import LexicalIndexFiles
from retrieval.index.search import HybridRetriever
from retrieval.index.store import ChunkStore, embedded_client, server_client
from retrieval.ingest import ChunkingOptions, Ingestor

log = logging.getLogger(__name__)


def chroma_client(settings: Settings):
    if settings.chroma_host:
        headers = {}
        if settings.chroma_auth_token is not None:
            token = settings.chroma_auth_token.get_secret_value()
            header = settings.chroma_auth_header
            headers[header] = f"Bearer {token}" if header.lower() == "authorization" else token
        return server_client(settings.chroma_host, settings.chroma_port, ssl=settings.chroma_ssl, headers=headers)
    return embedded_client(settings.chroma_dir)


def build_fetcher(settings: Settings):
    """The link fetcher, with the fetch settings (retrieval/sources/fetch.py)."""
    from retrieval.sources.fetch import Fetcher, FetchPolicy

    return Fetcher(
        FetchPolicy(
            allow_private=settings.fetch_allow_private,
            allow_hosts=frozenset(h.lower() for h in settings.fetch_allow_hosts),
            max_bytes=settings.fetch_max_bytes,
            timeout=settings.fetch_timeout,
            total_seconds=settings.fetch_total_seconds,
        )
    )


def build_service(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    generator: Generator | None = None,
    chat_model: ChatModel | None = None,
    ingest_if_empty: bool = True,
    check_model: bool = True,
) -> BriefingService:
    """The service the settings describe. `chat_model` answers through that model (else through
    the OpenAI-compatible endpoint when a key is configured, else offline only); check_model=False opens a store built with another embedding model (to rebuild it)."""
    embedder = embedder or MiniLMEmbedder(
        batch_size=settings.embedding_batch_size,
        backend=settings.embedding_backend,
        cache_dir=settings.model_cache_dir,
    )
    store = ChunkStore(chroma_client(settings), settings.collection, embedder.name, check_model=check_model)
    lexical_files = LexicalIndexFiles(settings.lexical_dir)
    retriever = HybridRetriever(store, embedder, lexical_files=lexical_files)
    scorer = SentenceScorer(embedder, retriever.current)
    composer = OfflineComposer(scorer, max_sentences=settings.answer_max_sentences, guard=GroundingGuard(embedder))
    lock_path = None if settings.chroma_host else Path(settings.chroma_dir) / "briefbot-write.lock"
    ingestor = Ingestor(
        store,
        embedder,
        chunking=ChunkingOptions(settings.chunk_sentences, settings.chunk_overlap, settings.chunk_max_chars),
        max_file_bytes=settings.max_file_bytes,
        lock_path=lock_path,
        lexical_files=lexical_files,
    )
    if generator is None and (chat_model is not None or settings.llm_configured):
        from briefbot.llm.generator import build_generator

        generator = build_generator(settings, embedder, chat_model)
    service = BriefingService(
        store=store,
        retriever=retriever,
        composer=composer,
        ingestor=ingestor,
        briefs=BriefBuilder(retriever, composer),
        generator=generator,
        top_k=settings.top_k,
        max_question_chars=settings.max_question_chars,
    )
    if ingest_if_empty and service.is_empty():
        if not Path(settings.sources_dir).exists():
            raise StoreError(
                f"The store is empty and the sources folder {settings.sources_dir} does not exist; "
                "run `briefbot ingest PATH` or set BRIEFBOT_SOURCES_DIR."
            )
        log.info("store is empty: ingesting %s", settings.sources_dir)
        report = ingestor.ingest([Path(settings.sources_dir)])
        log.info("ingested %d chunks from %d files", report.chunks_added, report.files_indexed)
    return service


def build_intake(settings: Settings, service: BriefingService):
    """Links, feeds and handed-over files into `service`'s store (briefbot/intake.py)."""
    from briefbot.intake import Intake
    from retrieval.sources.feeds import FeedStates

    return Intake(
        service.ingestor,
        build_fetcher(settings),
        service.store,
        feed_states=FeedStates(settings.feed_state_file),
        feed_max_items=settings.feed_max_items,
        max_file_bytes=settings.max_file_bytes,
    )
