"""What the test news site serves: articles, feeds, documents (made here, nothing downloaded)."""

from __future__ import annotations

from tests import documents


def article_html(
    title: str,
    paragraphs: list[str],
    *,
    site: str = "The Steppe Herald",
    author: str = "Aigerim Sadykova",
    published: str = "2025-10-14",
) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>{title} | {site}</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="{site}">
<meta name="author" content="{author}">
<meta property="article:published_time" content="{published}T09:30:00+05:00">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a></nav>
<article>
<h1>{title}</h1>
<p class="byline">By {author}</p>
{body}
</article>
<footer><p>Subscribe to our newsletter</p><p>© 2025 {site}</p></footer>
</body></html>"""


RAIL_TITLE = "Uzbekistan and Pakistan agree on a rail freight corridor through Afghanistan"
RAIL_ARTICLE = article_html(
    RAIL_TITLE,
    [
        "TASHKENT: Uzbekistan and Pakistan agreed on Tuesday to build a rail freight corridor through Afghanistan, "
        "the transport ministers of the two countries said after talks in Tashkent.",
        "The corridor, known as the Trans-Afghan railway, would run 760 kilometres from Termez to Peshawar and cut "
        "the time to carry goods from Tashkent to the port of Karachi from thirty days to about ten.",
        "The ministers said a feasibility study of the Trans-Afghan railway would be completed by June 2026, and "
        "that the Asian Development Bank had been asked to help finance the first section.",
        "Traders in both countries welcomed the plan, which they said would lower the cost of shipping cotton, "
        "fruit and textiles between Central Asia and the Arabian Sea.",
    ],
)

LOGIN_WALL = """<!DOCTYPE html><html><head><title>Sign in | The Steppe Herald</title></head><body>
<h1>Sign in to continue reading</h1>
<form action="/login" method="post">
<label>Email <input type="email" name="email"></label>
<label>Password <input type="password" name="password"></label>
<button>Sign in</button>
</form>
<p>Subscribers get unlimited access to our journalism.</p>
</body></html>"""


def news_item_html(n: int) -> str:
    return article_html(ITEMS[n][0], ITEMS[n][1], published=ITEMS[n][2], site="Ministry of Foreign Affairs")


ITEMS = {
    1: (
        "Kazakhstan opens a consulate in Karachi",
        [
            "ISLAMABAD: Kazakhstan opened a consulate general in Karachi on Monday, the Ministry of Foreign Affairs said.",
            "The consulate will issue visas to business travellers within three working days and will help exporters "
            "of leather goods and surgical instruments find buyers in Almaty and Astana.",
            "Officials said the consulate is the first Kazakh mission in the province of Sindh.",
        ],
        "2025-10-06",
    ),
    2: (
        "Pakistan and Kyrgyzstan sign a memorandum on hydropower",
        [
            "ISLAMABAD: Pakistan and Kyrgyzstan signed a memorandum on hydropower cooperation on Wednesday.",
            "Under the memorandum, Kyrgyz engineers will advise on two small dams in Gilgit-Baltistan, and the two sides "
            "will study the export of summer electricity through the CASA-1000 line.",
            "The energy ministers agreed to meet again in Bishkek in the spring.",
        ],
        "2025-10-08",
    ),
    3: (
        "Tajikistan to send a trade delegation to Lahore",
        [
            "ISLAMABAD: A trade delegation from Tajikistan will visit Lahore next month to meet textile manufacturers, "
            "the Ministry of Foreign Affairs said on Friday.",
            "The delegation of forty companies will look for partners in cotton spinning and in the processing of dried "
            "fruit, and will attend the Lahore Expo.",
            "Officials said trade between the two countries grew by a fifth last year.",
        ],
        "2025-10-10",
    ),
    4: (
        "Turkmenistan gas pipeline talks resume in Ashgabat",
        [
            "ISLAMABAD: Talks on the Turkmenistan-Afghanistan-Pakistan-India gas pipeline resumed in Ashgabat on "
            "Thursday, the Ministry of Foreign Affairs said.",
            "The delegations agreed that the pipeline company would publish a revised timetable for the Herat section "
            "before the end of January, and that a security plan for the route would be drafted by the three governments.",
            "Pakistan's delegation was led by the petroleum secretary, Nadia Rahman.",
        ],
        "2025-10-16",
    ),
}


def rss(base: str, items: list[int]) -> str:
    entries = "\n".join(
        f"""<item><title>{ITEMS[n][0]}</title><link>{base}/news/{n}</link><guid>{base}/news/{n}</guid>
<pubDate>{_rfc822(ITEMS[n][2])}</pubDate><description>{ITEMS[n][1][0]}</description></item>"""
        for n in reversed(items)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Ministry of Foreign Affairs: press releases</title>
<link>{base}/</link><description>Press releases</description>
{entries}
</channel></rss>"""


ATOM_TITLE = "Aral Sea restoration fund receives new pledges"
ATOM_PARAGRAPHS = [
    "NUKUS: Donors pledged 85 million dollars to the Aral Sea restoration fund at a conference in Nukus on Saturday, "
    "the fund's secretariat said in a statement.",
    "The money will pay for planting saxaul shrubs on forty thousand hectares of the dried seabed, which the "
    "secretariat said is the largest single source of salt and dust storms in the region.",
    "Uzbekistan's minister of ecology said the planting would start in November and that satellite images would "
    "be published every six months to show the progress.",
    "Representatives of Kazakhstan, Japan, the European Union and the World Bank attended the conference, "
    "and the next pledging round was set for the autumn of 2026 in Almaty.",
]


def atom(base: str) -> str:
    content = "".join(f"&lt;p&gt;{p}&lt;/p&gt;" for p in ATOM_PARAGRAPHS)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>Central Asia Environment Bulletin</title>
<id>{base}/atom.xml</id><updated>2025-10-18T10:00:00Z</updated>
<entry><title>{ATOM_TITLE}</title><id>{base}/bulletin/aral-pledges</id>
<link href="{base}/bulletin/aral-pledges"/>
<updated>2025-10-18T10:00:00Z</updated><published>2025-10-18T08:00:00Z</published>
<author><name>Dilnoza Karimova</name></author>
<content type="html">{content}</content></entry>
</feed>"""


def _rfc822(iso: str) -> str:
    import datetime as dt
    from email.utils import format_datetime

    day = dt.datetime.fromisoformat(iso).replace(hour=9, tzinfo=dt.UTC)
    return format_datetime(day)


PDF_PAGE_1 = [
    "Joint Statement on the Official Visit of the Foreign Minister of Kazakhstan",
    "",
    "The Foreign Ministers of Kazakhstan and Pakistan held talks in Islamabad on 14 October 2025",
    "and reviewed the full range of bilateral relations, including trade, transport and energy.",
    "Both sides agreed to open a direct air route between Almaty and Lahore before the end of the year,",
    "with two flights a week operated by the national carriers.",
]
PDF_PAGE_2 = [
    "The Ministers also signed a memorandum on cooperation in higher education, under which",
    "two hundred Pakistani students will receive Kazakh government scholarships every year.",
    "The next round of political consultations will take place in Astana in March 2026.",
]


def statement_pdf() -> bytes:
    return documents.pdf(
        [PDF_PAGE_1, PDF_PAGE_2],
        title="Joint Statement: visit of the Foreign Minister of Kazakhstan",
        author="Ministry of Foreign Affairs",
    )


DOCX_PARAGRAPHS = [
    "ISLAMABAD: The Ministry of Commerce briefed the delegation on Monday on the preferential trade agreement "
    "with Uzbekistan, which entered into force in May.",
    "Under the agreement, tariffs on seventeen Pakistani products, among them rice, oranges and surgical "
    "instruments, were cut to zero, and Uzbek cotton yarn now enters Pakistan at a tariff of five per cent.",
    "Exporters have asked for the list to be widened to pharmaceuticals at the next review, due in February.",
]


def note_docx() -> bytes:
    return documents.docx(
        DOCX_PARAGRAPHS,
        title="Briefing note: the preferential trade agreement with Uzbekistan",
        author="Trade Policy Wing",
    )
