"""The starter knowledge base states no fact that ages silently (#15)."""

import re
from pathlib import Path

from bot.faq_yaml import parse_entries

STARTER = Path(__file__).resolve().parents[2] / "core/data/faq_starter.yaml"


def test_no_entry_guesses_or_plans_a_year():
    """A guess ("vermutlich") or a plan for a year ("für 2023 vorgesehen") is wrong a year
    later; dates live in the event list (/termine), history may name its year."""
    for entry in parse_entries(STARTER.read_text("utf-8")):
        text = entry.answer
        assert "vermutlich" not in text, entry.id
        assert not re.search(r"(?:für|ab|bis) (?:Januar |Februar |Herbst )?20\d\d", text), entry.id
        assert not re.search(r"20\d\d (?:war|ist) .*(?:vorgesehen|geplant)", text), entry.id
