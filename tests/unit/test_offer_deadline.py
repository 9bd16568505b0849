"""When an offered place stops being held: 24 hours, at the latest 2 hours before the start,
never in the night (22:00–08:00 Berlin time) unless 08:00 would pass that limit."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.domain.registrations import offer_deadline

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: int, hour: int, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("now", "start", "expected"),
    [
        (at(7, 10), at(20, 10), at(8, 10)),  # a day to decide
        (at(7, 21, 59), at(20, 10), at(8, 21, 59)),  # ends just before the night
        (at(7, 22), at(20, 10), at(9, 8)),  # would end at 22:00: the next morning
        (at(7, 23, 30), at(20, 10), at(9, 8)),
        (at(7, 3), at(20, 10), at(8, 8)),  # would end at 03:00: 08:00 that morning
        (at(7, 12), at(8, 15), at(8, 12)),  # 2 hours before the start is later: 24 h
        (at(7, 12), at(8, 9), at(8, 7)),  # 08:00 would pass the limit of 07:00: 07:00
        (at(7, 12), at(8, 11), at(8, 9)),  # the limit (09:00) ends it, by day
        (at(7, 23), at(8, 11), at(8, 9)),  # limit 09:00 lies in the day: no night rule
        (at(8, 0, 30), at(8, 9, 30), at(8, 7, 30)),  # 08:00 is past the limit 07:30
        # Across the change to summer time (28 March 2027): 08:00 on the clock, CEST.
        (at(27, 23, month=3, year=2027), at(2, 10, month=4, year=2027), at(29, 8, 0, 3, 2027)),
    ],
)
def test_the_deadline(now, start, expected):
    assert offer_deadline(now, start) == expected


@pytest.mark.parametrize("before", [timedelta(hours=2), timedelta(hours=1), timedelta(0)])
def test_no_offer_when_the_start_is_two_hours_away_or_less(before):
    assert offer_deadline(at(8, 10) - before, at(8, 10)) is None
