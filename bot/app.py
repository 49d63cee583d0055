"""The Bolt app: listeners registered per kind, ack first, answers off the request path.

    app = create_app(settings, service)          # service: anything with ask(question, context=)
    app.dispatch(bolt_request)                    # HTTP mode (bot.httpserver, uvicorn) or Socket Mode

`app.briefbot` holds the shared pieces (answer queue, feedback store, dedupe keys) for the
server's shutdown and for tests.
"""

from __future__ import annotations

import logging
import secrets
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.answering import Answerer, AnswerService
from bot.canvas import Canvases
from bot.dedupe import SeenKeys
from bot.delivery import GENERIC_ERROR, ResponseUrl
from bot.deps import Access, Bot, ChannelSets, is_dm
from bot.digests import DigestScheduler
from bot.feedback import FeedbackStore
from bot.journal import open_journal, recover
from bot.listeners import register_all
from bot.render import short_message
from bot.sources import SlackFiles, SourceDesk
from briefbot.settings import Settings
from briefbot.watches import WatchStore

log = logging.getLogger(__name__)

ANSWER_WORKERS = 4  # concurrent service.ask calls (CPU-bound; 2 cores here)
JOURNAL_FILE = "journal.sqlite3"  # questions in progress, in BRIEFBOT_DATA_DIR
CANVAS_FILE = "canvases.sqlite3"  # each channel's canvas made by briefbot, in BRIEFBOT_DATA_DIR


def secret_value(value) -> str | None:
    """The text of a SecretStr setting, or None when unset/blank."""
    if value is None:
        return None
    text = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return text.strip() or None


def build_client(settings: Settings) -> WebClient:
    """The Web API client: the bot token, the configured base URL (a fake in tests), and retries on
    connection errors and on HTTP 429 (honouring Slack's Retry-After)."""
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    return WebClient(
        token=secret_value(settings.slack_bot_token),
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


def dedupe_key(body: dict) -> str | None:
    """What makes a request "the same one again": the event id for events (Slack's retries reuse
    it), the trigger id for slash commands and button clicks (a replayed request carries it)."""
    if body.get("type") == "event_callback" and body.get("event_id"):
        return f"event:{body['event_id']}"
    if body.get("command") and body.get("trigger_id"):
        return f"command:{body['trigger_id']}"
    if body.get("type") == "block_actions":
        actions = body.get("actions") or [{}]
        stamp = body.get("trigger_id") or actions[0].get("action_ts")
        if stamp:
            return f"action:{stamp}:{actions[0].get('action_ts', '')}"
    return None


def _source_desk(settings: Settings, service) -> SourceDesk:
    """Adding sources from Slack, when the service can ingest (a BriefingService can)."""
    intake = None
    if getattr(service, "ingestor", None) is not None and getattr(service, "store", None) is not None:
        from briefbot.factory import build_intake

        intake = build_intake(settings, service)
    token = secret_value(settings.slack_bot_token)
    files = SlackFiles.for_api(token, settings.slack_api_url, settings.max_file_bytes) if token else None
    return SourceDesk(intake, frozenset(settings.slack_source_admins), files)


class BriefbotApp(App):
    """Bolt's App with the bot's shared pieces (`briefbot`: the answer queue, feedback store,
    dedupe keys...) for the server's shutdown and for tests."""

    briefbot: Bot


def create_app(settings: Settings, service: AnswerService, *, client: WebClient | None = None) -> BriefbotApp:
    client = client or build_client(settings)
    feedback = FeedbackStore(settings.feedback_file)
    bot = Bot(
        answerer=Answerer(service, feedback, workers=ANSWER_WORKERS, max_pending=settings.slack_queue_limit),
        feedback=feedback,
        seen=SeenKeys(),
        access=Access(frozenset(settings.slack_allowed_channels), frozenset(settings.slack_allowed_users)),
        sets=ChannelSets(dict(settings.slack_channel_sets), settings.slack_default_sets),
        ephemeral=settings.slack_ephemeral,
    )
    bot.sources = _source_desk(settings, service)
    if settings.slack_canvas:
        bot.canvases = Canvases(client, settings.data_dir / CANVAS_FILE)
    if hasattr(service, "whats_new"):  # watched topics need the core's digests
        bot.digests = DigestScheduler(
            service,  # type: ignore[arg-type]
            WatchStore(settings.watches_file),
            client,
            lambda channel: bot.sets.of(channel, is_dm=is_dm(channel)),
            hour=settings.digest_hour,
            nothing_new=settings.digest_when_nothing_new,
            interval=settings.digest_check_seconds,
            canvases=bot.canvases,
            feedback=feedback,
        )
    # Without a signing secret (Socket Mode) no HTTP request may pass: verify against a random one.
    signing_secret = secret_value(settings.slack_signing_secret) or secrets.token_hex(32)
    bot.signing_secret = signing_secret
    app = BriefbotApp(
        name="briefbot",
        client=client,
        signing_secret=signing_secret,
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="briefbot-bolt"),
        logger=logging.getLogger("bot.bolt"),
    )

    @app.middleware
    def drop_repeats(body: dict, next, logger) -> BoltResponse | None:
        key = dedupe_key(body)
        if key and not bot.seen.first(key):
            logger.info("repeat of %s ignored", key)
            return BoltResponse(status=200, body="")
        next()
        return None

    register_all(app, bot)

    @app.error
    def on_error(error: Exception, body: dict, logger) -> None:
        logger.error("listener failed: %s", error, exc_info=error)
        response_url = body.get("response_url") if isinstance(body, dict) else None
        if response_url:
            bot.answerer.background(
                lambda: ResponseUrl(response_url).send(short_message(GENERIC_ERROR), response_type="ephemeral")
            )

    # Opened once Slack took the token (a refused token leaves no lock behind), before any question.
    journal = open_journal(settings.data_dir / JOURNAL_FILE)
    if journal is not None:
        orphans = journal.pending()  # left by a process that died
        bot.answerer.journal = journal
        if orphans:
            log.info("%d questions were taken but not answered before a restart: telling the askers", len(orphans))
            bot.answerer.background(recover, journal, client, orphans)
    app.briefbot = bot
    return app
