"""A synthetic news corpus of any size, for benchmarks: varied diplomatic-report sentences built
from templates and random actors, sectors, places and dates (no network, deterministic by seed)."""

from __future__ import annotations

import random
from pathlib import Path

COUNTRIES = """Pakistan Kazakhstan Uzbekistan Turkey Iran China India Japan Germany France Brazil Kenya
Nigeria Egypt Indonesia Malaysia Vietnam Chile Peru Mexico Canada Norway Poland Qatar Oman Jordan Morocco
Ghana Ethiopia Tunisia Argentina Italy Spain Greece Serbia Hungary Austria Sweden Finland Estonia Georgia
Armenia Azerbaijan Mongolia Nepal Bangladesh Thailand Philippines Korea Australia""".split()
SECTORS = """trade energy agriculture tourism education health railways shipping aviation banking
information-technology mining textiles pharmaceuticals fisheries water climate defence culture sport
logistics customs insurance telecommunications space science housing""".split()
ROLES = """Foreign Minister|Prime Minister|President|Trade Minister|Energy Minister|Deputy Prime Minister|
Minister of Transport|Ambassador|Finance Minister|Minister of Agriculture|Central Bank Governor""".replace(
    "\n", ""
).split("|")
NAMES = """Amina Bekova|Omar Rahimov|Lena Fischer|Carlos Mendes|Yuki Tanaka|Aisha Khan|Pierre Laurent|
Ivan Petrov|Sara Haddad|Kwame Mensah|Elif Demir|Raj Malhotra|Anna Kowalska|Mateo Rossi|Nadia Sultani|
Tomas Novak|Leila Farouk|Jonas Berg|Mei Chen|Diego Herrera""".replace("\n", "").split("|")
CITIES = """Islamabad Astana Tashkent Ankara Tehran Beijing Delhi Tokyo Berlin Paris Nairobi Cairo Jakarta
Hanoi Santiago Lima Ottawa Oslo Warsaw Doha Muscat Amman Rabat Accra Tunis Rome Madrid Athens Vienna
Tbilisi Yerevan Baku Kathmandu Dhaka Bangkok Manila Seoul Canberra""".split()
MONTHS = "January February March April May June July August September October November December".split()
TEMPLATES = [
    "{a} and {b} signed a memorandum of understanding on {s} cooperation in {city} on {day}.",
    "The {role} of {a}, {name}, met counterparts from {b} to discuss {s} and {s2}.",
    "Officials said a joint working group on {s} would meet again before the end of {month} {year}.",
    "Bilateral trade between {a} and {b} reached {n} million dollars last year, according to the ministry.",
    "{name} said the two sides had agreed to expand {s} links and to simplify visa rules for business travellers.",
    "A delegation from {a} visited an industrial park in {city} to explore investment in {s}.",
    "The talks also covered regional security, {s} corridors and the situation in neighbouring states.",
    "Both governments plan to finalise {k} agreements on {s} ahead of a summit in {month} {year}.",
    "The last visit at this level took place in {year2}, when the {role} travelled to {city}.",
    "Analysts in {city} described the {s} accord as a modest but practical step.",
    "{a} offered scholarships for students from {b} in {s} and engineering programmes.",
    "A new rail and road route through {city} is expected to cut {s} transit times by {p} percent.",
]


def make_article(rng: random.Random, index: int, sentences: int = 16) -> str:
    a, b = rng.sample(COUNTRIES, 2)
    title = f"{a} and {b} deepen {rng.choice(SECTORS)} ties"
    year = rng.randint(2018, 2026)
    date = f"date {year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    body = []
    for _ in range(sentences):
        body.append(
            rng.choice(TEMPLATES).format(
                a=a,
                b=b,
                s=rng.choice(SECTORS),
                s2=rng.choice(SECTORS),
                city=rng.choice(CITIES),
                role=rng.choice(ROLES),
                name=rng.choice(NAMES),
                month=rng.choice(MONTHS),
                year=year,
                year2=rng.randint(1995, 2015),
                day=rng.choice(["Monday", "Tuesday", "Friday"]),
                n=rng.randint(50, 5000),
                k=rng.randint(2, 12),
                p=rng.randint(5, 60),
            )
        )
    paragraphs = [" ".join(body[i : i + 4]) for i in range(0, len(body), 4)]
    return f"{title}\n\n{date}\n\n" + "\n\n".join(paragraphs) + f"\n\nReport {index}.\n"


def write_corpus(folder: Path, articles: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(articles):
        (folder / f"article_{i:06d}.txt").write_text(make_article(rng, i), encoding="utf-8")
    return folder
