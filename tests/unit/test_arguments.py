"""Lists of durations as the office types them (reminders before an event)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.arguments import parse_durations
from core.domain.errors import InvalidInput

H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 Tag, 2 Stunden", (24 * H, 2 * H)),
        ("1,5 Stunden", (1.5 * H,)),  # a decimal comma belongs to its number
        ("1,5 Stunden, 1 Tag", (1.5 * H, 24 * H)),
        ("48h; 30 min", (48 * H, H / 2)),
        ("24h 1h", (24 * H, H)),  # as the command line takes them
        ("1 Tag und 1 Stunde", (24 * H, H)),
        ("2 Tage / 90 Min.", (48 * H, 1.5 * H)),
        ("  ", ()),
    ],
)
def test_durations_each_with_its_unit(text, expected):
    assert parse_durations(text) == expected


@pytest.mark.parametrize("text", ["24", "1, 5 Stunden", "bald", "2 Tage, bald", "1 Tag,, x"])
def test_a_number_without_unit_or_a_word_is_refused(text):
    with pytest.raises(InvalidInput, match="durations"):
        parse_durations(text)
