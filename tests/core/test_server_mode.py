"""The same code against a real Chroma server (`chroma run` on 127.0.0.1): ingest, ask, brief."""

from __future__ import annotations

import pytest

from briefbot.factory import build_service
from tests.chroma_server import running_chroma
from tests.conftest import make_settings

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    with running_chroma(tmp_path_factory.mktemp("chroma-server") / "db") as address:
        yield address


def test_ingest_ask_and_brief_through_the_server(chroma, tmp_path, seed_copy, embedder):
    host, port = chroma
    settings = make_settings(tmp_path / "data", seed_copy, chroma_host=host, chroma_port=port)
    service = build_service(settings, embedder=embedder)  # ingests on first use, over HTTP
    assert not (tmp_path / "data" / "chroma").exists()  # nothing embedded on local disk
    first = service.count()
    assert first > 0

    answer = service.ask("Who signed the action plan?")
    assert "Nurtleu" in answer.text and answer.sources
    assert service.ask("Who won the football world cup in 2022?").refused
    brief = service.brief("President Tokayev's visit to Pakistan")
    assert brief.section("timeline").items and brief.sources

    # a second process's view (another client) sees the same store; re-ingest changes nothing
    other = build_service(settings, embedder=embedder, ingest_if_empty=False)
    assert other.store.count() == first
    report = other.ingestor.ingest([seed_copy])
    assert (report.chunks_added, report.chunks_removed) == (0, 0)


def test_writes_from_one_client_reach_the_other_clients_lexical_index(chroma, tmp_path, seed_copy, embedder):
    host, port = chroma
    settings = make_settings(tmp_path / "d", seed_copy, chroma_host=host, chroma_port=port, collection="shared-two")
    reader = build_service(settings, embedder=embedder)
    assert reader.ask("What is the Zorblat accord?").refused
    writer = build_service(settings, embedder=embedder, ingest_if_empty=False)
    (seed_copy / "zorblat.txt").write_text(
        "Zorblat accord signed\n\nThe Zorblat accord on river water sharing was signed by both ministers in Astana.\n"
    )
    writer.ingestor.ingest([seed_copy])
    answer = reader.ask("What is the Zorblat accord?")
    assert not answer.refused and "Zorblat" in answer.text


class _AuthProxy:
    """An authenticating reverse proxy on loopback, as the docs say to put in front of `chroma run`."""

    def __init__(self, upstream: tuple[str, int], token: str) -> None:
        import http.client
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        proxy = self
        self.rejected = 0

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Authorization") != f"Bearer {token}":
                    proxy.rejected += 1
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                conn = http.client.HTTPConnection(*upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "authorization")}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_auth_token_is_sent_to_a_proxy_in_front_of_the_server(chroma, tmp_path, seed_copy, embedder):
    from briefbot.errors import StoreError

    proxy = _AuthProxy(chroma, "s3cret-token")
    try:
        without = make_settings(tmp_path / "a", seed_copy, chroma_host="127.0.0.1", chroma_port=proxy.port)
        with pytest.raises(StoreError):
            build_service(without, embedder=embedder)
        assert proxy.rejected > 0
        with_token = make_settings(
            tmp_path / "b", seed_copy, chroma_host="127.0.0.1", chroma_port=proxy.port,
            chroma_auth_token="s3cret-token", collection="behind-proxy",
        )  # fmt: skip
        service = build_service(with_token, embedder=embedder)
        assert "Nurtleu" in service.ask("Who signed the action plan?").text
    finally:
        proxy.close()
