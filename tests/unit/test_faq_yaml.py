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
        ("- {id: a, question: Frage}", ["entry 1 (id 'a') field 'answer': missing required key"]),
        ("- {question: Frage, answer: A}", ["entry 1 field 'id': missing required key"]),
        ("- {id: a, question: '  ', answer: A}", ["entry 1 (id 'a') field 'question'", "empty"]),
        ("- {id: a, question: 7, answer: A}", ["field 'question': must be a string, not int"]),
        ("- {id: Mitglied Werden, question: Frage, answer: A}", ["field 'id': must be a slug"]),
        (
            "- {id: a, question: Frage, answer: A, foo: 1}",
            ["entry 1 (id 'a') field 'foo': unknown key"],
        ),
        ("- {id: a, question: Frage, answer: A, tags: x}", ["field 'tags': must be a list"]),
        ("- {id: a, question: Frage, answer: A, variants: [ok, 3]}", ["'variants': item 2"]),
        (
            "- {id: a, question: Frage, answer: A, links: ['']}",
            ["'links': item 1 must not be empty"],
        ),
        ("- {id: a, question: Frage, answer: A, topic: [x]}", ["field 'topic': must be a string"]),
        (
            "- {id: a, question: Frage, answer: A}\n- {id: a, question: Andere, answer: B}",
            ["entry 2 (id 'a') field 'id': duplicate id"],
        ),
        ("- just a string", ["entry 1: an entry must be a mapping"]),
        ("id: a\nquestion: Frage", ["must be a list of entries"]),
        ("- {id: a, question: [unclosed", ["invalid YAML"]),
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
