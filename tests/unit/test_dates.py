"""``bot.dates.parse_moment``: dates as the office types them, against a fixed "now"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.dates import DateError, parse_moment

BERLIN = ZoneInfo("Europe/Berlin")
#: Sunday, 10 May 2026, 09:00 in Berlin.
NOW = datetime(2026, 5, 10, 7, 0, 17, 123456, tzinfo=UTC)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.12. 14 Uhr", at(2026, 12, 3, 14, 0)),
        ("3.12. 9 Uhr", at(2026, 12, 3, 9, 0)),
        ("3.12. 14.30 Uhr", at(2026, 12, 3, 14, 30)),
        ("3.12.2026, 14 Uhr 30", at(2026, 12, 3, 14, 30)),
        ("am 3.12. um 14 Uhr", at(2026, 12, 3, 14, 0)),
        ("03.12.2026 14:00", at(2026, 12, 3, 14, 0)),
        ("3.12.26 14:00", at(2026, 12, 3, 14, 0)),
        ("3. Dezember 14:00", at(2026, 12, 3, 14, 0)),
        ("morgen 10:00", at(2026, 5, 11, 10, 0)),
        ("übermorgen 9 Uhr", at(2026, 5, 12, 9, 0)),
        ("Donnerstag 9 Uhr", at(2026, 5, 14, 9, 0)),
        ("tomorrow 10am", at(2026, 5, 11, 10, 0)),
        ("14:00", at(2026, 5, 10, 14, 0)),
        ("1.1. 10:00", at(2027, 1, 1, 10, 0)),  # the next 1 January
        ("29.2.2028 9 Uhr", at(2028, 2, 29, 9, 0)),
        ("2026-12-03T14:00", at(2026, 12, 3, 14, 0)),
        ("2026-12-03 14:00", at(2026, 12, 3, 14, 0)),
        ("2026\u201012\u201303T14:00", at(2026, 12, 3, 14, 0)),  # a phone's dashes
        ("  3.12.\u00a014\u00a0Uhr ", at(2026, 12, 3, 14, 0)),
    ],
)
def test_what_the_office_types_is_understood(text, expected):
    moment = parse_moment(text, now=NOW, tz=BERLIN)
    assert moment == expected
    assert moment.utcoffset() == expected.utcoffset()  # aware, in Berlin time


def test_iso_with_an_offset_keeps_it():
    moment = parse_moment("2026-12-03T14:00+00:00", now=NOW, tz=BERLIN)
    assert moment == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


def test_relative_dates_follow_the_given_now_not_the_system_clock():
    new_year = datetime(2026, 12, 31, 14, 0, tzinfo=UTC)  # 15:00 in Berlin
    assert parse_moment("morgen 10:00", now=new_year, tz=BERLIN) == at(2027, 1, 1, 10, 0)
    assert parse_moment("3.12. 14 Uhr", now=new_year, tz=BERLIN) == at(2027, 12, 3, 14, 0)
    # A bare time is today, even if it has passed (the caller refuses the past).
    assert parse_moment("14:00", now=new_year, tz=BERLIN) == at(2026, 12, 31, 14, 0)


def test_relative_times_are_whole_minutes():
    moment = parse_moment("in 2 Stunden", now=NOW, tz=BERLIN)
    assert moment == (NOW + timedelta(hours=2)).replace(second=0, microsecond=0)
    assert parse_moment("3.12.2026 14:00:30", now=NOW, tz=BERLIN).second == 30


@pytest.mark.parametrize(
    "text", ["3.12.2026", "3.12.", "morgen", "Donnerstag", "2026-12-03", "3. Dezember"]
)
def test_a_date_without_a_time_is_refused(text):
    with pytest.raises(DateError) as caught:
        parse_moment(text, now=NOW, tz=BERLIN)
    assert str(caught.value) == (
        "Bitte geben Sie auch die Uhrzeit an, zum Beispiel „3.12. 14 Uhr“."
    )


def test_a_date_without_a_time_is_midnight_when_no_time_is_needed():
    assert parse_moment("3.12.2026", now=NOW, tz=BERLIN, require_time=False) == at(
        2026, 12, 3, 0, 0
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31.2. 10:00", "Den 31.2. gibt es nicht"),
        ("29.2.2027 10 Uhr", "Den 29.2.2027 gibt es nicht"),
        ("1.13. 10 Uhr", "Den 1.13. gibt es nicht"),
        ("2026-02-30T10:00", "gibt es nicht"),
        ("3.12.2026 25:00", "„25:00“ ist keine Uhrzeit"),
        ("3.12. 24 Uhr", "„24 Uhr“ ist keine Uhrzeit"),
        ("quatsch", "„quatsch“ ist kein Zeitpunkt"),
        ("", "Bitte geben Sie einen Zeitpunkt an"),
    ],
)
def test_impossible_and_unreadable_text_is_refused_in_german(text, message):
    with pytest.raises(DateError) as caught:
        parse_moment(text, now=NOW, tz=BERLIN)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.12. 14.30", at(2026, 12, 3, 14, 30)),
        ("am 3.12. um 14.30", at(2026, 12, 3, 14, 30)),
        ("am Donnerstag um 10 Uhr", at(2026, 5, 14, 10, 0)),
        ("tomorrow 10 am", at(2026, 5, 11, 10, 0)),
    ],
)
def test_dotted_times_after_a_date_and_fillers(text, expected):
    assert parse_moment(text, now=NOW, tz=BERLIN) == expected


def test_a_bare_day_and_month_is_a_date_not_a_time_of_day():
    # dateparser alone reads "3.12." and "3.12" as 03:12 tomorrow.
    for text in ("3.12.", "3.12"):
        with pytest.raises(DateError, match="Uhrzeit"):
            parse_moment(text, now=NOW, tz=BERLIN)
    assert parse_moment("3.12", now=NOW, tz=BERLIN, require_time=False) == at(2026, 12, 3, 0, 0)
