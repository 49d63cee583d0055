"""No fetch reaches loopback, private, link-local or metadata addresses, directly or by a redirect,
unless private fetching is allowed; http(s) only. Nothing here sends a packet anywhere but
127.0.0.1: a refused address is refused before any connection is made."""

from __future__ import annotations

import pytest

from retrieval.sources.fetch import Fetcher, FetchPolicy, FetchRefused, blocked_reason, normalise_url

CLOSED = Fetcher(FetchPolicy(allow_private=False, timeout=3, total_seconds=5))


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://10.0.0.1/news", "private address (10.0.0.1)"),
        ("http://10.255.1.2:8080/", "private address"),
        ("http://192.168.1.10/", "private address"),
        ("http://172.16.5.4/", "private address"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata address"),
        ("http://169.254.10.1/", "link-local address"),
        ("http://[::1]/", "loopback address"),
        ("http://[::ffff:127.0.0.1]/", "loopback address"),
        ("http://[2002:a00:1::]/", "private address"),  # 6to4: it carries 10.0.0.1
        ("http://[2002:7f00:1::]/", "loopback address"),  # 6to4 of 127.0.0.1
        ("http://0.0.0.0/", "not a public address"),
        ("http://100.64.0.1/", "not a public address"),
        ("http://localhost/", "loopback address"),  # a name: its resolved address is checked
    ],
)
def test_private_addresses_are_refused_before_connecting(url, reason):
    with pytest.raises(FetchRefused, match="not fetched") as refused:
        CLOSED.get(url)
    assert reason in str(refused.value)


def test_the_loopback_test_server_itself_is_refused_and_never_contacted(site):
    with pytest.raises(FetchRefused, match=r"127.0.0.1 is a loopback address"):
        CLOSED.get(site.url("/article"))
    assert site.requests() == []


@pytest.mark.parametrize(
    "target, reason",
    [
        ("http://10.0.0.1/internal", "private address (10.0.0.1)"),
        ("http://169.254.169.254/latest/meta-data/iam/", "cloud metadata address"),
        ("http://localhost:{port}/article", "loopback address"),  # the same server, by a name not trusted
    ],
)
def test_a_redirect_to_a_private_address_is_refused(site, target, reason):
    """127.0.0.1 is trusted by host name here (BRIEFBOT_FETCH_ALLOW_HOSTS) so the first hop is
    made; the redirect's target is checked on its own."""
    port = site.server.server_address[1]
    site.redirect("/out", target.format(port=port))
    trusting = Fetcher(FetchPolicy(allow_hosts=frozenset({"127.0.0.1"}), timeout=3))
    with pytest.raises(FetchRefused, match="redirected to") as refused:
        trusting.get(site.url("/out"))
    assert reason in str(refused.value) and "not fetched" in str(refused.value)
    assert [path for path, _ in site.requests()] == ["/out"]  # the redirect's target was never asked


def test_a_redirect_within_a_trusted_host_is_followed(site):
    trusting = Fetcher(FetchPolicy(allow_hosts=frozenset({"127.0.0.1"}), timeout=3))
    fetched = trusting.get(site.url("/moved"))
    assert fetched.url == site.url("/article") and b"Trans-Afghan" in fetched.content


def test_too_many_redirects_are_refused(site):
    for n in range(8):
        site.redirect(f"/r{n}", f"/r{n + 1}")
    with pytest.raises(FetchRefused, match="redirects more than 5 times"):
        Fetcher(FetchPolicy(allow_private=True)).get(site.url("/r0"))


@pytest.mark.parametrize(
    "url, problem",
    [
        ("file:///etc/passwd", "not an http(s) link (scheme 'file')"),
        ("ftp://example.org/a.pdf", "not an http(s) link (scheme 'ftp')"),
        ("gopher://example.org/", "not an http(s) link"),
        ("www.example.org/news", "not an http(s) link (scheme 'none')"),
        ("http:///path", "has no host name"),
        ("http://user:secret@example.org/", "user name or password"),
    ],
)
def test_only_plain_http_links_are_fetched(url, problem):
    with pytest.raises(FetchRefused) as refused:
        CLOSED.get(url)
    assert problem in str(refused.value)


def test_a_redirect_to_another_scheme_is_refused(site):
    site.redirect("/to-file", "file:///etc/passwd")
    with pytest.raises(FetchRefused, match="scheme 'file'"):
        Fetcher(FetchPolicy(allow_private=True)).get(site.url("/to-file"))


def test_a_slow_server_is_cut_off_by_the_read_timeout():
    import socket
    import threading
    import time

    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def hold():
        conn, _ = listener.accept()
        accepted.append(conn)  # read nothing, answer nothing

    threading.Thread(target=hold, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(FetchRefused, match="timed out"):
        Fetcher(FetchPolicy(allow_private=True, timeout=1)).get(f"http://127.0.0.1:{listener.getsockname()[1]}/")
    assert time.monotonic() - started < 5
    listener.close()
    for conn in accepted:
        conn.close()


def test_addresses_and_urls():
    assert blocked_reason("93.184.216.34") is None and blocked_reason("2606:4700::6810:85e5") is None
    assert blocked_reason("fd00:ec2::254") == "the cloud metadata address"
    assert blocked_reason("fe80::1%eth0") == "a link-local address"
    assert normalise_url("HTTPS://Example.ORG:443/a?b=1#top") == "https://example.org/a?b=1"
    assert normalise_url("http://example.org") == "http://example.org/"


def test_the_connection_goes_to_the_address_that_was_checked(site):
    """A host name is resolved once, checked, and the request sent to that address with the name
    in the Host header: a second DNS answer (rebinding) has no say."""
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])  # a rebinding resolver: the second answer is private
    asked = []

    def resolver(host, port):
        asked.append(host)
        return next(answers)

    port = site.server.server_address[1]
    fetcher = Fetcher(FetchPolicy(allow_hosts=frozenset({"news.example"})), resolver=resolver)
    fetched = fetcher.get(f"http://news.example:{port}/article")
    assert b"Trans-Afghan" in fetched.content and fetched.url == f"http://news.example:{port}/article"
    assert asked == ["news.example"]  # resolved once; the connection used that answer
    assert site.requests("/article")[0][1]["host"] == f"news.example:{port}"


def test_a_redirect_to_a_file_or_javascript_link_names_the_link_given(site):
    site.redirect("/to-file", "file:///etc/passwd")
    site.redirect("/to-script", "javascript:alert(1)")
    fetcher = Fetcher(FetchPolicy(allow_private=True))
    with pytest.raises(FetchRefused) as refused:
        fetcher.get(site.url("/to-file"))
    message = str(refused.value)
    assert message.startswith(site.url("/to-file") + ": redirects to file:///etc/passwd, which is not an http(s) link")
    with pytest.raises(FetchRefused) as refused:  # was an httpx.InvalidURL traceback
        fetcher.get(site.url("/to-script"))
    assert str(refused.value).startswith(site.url("/to-script") + ": redirects to")


@pytest.mark.parametrize("declared", ["image/png", "application/octet-stream"])
def test_a_body_is_read_as_its_declared_type_says_or_refused(site, declared):
    """An HTML body declared image/png is refused (a specific type briefbot does not read); one
    declared application/octet-stream (says nothing) is sniffed and read as the page it is."""
    site.add("/thing", b"<!DOCTYPE html><html><body><p>The rail link opens in June.</p></body></html>", declared)
    fetcher = Fetcher(FetchPolicy(allow_private=True))
    if declared == "image/png":
        with pytest.raises(FetchRefused, match=r"is image/png, not something briefbot reads here"):
            fetcher.get(site.url("/thing"), accept=["html", "text", "pdf", "docx"])
    else:
        assert fetcher.get(site.url("/thing"), accept=["html"]).format == "html"
