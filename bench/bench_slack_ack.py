"""Ack latency of the Slack bot in HTTP mode: signed requests to the running app, answers computed meanwhile.

    .venv/bin/python bench/bench_slack_ack.py [--requests 200] [--concurrency 4]
    .venv/bin/python bench/bench_slack_ack.py --requests 300 --concurrency 300 --slow-clients 150 --queue-limit 200

Starts a loopback fake of Slack's Web API, the real service over sources/ (in a temporary store)
and the bot's HTTP server on 127.0.0.1, then sends `--requests` signed requests (alternating
`/ask` slash commands and `app_mention` events, different questions) from `--concurrency`
client threads. Prints ack latency p50/p95/p99/max (Slack wants the ack within 3 s) and how long
the answers took to be posted. Everything stays on 127.0.0.1; the loop is bounded by --requests.

`--slow-clients N` first opens N connections that send a request's headers one byte every
`--drip-seconds` (reconnecting when the server cuts them off) and keeps them going while the
requests are sent; the bot's thread count (bench threads excluded) is sampled throughout.
`--queue-limit` keeps the bot's limit on queued questions (default: above --requests), so
questions beyond it are told "busy": the bench then counts answers and "busy" notices.
`--burst` sends all the requests at once, as mentions, from one asyncio loop (hundreds of sender
threads in the bot's own process would mostly measure their fight for the GIL). `--http-only`
measures the server alone: bursts to a Bolt app whose listener does nothing.
`--process` runs the bot as production does, a `briefbot serve` process of its own (HTTP mode,
`BRIEFBOT_SLACK_QUEUE_LIMIT` from --queue-limit), while this process plays Slack: the fake Web API,
the signed burst and the slow clients. Threads are then the serve process's own (/proc).

    .venv/bin/python bench/bench_slack_ack.py --burst --requests 300 --slow-clients 150 --queue-limit 200
    .venv/bin/python bench/bench_slack_ack.py --process --requests 300 --slow-clients 150 --queue-limit 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import create_app  # noqa: E402
from bot.httpserver import SlackHTTPServer  # noqa: E402
from briefbot.factory import build_service  # noqa: E402
from briefbot.settings import PROJECT_ROOT, Settings  # noqa: E402
from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID, FakeSlack  # noqa: E402
from tests.support.serve_process import ServeProcess, free_port  # noqa: E402
from tests.support.slack_sender import BOT_TOKEN, SIGNING_SECRET, SlackSender, sign  # noqa: E402

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


class SlowClients:
    """N connections dripping a never-ending request header, reconnecting when cut off."""

    def __init__(self, port: int, count: int, drip_seconds: float) -> None:
        self.port, self.count, self.drip = port, count, drip_seconds
        self.cut = 0  # connections the server closed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-slow-clients", daemon=True)

    def _open(self) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bench\r\nX-Slow: ")
        s.setblocking(False)
        return s

    def start(self) -> SlowClients:
        self._sockets = [[self._open(), time.monotonic()] for _ in range(self.count)]
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            now = time.monotonic()
            for entry in self._sockets:
                s, last = entry
                try:
                    closed = s.recv(4096) == b""
                except BlockingIOError:
                    closed = False
                except OSError:
                    closed = True
                if not closed and now - last >= self.drip:
                    try:
                        s.send(b"x")
                        entry[1] = now
                    except OSError:
                        closed = True
                if closed:
                    self.cut += 1
                    s.close()
                    try:
                        entry[0], entry[1] = self._open(), now
                    except OSError:
                        pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for s, _ in self._sockets:
            s.close()


def burst(port: int, fake: FakeSlack, n: int) -> tuple[list[float], list[str]]:
    """n signed mentions sent at once from one asyncio loop; (ack ms of each, failures)."""
    requests = []
    for i in range(n):
        channel, text = f"C{i:05d}", f"<@{BOT_USER_ID}> {QUESTIONS[i % len(QUESTIONS)]}"
        ts = fake.add_message(channel, text)
        body = json.dumps({
            "token": "legacy-verification-token", "team_id": TEAM_ID, "api_app_id": "A0BRIEFBOT",
            "event": {"type": "app_mention", "user": "U0ASKER", "text": text, "ts": ts, "channel": channel, "event_ts": ts},
            "type": "event_callback", "event_id": f"EvBURST{i:06d}", "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        })  # fmt: skip
        head = "".join(f"{k}: {v}\r\n" for k, v in sign(body).items())
        requests.append((
            f"POST /slack/events HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n{head}"
            f"Content-Length: {len(body.encode())}\r\nConnection: close\r\n\r\n{body}"
        ).encode())  # fmt: skip
    failed: list[str] = []

    async def one(i: int, raw: bytes) -> float:
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(raw)
        await writer.drain()
        response = await reader.read()  # the server closes after the response (Connection: close)
        seconds = time.perf_counter() - started
        writer.close()
        status = response.split(b" ", 2)[1] if response.count(b" ") >= 2 else b"?"
        if status != b"200":
            failed.append(f"request {i}: HTTP {status.decode(errors='replace')}")
        return seconds * 1000

    async def everything() -> list[float]:
        return list(await asyncio.gather(*(one(i, raw) for i, raw in enumerate(requests))))

    return asyncio.run(everything()), failed


class PeakSampler:
    """The highest value `read()` gives, sampled every 0.1 s from a thread of its own."""

    def __init__(self, read) -> None:
        self.read, self.value = read, read()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.value = max(self.value, self.read())

    def start(self) -> PeakSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def bot_threads() -> int:
    """Threads of the bot: not the bench's own, nor the fake Slack's (one per request it serves)."""
    return sum(1 for t in threading.enumerate() if not t.name.startswith("bench-") and "process_request" not in t.name)


def http_only(n: int, runs: int = 3) -> int:
    """The HTTP layer alone: a Bolt app whose mention listener does nothing, behind the same
    server, hit by `n` signed mentions at once, `runs` times."""
    from types import SimpleNamespace

    from slack_bolt import App
    from slack_sdk import WebClient

    with FakeSlack(token=BOT_TOKEN) as fake:  # answers the app's auth.test
        app = App(signing_secret=SIGNING_SECRET, client=WebClient(token=BOT_TOKEN, base_url=fake.api_url + "/"))
        app.event("app_mention")(lambda event: None)
        app.briefbot = SimpleNamespace(signing_secret=SIGNING_SECRET)  # what SlackHTTPServer reads
        server = SlackHTTPServer(app, "127.0.0.1", 0)
        server.start_in_thread()
        for run in range(runs):
            acks, failed = burst(server.port, fake, n)
            print(f"HTTP layer only, {n} signed mentions at once (run {run + 1}): p50 {percentile(acks, 0.5):.0f} ms, "
                  f"p99 {percentile(acks, 0.99):.0f} ms, max {max(acks):.0f} ms; {len(failed)} not HTTP 200")  # fmt: skip
        server.stop()
    return 0


def serve_threads(pid: int) -> int:
    """Threads of a process, from /proc (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("Threads:")), 0)


def process_mode(args, n: int) -> int:
    """The bot in a `briefbot serve` process of its own; Slack (the fake API, the burst, the slow
    clients) played from this one."""

    with tempfile.TemporaryDirectory() as tmp, FakeSlack(token=BOT_TOKEN) as fake:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "SLACK_", "OPENAI_"))}
        env.update(
            BRIEFBOT_DATA_DIR=tmp, BRIEFBOT_SOURCES_DIR=str(args.sources), BRIEFBOT_SLACK_BOT_TOKEN=BOT_TOKEN,
            BRIEFBOT_SLACK_SIGNING_SECRET=SIGNING_SECRET, BRIEFBOT_SLACK_API_URL=fake.api_url,
            BRIEFBOT_SLACK_QUEUE_LIMIT=str(args.queue_limit or n + 10), BRIEFBOT_LOG_LEVEL="WARNING",
            PYTHONPATH=str(PROJECT_ROOT),
        )  # fmt: skip
        t0 = time.perf_counter()
        serving = ServeProcess(env, port)
        bot = serving.proc
        try:
            serving.wait_listening(timeout=600)
        except AssertionError as exc:
            print(exc, file=sys.stderr)
            serving.stop()
            return 1
        try:
            slack = SlackSender(serving, fake)
            slack.mention("warm-up question about the action plan")
            fake.wait_calls("chat.update", 1, timeout=300)
            print(f"briefbot serve ready in {time.perf_counter() - t0:.1f}s (pid {bot.pid})", file=sys.stderr)
            threads_before = serve_threads(bot.pid)
            slow = (
                SlowClients(port, min(args.slow_clients, 1000), args.drip_seconds).start()
                if args.slow_clients
                else None
            )
            peak = PeakSampler(lambda: serve_threads(bot.pid)).start()
            if slow:
                time.sleep(min(args.drip_seconds, 12.0))
            started = time.perf_counter()
            acks, failed = burst(port, fake, n)
            sent = time.perf_counter() - started

            def settled(f: FakeSlack) -> bool:
                busy = sum(1 for c in f.calls() if "is busy" in str(c.params.get("text", "")))
                return len(f.calls("chat.update")) - 1 + busy >= n

            answered = bool(fake.wait_for(settled, timeout=600))
            all_done = time.perf_counter() - started
            peak.stop()
            cut = slow.cut if slow else 0
            if slow:
                slow.stop()
        finally:
            serving.stop()
        updates = len(fake.calls("chat.update")) - 1  # the warm-up's answer is not counted
        busy = sum(1 for c in fake.calls() if "is busy" in str(c.params.get("text", "")))
    return report(args, n, acks, failed, sent, answered, all_done, updates, busy, cut, threads_before, peak.value)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--sources", type=Path, default=PROJECT_ROOT / "sources")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument("--slow-clients", type=int, default=0)
    ap.add_argument("--drip-seconds", type=float, default=20.0)
    ap.add_argument("--queue-limit", type=int, default=None, help="the bot's queue limit (default: above --requests)")
    ap.add_argument("--burst", action="store_true", help="all requests at once, as mentions, from one asyncio loop")
    ap.add_argument("--http-only", action="store_true", help="the HTTP layer alone (no-op listener), bursts only")
    ap.add_argument("--process", action="store_true", help="the bot in a `briefbot serve` process; bursts only")
    args = ap.parse_args()
    n = max(1, min(args.requests, 5000))
    if args.http_only:
        return http_only(n)
    if args.process:
        args.burst = True
        return process_mode(args, n)

    with tempfile.TemporaryDirectory() as tmp, FakeSlack(token=BOT_TOKEN) as fake:
        settings = Settings(
            _env_file=None,
            data_dir=Path(tmp),
            sources_dir=args.sources,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=fake.api_url,
        )
        t0 = time.perf_counter()
        service = build_service(settings)
        service.ask("warm-up question about the action plan")
        print(f"service ready in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        app = create_app(settings, service)
        answerer = app.briefbot.answerer
        answerer.max_pending = args.queue_limit or n + 10  # by default, measure acks, not the "busy" turn-away
        server = SlackHTTPServer(app, "127.0.0.1", 0)
        server.start_in_thread()
        slack = SlackSender(server, fake)
        threads_before = bot_threads()
        slow = (
            SlowClients(server.port, min(args.slow_clients, 1000), args.drip_seconds).start()
            if args.slow_clients
            else None
        )
        peak = PeakSampler(bot_threads).start()
        if slow:
            time.sleep(min(args.drip_seconds, 12.0))  # the slow clients settle in (and get cut off once)

        def one(i: int) -> float:
            question = QUESTIONS[i % len(QUESTIONS)]
            if i % 2:
                reply = slack.command(question, channel=f"C{i:05d}")
            else:
                reply, _ = slack.mention(question, channel=f"C{i:05d}")
            if reply.status != 200:
                failed.append(f"request {i}: HTTP {reply.status} {reply.body[:200]}")
            return reply.seconds * 1000

        failed: list[str] = []
        started = time.perf_counter()
        if args.burst:
            result: list = []
            sender = threading.Thread(target=lambda: result.append(burst(server.port, fake, n)), name="bench-burst")
            sender.start()
            sender.join()
            acks, failed = result[0]
        else:
            with ThreadPoolExecutor(max(1, args.concurrency), thread_name_prefix="bench-sender") as pool:
                acks = list(pool.map(one, range(n)))
        sent = time.perf_counter() - started
        answered = answerer.wait_idle(timeout=600)
        all_done = time.perf_counter() - started
        updates = len(fake.calls("chat.update"))
        busy = sum(1 for c in fake.calls() if "is busy" in str(c.params.get("text", "")))
        peak.stop()
        cut = slow.cut if slow else 0
        if slow:
            slow.stop()
        server.stop()
        answerer.shutdown(timeout=10)
    return report(args, n, acks, failed, sent, answered, all_done, updates, busy, cut, threads_before, peak.value)


def report(args, n, acks, failed, sent, answered, all_done, updates, busy, cut, threads_before, threads_peak) -> int:
    figures = {
        "requests": n,
        "concurrency": n if args.burst else args.concurrency,
        "ack_ms_p50": round(percentile(acks, 0.50), 1),
        "ack_ms_p95": round(percentile(acks, 0.95), 1),
        "ack_ms_p99": round(percentile(acks, 0.99), 1),
        "ack_ms_max": round(max(acks), 1),
        "ack_ms_mean": round(statistics.mean(acks), 1),
        "acks_over_3s": sum(a > 3000 for a in acks),
        "not_200": len(failed),
        "send_seconds": round(sent, 2),
        "all_answered": answered,
        "answers_posted": updates,
        "answer_seconds_total": round(all_done, 2),
        "busy_notices": busy,
        "slow_clients": args.slow_clients,
        "slow_clients_cut_off": cut,
        "bot_threads_before": threads_before,
        "bot_threads_peak": threads_peak,
    }
    print(
        f"ack latency over {n} signed requests ({'all at once' if args.burst else f'{args.concurrency} concurrent'}): "
        f"p50 {figures['ack_ms_p50']} ms, p95 {figures['ack_ms_p95']} ms, p99 {figures['ack_ms_p99']} ms, "
        f"max {figures['ack_ms_max']} ms; {figures['acks_over_3s']} over 3 s; {len(failed)} not HTTP 200"
    )
    for line in failed[:10]:
        print("  " + line)
    print(
        f"answers posted: {updates}/{n} in {figures['answer_seconds_total']} s (acks sent in {figures['send_seconds']} s); "
        f"{busy} told busy"
    )
    print(
        f"bot threads: {threads_before} before, peak {threads_peak}; slow clients: {args.slow_clients}, "
        f"cut off {cut} times"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    return 0 if figures["acks_over_3s"] == 0 and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
