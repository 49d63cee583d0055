"""The brief (or digest) as the channel's canvas: created on the first brief in a channel
(`conversations.canvases.create`), replaced on the next (`canvases.edit`, operation `replace`).

The canvas id per channel is kept in `BRIEFBOT_DATA_DIR/canvases.sqlite3`. Where the workspace
does not allow it (no `canvases:write` scope, canvases off for the team, a restricted action...)
`publish` returns None and says why in the log, once per reason, for the admin; the caller then
attaches the brief as a file as before. A channel that already has a canvas briefbot did not make
is left alone (its canvas is people's, not briefbot's to overwrite).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

GONE = {"canvas_not_found", "canvas_deleted", "file_not_found", "file_deleted"}
ADMIN_NOTE = (
    "briefs go to Slack as files, not canvases: Slack answered {error} to {method}. To get the brief as "
    "the channel's canvas, give the app the canvases:write scope (bot/manifest.yml) and reinstall it, "
    "with canvases enabled for the workspace; or set BRIEFBOT_SLACK_CANVAS=false to stop trying."
)


def inert(markdown: str) -> str:
    """Slack markup a source carries (`<!channel>`, `<@U123>`, `<http://x|click>`) shown as typed,
    never a ping or a forged link: a zero-width space after each `<`."""
    return markdown.replace("<", "<\u200b")


class Canvases:
    def __init__(self, client: WebClient, path: Path) -> None:
        self.client = client
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._told: set[str] = set()
        self._team_url: str | None = None
        with closing(sqlite3.connect(self.path, timeout=30)) as db, db:
            db.execute("CREATE TABLE IF NOT EXISTS canvases (channel TEXT PRIMARY KEY, canvas_id TEXT NOT NULL)")

    def canvas_of(self, channel: str) -> str | None:
        with self._lock, closing(sqlite3.connect(self.path, timeout=30)) as db:
            row = db.execute("SELECT canvas_id FROM canvases WHERE channel = ?", (channel,)).fetchone()
        return row[0] if row else None

    def _remember(self, channel: str, canvas_id: str | None) -> None:
        with self._lock, closing(sqlite3.connect(self.path, timeout=30)) as db, db:
            if canvas_id is None:
                db.execute("DELETE FROM canvases WHERE channel = ?", (channel,))
            else:
                db.execute("INSERT OR REPLACE INTO canvases VALUES (?, ?)", (channel, canvas_id))

    def publish(self, channel: str, markdown: str) -> str | None:
        """The channel canvas holding `markdown` (created or replaced): its link, or None when
        the workspace does not allow it (the caller falls back to a file)."""
        content = {"type": "markdown", "markdown": inert(markdown)}
        canvas_id = self.canvas_of(channel)
        try:
            if canvas_id:
                try:
                    self.client.api_call(
                        "canvases.edit",
                        json={
                            "canvas_id": canvas_id,
                            "changes": [{"operation": "replace", "document_content": content}],
                        },
                    )
                    return self.link(canvas_id)
                except SlackApiError as exc:
                    if exc.response.get("error") not in GONE:
                        raise
                    log.info("the canvas of %s is gone (%s): creating a new one", channel, exc.response.get("error"))
                    self._remember(channel, None)
            response = self.client.api_call(
                "conversations.canvases.create", json={"channel_id": channel, "document_content": content}
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            if error == "channel_canvas_already_exists":
                log.info("%s already has a canvas briefbot did not make: the brief goes as a file", channel)
            else:
                self._tell_admin(error, "canvases.edit" if canvas_id else "conversations.canvases.create")
            return None
        except Exception as exc:  # network trouble: the file still works
            log.warning("could not write the canvas in %s (%s): the brief goes as a file", channel, type(exc).__name__)
            return None
        canvas_id = str(response.get("canvas_id") or "")
        if not canvas_id:
            return None
        self._remember(channel, canvas_id)
        return self.link(canvas_id)

    def link(self, canvas_id: str) -> str:
        """https://<workspace>.slack.com/docs/<team id>/<canvas id> (from auth.test, asked once)."""
        if self._team_url is None:
            try:
                auth = self.client.auth_test()
                self._team_url = (
                    f"{str(auth.get('url') or 'https://slack.com/').rstrip('/')}/docs/{auth.get('team_id')}"
                )
            except Exception:
                return f"https://slack.com/docs/{canvas_id}"
        return f"{self._team_url}/{canvas_id}"

    def _tell_admin(self, error: str, method: str) -> None:
        level = logging.WARNING if error not in self._told else logging.INFO
        self._told.add(error)
        log.log(level, ADMIN_NOTE.format(error=error, method=method))
