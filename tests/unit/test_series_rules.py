"""The rules of a series: its dates on the Berlin wall clock, its RRULE, and what is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.domain.errors import InvalidInput
from core.domain.series import MAX_DATES, Frequency, Series

BERLIN = ZoneInfo("Europe/Berlin")
TWO_HOURS = timedelta(hours=2)


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN)


def walls(rule: Series) -> list[str]:
    return [s.astimezone(BERLIN).strftime("%a %d.%m.%Y %H:%M") for s in rule.starts()]


def test_a_weekly_series_keeps_ten_oclock_across_the_change_to_summer_time():
    rule = Series(Frequency.WEEKLY, local(2027, 3, 18, 10), TWO_HOURS, count=3)
    rule.validate()
    starts = rule.starts()
    assert walls(rule) == ["Thu 18.03.2027 10:00", "Thu 25.03.2027 10:00", "Thu 01.04.2027 10:00"]
    # In UTC the clock moved: 09:00 before the 28 March 2027, 08:00 after it.
    assert [s.astimezone(UTC).hour for s in starts] == [9, 9, 8]
    assert all(s.tzinfo is not None and s.utcoffset() == timedelta(0) for s in starts)


def test_monthly_repeats_the_weekday_position_and_the_fifth_is_the_last():
    second_tuesday = Series(Frequency.MONTHLY, local(2026, 12, 8, 10), TWO_HOURS, count=3)
    assert walls(second_tuesday) == [
        "Tue 08.12.2026 10:00",
        "Tue 12.01.2027 10:00",
        "Tue 09.02.2027 10:00",
    ]
    assert second_tuesday.recurrence() == {"FREQ": "MONTHLY", "COUNT": 3, "BYDAY": "2TU"}
    # 29 December 2026 is the fifth Tuesday; February 2027 has no fifth, but a last one.
    fifth = Series(Frequency.MONTHLY, local(2026, 12, 29, 10), TWO_HOURS, count=3)
    assert fifth.weekday_position == -1
    assert walls(fifth)[1:] == ["Tue 26.01.2027 10:00", "Tue 23.02.2027 10:00"]
    assert fifth.recurrence()["BYDAY"] == "-1TU"


def test_monthly_day_biweekly_and_until():
    by_day = Series(Frequency.MONTHLY_DAY, local(2027, 1, 14, 18), TWO_HOURS, count=3)
    assert walls(by_day) == ["Thu 14.01.2027 18:00", "Sun 14.02.2027 18:00", "Sun 14.03.2027 18:00"]
    assert by_day.recurrence() == {"FREQ": "MONTHLY", "COUNT": 3, "BYMONTHDAY": 14}
    fortnight = Series(Frequency.BIWEEKLY, local(2027, 1, 5, 9), TWO_HOURS, until=date(2027, 2, 2))
    fortnight.validate()
    assert walls(fortnight) == [
        "Tue 05.01.2027 09:00",
        "Tue 19.01.2027 09:00",
        "Tue 02.02.2027 09:00",
    ]
    # The last day is counted in the calendar as COUNT, never as an UTC UNTIL.
    assert fortnight.recurrence() == {"FREQ": "WEEKLY", "COUNT": 3, "INTERVAL": 2}


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        (Series(Frequency.WEEKLY, local(2027, 1, 5, 9), TWO_HOURS), "series_bound"),
        (
            Series(Frequency.WEEKLY, local(2027, 1, 5, 9), TWO_HOURS, 3, date(2027, 2, 1)),
            "series_bound",
        ),
        (Series(Frequency.WEEKLY, local(2027, 1, 5, 9), TWO_HOURS, count=0), "series_count"),
        (
            Series(Frequency.WEEKLY, local(2027, 1, 5, 9), TWO_HOURS, count=MAX_DATES + 1),
            "series_count",
        ),
        (
            Series(Frequency.MONTHLY_DAY, local(2027, 1, 31, 9), TWO_HOURS, count=3),
            "series_month_day",
        ),
        (
            Series(Frequency.WEEKLY, local(2027, 1, 5, 9), TWO_HOURS, until=date(2027, 1, 4)),
            "series_until_before",
        ),
        (
            Series(Frequency.WEEKLY, local(2027, 1, 5, 9), TWO_HOURS, until=date(2028, 6, 1)),
            "series_too_long",
        ),
    ],
)
def test_refused_rules(rule, code):
    with pytest.raises(InvalidInput) as refused:
        rule.validate()
    assert refused.value.code == code


def test_a_year_of_weeks_is_allowed():
    rule = Series(Frequency.WEEKLY, local(2027, 1, 5, 9), TWO_HOURS, count=MAX_DATES)
    rule.validate()
    assert len(rule.starts()) == MAX_DATES
