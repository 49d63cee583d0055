"""Sends what Slack sends, signed as Slack signs it: JSON event callbacks, form-encoded slash
commands and button clicks, to the bot's HTTP endpoint (used by the bot tests and the Slack bench)."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import time
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode

from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID, FakeSlack

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token"


class Endpoint(Protocol):
    port: int
    events_path: str


def sign(body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request signature: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    base = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Reply:
    status: int
    body: str
    headers: dict[str, str]
    seconds: float

    def json(self):
        return json.loads(self.body)


_ids = itertools.count(1)


class SlackSender:
    """Sends what Slack sends: JSON event callbacks, form-encoded slash commands and button clicks."""

    def __init__(self, server: Endpoint, fake: FakeSlack) -> None:
        self.host, self.port = "127.0.0.1", server.port
        self.path = server.events_path
        self.fake = fake

    def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict | None = None,
        signed: bool = True,
        secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
    ) -> Reply:
        all_headers = {"Content-Type": content_type, "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}
        if signed:
            all_headers.update(sign(body, secret=secret, timestamp=timestamp))
        all_headers.update(headers or {})
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        started = time.perf_counter()
        connection.request("POST", self.path, body=body.encode(), headers=all_headers)
        response = connection.getresponse()
        text = response.read().decode()
        seconds = time.perf_counter() - started
        connection.close()
        return Reply(response.status, text, dict(response.getheaders()), seconds)

    # -- payloads

    def event(self, event: dict, *, event_id: str | None = None, retry: int | None = None, **kw) -> Reply:
        event_id = event_id or f"Ev{next(_ids):08d}"
        payload = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": "A0BRIEFBOT",
            "event": {"event_ts": event.get("ts", ""), **event},
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
            "event_context": "4-fake",
        }
        headers = dict(kw.pop("headers", {}) or {})
        if retry is not None:
            headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
        return self.post(json.dumps(payload), "application/json", headers=headers, **kw)

    def mention(
        self, text: str, *, channel: str = "C0GENERAL", user: str = "U0ASKER", thread_ts: str | None = None, **kw
    ) -> tuple[Reply, str]:
        """@briefbot text in a channel; returns the reply and the message's ts (seeded in the fake)."""
        full = f"<@{BOT_USER_ID}> {text}"
        ts = self.fake.add_message(channel, full, user=user, thread_ts=thread_ts)
        event = {"type": "app_mention", "user": user, "text": full, "ts": ts, "channel": channel}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event, **kw), ts

    def dm(self, text: str, *, channel: str = "D0ASKER", user: str = "U0ASKER", **kw) -> tuple[Reply, str]:
        ts = self.fake.add_message(channel, text, user=user)
        event = {"type": "message", "channel_type": "im", "user": user, "text": text, "ts": ts, "channel": channel}
        return self.event(event, **kw), ts

    def command(
        self,
        text: str,
        *,
        command: str = "/ask",
        channel: str = "C0GENERAL",
        user: str = "U0ASKER",
        trigger_id: str | None = None,
        response_key: str | None = None,
        **kw,
    ) -> Reply:
        n = next(_ids)
        form = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": "asker",
            "command": command,
            "text": text,
            "api_app_id": "A0BRIEFBOT",
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(response_key or f"cmd{n}"),
            "trigger_id": trigger_id or f"{n}.1.fake",
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded", **kw)

    def click(
        self,
        action_id: str,
        value: str,
        *,
        channel: str = "C0GENERAL",
        user: str = "U0VOTER",
        message_ts: str = "1700000001.000100",
        **kw,
    ) -> Reply:
        n = next(_ids)
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": "voter", "team_id": TEAM_ID},
            "api_app_id": "A0BRIEFBOT",
            "token": "legacy-verification-token",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
            "trigger_id": f"{n}.2.fake",
            "team": {"id": TEAM_ID, "domain": "fake"},
            "channel": {"id": channel, "name": "general"},
            "message": {"type": "message", "ts": message_ts, "bot_id": "BBRIEFBOT", "text": "answer"},
            "response_url": self.fake.response_url(f"act{n}"),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": f"feedback:{value}",
                    "value": value,
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", **kw)
