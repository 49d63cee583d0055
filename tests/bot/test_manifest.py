"""The Slack app manifests match what the bot does: its commands, events, paths and API calls."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.httpserver import EVENTS_PATH

BOT_DIR = Path(__file__).resolve().parents[2] / "bot"
# Web API method -> a scope that allows it (what the bot calls, see bot/delivery.py and bot/threads.py)
NEEDED = {
    "app_mention event": "app_mentions:read",
    "chat.postMessage / chat.update / chat.postEphemeral / chat.delete": "chat:write",
    "/ask, /brief, /source": "commands",
    "files.info and the download of a file shared with the bot (/source by file)": "files:read",
    "message.im event, conversations.history in DMs": "im:history",
    "conversations.replies in channels": "channels:history",
    "files.getUploadURLExternal / files.completeUploadExternal (the /brief file, very long answers)": "files:write",
    "conversations.canvases.create / canvases.edit (the brief and digests as the channel's canvas)": "canvases:write",
}


@pytest.mark.parametrize("name", ["manifest.yml", "manifest.http.yml"])
def test_manifest_declares_what_the_bot_uses(name):
    manifest = yaml.safe_load((BOT_DIR / name).read_text(encoding="utf-8"))
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert set(NEEDED.values()) <= scopes
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/ask", "/brief", "/source"]
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    http = name == "manifest.http.yml"
    assert manifest["settings"]["socket_mode_enabled"] is (not http)
    urls = [c.get("url") for c in commands] + [
        manifest["settings"]["event_subscriptions"].get("request_url"),
        manifest["settings"]["interactivity"].get("request_url"),
    ]
    if http:
        assert all(u == f"https://YOUR-HOST{EVENTS_PATH}" for u in urls)
        assert manifest_text(name).count("YOUR-HOST") - 1 == len(urls)  # the header comment names it once
    else:
        assert urls == [None] * len(urls)


def manifest_text(name: str) -> str:
    return (BOT_DIR / name).read_text(encoding="utf-8")


def test_the_http_manifest_header_counts_the_urls_to_replace():
    words = {2: "twice", 3: "three times", 4: "four times", 5: "five times"}
    text = manifest_text("manifest.http.yml")
    assert f"replace YOUR-HOST ({words[text.count('https://YOUR-HOST')]})" in text


def test_every_manifest_command_has_a_listener(running_bot):
    manifest = yaml.safe_load((BOT_DIR / "manifest.yml").read_text(encoding="utf-8"))
    for command in manifest["features"]["slash_commands"]:
        reply = running_bot.slack.command("", command=command["command"])
        assert reply.status == 200 and "Usage:" in reply.json()["text"]
