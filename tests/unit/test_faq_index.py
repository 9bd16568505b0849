"""FaqIndex behaviour and retrieval quality on the labelled German query set."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml

from bot.faq_yaml import parse_entries
from core.domain.faq import FaqEntry
from core.faq import ANSWER_THRESHOLD, FaqIndex, Synonyms, load_synonyms

QUERIES = Path(__file__).resolve().parents[1] / "data" / "faq_queries.yaml"

ENTRIES = [
    FaqEntry(
        "beitritt",
        "Wie kann unsere Kommune Mitglied werden?",
        "Die Kommune unterzeichnet die Gemeinsame Erklärung.",
        variants=("Wer kann dem Netzwerk beitreten?",),
        tags=("mitgliedschaft",),
    ),
    FaqEntry(
        "ehrenamtskarte",
        "Was ist die Ehrenamtskarte NRW?",
        "Ein Programm des Landes zur Anerkennung des Ehrenamts.",
    ),
    FaqEntry(
        "spitzentreffen",
        "Was ist das Kommunale Spitzentreffen?",
        "Ein jährlicher Austausch der Verwaltungsspitzen.",
    ),
    FaqEntry("datenschutz", "Welche Daten speichert der Bot?", "Nur das Nötigste."),
]


@pytest.fixture(scope="module")
def synonyms() -> Synonyms:
    return load_synonyms()


@pytest.fixture
def index(synonyms: Synonyms) -> FaqIndex:
    return FaqIndex(ENTRIES, synonyms)


def top(index: FaqIndex, query: str) -> str | None:
    result = index.search(query)
    return result.hits[0].entry.id if result.answered else None


def test_finds_entries_by_paraphrase_synonym_and_typo(index: FaqIndex) -> None:
    assert top(index, "Wie wird unsere Gemeinde Mitglied?") == "beitritt"  # Gemeinde ~ Kommune
    assert top(index, "how can our city join") == "beitritt"  # English
    assert top(index, "Ehrenamtskrate") == "ehrenamtskarte"  # typo
    assert top(index, "Treffen der Bürgermeister") == "spitzentreffen"  # ~ Verwaltungsspitzen


def test_scores_are_between_zero_and_one_and_sorted(index: FaqIndex) -> None:
    for query in ("Mitglied", "Wie wird unsere Stadt Mitglied im Netzwerk?", "Daten", "xyz"):
        result = index.search(query, limit=4)
        scores = [hit.score for hit in result.hits]
        assert all(0.0 <= s <= 1.0 for s in scores)
        assert scores == sorted(scores, reverse=True)


def test_score_does_not_grow_with_filler_or_repetition(index: FaqIndex) -> None:
    short = index.search("Ehrenamtskarte").hits[0].score
    padded = index.search("Hallo, was ist denn eigentlich diese Ehrenamtskarte?").hits[0].score
    repeated = index.search("Ehrenamtskarte Ehrenamtskarte Ehrenamtskarte").hits[0].score
    assert short == pytest.approx(padded)
    assert short == pytest.approx(repeated)


def test_abstains_on_unrelated_queries(index: FaqIndex) -> None:
    for query in ("Wie wird das Wetter morgen in Köln?", "Rezept für Apfelkuchen", "", "!!!"):
        result = index.search(query)
        assert not result.answered
        assert all(hit.score < ANSWER_THRESHOLD for hit in result.hits)


def test_upsert_adds_and_replaces_without_rebuilding(
    index: FaqIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    analysed: list[str] = []
    original = index._analyse

    def counting(entry: FaqEntry):  # type: ignore[no-untyped-def]
        analysed.append(entry.id)
        return original(entry)

    monkeypatch.setattr(index, "_analyse", counting)
    assert top(index, "Wann ist der Engagementkongress?") is None
    index.upsert(
        FaqEntry("kongress", "Wann ist der nächste Engagementkongress?", "Etwa alle zwei Jahre.")
    )
    assert top(index, "Wann ist der Engagementkongress?") == "kongress"
    index.upsert(FaqEntry("kongress", "Wo findet der Kongress statt?", "In Düsseldorf."))
    assert index.get("kongress").question == "Wo findet der Kongress statt?"  # type: ignore[union-attr]
    assert len(index) == len(ENTRIES) + 1
    assert analysed == ["kongress", "kongress"]  # only the changed entry was analysed


def test_upsert_of_an_existing_entry_changes_its_results(index: FaqIndex) -> None:
    assert top(index, "Welche Daten speichert der Bot?") == "datenschutz"
    index.upsert(FaqEntry("datenschutz", "Wie melde ich mich ab?", "Mit /abmelden."))
    assert top(index, "Welche Daten speichert der Bot?") is None
    assert top(index, "abmelden") == "datenschutz"


def test_remove(index: FaqIndex) -> None:
    index.remove("ehrenamtskarte")
    index.remove("does-not-exist")
    assert index.get("ehrenamtskarte") is None
    assert "ehrenamtskarte" not in [e.id for e in index.entries()]
    assert all(h.entry.id != "ehrenamtskarte" for h in index.search("Ehrenamtskarte").hits)


def test_ambiguous_when_two_entries_are_close(synonyms: Synonyms) -> None:
    twins = [
        FaqEntry("a", "Wie melde ich mich für ein Netzwerktreffen an?", "Mit /anmelden."),
        FaqEntry("b", "Wie melde ich mich für ein Netzwerktreffen ab?", "Mit /abmelden."),
        FaqEntry("c", "Was ist die Ehrenamtskarte?", "Eine Karte."),
    ]
    index = FaqIndex(twins, synonyms)
    result = index.search("Netzwerktreffen")
    assert result.answered and result.ambiguous
    assert {h.entry.id for h in result.hits[:2]} == {"a", "b"}
    clear = index.search("Ehrenamtskarte")
    assert clear.answered and not clear.ambiguous


def test_empty_index_answers_nothing(synonyms: Synonyms) -> None:
    result = FaqIndex((), synonyms).search("Mitglied werden")
    assert result.hits == () and not result.answered and not result.ambiguous


# -- retrieval quality on the labelled set ---------------------------------------------


def starter_entries() -> list[FaqEntry]:
    text = resources.files("core.data").joinpath("faq_starter.yaml").read_text("utf-8")
    return parse_entries(text)


def test_labelled_set_is_big_enough_and_refers_to_real_entries() -> None:
    queries = yaml.safe_load(QUERIES.read_text("utf-8"))
    ids = {e.id for e in starter_entries()}
    assert len(queries) >= 160
    assert sum(1 for q in queries if q["expected"] is None) >= 30
    assert sum(1 for q in queries if q.get("holdout")) >= 40
    assert all(q["expected"] is None or q["expected"] in ids for q in queries)


def test_retrieval_quality_on_labelled_queries(synonyms: Synonyms) -> None:
    index = FaqIndex(starter_entries(), synonyms)
    queries = yaml.safe_load(QUERIES.read_text("utf-8"))
    right = answerable = abstained = unanswerable = 0
    for item in queries:
        result = index.search(item["query"])
        if item["expected"] is None:
            unanswerable += 1
            abstained += not result.answered
        else:
            answerable += 1
            right += result.answered and result.hits[0].entry.id == item["expected"]
    top1 = right / answerable
    abstention = abstained / unanswerable
    assert top1 >= 0.90, f"top-1 accuracy {top1:.3f} on {answerable} answerable queries"
    assert abstention >= 0.80, f"correct abstention {abstention:.3f} on {unanswerable} queries"
