"""Ack latency of the Slack bot in HTTP mode: signed requests to the running app, answers computed meanwhile.

    .venv/bin/python bench/bench_slack_ack.py [--requests 200] [--concurrency 4]

Starts a loopback fake of Slack's Web API, the real service over sources/ (in a temporary store)
and the bot's HTTP server on 127.0.0.1, then sends `--requests` signed requests (alternating
`/ask` slash commands and `app_mention` events, different questions) from `--concurrency`
client threads. Prints ack latency p50/p95/p99/max (Slack wants the ack within 3 s) and how long
the answers took to be posted. Everything stays on 127.0.0.1; the loop is bounded by --requests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import create_app  # noqa: E402
from bot.httpserver import SlackHTTPServer  # noqa: E402
from briefbot.factory import build_service  # noqa: E402
from briefbot.settings import PROJECT_ROOT, Settings  # noqa: E402
from tests.bot.conftest import BOT_TOKEN, SIGNING_SECRET, SlackSender  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

QUESTIONS = [
    "Who signed the action plan?",
    "What was agreed on connectivity?",
    "What was discussed on trade?",
    "When is President Tokayev visiting Islamabad?",
    "Which ministers accompanied the Kazakh foreign minister?",
    "What is the population of Mars?",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--sources", type=Path, default=PROJECT_ROOT / "sources")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()
    n = max(1, min(args.requests, 5000))

    with tempfile.TemporaryDirectory() as tmp, FakeSlack(token=BOT_TOKEN) as fake:
        settings = Settings(
            _env_file=None, data_dir=Path(tmp), sources_dir=args.sources,
            slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=fake.api_url,
        )
        t0 = time.perf_counter()
        service = build_service(settings)
        service.ask("warm-up question about the action plan")
        print(f"service ready in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        app = create_app(settings, service)
        answerer = app.briefbot.answerer
        answerer.max_pending = n + 10  # measure acks, not the "busy" turn-away
        server = SlackHTTPServer(app, "127.0.0.1", 0)
        server.start_in_thread()
        slack = SlackSender(server, fake)

        def one(i: int) -> float:
            question = QUESTIONS[i % len(QUESTIONS)]
            if i % 2:
                reply = slack.command(question, channel=f"C{i:05d}")
            else:
                reply, _ = slack.mention(question, channel=f"C{i:05d}")
            if reply.status != 200:
                raise RuntimeError(f"request {i}: HTTP {reply.status} {reply.body[:200]}")
            return reply.seconds * 1000

        started = time.perf_counter()
        with ThreadPoolExecutor(max(1, args.concurrency)) as pool:
            acks = list(pool.map(one, range(n)))
        sent = time.perf_counter() - started
        answered = answerer.wait_idle(timeout=600)
        all_done = time.perf_counter() - started
        updates = len(fake.calls("chat.update"))
        server.stop()
        answerer.shutdown(timeout=10)

    figures = {
        "requests": n,
        "concurrency": args.concurrency,
        "ack_ms_p50": round(percentile(acks, 0.50), 1),
        "ack_ms_p95": round(percentile(acks, 0.95), 1),
        "ack_ms_p99": round(percentile(acks, 0.99), 1),
        "ack_ms_max": round(max(acks), 1),
        "ack_ms_mean": round(statistics.mean(acks), 1),
        "acks_over_3s": sum(a > 3000 for a in acks),
        "send_seconds": round(sent, 2),
        "all_answered": answered,
        "answers_posted": updates,
        "answer_seconds_total": round(all_done, 2),
    }
    print(
        f"ack latency over {n} signed requests ({args.concurrency} concurrent): "
        f"p50 {figures['ack_ms_p50']} ms, p95 {figures['ack_ms_p95']} ms, p99 {figures['ack_ms_p99']} ms, "
        f"max {figures['ack_ms_max']} ms; {figures['acks_over_3s']} over 3 s"
    )
    print(f"answers posted: {updates}/{n} in {figures['answer_seconds_total']} s (acks sent in {figures['send_seconds']} s)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    return 0 if figures["acks_over_3s"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
