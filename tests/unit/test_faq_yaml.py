"""YAML import/export of the knowledge base: validation names entry and field; round trip."""

from __future__ import annotations

from importlib import resources

import pytest

from bot.faq_yaml import FaqFileError, dump_entries, parse_entries
from core.domain.faq import FaqEntry

GOOD = """
- id: mitglied-werden
  question: Wie wird unsere Kommune Mitglied?
  answer: |-
    Die Kommune unterzeichnet die **Gemeinsame Erklärung**.

    - Ansprechperson benennen
  variants: ["Wer kann beitreten?", "Wie tritt eine Stadt bei?"]
  tags: [mitgliedschaft]
  links: ["https://www.engagiert-in-nrw.de"]
  topic: mitgliedschaft
- id: datenschutz
  question: Welche Daten speichert der Bot?
  answer: Nur das Nötigste.
"""


def error_for(text: str) -> FaqFileError:
    with pytest.raises(FaqFileError) as caught:
        parse_entries(text)
    return caught.value


def test_parses_the_documented_shape() -> None:
    first, second = parse_entries(GOOD)
    assert first == FaqEntry(
        id="mitglied-werden",
        question="Wie wird unsere Kommune Mitglied?",
        answer=(
            "Die Kommune unterzeichnet die **Gemeinsame Erklärung**.\n\n- Ansprechperson benennen"
        ),
        variants=("Wer kann beitreten?", "Wie tritt eine Stadt bei?"),
        tags=("mitgliedschaft",),
        links=("https://www.engagiert-in-nrw.de",),
        topic="mitgliedschaft",
    )
    assert second.variants == () and second.topic is None


def test_round_trip_keeps_every_field() -> None:
    entries = parse_entries(GOOD)
    text = dump_entries(entries)
    assert parse_entries(text) == entries
    assert "Erklärung" in text  # allow_unicode
    assert "answer: |-" in text  # Markdown stays readable


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "- {id: a, question: Frage}",
            ["Eintrag 1 (id „a“), Feld „answer“: Pflichtschlüssel fehlt"],
        ),
        ("- {question: Frage, answer: A}", ["Eintrag 1, Feld „id“: Pflichtschlüssel fehlt"]),
        (
            "- {id: a, question: '  ', answer: A}",
            ["Eintrag 1 (id „a“), Feld „question“: darf nicht leer sein"],
        ),
        ("- {id: a, question: 7, answer: A}", ["Feld „question“: muss ein Text sein, nicht Zahl"]),
        ("- {id: Mitglied Werden, question: Frage, answer: A}", ["Feld „id“: muss ein Kürzel"]),
        (
            "- {id: a, question: Frage, answer: A, foo: 1}",
            ["Eintrag 1 (id „a“), Feld „foo“: unbekannter Schlüssel (erlaubt: id, question"],
        ),
        (
            "- {id: a, question: Frage, answer: A, tags: x}",
            ["Feld „tags“: muss eine Liste von Texten sein, nicht Text"],
        ),
        (
            "- {id: a, question: Frage, answer: A, tags: }",
            ["Feld „tags“: muss eine Liste von Texten sein (oder weggelassen werden)"],
        ),
        (
            "- {id: a, question: Frage, answer: A, variants: [ok, 3]}",
            ["„variants“: Element 2 muss ein Text sein, nicht Zahl"],
        ),
        (
            "- {id: a, question: Frage, answer: A, links: ['']}",
            ["„links“: Element 1 darf nicht leer sein"],
        ),
        (
            "- {id: a, question: Frage, answer: A, links: [keine-url, 'javascript:alert(1)']}",
            [
                "„links“: Element 1 ist keine Webadresse (https://… oder http://…)",
                "„links“: Element 2 ist keine Webadresse",
            ],
        ),
        (
            "- {id: a, question: Frage, answer: A, topic: [x]}",
            ["Feld „topic“: muss ein Text sein, nicht Liste"],
        ),
        (
            "- {id: a, question: Frage, answer: A}\n- {id: a, question: Andere, answer: B}",
            ["Eintrag 2 (id „a“), Feld „id“: doppelte Kennung, schon bei Eintrag 1 verwendet"],
        ),
        ("- just a string", ["Eintrag 1: ein Eintrag muss aus Schlüsseln mit Werten bestehen"]),
        ("id: a\nquestion: Frage", ["die Datei muss eine Liste von Einträgen sein"]),
        ("- {id: a, question: [unclosed", ["ungültiges YAML in Zeile"]),
    ],
)
def test_validation_errors_name_entry_and_field(text: str, expected: list[str]) -> None:
    message = str(error_for(text))
    for part in expected:
        assert part in message


def test_every_problem_is_reported_before_failing() -> None:
    text = (
        "- {id: ok, question: Frage, answer: A}\n"
        "- {id: b, answer: A}\n"
        "- {id: C!, question: Frage, answer: A}"
    )
    problems = error_for(text).problems
    assert [(p.index, p.field) for p in problems] == [(2, "question"), (3, "id")]


def test_empty_file_is_an_empty_base() -> None:
    assert parse_entries("") == []
    assert parse_entries("[]") == []


def test_starter_base_is_valid_and_rich_enough() -> None:
    text = resources.files("core.data").joinpath("faq_starter.yaml").read_text("utf-8")
    entries = parse_entries(text)
    assert len(entries) >= 35
    assert all(len(e.variants) >= 2 for e in entries)
    assert parse_entries(dump_entries(entries)) == entries
    ids = {e.id for e in entries}
    for required in ("mitglied-werden", "gemeinsame-erklaerung", "spitzentreffen", "datenschutz"):
        assert required in ids
