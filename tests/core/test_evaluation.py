"""`briefbot eval`: the dev set and a tiny MultiHop-RAG corpus through the real pipeline, scored."""

from __future__ import annotations

import json

import pytest

from briefbot import evaluation
from briefbot.evaluation import EvalDataError, check_citations, evaluate, load_dev_questions, multihop
from tests.conftest import DEV_SET, make_settings

ARTICLES = [
    {
        "title": "Eruption on the Reykjanes peninsula forces evacuation of Grindavik",
        "source": "Nordic Wire",
        "url": "https://news.example.com/iceland/reykjanes-eruption",
        "published_at": "2023-11-12T08:00:00+00:00",
        "body": "A fissure eruption began on the Reykjanes peninsula in south-west Iceland on Saturday night. "
        "Civil protection officials evacuated the fishing town of Grindavik as lava fountains rose north of it. "
        "Seismologists had recorded thousands of small earthquakes in the weeks before the magma broke through. "
        "The Blue Lagoon geothermal spa closed its doors while volcanologists monitored the lava flows.",
    },
    {
        "title": "Frost damages Brazil's arabica coffee crop",
        "source": "Commodity Daily",
        "url": "https://news.example.com/markets/brazil-coffee-frost",
        "published_at": "2023-07-21T10:30:00+00:00",
        "body": "A severe frost hit coffee plantations in Minas Gerais, the largest arabica growing state in Brazil. "
        "Farmers reported blackened leaves on young coffee trees after two nights below freezing. "
        "Arabica futures in New York jumped as traders expected a smaller harvest next season. "
        "Growers' cooperatives said replanting the damaged trees would take at least three years.",
    },
    {
        "title": "Okonjo wins the world chess championship in Singapore",
        "source": "Board Games Today",
        "url": "https://news.example.com/sport/chess-final",
        "published_at": "2023-12-03T18:00:00+00:00",
        "body": "Grandmaster Mira Okonjo won the world chess championship match in Singapore after fourteen games. "
        "She clinched the title with a sharp win in the final classical game using the Sicilian Defence. "
        "Her opponent resigned after a long endgame in which her passed pawn decided the match. "
        "Okonjo is the first player from Nigeria to hold the chess crown.",
    },
    {
        "title": "Perseverance rover seals a rock core from Jezero crater",
        "source": "Space Ledger",
        "url": "https://news.example.com/space/perseverance-core",
        "published_at": "2023-09-05T14:00:00+00:00",
        "body": "NASA's Perseverance rover drilled and sealed another rock core on the floor of Jezero crater on Mars. "
        "Scientists believe the crater once held a lake fed by an ancient river delta. "
        "The sample contains fine-grained sediment that could preserve signs of past microbial life. "
        "A later mission is planned to return the sealed sample tubes to Earth for laboratory study.",
    },
    {
        "title": "Brenner Base Tunnel crews break through under the Alps",
        "source": "Rail Europe Review",
        "url": "https://news.example.com/rail/brenner-breakthrough",
        "published_at": "2023-10-18T09:15:00+00:00",
        "body": "Tunnel boring crews completed a breakthrough in the Brenner Base Tunnel between Austria and Italy. "
        "The railway tunnel will run 55 kilometres under the Alps from Innsbruck to Fortezza. "
        "Engineers said freight trains will cross the mountains faster once the tunnel opens in 2032. "
        "Workers celebrated the breakthrough with a traditional statue of Saint Barbara.",
    },
    {
        "title": "Mass bleaching spreads across the Great Barrier Reef",
        "source": "Ocean Post",
        "url": "https://news.example.com/environment/reef-bleaching",
        "published_at": "2023-03-28T06:45:00+00:00",
        "body": "Aerial surveys found mass coral bleaching across large parts of the Great Barrier Reef off Queensland. "
        "Marine biologists linked the bleaching to a marine heatwave that raised sea temperatures for weeks. "
        "Corals expel the algae living in their tissues when the water stays too warm, turning them white. "
        "Reef managers said some bleached corals can recover if temperatures fall soon.",
    },
]

QUERIES = [
    {
        "query": "Which town was evacuated because of the eruption on the Reykjanes peninsula?",
        "answer": "Grindavik",
        "question_type": "inference_query",
        "evidence_list": [{"title": ARTICLES[0]["title"], "url": ARTICLES[0]["url"], "fact": "evacuated Grindavik"}],
    },
    {
        "query": "Who won the world chess championship match in Singapore?",
        "answer": "Mira Okonjo",
        "question_type": "inference_query",
        "evidence_list": [{"title": ARTICLES[2]["title"], "url": ARTICLES[2]["url"], "fact": "Okonjo won"}],
    },
    {
        # evidence by title only (no url): matched by the title fallback
        "query": "Did the Perseverance rover report and the Brenner Base Tunnel report both mention Mars?",
        "answer": "No",
        "question_type": "comparison_query",
        "evidence_list": [
            {"title": ARTICLES[3]["title"], "fact": "Jezero crater on Mars"},
            {"title": ARTICLES[4]["title"], "url": ARTICLES[4]["url"], "fact": "under the Alps"},
        ],
    },
    {
        "query": "What did the frost do to the arabica coffee trees in Minas Gerais?",
        "answer": "blackened leaves",
        "question_type": "temporal_query",
        "evidence_list": [{"title": ARTICLES[1]["title"], "url": ARTICLES[1]["url"], "fact": "blackened leaves"}],
    },
    {
        "query": "What did the Peruvian central bank decide about interest rates in March 2023?",
        "answer": "Insufficient information.",
        "question_type": "null_query",
        "evidence_list": [],
    },
]


@pytest.fixture
def tiny_multihop(tmp_path):
    corpus = tmp_path / "corpus.json"
    queries = tmp_path / "MultiHopRAG.json"
    corpus.write_text(json.dumps(ARTICLES), encoding="utf-8")
    queries.write_text(json.dumps(QUERIES), encoding="utf-8")
    return corpus, queries


def test_multihop_queries_map_evidence_to_articles(tiny_multihop):
    corpus, queries = tiny_multihop
    articles = multihop.load_corpus(corpus)
    assert [a.published for a in articles][:2] == ["2023-11-12", "2023-07-21"]
    questions, warnings = multihop.load_queries(queries, articles)
    assert not warnings
    assert questions[2].expect_sources == [articles[3].file_name, articles[4].file_name]  # title fallback
    assert questions[0].must_mention_any == [["Grindavik"]]
    assert questions[2].must_mention_any == []  # a yes/no answer is no term to look for
    assert questions[4].kind == "unanswerable" and questions[4].expect_sources == []
    text = multihop.to_markdown(articles[0])
    assert text.startswith('---\ntitle: "Eruption on the Reykjanes') and 'url: "https://news.example.com/' in text


def test_unknown_evidence_is_reported(tmp_path, tiny_multihop):
    corpus, _ = tiny_multihop
    queries = tmp_path / "q.jsonl"  # JSON Lines is read too
    bad = {"query": "Where?", "question_type": "inference_query", "evidence_list": [{"title": "Nope", "url": "x"}]}
    queries.write_text(json.dumps(bad) + "\n", encoding="utf-8")
    questions, warnings = multihop.load_queries(queries, multihop.load_corpus(corpus))
    assert questions[0].expect_sources == [] and "Nope" in warnings[0]


def test_multihop_eval_on_a_tiny_corpus(tmp_path, tiny_multihop, embedder):
    corpus, queries = tiny_multihop
    settings = make_settings(tmp_path / "data")
    report = evaluation.run(settings, corpus=corpus, queries=queries, embedder=embedder)
    s = report.summary
    assert report.retrieval_unit == "document"
    assert report.meta["collection"].startswith("eval-") and report.meta["chunks_added"] > 0
    doc = s["retrieval_document"]
    assert doc["n"] == 4 and doc["hits@4"] == 1.0 and doc["hits@10"] == 1.0 and doc["mrr@10"] == 1.0
    assert doc["map@10"] == 1.0  # both evidence articles of the comparison query rank 1 and 2
    assert s["refusal_recall"] == 1.0 and s["refusal_precision"] == 1.0
    assert s["citation_validity"] == 1.0 and s["must_mention_all"] == 1.0
    null = next(q for q in report.questions if not q.answerable)
    assert null.refused and null.citations == 0
    # the main collection was not touched, and a second run re-embeds nothing and scores the same
    assert build_main(settings, embedder).store.count() == 0
    again = evaluation.run(settings, corpus=corpus, queries=queries, embedder=embedder)
    assert again.meta["chunks_added"] == 0 and again.meta["collection"] == report.meta["collection"]
    assert _without_latency(again.summary) == _without_latency(s)
    assert [q.answer for q in again.questions] == [q.answer for q in report.questions]


def build_main(settings, embedder):
    from briefbot.factory import build_service

    return build_service(settings, embedder=embedder, ingest_if_empty=False)


def _without_latency(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "latency_ms"}


def test_dev_set_summary(seed_service):
    report = evaluate(seed_service, load_dev_questions(DEV_SET))
    s = report.summary
    assert (s["questions"], s["answerable"], s["unanswerable"]) == (12, 9, 3)
    assert s["must_mention_groups"] == 1.0 and s["must_mention_all"] == 1.0
    assert s["refusal_precision"] == 1.0 and s["refusal_recall"] == 1.0 and s["false_refusals"] == 0
    assert s["citation_validity"] == 1.0 and s["sentences_supported"] == 1.0
    assert s["retrieval_passage"]["hits@4"] == 1.0 and s["cited_expected_source"] == 1.0
    assert s["latency_ms"]["p50"] > 0 and s["latency_ms"]["p95"] >= s["latency_ms"]["p50"]
    table = evaluation.format_table(report)
    assert "refusal recall" in table and "s12" in table


def test_citation_check_catches_bad_citations(seed_service):
    answer = seed_service.ask("Who signed the action plan?")
    chunks = {p.chunk_id: p for p in seed_service.passages()}
    assert check_citations(answer, chunks).problems == []
    first = answer.sentences[0].citations[0]
    cases = {
        "not in the store": first.model_copy(update={"chunk_id": "0" * 32}),
        "outside the chunk": first.model_copy(update={"start": first.start + 100_000, "end": first.end + 100_001}),
        "quote's terms": first.model_copy(update={"quote": "Football world cup final penalties in Qatar stadium"}),
        "source list": first.model_copy(update={"number": 99}),
    }
    for expected, bad in cases.items():
        forged = answer.model_copy(deep=True)
        forged.sentences[0].citations = [bad]
        check = check_citations(forged, chunks)
        assert check.valid < check.total and expected in " ".join(check.problems), expected
    unsupported = answer.model_copy(deep=True)
    unsupported.sentences[0].text = "Brazilian coffee farmers replanted frost damaged arabica trees."
    check = check_citations(unsupported, chunks)
    assert check.sentences_supported < check.sentences and "of its terms" in " ".join(check.problems)


def test_eval_command_writes_table_and_json(tmp_path, tiny_multihop, monkeypatch, capsys):
    from briefbot.cli import main

    corpus, queries = tiny_multihop
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("BRIEFBOT_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "report.json"
    assert main(["eval", "--corpus", str(corpus), "--queries", str(queries), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "retrieval hit@4 (document)" in printed and "refusal recall" in printed
    # beside lead correct: the verdicts against always-Yes, names said early, claims carried
    assert "yes/no balanced accuracy" in printed and "always-Yes" in printed
    assert "name answers: gold in first 12 words" in printed and "cited evidence carries every claim" in printed
    data = json.loads(out.read_text())
    assert data["meta"]["format"] == "multihop-rag" and len(data["questions"]) == 5
    assert data["summary"]["retrieval_document"]["hits@4"] == 1.0


def test_bad_question_files_are_clear_errors(tmp_path, tiny_multihop):
    _, queries = tiny_multihop
    with pytest.raises(EvalDataError, match="looks like MultiHop-RAG"):
        load_dev_questions(_jsonl(tmp_path, QUERIES[:1]))
    with pytest.raises(EvalDataError, match="JSON array, not JSON Lines"):
        load_dev_questions(queries)
    with pytest.raises(EvalDataError, match="kind 'trivia'"):
        load_dev_questions(_jsonl(tmp_path, [{"question": "Why?", "kind": "trivia"}]))
    with pytest.raises(EvalDataError, match="both --corpus"):
        evaluation.run(make_settings(tmp_path), queries=queries)


def _jsonl(tmp_path, records) -> str:
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _result(gold: str, verdict: str = "", name_early=None):
    from briefbot.evaluation.scoring import QuestionResult

    return QuestionResult(
        id="q", question="?", kind="comparison_query", answerable=True, refused=False, answer="",
        expect_sources=[], passage_rank=None, document_ranks=[], top_documents=[], cited_sources=[],
        cited_expected=None, mentions=[], citations=0, citations_valid=0, sentences=0, sentences_supported=0,
        problems=[], latency_ms=1.0, timings_ms={}, gold_answer=gold, verdict=verdict, name_early=name_early,
    )  # fmt: skip


def test_balanced_accuracy_weighs_no_as_much_as_yes_and_shows_always_yes():
    from briefbot.evaluation.scoring import yes_no_rates

    results = [_result("Yes", "yes")] * 3 + [_result("No", "yes"), _result("No", "no"), _result("no", "unsettled")]
    rates = yes_no_rates(results)
    assert rates["yes_no_always_yes"] == 0.5
    assert rates["yes_no_balanced_accuracy"] == round((1.0 + 1 / 3) / 2, 4)  # not 4/6 plain accuracy
    assert rates["yes_no_unsettled"] == 1


def test_a_name_counts_only_within_the_first_twelve_words():
    from briefbot.answer import Answer, AnswerSentence
    from briefbot.evaluation.scoring import is_name, name_early

    early = Answer(question="?", sentences=[AnswerSentence(text="Murat Nurtleu. He signed the plan.")])
    late = Answer(question="?", sentences=[AnswerSentence(text=" ".join(["word"] * 12) + " Murat Nurtleu.")])
    assert name_early("Murat Nurtleu", early) and not name_early("Murat Nurtleu", late)
    assert is_name("Sam Bankman-Fried") and not is_name("Consistent") and not is_name("Yes")


def test_claims_are_carried_only_by_a_cited_quote_from_the_outlet_named():
    from briefbot.answer import Answer, AnswerSentence, Citation, SourceRef
    from briefbot.evaluation.scoring import claims_carried

    question = "Does Fortune report that the central bank raised interest rates, while Reuters says inflation fell?"

    def answer(outlet_of_rates: str) -> Answer:
        quotes = [("The central bank raised interest rates again.", 1), ("Inflation fell to three percent.", 2)]
        sentences = [
            AnswerSentence(
                text=q, citations=[Citation(number=n, chunk_id="c", source_id=f"s{n}", start=0, end=1, quote=q)]
            )  # fmt: skip
            for q, n in quotes
        ]
        sources = [SourceRef(number=1, source_id="s1", title="", outlet=outlet_of_rates),
                   SourceRef(number=2, source_id="s2", title="", outlet="Reuters")]  # fmt: skip
        return Answer(question=question, sentences=sentences, sources=sources)

    assert claims_carried(question, answer("Fortune"))
    assert not claims_carried(question, answer("The Verge"))  # the right words, the wrong source
