"""`briefbot` command line. The one place where core errors become exit codes and messages."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import re
import sys
from pathlib import Path

from briefbot.answer import Answer
from briefbot.errors import EXPECTED_ERRORS, InvalidQuestion
from briefbot.formatting import mode_label, source_line
from briefbot.service import clean_question, clean_topic
from briefbot.settings import Settings
from briefbot.watches import WatchStore, date_start
from retrieval.index.sets import BadSetName, set_name
from retrieval.types import SearchFilters

log = logging.getLogger("briefbot")

# Exit codes (README, "Exit codes"): 0 done, 1 error (store, settings...), 2 bad command-line input,
# 3 ingest finished but some files could not be ingested (each named on stderr), 130 interrupted.
EXIT_SOME_FILES_FAILED = 3


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    undecodable = _undecodable_text(args)
    if undecodable:
        print(
            f"briefbot: the {undecodable} is not valid UTF-8 text; check the terminal's or the "
            "script's encoding (e.g. LANG=C.UTF-8) and type it again",
            file=sys.stderr,
        )
        return 2
    try:
        settings = Settings()
    except Exception as exc:  # pydantic validation of .env/environment
        print(f"briefbot: bad setting: {exc}", file=sys.stderr)
        return 2
    _configure_logging(settings.log_level)
    try:
        return args.run(args, settings)
    except InvalidQuestion as exc:
        print(f"briefbot: {exc}", file=sys.stderr)
        return 2
    except EXPECTED_ERRORS as exc:
        print(f"briefbot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("briefbot: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="briefbot", description="Cited briefings from news articles.")
    sub = p.add_subparsers(dest="command")

    ing = sub.add_parser("ingest", help="index source files and links (default: the sources folder)")
    ing.add_argument(
        "paths",
        nargs="*",
        metavar="PATH_OR_URL",
        help="files or folders (.txt .md .html .pdf .docx), or http(s) links to articles",
    )
    ing.add_argument("--feed", action="append", default=[], metavar="URL", help="an RSS or Atom feed: ingest its items")
    ing.add_argument("--prune", action="store_true", help="drop chunks of files no longer present")
    ing.add_argument(
        "--rebuild", action="store_true", help="index anew into a new collection, swapped in when complete"
    )
    ing.add_argument("--no-progress", action="store_true")
    ing.add_argument(
        "--set",
        dest="source_set",
        type=_set_name,
        metavar="NAME",
        help="put these sources in set NAME (default: the set a `set-NAME` folder names, else public)",
    )
    ing.set_defaults(run=_ingest)

    watch = sub.add_parser("watch", help="poll RSS/Atom feeds (BRIEFBOT_FEEDS) and ingest new items")
    watch.add_argument("feeds", nargs="*", metavar="URL", help="feeds to poll (default: BRIEFBOT_FEEDS)")
    watch.add_argument("--once", action="store_true", help="poll each feed once, then exit")
    watch.add_argument("--interval", type=float, help="seconds between polls (default BRIEFBOT_FEED_INTERVAL_SECONDS)")
    watch.set_defaults(run=_watch)

    ask = sub.add_parser("ask", help="answer a question with citations")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the answer structure as JSON")
    _filter_args(ask)
    _sets_arg(ask)
    ask.set_defaults(run=_ask)

    brief = sub.add_parser("brief", help="a structured, cited pre-visit brief on a topic")
    brief.add_argument("topic")
    brief.add_argument("--out", type=Path, help="also write the Markdown brief to this file")
    brief.add_argument("--json", action="store_true", help="print the brief structure as JSON")
    brief.add_argument(
        "--since", type=_iso_date, metavar="YYYY-MM-DD", help="what's new: only sources ingested since that day"
    )
    brief.add_argument("--full", action="store_true",
                       help="also print, after the sources, the wording notes and what the brief left out")  # fmt: skip
    _sets_arg(brief)
    brief.set_defaults(run=_brief)

    wt = sub.add_parser("watch-topic", help="watched topics: a channel's digest of what's new (docs/digests.md)")
    wt_sub = wt.add_subparsers(dest="action", required=True)
    wt_add = wt_sub.add_parser("add", help="watch a topic in a Slack channel")
    wt_add.add_argument("channel", help="the Slack channel ID, e.g. C0123ABCD")
    wt_add.add_argument("topic")
    when = wt_add.add_mutually_exclusive_group()
    when.add_argument("--weekly", action="store_true", help="a digest a week (default: a day)")
    when.add_argument("--until", type=_iso_date, metavar="YYYY-MM-DD", help="daily, up to that day")
    _sets_arg(wt_add)
    wt_list = wt_sub.add_parser("list", help="the watched topics (of one channel)")
    wt_list.add_argument("channel", nargs="?")
    wt_rm = wt_sub.add_parser("remove", help="stop watching a topic in a channel")
    wt_rm.add_argument("channel")
    wt_rm.add_argument("topic")
    wt.set_defaults(run=_watch_topic)

    src = sub.add_parser("sources", help="list what is indexed")
    src.add_argument("--json", action="store_true")
    _sets_arg(src)
    src.set_defaults(run=_sources)

    ev = sub.add_parser("eval", help="score the pipeline on a question set (dev JSONL or MultiHop-RAG)")
    ev.add_argument("questions", nargs="?", type=Path,
                    help="dev-format questions, or an open-question set with nuggets (JSON Lines)")  # fmt: skip
    ev.add_argument("--corpus", type=Path, help="MultiHop-RAG corpus JSON (ingested into its own collection)")
    ev.add_argument("--queries", type=Path, help="MultiHop-RAG queries JSON")
    ev.add_argument("--limit", type=int, help="only the first N questions")
    ev.add_argument("--out", type=Path, help="JSON report path (default: <data_dir>/eval-<timestamp>.json)")
    ev.set_defaults(run=_eval)

    serve = sub.add_parser("serve", help="run the Slack bot (Socket Mode or HTTP)")
    serve.add_argument("--port", type=int, default=None, help="HTTP port (default BRIEFBOT_SLACK_PORT, 3000)")
    serve.add_argument("--host", default=None, help="HTTP address (default BRIEFBOT_SLACK_HOST, 127.0.0.1)")
    serve.set_defaults(run=_serve)
    return p


def _filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", help="only this source (file name, outlet or title fragment)")
    p.add_argument("--since", type=_iso_date, help="only articles dated on or after YYYY-MM-DD")
    p.add_argument("--until", type=_iso_date, help="only articles dated on or before YYYY-MM-DD")


def _sets_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        dest="sets",
        type=_set_names,
        action="append",
        metavar="NAME[,NAME]",
        help="only sources in these sets (repeat or comma-separate; default: every set)",
    )


def _set_name(text: str) -> str:
    try:
        return set_name(text)
    except BadSetName as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _set_names(text: str) -> list[str]:
    names = [_set_name(part) for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give a set name, e.g. --set public")
    return names


def _sets_of(args) -> frozenset[str] | None:
    """--set values, or None (every set) when not given."""
    return None if not args.sets else frozenset(name for names in args.sets for name in names)


def _iso_date(text: str) -> str:
    """--since/--until: a real calendar date written YYYY-MM-DD, else a usage error (exit 2)."""
    shown = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, re.ASCII):
        raise argparse.ArgumentTypeError(f"'{shown}' is not a date: use YYYY-MM-DD, e.g. 2025-09-01")
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{shown}' is not a date on the calendar: use YYYY-MM-DD") from None
    return text


_TEXT_ARGUMENTS = {"question": "question", "topic": "topic", "source": "--source value"}


def _undecodable_text(args: argparse.Namespace) -> str | None:
    """The name of a text argument the shell passed as bytes that are not UTF-8 (Python keeps
    them as lone surrogates, which no tokenizer or JSON encoder accepts), else None."""
    for attr, name in _TEXT_ARGUMENTS.items():
        value = getattr(args, attr, None)
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return name
    return None


def _service(settings: Settings):
    from briefbot.factory import build_service

    return build_service(settings)


_LINK = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)", re.I)


def _ingest(args, settings: Settings) -> int:
    from briefbot.factory import build_intake, build_service
    from briefbot.intake import SourceNotAdded

    if any(not a.strip() for a in args.paths):
        print("briefbot: an empty path was given (an unset variable?); name a file, folder or link", file=sys.stderr)
        return 2
    links = [a for a in args.paths if _LINK.match(a)]
    paths = [Path(a) for a in args.paths if not _LINK.match(a)]
    if (links or args.feed) and args.rebuild:
        print("briefbot: --rebuild rebuilds from files only; ingest links and feeds after it", file=sys.stderr)
        return 2
    if not (paths or links or args.feed):
        paths = [Path(settings.sources_dir)]
    service = build_service(settings, ingest_if_empty=False, check_model=not args.rebuild)
    warn = lambda m: print(f"warning: {m}", file=sys.stderr)  # noqa: E731
    failed = 0
    if paths:
        report = service.ingest(
            paths,
            prune=args.prune,
            rebuild=args.rebuild,
            warn=warn,
            progress=False if args.no_progress else None,
            source_set=args.source_set,
        )
        rate = report.chunks_added / report.seconds if report.seconds else 0.0
        note = f" ({report.files_failed} failed)" if report.files_failed else ""
        print(
            f"{report.files_seen} files: {report.files_indexed} indexed, {report.files_unchanged} unchanged, "
            f"{report.files_skipped} skipped{note}; chunks +{report.chunks_added} -{report.chunks_removed}"
            f"{f' ({report.chunks_relabelled} labelled with their set)' if report.chunks_relabelled else ''}, "
            f"{report.chunks_total} in store ({report.seconds:.1f}s, {rate:.0f} chunks/s)"
        )
        failed += report.files_failed
    if links or args.feed:
        intake = build_intake(settings, service)
    if links:
        report = service.ingest_documents(intake.link_sources(links), warn=warn, source_set=args.source_set)
        _print_added(report)
        print(_summary(f"{len(links)} links", report))
        failed += report.files_failed
    for url in args.feed:
        try:
            result = intake.ingest_feed(url, only_new=False, warn=warn, source_set=args.source_set)
        except SourceNotAdded as exc:
            warn(str(exc))
            failed += 1
            continue
        _print_added(result.report)
        print(
            _summary(
                f"feed {result.title or result.url}: {len(result.report.sources) + result.report.files_skipped} items",
                result.report,
            )
        )
        failed += result.report.files_failed
    if failed:
        print(f"briefbot: {failed} source(s) could not be ingested (named above); the others were.", file=sys.stderr)
        return EXIT_SOME_FILES_FAILED
    return 0


def _summary(what: str, report) -> str:
    note = f" ({report.files_failed} failed)" if report.files_failed else ""
    return (
        f"{what}: {report.files_indexed} indexed, {report.files_unchanged} unchanged, {report.files_skipped} skipped"
        f"{note}; chunks +{report.chunks_added} -{report.chunks_removed}, {report.chunks_total} in store"
    )


def _print_added(report) -> None:
    for source in report.sources:
        if source.changed:
            print(f"indexed: {_describe(source.meta)} ({source.chunks} chunks)")


def _describe(meta) -> str:
    parts = [
        meta.title or "(no title)",
        meta.outlet,
        meta.published or "undated",
        meta.kind,
        meta.url or meta.source_id,
    ]
    return " · ".join(_cell(p) for p in parts if p)


def _watch(args, settings: Settings) -> int:
    import signal
    import threading

    from briefbot.factory import build_intake, build_service

    feeds = args.feeds or settings.feeds
    if not feeds:
        print(
            "briefbot: no feeds to watch: set BRIEFBOT_FEEDS=URL,URL or give them: briefbot watch URL", file=sys.stderr
        )
        return 2
    interval = args.interval if args.interval is not None else settings.feed_interval_seconds
    service = build_service(settings, ingest_if_empty=False)
    intake = build_intake(settings, service)
    stop = threading.Event()
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if main_thread else None
    try:
        return _poll_feeds(intake, feeds, interval, once=args.once, stop=stop)
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def _poll_feeds(intake, feeds: list[str], interval: float, *, once: bool, stop) -> int:
    watch_log = logging.getLogger("briefbot.watch")
    watch_log.info("watching %d feed(s) every %g s", len(feeds), interval)
    failed = 0
    while True:
        for url in feeds:
            try:
                result = intake.ingest_feed(url, warn=lambda m: watch_log.warning("%s", m))
            except EXPECTED_ERRORS as exc:  # the feed itself (or the store's lock): tried again next poll
                watch_log.warning("%s", exc)
                failed += 1
                continue
            if result.not_modified:
                watch_log.info("feed %s: not modified", result.url)
                continue
            added = result.added
            watch_log.info(
                "feed %s: %d new item(s) added%s", result.title or result.url, len(added),
                "".join(f"\n  + {_describe(s.meta)} ({s.chunks} chunks)" for s in added),
            )  # fmt: skip
            failed += result.report.files_failed
        if once or stop.wait(interval):
            break
    return EXIT_SOME_FILES_FAILED if failed and once else 0


def _ask(args, settings: Settings) -> int:
    clean_question(args.question, settings.max_question_chars)  # a bad question fails before any set-up
    filters = SearchFilters(source=args.source, since=args.since, until=args.until)
    answer = _service(settings).ask(args.question, filters=filters, sets=_sets_of(args))
    print(answer.to_json() if args.json else format_answer(answer))
    return 0


def _brief(args, settings: Settings) -> int:
    clean_topic(args.topic, settings.max_question_chars)
    if args.since:
        digest = _service(settings).whats_new(args.topic, since=date_start(args.since), sets=_sets_of(args))
        markdown = digest.to_markdown()
        if args.out:
            args.out.write_text(markdown, encoding="utf-8")
        print(digest.model_dump_json(indent=2) if args.json else markdown)
        return 0
    brief = _service(settings).brief(args.topic, sets=_sets_of(args))
    markdown = brief.to_markdown(full=args.full)
    if args.out:  # the file has it all
        args.out.write_text(brief.to_markdown(full=True), encoding="utf-8")
        print(f"brief written to {args.out}", file=sys.stderr)
    print(brief.model_dump_json(indent=2) if args.json else markdown)
    return 0


def _watch_topic(args, settings: Settings) -> int:
    """`briefbot watch-topic add|list|remove`: the watches `serve` posts digests for. `add` starts
    counting at the newest source now in the store, in the sets given (default: every set; the
    digest itself always reads the channel's sets, as its answers do)."""
    store = WatchStore(settings.watches_file)
    if args.action == "list":
        rows = store.all(args.channel)
        for w in rows:
            print(f"{w.id}\t{w.channel}\t{w.topic}\t{w.schedule}\tdone up to period {w.period or '-'}")
        if not rows:
            print("no watched topics", file=sys.stderr)
        return 0
    if args.action == "remove":
        if not store.remove(args.channel, args.topic):
            print(f"briefbot: no watch on '{args.topic}' in {args.channel}", file=sys.stderr)
            return 1
        print(f"stopped watching '{args.topic}' in {args.channel}")
        return 0
    since = _service(settings).ingested_until(sets=_sets_of(args))
    watch = store.add(args.channel, args.topic, "weekly" if args.weekly else "daily", until=args.until or "",
                      since=since, now=dt.datetime.now())  # fmt: skip
    print(f"watching '{watch.topic}' in {watch.channel}: {watch.schedule}, from {settings.digest_hour}:00")
    return 0


def _sources(args, settings: Settings) -> int:
    rows = _service(settings).sources(sets=_sets_of(args))
    if args.json:
        print(json.dumps([{**r.meta.__dict__, "chunks": r.chunks} for r in rows], indent=2))
        return 0
    if not rows:
        print("Nothing indexed yet: run `briefbot ingest`.")
    for r in rows:
        m = r.meta
        cells = (
            m.source_id, m.title or "(no title)", m.outlet or "(no outlet)", m.published or "(no date)",
            m.kind or "file", f"{r.chunks} chunks", m.url or "-", m.source_set,
        )  # fmt: skip
        print("\t".join(map(_cell, cells)))
    return 0


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _cell(text: str) -> str:
    """One field of a tab-separated line: a tab or line break in a file name or title is shown
    escaped (\\t, \\n), so each source stays one line of five fields."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _eval(args, settings: Settings) -> int:
    from briefbot import evaluation
    from briefbot.evaluation import nuggets

    if args.questions and nuggets.is_open_set(args.questions):  # key points: open questions, briefs
        summary, results = evaluation.run_open(settings, args.questions, corpus=args.corpus, limit=args.limit)
        print(nuggets.format_open_table(summary))
        out = args.out or evaluation.default_out(settings.data_dir)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"summary": summary, "questions": nuggets.results_json(results)}, indent=2,
                                  ensure_ascii=False), encoding="utf-8")  # fmt: skip
        print(f"report written to {out}", file=sys.stderr)
        return 0
    report = evaluation.run(
        settings, questions=args.questions, corpus=args.corpus, queries=args.queries, limit=args.limit
    )
    print(evaluation.format_table(report))
    out = evaluation.write_report(report, args.out or evaluation.default_out(settings.data_dir))
    print(f"report written to {out}", file=sys.stderr)
    return 0


def _serve(args, settings: Settings) -> int:
    """The Slack bot lives above the core: its `serve` command is found through the package's
    `briefbot.commands` entry point, so the core never imports the bot."""
    from importlib.metadata import entry_points

    found = entry_points(group="briefbot.commands", name="serve")
    if not found:
        print("briefbot: the Slack bot is not installed with this briefbot; reinstall it (make setup)", file=sys.stderr)
        return 1
    command = next(iter(found)).load()
    return command(args.port, args.host, settings)


def format_answer(answer: Answer) -> str:
    if answer.points and not answer.refused:  # a lead, then its key points as a list
        lead = [s.rendered() for s in answer.sentences if s.kind != "point"]
        lines = [" ".join(lead)] + [f"  - {p.rendered()}" for p in answer.points]
    else:
        lines = [answer.text]
    if answer.refused and answer.related_topics:
        lines.append("Closest topics the sources cover: " + "; ".join(answer.related_topics))
    if answer.sources:
        lines += ["", "Sources"]
        for s in answer.sources:
            lines.append(source_line(s))
    if answer.freshness:
        lines += ["", answer.freshness]
    if answer.note:
        lines += ["", answer.note]
    lines += ["", f"({mode_label(answer.mode, answer.model)})"]
    return "\n".join(lines)


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in (
        "httpx",
        "httpcore",
        "pypdf",
        "chromadb",
        "sentence_transformers",
        "urllib3",
        "transformers",
        "bm25s",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
