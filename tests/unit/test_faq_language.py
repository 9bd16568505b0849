"""The FAQ's language resources: OpenThesaurus, lemmas and particle verbs, the domain's
vocabulary, typo-corrected phrases, the three answer bands, and cached weights after updates."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from bot.faq_yaml import parse_entries
from core.domain.faq import FaqEntry
from core.faq import ANSWER_THRESHOLD, OFFER_THRESHOLD, FaqIndex, Synonyms, load_synonyms
from core.faq.normalize import lemma, particle_verbs, stem
from core.faq.thesaurus import Thesaurus, build_subset, load_thesaurus

STARTER = Path(__file__).resolve().parents[2] / "core" / "data" / "faq_starter.yaml"


@pytest.fixture(scope="module")
def starter() -> FaqIndex:
    return FaqIndex(parse_entries(STARTER.read_text("utf-8")))


def best(index: FaqIndex, query: str) -> str | None:
    result = index.search(query)
    return result.hits[0].entry.id if result.answered else None


# --- the newcomer questions on the starter base -----------------------------------


def test_a_typo_inside_a_phrase_is_corrected_before_the_phrase_is_matched(starter) -> None:
    # "mitglid" used to miss the phrase "wird Mitglied" and land on "Wie viele Mitglieder …".
    assert best(starter, "wie wird unsere kommune mitglid") == "mitglied-werden"
    assert best(starter, "Wie werde ich Mitglied?") == "mitglied-werden"


def test_a_question_the_base_has_no_entry_for_is_not_answered(starter) -> None:
    # The base says nothing on fees: "membership" alone must not carry the answer.
    result = starter.search("What does membership cost?")
    assert not result.answered
    assert not starter.search("Gibt es einen Mitgliedsbeitrag?").answered


# --- OpenThesaurus -------------------------------------------------------------------------


def test_the_packaged_thesaurus_links_everyday_synonyms() -> None:
    thesaurus = load_thesaurus()
    assert len(thesaurus) > 40_000
    assert stem("workshop") in thesaurus.related(stem("seminar"))
    assert thesaurus.related("gibtsnicht") == ()


def test_a_synonym_from_the_thesaurus_finds_an_entry_but_counts_less_than_the_word() -> None:
    thesaurus = Thesaurus([["Seminar", "Workshop", "Lehrgang"]])
    workshop = FaqEntry("w", "Wann ist der nächste Workshop?", "Im Frühjahr.")
    index = FaqIndex([workshop], Synonyms(), thesaurus)
    assert best(index, "Wann ist das nächste Seminar?") == "w"
    literal = FaqEntry("s", "Wann ist das nächste Seminar?", "Im Herbst.")
    both = FaqIndex([workshop, literal], Synonyms(), thesaurus)
    hits = both.search("Wann ist das nächste Seminar?").hits
    assert [h.entry.id for h in hits[:2]] == ["s", "w"] and hits[0].score > hits[1].score


def test_a_word_the_base_knows_is_not_outweighed_by_a_synonym_of_another_sense() -> None:
    thesaurus = Thesaurus([["Treffen", "Date", "Verabredung"]])  # "Date" stems like "Daten"
    entries = [
        FaqEntry("treffen", "Wann ist das Treffen?", "Im Mai."),
        FaqEntry("daten", "Welche Daten speichert der Bot?", "Nur wenige."),
    ]
    assert best(FaqIndex(entries, Synonyms(), thesaurus), "Treffen im Mai") == "treffen"


def test_the_subset_keeps_the_licence_and_single_words_of_a_neutral_register(
    tmp_path: Path,
) -> None:
    source = tmp_path / "openthesaurus.txt"
    source.write_text(
        "# OpenThesaurus - German Thesaurus in text format\n# GNU Lesser General Public License\n"
        "Kosten;Preis;Unkosten (ugs.);Schotter (derb);(sich) kümmern um\n"
        "Deputat...;Konzessions...\n"
        "Haus;" + ";".join(f"Wort{n}" for n in range(20)) + "\n",
        encoding="utf-8",
    )
    target = tmp_path / "subset.txt.gz"
    assert build_subset(source, target) == (1, 3)
    text = gzip.decompress(target.read_bytes()).decode("utf-8")
    assert "Lesser General Public License" in text
    assert text.splitlines()[-1] == "Kosten;Preis;Unkosten"


# --- lemmas and separable verbs -------------------------------------------------------------


def test_irregular_forms_and_separated_particle_verbs_meet_their_infinitive() -> None:
    assert lemma("tritt") == "treten"
    known = {"austreten", "teilnehmen"}.__contains__
    words = ["wie", "treten", "wir", "zum", "jahresende", "aus"]
    assert particle_verbs(words, known) == {1: ("austreten", 5)}
    assert particle_verbs(["sie", "nimmt", "am", "treffen", "teil"], known) == {
        1: ("teilnehmen", 4)
    }
    assert particle_verbs(["wir", "treten", "bei"], known) == {}  # "beitreten" is not known

    entries = [
        FaqEntry("austritt", "Wie kann eine Kommune austreten?", "Schriftlich."),
        FaqEntry("teilnahme", "Wer darf am Treffen teilnehmen?", "Alle Mitglieder."),
    ]
    index = FaqIndex(entries, Synonyms(), Thesaurus())
    assert best(index, "Wie tritt eine Kommune aus?") == "austritt"
    assert best(index, "Wer nimmt am Treffen teil?") == "teilnahme"


# --- the domain's vocabulary ------------------------------------------------------------------


def test_the_fields_abbreviations_and_everyday_words_are_packaged() -> None:
    entries = [
        FaqEntry("bfd", "Was ist der Bundesfreiwilligendienst?", "Ein Freiwilligendienst."),
        FaqEntry("karte", "Was ist die Ehrenamtskarte?", "Eine Karte."),
    ]
    index = FaqIndex(entries, load_synonyms())
    assert best(index, "was macht ein bufdi") == "bfd"
    assert best(index, "what is the federal volunteer service") == "bfd"


# --- three bands ------------------------------------------------------------------------------


def test_answer_offer_or_abstain() -> None:
    assert 0 < OFFER_THRESHOLD < ANSWER_THRESHOLD
    entries = [
        FaqEntry("ort", "Wo findet das Netzwerktreffen statt?", "In wechselnden Rathäusern."),
        FaqEntry("kosten", "Was kostet die Teilnahme am Netzwerktreffen?", "Nichts."),
    ]
    index = FaqIndex(entries, Synonyms(), Thesaurus())
    confident = index.search("Wo findet das Netzwerktreffen statt?")
    assert confident.answered and confident.near == ()
    close = index.search("Netzwerktreffen Rathaus Anreise")
    assert not close.answered and close.near
    assert all(hit.score >= OFFER_THRESHOLD for hit in close.near)
    nothing = index.search("Wie wird das Wetter morgen?")
    assert not nothing.answered and nothing.near == ()


# --- weights after updates ---------------------------------------------------------------------


def test_an_updated_index_ranks_and_scores_like_one_built_afresh() -> None:
    entries = parse_entries(STARTER.read_text("utf-8"))
    queries = [
        "wie wird unsere kommune mitglied",
        "Wann ist das nächste Netzwerktreffen?",
        "Ehrenamtskarte",
        "wer ist im sprecherteam",
    ]
    index = FaqIndex(entries[:20])
    for query in queries:  # weights are cached for this state ...
        index.search(query)
    for entry in entries[20:]:  # ... and every change makes them stale
        index.upsert(entry)
    index.remove(entries[0].id)
    fresh = FaqIndex(entries[1:])
    for query in queries:
        got, want = index.search(query), fresh.search(query)
        assert [(h.entry.id, h.score) for h in got.hits] == [
            (h.entry.id, h.score) for h in want.hits
        ], query
