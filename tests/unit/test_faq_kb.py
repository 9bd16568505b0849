"""Knowledge-base rules that need no database: gap normalisation, entry checks, look-up."""

from __future__ import annotations

import pytest

from core.domain.errors import DomainError
from core.domain.faq import FaqEntry
from core.domain.text import without_markup
from core.faq import FaqIndex, Synonyms
from core.kb import LONG_GAP, as_heading, check_entries, find_entry, gap_text

ENTRY = FaqEntry("mitglied-werden", "Wie wird unsere Kommune Mitglied?", "So.")


def test_gap_text_adds_up_spellings_of_the_same_question() -> None:
    assert gap_text("  Wie buche ich ein HOTEL?! ") == "wie buche ich ein hotel"
    assert gap_text("wie buche ich\nein Hotel") == "wie buche ich ein hotel"
    assert gap_text("Fördermittel für Straßenfeste?") == "fördermittel für strassenfeste"
    assert gap_text("???") == ""
    assert gap_text("wort " * 200) == LONG_GAP  # counted, but its text is not kept


def test_gap_text_keeps_nothing_that_tells_who_asked() -> None:
    query = (
        "Ich bin Erika Muster aus Auenburg, Tel 0211 123456, erika@auenburg.de, "
        "kann ich Fahrtkosten abrechnen?"
    )
    gap = gap_text(query, names={"Erika", "Muster"})
    assert gap == "ich bin aus auenburg tel kann ich fahrtkosten abrechnen"
    assert gap_text("Förderung ab 01.01.2027 für Straße 12b?") == "förderung ab für strasse"
    assert gap_text("siehe https://example.org/a?b=1 und www.x.de") == "siehe und"
    # Names in every spelling the search accepts, and in the genitive.
    names = {"Jürgen", "Weißmüller"}
    assert gap_text("juergen weissmueller diabetes", names) == "diabetes"
    assert gap_text("Weißmüllers Sohn ist krank", names) == "sohn ist krank"


@pytest.mark.parametrize(
    ("entries", "code", "field"),
    [
        ([ENTRY, ENTRY], "faq_duplicate_id", None),
        ([FaqEntry("a" * 101, "F?", "A")], "faq_too_long", "id"),
        ([FaqEntry("a", "F?", "A", topic="t" * 101)], "faq_too_long", "topic"),
    ],
)
def test_check_entries_names_entry_and_field(entries, code, field) -> None:
    with pytest.raises(DomainError) as caught:
        check_entries(entries)
    assert caught.value.code == code
    assert caught.value.params["entry"]
    assert caught.value.params.get("field") == field


def test_find_entry_by_id_with_polite_errors() -> None:
    index = FaqIndex([ENTRY], Synonyms())
    assert find_entry(index, " Mitglied-Werden ") == ENTRY
    for args, code in (("", "faq_id_missing"), ("nichts", "faq_entry_not_found")):
        with pytest.raises(DomainError) as caught:
            find_entry(index, args)
        assert caught.value.code == code


def test_markup_is_taken_out_of_a_question_but_a_lone_angle_bracket_stays() -> None:
    assert (
        without_markup("<b>Wie</b> werde ich &quot;Mitglied&quot;?") == 'Wie werde ich "Mitglied"?'
    )
    assert without_markup("<script>alert(1)</script>Frage") == "Frage"
    assert without_markup("Kommunen mit <5000 Einwohnern und >10 Vereinen") == (
        "Kommunen mit <5000 Einwohnern und >10 Vereinen"
    )
    assert without_markup("Tom & Jerry\n  a<b") == "Tom & Jerry a<b"


def test_an_adopted_question_becomes_a_heading() -> None:
    assert as_heading("was kostet die mitgliedschaft") == "Was kostet die mitgliedschaft?"
    assert as_heading("  Gibt es Zuschüsse?  ") == "Gibt es Zuschüsse?"
    assert as_heading("bitte rückruf.") == "Bitte rückruf."
