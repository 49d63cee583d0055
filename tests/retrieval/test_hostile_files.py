"""Hostile source files, ingested into real embedded Chroma: one bad file never stops the others,
front matter is parsed safely, and each problem is named, with its file, on one line."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from briefbot.factory import build_service
from retrieval.sources.loaders import load_document
from tests.conftest import PROJECT_ROOT, make_settings

GOOD = "The ferry service between Gwadar and Karachi starts in May. Officials said tickets go on sale soon."


def _bomb(levels: int = 9) -> str:
    """A YAML alias bomb: each level lists the previous one 9 times; the title is the last level."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    lines.append(f"title: *a{levels - 1}")
    return "---\n" + "\n".join(lines) + "\n---\n" + GOOD + "\n"


@pytest.fixture
def service(tmp_path, seed_copy, embedder):
    return build_service(make_settings(tmp_path / "data", seed_copy), embedder=embedder, ingest_if_empty=False)


def test_bad_front_matter_and_a_failing_file_do_not_stop_the_ingest(service, seed_copy):
    (seed_copy / "a_bad_date.md").write_text(
        "---\ntitle: Talks on rail\npublished: 2025-02-30\n---\nRail talks in Tashkent covered a new freight corridor.\n"
    )
    (seed_copy / "b_deep.md").write_text(
        "---\ntitle: " + "[" * 5000 + "\n---\nThe quokka census in Almaty found 12 animals.\n"
    )
    (seed_copy / "c_huge_int.md").write_text("---\ntitle: " + "1" * 5000 + "\n---\nA new visa desk opens in Lahore.\n")
    (seed_copy / "d_bomb.md").write_text(_bomb())
    bad_name = os.path.join(os.fsencode(seed_copy), b"e_bad\xffname.txt")
    with open(bad_name, "wb") as handle:  # a file name that is not UTF-8: its chunk ids cannot be made
        handle.write(b"Customs officers in Torkham met on Friday to discuss the border schedule.\n")
    (seed_copy / "z_last.txt").write_text(GOOD + "\n")

    warnings: list[str] = []
    report = service.ingest([seed_copy], warn=warnings.append)

    indexed = set(service.store.ids_by_source())
    assert {"000_69c16f647ae5ebe9.txt", "002_7fc1add390062dda.txt", "z_last.txt"} <= indexed
    assert {"a_bad_date.md", "b_deep.md", "c_huge_int.md", "d_bomb.md"} <= indexed  # body kept, front matter not
    assert report.files_failed == 1 and not any("bad" in s and "name" in s for s in indexed)
    assert all("\n" not in w for w in warnings)

    def warning_for(name: str) -> str:
        found = [w for w in warnings if name in w]
        assert found, f"no warning names {name}: {warnings}"
        return found[0]

    assert "2025-02-30" in warning_for("a_bad_date.md") and "ignored" in warning_for("a_bad_date.md")
    assert "nested" in warning_for("b_deep.md")
    assert "digits" in warning_for("c_huge_int.md")
    assert "aliases" in warning_for("d_bomb.md")
    assert "could not be ingested" in warning_for("name.txt") and "UnicodeEncodeError" in warning_for("name.txt")

    titles = {s.meta.source_id: s.meta for s in service.sources()}
    assert titles["a_bad_date.md"].title == "Talks on rail" and titles["a_bad_date.md"].published == ""
    assert len(titles["d_bomb.md"].title) < 200
    assert service.ask("When does the ferry service between Gwadar and Karachi start?").sources


def test_an_alias_bomb_title_is_refused_without_expanding_it(tmp_path):
    """The 9-level bomb (9**9 "lol"s) in a child capped at 1 GB of memory: refused at parse time."""
    path = tmp_path / "bomb.md"
    path.write_text(_bomb())
    assert path.stat().st_size < 600
    code = textwrap.dedent(
        f"""
        import resource, sys, time
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from pathlib import Path
        from retrieval.sources.loaders import load_document
        started = time.perf_counter()
        doc = load_document(Path({str(path)!r}), Path({str(tmp_path)!r}))
        print(round(time.perf_counter() - started, 2), len(doc.meta.title), doc.warnings)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    seconds, title_chars, warnings = result.stdout.split(" ", 2)
    assert float(seconds) < 1.0 and title_chars == "0" and "aliases" in warnings


@pytest.mark.parametrize(
    "front_matter, published",
    [
        ("published: 2025-09-10", "2025-09-10"),
        ("published: 2025-09-10T08:30:00Z", "2025-09-10"),
        ("date: September 10, 2025", "2025-09-10"),
        ("published: 2025-02-30", ""),
        ("published: !!timestamp 2025-02-30", ""),
    ],
)
def test_front_matter_dates_are_read_as_text_and_a_bad_one_is_ignored(tmp_path, front_matter, published):
    path = tmp_path / "a.md"
    path.write_text(f"---\ntitle: Rail talks\n{front_matter}\n---\n{GOOD}\n")
    doc = load_document(path, tmp_path)
    assert doc.meta.published == published
    assert bool(published) != any("a.md" in w and "ignored" in w for w in doc.warnings)


def test_oversized_front_matter_is_ignored_with_a_warning(tmp_path):
    path = tmp_path / "big.md"
    path.write_text("---\ntitle: Big\nnotes: " + "x" * 50_000 + "\n---\n" + GOOD + "\n")
    doc = load_document(path, tmp_path)
    assert doc.meta.title == "" and any("over 16,000 characters" in w for w in doc.warnings)
    assert "Gwadar" in doc.text and "xxxx" not in doc.text


def test_one_nul_byte_does_not_make_an_article_binary(tmp_path):
    path = tmp_path / "article.txt"
    path.write_bytes(
        ("Talks in Islamabad\n\n" + GOOD + " Trade rose by a third.\x00 The next round is in May.\n").encode()
    )
    doc = load_document(path, tmp_path)
    assert "Gwadar" in doc.text and "next round is in May" in doc.text and "\x00" not in doc.text
    assert any("NUL" in w and "article.txt" in w for w in doc.warnings)
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x00\x01\x02PNG\x00" * 200)  # a real share of NULs is still binary
    with pytest.raises(Exception, match="binary"):
        load_document(binary, tmp_path)


def test_an_emptied_article_loses_its_chunks_on_the_next_ingest(service, seed_copy):
    service.ingest([seed_copy])
    emptied, boilerplate = "000_69c16f647ae5ebe9.txt", "002_7fc1add390062dda.txt"
    assert {emptied, boilerplate} <= set(service.store.ids_by_source())
    (seed_copy / emptied).write_text("")
    (seed_copy / boilerplate).write_text("Leave a Comment\n\nScroll to Top\n\nShare on Facebook\n")
    warnings: list[str] = []
    report = service.ingest([seed_copy], warn=warnings.append)  # no --prune: the files are there
    assert service.count() == 0 and report.chunks_removed > 0
    assert report.files_failed == 0 and report.files_skipped == 2
    assert any(emptied in w and "removed" in w for w in warnings)
    assert any(boilerplate in w and "removed" in w for w in warnings)
    assert service.ask("Who signed the action plan?").refused


def test_a_symlink_out_of_the_sources_folder_is_not_followed(service, seed_copy, tmp_path):
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.txt").write_text("The launch codes are kept in the blue folder in Room 12.\n")
    (seed_copy / "leak.txt").symlink_to(outside / "secret.txt")
    (seed_copy / "alias.txt").symlink_to(seed_copy / "000_69c16f647ae5ebe9.txt")  # inside: followed
    warnings: list[str] = []
    report = service.ingest([seed_copy], warn=warnings.append)
    indexed = set(service.store.ids_by_source())
    assert "leak.txt" not in indexed and "alias.txt" in indexed
    assert report.files_failed == 0
    assert any("leak.txt" in w and "symbolic link" in w and "not followed" in w for w in warnings)
    assert "launch codes" not in " ".join(p.text for p in service.passages())
