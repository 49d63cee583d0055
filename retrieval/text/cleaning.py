"""Scraped article text -> (what the article says about itself, its clean body text).

Scrapes carry page furniture (comment forms, share buttons, "Scroll to Top", newsletter and
cookie prompts, related-headline links, agency credit lines) and metadata written as text (a title
line, "date 2025-09-10", "Published: September 10, 2025", an "ISLAMABAD:" dateline). The furniture
is removed; the metadata is moved into a DocumentMeta. Nothing is guessed: a field the text does
not carry stays empty. Front matter (from a .md file or an HTML page's own metadata) wins.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from retrieval.types import DocumentMeta

# ---------------------------------------------------------------- dates
_MONTHS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
         ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
         ("oct", "october"), ("nov", "november"), ("dec", "december")],
        start=1,
    )
    for name in names
}  # fmt: skip
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
_TIME = r"(?:[T ]\d{1,2}:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)"
_DATE = (
    rf"(?:(?P<iy>{_YEAR})[-/](?P<im>\d{{1,2}})[-/](?P<id>\d{{1,2}}){_TIME}?"
    rf"|(?P<mm>{_MONTH})\s+(?P<md>{_DAY}),?\s+(?P<my>{_YEAR})"
    rf"|(?P<dd>{_DAY})\s+(?:of\s+)?(?P<dm>{_MONTH}),?\s+(?P<dy>{_YEAR}))"
)
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)"
_LABEL = r"(?:date[d]?|published(?:\s+on)?|posted(?:\s+on)?|first\s+published(?:\s+on)?|(?P<updated>(?:last\s+)?updated(?:\s+on)?))"
_CLOCK = r"(?:\s*(?:,|at|\||-|–|—)?\s*\d{1,2}[:.]\d\d(?:\s*[ap]\.?m\.?)?(?:\s*\(?[A-Z]{2,5}\)?)?)"
_DATE_LINE = re.compile(rf"(?:{_LABEL}\s*:?\s*)?{_WEEKDAY}?{_DATE}{_CLOCK}?\.?", re.I)
_PUBLISHED_IN = re.compile(
    rf"published\s+in\s+(?:the\s+)?(?P<outlet>[A-Z][\w&.'’ -]{{1,40}}?),?\s+(?:on\s+)?{_WEEKDAY}?{_DATE}\.?", re.I
)
_DATE_PREFIX = re.compile(
    rf"(?:{_LABEL}\s*:?\s*{_WEEKDAY}?{_DATE}|(?P<bare>{_YEAR}-\d\d-\d\d){_TIME}?){_CLOCK}?\s*[,|–—-]?\s+", re.I
)
_ANY_DATE = re.compile(_DATE, re.I)


def parse_date(text: str) -> str:
    """The first full date (day, month and year) in `text` as ISO YYYY-MM-DD, or "" if none."""
    m = _ANY_DATE.search(text)
    return _iso(m) if m else ""


def _iso(m: re.Match) -> str:
    g = m.groupdict()
    if g["iy"]:
        year, month, day = int(g["iy"]), int(g["im"]), int(g["id"])
    elif g["mm"]:
        year, month, day = int(g["my"]), _month(g["mm"]), _day(g["md"])
    else:
        year, month, day = int(g["dy"]), _month(g["dm"]), _day(g["dd"])
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return ""  # "2025-13-45" is not a date


def _month(name: str) -> int:
    return _MONTHS[name.rstrip(".").lower()]


def _day(text: str) -> int:
    return int(text.rstrip("stndrh"))


# ---------------------------------------------------------------- boilerplate
_SHARE_SITES = (
    r"(?i:facebook|twitter|x|whatsapp|linkedin|telegram|reddit|pinterest|email|e-mail|messenger|tumblr|pocket)"
)
_AGENCIES = r"(?:app|reuters|afp|ap|agencies|xinhua|ani|pti|ians|dpa|anadolu|tass)"
_INLINE_ANYWHERE = re.compile(
    r"\s*(?:scroll\s+to\s+(?:the\s+)?top"
    r"|skip\s+to\s+(?:main\s+)?content"
    r"|your\s+email\s+address\s+will\s+not\s+be\s+published\.?"
    r"|required\s+fields\s+are\s+marked\s*\*"
    rf"|click\s+to\s+(?:share|email|print)(?:\s+(?:on|this|a\s+link\s+to\s+a\s+friend))?(?:\s+{_SHARE_SITES})?"
    r"(?:\s*\(opens\s+in\s+(?:a\s+)?new\s+window\))?"
    r"|\(opens\s+in\s+(?:a\s+)?new\s+window\))\s*",
    re.I,
)
# UI labels, matched case-sensitively and only at a line's start or end ("leave a comment" is prose).
_UI_LABEL = rf"(?:Leave a (?:Comment|Reply)|Share this(?: article| story)?:|Share on {_SHARE_SITES})"
_EDGE_HEAD = re.compile(rf"{_UI_LABEL}\s+")  # matched at a moving start, so a chain costs its length
_EDGE_TAIL = re.compile(rf"\s+(?:{_UI_LABEL}|Share this)\Z")  # searched in a short window at the end
_EDGE_TAIL_WINDOW = 64  # longer than any label with its space
_INLINE_PASSES = 4  # removing one prompt can expose another; nested on purpose, they stay
_SEP = r"(?:\s*[:|»>]|\s+[-–—])"  # "Related: ...", "Read more | ...", "Also read - ..."
_BOILERPLATE_LINE = re.compile(
    # comment forms
    r"(?:leave\s+a\s+(?:comment|reply)(?:\s+cancel\s+reply)?|cancel\s+reply|post\s+comment\s*»?"
    r"|(?:\d+\s+)?comments?|(?:name|email|e-mail|website|comment)\s*\*?|Δ"
    r"|save\s+my\s+name,?\s+email,?\s+and\s+website\s+in\s+this\s+browser.*"
    # share and print prompts
    rf"|share(?:\s+this(?:\s+(?:article|story|post|page))?)?\s*:?|share\s+(?:on|via)\s+{_SHARE_SITES}"
    rf"|{_SHARE_SITES}|tweet|print(?:\s+this(?:\s+(?:article|page|story))?)?|email\s+this(?:\s+(?:article|page|story))?"
    r"|like\s+this\s*:?|(?:like\s+)?loading\s*(?:\.{3}|…)?"
    # related links
    r"|(?:related|related\s+(?:articles?|posts?|stories|news|content|coverage)|more\s+from\s+[^.!?]{1,40}"
    r"|you\s+(?:may|might)\s+also\s+like|recommended(?:\s+for\s+you)?|trending(?:\s+now)?|most\s+(?:read|popular)"
    r"|popular\s+(?:posts|stories))(?:" + _SEP + r".*)?"
    r"|(?:read\s+more|also\s+read|read\s+also|see\s+also|read\s+next|more\s+on\s+this)(?:" + _SEP + r".*)?"
    # page furniture, newsletters, cookies
    r"|advertisement|sponsored(?:\s+content)?|ad|home"
    r"|(?:subscribe|sign\s+up)\b.{0,80}\bnewsletters?\b.*|.{0,80}\bnewsletters?\b.{0,40}\binbox\b.*"
    r"|(?:we|this\s+(?:web)?site)\s+uses?\s+cookies\b.*|.{0,100}\baccept\s+(?:all\s+)?cookies\b.*"
    r"|cookie\s+(?:policy|settings|preferences)|(?:accept|reject|decline|manage)(?:\s+all)?(?:\s+cookies)?"
    r"|(?:follow|like|join)\s+us\s+on\b.*|(?:©|copyright\s*©?\s*(?:\(c\)\s*)?(?:19|20)\d\d).{0,120}"
    r"|all\s+rights\s+reserved\.?"
    r"|(?:tags?|filed\s+under|categor(?:y|ies)|topics?)\s*:.*"
    r"|(?:file\s+)?(?:photo|image|picture)(?:\s+credit)?(?:\s*[:|]|\s+[-–—]\s).*|file\s+photo"
    # agency credit lines: "(With input from APP)", "(With application input)", "(Reporting by ...)"
    r"|\(\s*(?:with|additional)\b[^()]{0,80}\)\.?"
    r"|(?:with\s+(?:additional\s+)?inputs?\s+from|additional\s+reporting\s+by)\s+[\w&,' ]{1,40}\.?"
    r"|\(\s*(?:reporting|writing|editing|compiled|additional\s+reporting)\s+by\b[^()]*\)\.?"
    r"|(?:reporting|writing|editing|compiled)\s+by\s+[^.!?]{1,80}\.?"
    rf"|[(\[]\s*{_AGENCIES}\s*[)\]]|[—–-]\s*{_AGENCIES}\.?)",
    re.I,
)
_BREADCRUMB = re.compile(r"\S.*?\s[»›>]\s.*?\s[»›>]\s")
_BOILERPLATE_MAX_WORDS = 60  # longer lines are prose even if they mention cookies or newsletters

# ---------------------------------------------------------------- title, dateline, stray lines
_SENTENCE_END = re.compile(r"(?:[.?!]|…)[\"'”’»)\]]*$")
_PLACE_CAPS = r"[A-Z][A-Z.'’\-]+(?:[ ][A-Z][A-Z.'’\-]+){0,3}"
_PLACE_TITLE = r"[A-Z][A-Za-z.'’\-]+(?:[ ][A-Z][A-Za-z.'’\-]+){0,3}"
_AGENCY = r"(?:\s*\((?P<agency>[A-Za-z][\w .&-]{0,30})\))?"
_WHEN = rf"(?P<when>,\s*[A-Z][a-z]{{2,8}}\.?\s+\d{{1,2}}(?:,\s*{_YEAR})?)?"
# "ISLAMABAD: ...", "ISLAMABAD (APP): ...", "ISLAMABAD, Sept 10 (Reuters) - ..." (a dash only with a date or agency)
_DATELINE_PREFIX = re.compile(rf"(?P<place>{_PLACE_CAPS}){_WHEN}{_AGENCY}\s*(?P<sep>:|[-–—]{{1,2}})\s*(?=\S)")
_DATELINE_LINE = re.compile(rf"(?P<place>{_PLACE_TITLE}){_AGENCY}\s*:")  # "Islamabad:" on its own line
_NOT_PLACES = frozenset(
    """related tags tag source sources note update updated share comments comment print advertisement
    summary highlights topics category photo image video editor's editors read more also see by
    breaking live watch listen opinion analysis""".split()
)  # fmt: skip
_LIST_MARKER = re.compile(r"(?:[-*•▪●◦–]|\d{1,3}[.)])\s+")
_BYLINE = re.compile(r"by\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,4}(?:\s*[,|/-].*)?", re.I)
_TITLE_MAX_CHARS = 200
_STRAY_MAX_WORDS = 15  # a line this short without a sentence end is a headline, not article text
_STRAY_MAX_CHARS = 120
_WRAPPED_STRAY_MAX_CHARS = 60
_WRAP_MAX_CHARS = 100  # hard-wrapped prose stays under this; a longer line is a paragraph of its own
_HEAD_LINES = 6  # title, byline, date and dateline all sit in the first few lines


def clean_article(raw: str, source_id: str, front_matter: dict | None = None) -> tuple[DocumentMeta, str]:
    """Metadata and the clean body text (paragraphs separated by blank lines) of one article."""
    lines = [_strip_inline_boilerplate(line) for line in _normalise(raw).split("\n")]
    lines = ["" if _is_boilerplate_line(line) else line for line in lines]
    found: dict[str, str] = {}
    lines = _take_date_lines(lines, found)
    lines = _take_head(lines, found)
    body = "\n\n".join(_paragraphs(lines))
    return _meta(source_id, found, front_matter or {}), body


# ---------------------------------------------------------------- normalising
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_INVISIBLE.update({ord("\u00a0"): " ", ord("\t"): " ", ord("\u2028"): "\n", ord("\u2029"): "\n"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[^\S\n]{2,}")  # any run of spaces, so no regex later meets a long one


def _normalise(raw: str) -> str:
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text.translate(_INVISIBLE))
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


def _strip_inline_boilerplate(line: str) -> str:
    """The line without share/scroll/comment prompts, in time linear in its length."""
    for _ in range(_INLINE_PASSES):
        if not line:
            break
        previous = line
        line = _strip_edge_labels(_INLINE_ANYWHERE.sub(" ", line).strip())
        if line == previous:
            break
    return line


def _strip_edge_labels(line: str) -> str:
    """Every UI label at the start and the end of the line ("Share on Facebook Share on X ...")."""
    lo, hi = 0, len(line)
    while (m := _EDGE_HEAD.match(line, lo, hi)) is not None:
        lo = m.end()
    while (m := _EDGE_TAIL.search(line, max(lo, hi - _EDGE_TAIL_WINDOW), hi)) is not None:
        hi = m.start()
        while hi > lo and line[hi - 1].isspace():
            hi -= 1
    return line[lo:hi].strip()


def _is_boilerplate_line(line: str) -> bool:
    if not line or line.count(" ") >= _BOILERPLATE_MAX_WORDS:
        return False
    return bool(_BOILERPLATE_LINE.fullmatch(line) or _BREADCRUMB.match(line))


# ---------------------------------------------------------------- metadata found in the text
def _take_date_lines(lines: list[str], found: dict[str, str]) -> list[str]:
    """Lines that are only a date ("Published: Sept 10, 2025", "Published in Dawn, ...") set the
    article date (the first one; an "Updated" date only when there is no other) and are dropped."""
    out = []
    for line in lines:
        m = _DATE_LINE.fullmatch(line) if line and line.count(" ") < 12 else None
        p = None if m or not line else _PUBLISHED_IN.fullmatch(line)
        if m:
            _set_date(found, _iso(m), updated=bool(m.group("updated")))
            line = ""
        elif p:
            _set_date(found, _iso(p), updated=False)
            found.setdefault("outlet", p.group("outlet").strip())
            line = ""
        out.append(line)
    return out


def _set_date(found: dict[str, str], iso: str, *, updated: bool) -> None:
    if iso:
        found.setdefault("updated" if updated else "published", iso)


def _take_head(lines: list[str], found: dict[str, str]) -> list[str]:
    """Title, inline date and dateline from the first lines; stops at the first paragraph of text."""
    out = list(lines)
    seen = 0
    for i, line in enumerate(out):
        if not line:
            continue
        seen += 1
        if seen > _HEAD_LINES:
            break
        line = _take_date_prefix(line, found)
        if not line:
            out[i] = ""
            continue
        dateline = _DATELINE_LINE.match(line) if "dateline" not in found and _is_dateline_line(line) else None
        if dateline:
            found["dateline"] = _place(dateline.group("place"))
            out[i] = ""
            continue
        rest = _take_dateline_prefix(line, found)
        if rest != line:
            out[i] = rest
            break  # the dateline opens the article's first paragraph
        if "title" not in found and seen == 1 and _is_title(line):
            found["title"] = line.lstrip("#").strip()
            out[i] = ""
            continue
        out[i] = line
        if not _is_stray(line):
            break  # the body has begun
    return out


def _take_date_prefix(line: str, found: dict[str, str]) -> str:
    m = _DATE_PREFIX.match(line)
    if not m:
        return line
    rest = line[m.end() :].strip()
    if m.group("bare") and not _DATELINE_PREFIX.match(rest):
        return line  # "2025-09-10 was ..." is a sentence; "2025-09-10 ISLAMABAD: ..." is a header
    iso = parse_date(m.group("bare")) if m.group("bare") else _iso(m)
    if not iso:
        return line
    _set_date(found, iso, updated=bool(m.group("updated")))
    return rest


def _is_dateline_line(line: str) -> bool:
    m = _DATELINE_LINE.fullmatch(line)
    return m is not None and m.group("place").lower() not in _NOT_PLACES


def _take_dateline_prefix(line: str, found: dict[str, str]) -> str:
    m = _DATELINE_PREFIX.match(line)
    if not m or len(m.group("place")) < 3 or m.group("place").lower() in _NOT_PLACES:
        return line
    if m.group("sep") != ":" and not (m.group("when") or m.group("agency")):
        return line  # "PAKISTAN - KAZAKHSTAN TIES" is a headline, not a dateline
    found.setdefault("dateline", _place(m.group("place")))
    return line[m.end() :]


def _place(name: str) -> str:
    return name.strip(" .").upper()


def _is_title(line: str) -> bool:
    text = line.lstrip("#").strip()
    return (
        bool(text)
        and len(text) <= _TITLE_MAX_CHARS
        and not _SENTENCE_END.search(text)
        and any(c.isalpha() for c in text)
        and not _BYLINE.fullmatch(text)
        and text[-1] not in ",;:"
    )


# ---------------------------------------------------------------- body
def _paragraphs(lines: list[str]) -> list[str]:
    """Blocks of lines -> paragraphs: stray short lines (related headlines, captions, bylines)
    dropped, hard-wrapped lines joined, list items kept one per paragraph."""
    paragraphs: list[str] = []
    for block in _blocks(lines):
        paragraphs.extend(_block_paragraphs(block, paragraphs))
    return paragraphs


def _blocks(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _block_paragraphs(block: list[str], before: list[str]) -> list[str]:
    out: list[str] = []
    current: list[str] = []
    stray_chars = _stray_limit(block)
    for i, line in enumerate(block):
        marker = _LIST_MARKER.match(line)
        if marker:
            out.extend(_flush(current))
            if line[marker.end() :].strip():
                out.append(line[marker.end() :].strip())
            continue
        last_kept = current[-1] if current else out[-1] if out else before[-1] if before else ""
        if _is_standalone_stray(block, i, last_kept, stray_chars):
            continue
        if current and _SENTENCE_END.search(current[-1]) and len(current[-1]) > _WRAP_MAX_CHARS:
            out.extend(_flush(current))  # one paragraph per line, not hard-wrapped prose
        current.append(line)
    out.extend(_flush(current))
    return out


def _stray_limit(block: list[str]) -> int:
    """Hard-wrapped prose has lines up to ~80 columns that need not end a sentence, so inside it
    only a clearly short line can be a stray headline."""
    wrapped = len(block) > 1 and max(map(len, block)) <= _WRAP_MAX_CHARS
    return _WRAPPED_STRAY_MAX_CHARS if wrapped else _STRAY_MAX_CHARS


def _flush(current: list[str]) -> list[str]:
    text = " ".join(current)
    current.clear()
    return [text] if text else []


def _is_standalone_stray(block: list[str], i: int, last_kept: str, max_chars: int) -> bool:
    """A short line without a sentence end that stands on its own: a headline, not a sentence."""
    line = block[i]
    if not _is_stray(line, max_chars):
        return False
    if last_kept.endswith(":"):
        return False  # it completes "... the following:"
    if i > 0 and not _SENTENCE_END.search(block[i - 1]):
        return False  # it continues a wrapped sentence
    nxt = block[i + 1] if i + 1 < len(block) else ""
    return not nxt or not nxt[0].islower()


def _is_stray(line: str, max_chars: int = _STRAY_MAX_CHARS) -> bool:
    if _SENTENCE_END.search(line):
        return False
    if line.endswith(":") and " " in line:
        return False  # introduces what follows
    return line.count(" ") < _STRAY_MAX_WORDS and len(line) <= max_chars


# ---------------------------------------------------------------- merging
FRONT_MATTER_KEYS = {
    "title": ("title", "headline"),
    "outlet": ("outlet", "source", "publisher", "publication", "site", "site_name", "sitename"),
    "url": ("url", "link", "canonical", "canonical_url", "source_url"),
    "published": ("published", "date", "published_at", "pubdate", "publish_date", "published_date", "datetime"),
    "dateline": ("dateline",),
}


def front_matter_fields(front_matter: dict) -> dict[str, str]:
    """DocumentMeta fields from a front-matter mapping (keys are case-insensitive, aliases allowed);
    empty values and a date that cannot be read are left out."""
    lowered = {str(k).strip().lower(): v for k, v in front_matter.items() if v not in (None, "")}
    fields: dict[str, str] = {}
    for field, aliases in FRONT_MATTER_KEYS.items():
        value = next((lowered[a] for a in aliases if a in lowered), None)
        if value is not None:
            fields[field] = _front_matter_value(field, value)
    if fields.get("outlet", "").startswith(("http://", "https://")):  # "source: https://..."
        link = fields.pop("outlet")
        fields.setdefault("url", link)
    return {k: v for k, v in fields.items() if v}


def _front_matter_value(field: str, value: object) -> str:
    if field == "published":
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        return parse_date(str(value))
    if field == "dateline":
        return _place(str(value))
    return " ".join(str(value).split())


def _meta(source_id: str, found: dict[str, str], front_matter: dict) -> DocumentMeta:
    fields = {k: v for k, v in found.items() if k in ("title", "outlet", "url", "published", "dateline")}
    if not fields.get("published") and found.get("updated"):
        fields["published"] = found["updated"]
    fields.update(front_matter_fields(front_matter))  # what the file declares wins over what we read
    return DocumentMeta(source_id=source_id, **fields)
