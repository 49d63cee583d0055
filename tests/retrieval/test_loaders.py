"""Loading real files from tmp_path: formats, encodings, bad input, folder walking."""

from __future__ import annotations

import os
import pickle
import pwd
import shutil
import tempfile
from pathlib import Path

import pytest

from retrieval.errors import BadSourceFile
from retrieval.sources.loaders import LoadedDocument, iter_source_files, load_document
from tests.conftest import SEEDS

ARTICLE = "Pakistan and Kazakhstan signed an action plan on Tuesday. The visit lasted two days."


def _write(path, text: str = ARTICLE, encoding: str = "utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    return path


def _bad(path, root=None, **kw) -> BadSourceFile:
    with pytest.raises(BadSourceFile) as info:
        load_document(path, root or path.parent, **kw)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return info.value


# ---------------------------------------------------------------- formats
def test_seed_files_load_with_their_metadata(tmp_path):
    shutil.copytree(SEEDS, tmp_path / "sources")
    docs = {}
    for path, root in iter_source_files([tmp_path / "sources"]):
        doc = load_document(path, root)
        assert isinstance(doc, LoadedDocument) and doc.warnings == []
        docs[doc.meta.source_id] = doc
    first, second = docs["000_69c16f647ae5ebe9.txt"], docs["002_7fc1add390062dda.txt"]
    assert first.meta.title == "Action plan to stimulate links with Kazakhstan" and first.meta.published == ""
    assert second.meta.title == "" and second.meta.published == "2025-09-10"
    assert first.meta.dateline == second.meta.dateline == "ISLAMABAD"
    assert "Scroll to Top" not in first.text and "Kazakhstan DPM/FM arrives" not in second.text
    assert first.text.endswith("strengthen stronger connectivity to South Asia and beyond.")


def test_markdown_front_matter_wins_and_markup_is_removed(tmp_path):
    path = _write(tmp_path / "news" / "plan.md", (
        "---\n"
        "title: Pakistan, Kazakhstan sign action plan\n"
        "source: Dawn\n"
        "url: https://www.dawn.example/news/1\n"
        "published: 2025-09-11\n"
        "---\n"
        "# Action plan to stimulate links\n\n"
        "date 2025-09-10\n\n"
        "ISLAMABAD: Pakistan and **Kazakhstan** signed an [action plan](https://x.example/p) on Tuesday.\n\n"
        "## Background\n\n"
        "> The visit is a *prelude* to President Tokayev's trip.\n\n"
        "![photo](img.jpg)\n"
    ))  # fmt: skip
    doc = load_document(path, tmp_path)
    assert doc.meta.source_id == "news/plan.md"
    assert doc.meta.title == "Pakistan, Kazakhstan sign action plan"
    assert (doc.meta.outlet, doc.meta.url, doc.meta.published) == (
        "Dawn",
        "https://www.dawn.example/news/1",
        "2025-09-11",
    )
    assert doc.meta.dateline == "ISLAMABAD"
    assert doc.text == (
        "Pakistan and Kazakhstan signed an action plan on Tuesday.\n\n"
        "The visit is a prelude to President Tokayev's trip."
    )
    assert doc.warnings == []


def test_markdown_without_front_matter_takes_metadata_from_the_text(tmp_path):
    path = _write(tmp_path / "plain.md", "# Action plan signed\n\nPublished: 10 Sep 2025\n\n" + ARTICLE)
    doc = load_document(path, tmp_path)
    assert (doc.meta.title, doc.meta.published) == ("Action plan signed", "2025-09-10")
    assert doc.text == ARTICLE


def test_broken_front_matter_is_reported_and_not_left_in_the_text(tmp_path):
    path = _write(tmp_path / "broken.md", "---\ntitle: [unclosed\n---\n" + ARTICLE)
    doc = load_document(path, tmp_path)
    assert doc.text == ARTICLE and doc.meta.title == ""
    assert len(doc.warnings) == 1 and "broken.md" in doc.warnings[0] and "YAML" in doc.warnings[0]


def test_unreadable_front_matter_date_is_reported_and_left_empty(tmp_path):
    path = _write(tmp_path / "when.md", "---\ndate: sometime last week\n---\n" + ARTICLE)
    doc = load_document(path, tmp_path)
    assert doc.meta.published == ""
    assert len(doc.warnings) == 1 and "when.md" in doc.warnings[0] and "sometime last week" in doc.warnings[0]


def test_text_file_with_a_dash_line_that_is_not_front_matter_is_kept(tmp_path):
    path = _write(tmp_path / "dashes.txt", "---\nThe talks, in short, went well.\n---\n" + ARTICLE)
    doc = load_document(path, tmp_path)
    assert "The talks, in short, went well." in doc.text and doc.warnings == []


HTML_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>Pakistan and Kazakhstan sign action plan | Daily Example</title>
<meta property="og:site_name" content="Daily Example">
<meta property="og:url" content="https://example.com/news/action-plan">
<meta property="article:published_time" content="2025-09-10T09:30:00+05:00">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World news</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies</div>
<article>
<h1>Pakistan and Kazakhstan sign action plan</h1>
<p>ISLAMABAD: Pakistan and Kazakhstan on Tuesday signed an action plan of cooperation as the two countries resolved to deepen political and economic ties.</p>
<p>The action plan provides a structured roadmap for intensified engagement in diverse fields, including trade, energy and culture.</p>
<div class="share">Share this: <a href="#">Share on Facebook</a> <a href="#">Share on Twitter</a> <a href="#">Print</a></div>
<p>The two sides also agreed to prepare for the visit of the Kazakh President to Pakistan in November 2025.</p>
</article>
<aside class="related"><h3>Related</h3><ul><li><a href="/a">Kazakhstan DPM/FM arrives in Islamabad</a></li></ul></aside>
<section id="comments"><h3>Leave a Comment</h3>
<p>Your email address will not be published. Required fields are marked *</p>
<div class="comment"><p>Great article, thanks for sharing this with all of us readers out there!</p></div>
<form><label>Name *</label><input name="author"><label>Email *</label><input name="email"></form>
</section>
<footer><p>Copyright 2025 Daily Example. All rights reserved.</p><a href="#top">Scroll to Top</a></footer>
</body></html>
"""


def test_html_main_text_is_kept_and_page_furniture_dropped(tmp_path):
    path = _write(tmp_path / "page.html", HTML_PAGE)
    doc = load_document(path, tmp_path)
    assert doc.text.split("\n\n") == [
        "Pakistan and Kazakhstan on Tuesday signed an action plan of cooperation as the two countries "
        "resolved to deepen political and economic ties.",
        "The action plan provides a structured roadmap for intensified engagement in diverse fields, "
        "including trade, energy and culture.",
        "The two sides also agreed to prepare for the visit of the Kazakh President to Pakistan in November 2025.",
    ]
    for furniture in (
        "World news",
        "cookies",
        "Share",
        "Leave a Comment",
        "Great article",
        "Copyright",
        "Scroll",
        "DPM/FM",
    ):
        assert furniture not in doc.text
    assert doc.meta.title == "Pakistan and Kazakhstan sign action plan"
    assert (doc.meta.outlet, doc.meta.url, doc.meta.published) == (
        "Daily Example", "https://example.com/news/action-plan", "2025-09-10"
    )  # fmt: skip
    assert doc.meta.dateline == "ISLAMABAD"


def test_html_page_without_a_date_gets_none_invented(tmp_path):
    page = HTML_PAGE.replace('<meta property="article:published_time" content="2025-09-10T09:30:00+05:00">', "")
    doc = load_document(_write(tmp_path / "nodate.htm", page), tmp_path)
    assert doc.meta.published == ""


def test_html_page_with_only_navigation_is_bad(tmp_path):
    path = _write(
        tmp_path / "nav.html", "<html><body><nav><a href='/'>Home</a> <a href='/x'>About us</a></nav></body></html>"
    )
    _bad(path)


# ---------------------------------------------------------------- bad input
def test_empty_and_whitespace_only_files(tmp_path):
    assert "empty" in _bad(_write(tmp_path / "empty.txt", "")).problem
    assert "whitespace" in _bad(_write(tmp_path / "blank.txt", " \n\n\t ")).problem


def test_only_boilerplate_is_empty_after_cleaning(tmp_path):
    path = _write(tmp_path / "furniture.txt", "Leave a Comment\n\nScroll to Top\n\nShare on Facebook\n")
    assert "no article text" in _bad(path).problem


def test_binary_files(tmp_path):
    nul = tmp_path / "image.txt"
    nul.write_bytes(b"\x00\x01\x02PNG\x00" * 200)
    assert "binary" in _bad(nul).problem
    pdf = tmp_path / "report.txt"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n")
    assert "PDF" in _bad(pdf).problem
    noise = tmp_path / "noise.md"
    noise.write_bytes(bytes(range(1, 32)) * 40)
    assert "not text" in _bad(noise).problem


def test_latin1_and_cp1252_files_are_decoded_with_a_warning(tmp_path):
    latin = tmp_path / "latin1.txt"
    latin.write_bytes(
        "Caf\xe9 talks in Islamabad covered the r\xe9sum\xe9 of trade deals signed on Monday.".encode("latin-1")
    )
    doc = load_document(latin, tmp_path)
    assert doc.text == "Café talks in Islamabad covered the résumé of trade deals signed on Monday."
    assert len(doc.warnings) == 1 and "latin1.txt" in doc.warnings[0] and "decoded as cp1252" in doc.warnings[0]

    quotes = tmp_path / "quotes.txt"
    quotes.write_bytes(
        "Dar called it \u201ca new level\u201d of ties \u2013 the minister\u2019s words.".encode("cp1252")
    )
    assert load_document(quotes, tmp_path).text == "Dar called it “a new level” of ties – the minister’s words."


def test_cyrillic_in_a_legacy_code_page_is_not_read_as_western(tmp_path):
    path = tmp_path / "ru.txt"
    path.write_bytes("Министр иностранных дел Пакистана прибыл в Астану для переговоров о торговле.".encode("cp1251"))
    doc = load_document(path, tmp_path)
    assert doc.text.startswith("Министр иностранных дел") and "cp1251" in doc.warnings[0]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be-bom", "utf-32"])
def test_utf16_and_utf32_with_byte_order_mark(tmp_path, encoding):
    path = tmp_path / "wide.txt"
    if encoding == "utf-16-be-bom":
        path.write_bytes(b"\xfe\xff" + ARTICLE.encode("utf-16-be"))
    else:
        path.write_bytes(ARTICLE.encode(encoding))  # Python writes the byte-order mark
    doc = load_document(path, tmp_path)
    assert doc.text == ARTICLE
    assert len(doc.warnings) == 1 and "wide.txt" in doc.warnings[0] and "UTF-" in doc.warnings[0]


def test_utf16_without_byte_order_mark_is_recognised(tmp_path):
    path = tmp_path / "nobom.txt"
    path.write_bytes(ARTICLE.encode("utf-16-le"))
    doc = load_document(path, tmp_path)
    assert doc.text == ARTICLE and "UTF-16" in doc.warnings[0]


def test_utf8_with_byte_order_mark_is_plain_utf8(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + ARTICLE.encode("utf-8"))
    doc = load_document(path, tmp_path)
    assert doc.text == ARTICLE and doc.warnings == []


def test_a_folder_is_not_a_document(tmp_path):
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    assert "folder" in _bad(folder).problem


def test_missing_file_and_broken_symlink(tmp_path):
    assert "no such file" in _bad(tmp_path / "gone.txt").problem
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "nowhere.txt")
    assert "broken symbolic link" in _bad(link).problem


def test_permission_denied(tmp_path):
    if os.geteuid() != 0:
        path = _write(tmp_path / "secret.txt")
        path.chmod(0)
        try:
            assert "permission denied" in _bad(path).problem
        finally:
            path.chmod(0o644)
        return
    # root reads anything: drop to an unprivileged user in a forked child (no exec needed)
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("running as root and there is no 'nobody' user to drop to")
    folder = Path(tempfile.mkdtemp(prefix="briefbot-perm-"))
    try:
        folder.chmod(0o755)
        path = _write(folder / "secret.txt")
        path.chmod(0)
        message = _load_in_child_as(nobody, path)
        assert str(path) in message and "permission denied" in message and "\n" not in message
    finally:
        shutil.rmtree(folder)


def _load_in_child_as(user, path) -> str:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        try:
            os.close(read_end)
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
            try:
                load_document(path, path.parent)
                result = "loaded"
            except BadSourceFile as exc:
                result = str(exc)
            os.write(write_end, result.encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        out = pipe.read().decode()
    os.waitpid(pid, 0)
    return out


def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert "regular file" in _bad(fifo).problem


def test_file_over_the_size_limit(tmp_path):
    path = _write(tmp_path / "big.txt", ARTICLE * 10)
    size = path.stat().st_size
    error = _bad(path, max_bytes=size - 1)
    assert "over the" in error.problem and f"{size:,} bytes" in str(error)
    assert load_document(path, tmp_path, max_bytes=size).text  # exactly at the limit is fine


def test_bad_source_file_survives_pickling():
    error = pickle.loads(pickle.dumps(BadSourceFile("a/b.txt", "is empty", "add text")))
    assert str(error) == "a/b.txt: is empty; add text" and error.problem == "is empty"


# ---------------------------------------------------------------- finding files
def test_iter_source_files_sorted_hidden_skipped_supported_only(tmp_path):
    root = tmp_path / "sources"
    for name in ("b.txt", "a.md", "sub/c.html", "sub/deeper/d.htm", "notes.xlsx", ".hidden.txt", ".git/e.txt", "Z.TXT"):
        _write(root / name, HTML_PAGE if name.endswith(("html", "htm")) else ARTICLE)
    items = list(iter_source_files([root]))
    assert [(p.relative_to(root).as_posix(), r) for p, r in items] == [
        ("Z.TXT", root), ("a.md", root), ("b.txt", root), ("sub/c.html", root), ("sub/deeper/d.htm", root)
    ]  # fmt: skip
    assert load_document(*items[3]).meta.source_id == "sub/c.html"


def test_a_file_given_directly_has_its_parent_as_root_and_is_listed_once(tmp_path):
    path = _write(tmp_path / "sources" / "one.txt")
    items = list(iter_source_files([path, tmp_path / "sources", str(path)]))
    assert items == [(path, path.parent)]
    assert load_document(*items[0]).meta.source_id == "one.txt"


def test_unusable_paths_are_yielded_as_errors_and_the_rest_still_come(tmp_path):
    good = _write(tmp_path / "good.txt")
    pdf = _write(tmp_path / "paper.doc")
    link = tmp_path / "dangling.txt"
    link.symlink_to(tmp_path / "nowhere.txt")
    items = list(iter_source_files([tmp_path / "missing.txt", pdf, link, good]))
    errors = [i for i in items if isinstance(i, BadSourceFile)]
    assert [e.path.name for e in errors] == ["missing.txt", "paper.doc", "dangling.txt"]
    assert "no such file" in errors[0].problem and "unsupported file type '.doc'" in errors[1].problem
    assert "broken symbolic link" in errors[2].problem
    assert items[-1] == (good, tmp_path)


def test_on_error_callback_receives_errors_and_only_files_are_yielded(tmp_path):
    good = _write(tmp_path / "good.txt")
    errors: list[BadSourceFile] = []
    items = list(iter_source_files([tmp_path / "missing", good], on_error=errors.append))
    assert items == [(good, tmp_path)] and [e.path.name for e in errors] == ["missing"]


def test_broken_symlink_inside_a_folder_is_reported_when_loaded(tmp_path):
    _write(tmp_path / "a.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "nowhere.txt")
    loaded, errors = [], []
    for path, root in iter_source_files([tmp_path]):
        try:
            loaded.append(load_document(path, root).meta.source_id)
        except BadSourceFile as exc:
            errors.append(str(exc))
    assert loaded == ["a.txt"] and len(errors) == 1 and "b.txt" in errors[0] and "broken" in errors[0]


def test_a_bad_file_among_good_ones_does_not_stop_the_rest(tmp_path):
    _write(tmp_path / "a.txt")
    (tmp_path / "b.txt").write_bytes(b"")
    (tmp_path / "c.txt").write_bytes(b"\x00\x01" * 50)
    _write(tmp_path / "d.md")
    loaded, errors = [], []
    for path, root in iter_source_files([tmp_path]):
        try:
            loaded.append(load_document(path, root).meta.source_id)
        except BadSourceFile as exc:
            errors.append(exc.path.name)
    assert loaded == ["a.txt", "d.md"] and errors == ["b.txt", "c.txt"]
