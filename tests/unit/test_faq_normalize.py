"""Normalisation for German FAQ retrieval: folding, stop words, stems, compounds."""

from __future__ import annotations

import pytest

from core.domain.faq import FaqEntry
from core.faq import FaqIndex, Synonyms
from core.faq.analyze import Analyzer
from core.faq.normalize import fold, is_stop, split_compound, stem, tokenize


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Bürgermeister", "buergermeister"),
        ("ÖFFNUNGSZEITEN", "oeffnungszeiten"),
        ("Straße", "strasse"),
        ("Ärger über Gebühren", "aerger ueber gebuehren"),
        ("Café", "cafe"),
    ],
)
def test_fold_spells_out_umlauts_and_sharp_s(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    "variants",
    [
        ("Bürgermeister", "Buergermeister", "BURGERMEISTER"),
        ("Straße", "Strasse"),
        ("löschen", "loeschen", "loschen"),
        ("Erklärung", "Erklaerung"),
    ],
)
def test_umlaut_spellings_share_one_stem(variants: tuple[str, ...]) -> None:
    stems = {stem(fold(v)) for v in variants}
    assert len(stems) == 1


def test_tokenize_drops_punctuation_and_single_letters() -> None:
    assert tokenize("Wie wird meine Stadt Mitglied?! (E-Mail)") == [
        "wie",
        "wird",
        "meine",
        "stadt",
        "mitglied",
        "mail",
    ]


def test_stop_words_are_german_and_english_function_words() -> None:
    for word in ("und", "die", "wie", "unsere", "the", "how"):
        assert is_stop(word)
    for word in ("ehrenamt", "mitglied", "kommune", "netzwerk"):
        assert not is_stop(word)


def test_analyzer_keeps_only_content_words() -> None:
    analyzer = Analyzer(Synonyms(), lambda _: False)
    keys = [slot.key for slot in analyzer.slots("Wie wird denn unsere Gemeinde ein Mitglied?")]
    assert keys == [stem("gemeinde"), stem("mitglied")]


def test_split_compound_with_fugen_s() -> None:
    known = {"ehrenamt", "karte"}.__contains__
    assert split_compound("ehrenamtskarte", known) == ["ehrenamt", "karte"]
    assert split_compound("ehrenamtkarte", known) == ["ehrenamt", "karte"]


def test_split_compound_into_three_parts() -> None:
    known = {"engagement", "kongress", "woche"}.__contains__
    assert split_compound("engagementkongresswoche", known) == ["engagement", "kongress", "woche"]


def test_split_compound_needs_known_parts() -> None:
    assert split_compound("ehrenamtskarte", {"ehrenamt"}.__contains__) is None
    assert split_compound("verwaltung", {"ver", "waltung"}.__contains__) is None  # part < 4
    assert split_compound("karte", {"karte"}.__contains__) is None  # too short to split


def test_compound_matches_its_parts_in_the_base_and_back() -> None:
    entries = [
        FaqEntry("karte", "Was ist die Ehrenamtskarte?", "Eine Karte fürs Ehrenamt."),
        FaqEntry("treffen", "Wann ist das Netzwerktreffen?", "Das Treffen ist im Mai."),
        FaqEntry("daten", "Welche Daten speichert der Bot?", "Nur wenige."),
    ]
    index = FaqIndex(entries, Synonyms())
    assert index.search("Karte für das Ehrenamt").hits[0].entry.id == "karte"
    assert index.search("Ehrenamtskarten").hits[0].entry.id == "karte"
    assert index.search("Treffen im Netzwerk").hits[0].entry.id == "treffen"


def test_umlauts_match_both_ways_in_the_index() -> None:
    entries = [
        FaqEntry("bm", "Wer lädt die Bürgermeister ein?", "Die Staatskanzlei."),
        FaqEntry("ws", "Gibt es Workshops zur Strassenreinigung?", "Nein."),
    ]
    index = FaqIndex(entries, Synonyms())
    assert index.search("buergermeister einladen").hits[0].entry.id == "bm"
    assert index.search("Straßenreinigung").hits[0].entry.id == "ws"
