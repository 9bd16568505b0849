"""Event series: a rule that repeats one event (weekly, every other week, monthly) in local time.

A series is kept as its rule; each of its dates is an ordinary event with its own
registrations. The dates are computed in the series' time zone (Europe/Berlin), so a date at
10:00 stays at 10:00 on both sides of a change to or from summer time, and converted to UTC
one by one. The recurrence rules are RFC 5545 3.3.10 (RRULE), computed by python-dateutil.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil import rrule

from core.domain.errors import InvalidInput

#: The network meets in North Rhine-Westphalia: its wall clock decides.
TIMEZONE = "Europe/Berlin"
#: A year of weekly dates; longer series are typos (or belong in next year's plan).
MAX_DATES = 52
#: A day of the month every month has (``monthly-day`` on the 31st would skip months).
MAX_MONTH_DAY = 28
_WEEKDAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)
_ICAL_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class Frequency(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    #: The weekday position of the first date: the second Tuesday (RRULE ``BYDAY=2TU``).
    MONTHLY = "monthly"
    #: The day of the month of the first date (RRULE ``BYMONTHDAY=14``).
    MONTHLY_DAY = "monthly-day"


@dataclass(slots=True)
class Series:
    """The rule of a series. ``first_start``: the first date's start as planned (aware,
    stored in UTC); exactly one of ``count`` (dates) and ``until`` (the last day, local,
    inclusive) bounds it; ``duration``: each date's length as planned."""

    frequency: Frequency
    first_start: datetime
    duration: timedelta
    count: int | None = None
    until: date | None = None
    timezone: str = TIMEZONE
    created_at: datetime | None = None
    id: int | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_start(self) -> datetime:
        """The first start on the series' wall clock (aware, in :attr:`zone`)."""
        return self.first_start.astimezone(self.zone)

    @property
    def weekday_position(self) -> int:
        """For ``monthly``: which of the month's weekdays the first date is, 1–4, or -1 for
        the fifth (a fifth Tuesday is not in every month; the last one is)."""
        position = (self.local_start.day - 1) // 7 + 1
        return -1 if position == 5 else position

    def validate(self) -> None:
        """Raise InvalidInput: ``series_bound`` (neither or both of count and until),
        ``series_count`` (count outside 1..:data:`MAX_DATES`), ``series_month_day`` (a day of
        the month after the 28th), ``series_until_before`` (until before the first date),
        ``series_too_long`` (more than :data:`MAX_DATES` dates)."""
        if (self.count is None) == (self.until is None):
            raise InvalidInput("series_bound")
        if self.count is not None and not 1 <= self.count <= MAX_DATES:
            raise InvalidInput("series_count", max=MAX_DATES)
        if self.frequency is Frequency.MONTHLY_DAY and self.local_start.day > MAX_MONTH_DAY:
            raise InvalidInput("series_month_day", day=self.local_start.day, max=MAX_MONTH_DAY)
        if self.until is not None:
            if self.until < self.local_start.date():
                raise InvalidInput("series_until_before", until=self.until)
            if len(self._local_dates(MAX_DATES + 1)) > MAX_DATES:
                raise InvalidInput("series_too_long", max=MAX_DATES)

    def starts(self) -> list[datetime]:
        """Every date's planned start, in order, aware in UTC: computed on the local wall
        clock, so that 10:00 stays 10:00 across summer time (RFC 5545 3.3.10)."""
        return [_to_utc(moment, self.zone) for moment in self._local_dates(MAX_DATES)]

    def recurrence(self) -> dict[str, object]:
        """The rule as RFC 5545 RRULE parts (icalendar's ``vRecur``), with ``COUNT`` as the
        number of dates however the series was bounded (no UNTIL in UTC to get wrong)."""
        rule: dict[str, object] = {"FREQ": "WEEKLY", "COUNT": len(self.starts())}
        weekday = _ICAL_WEEKDAYS[self.local_start.weekday()]
        if self.frequency is Frequency.BIWEEKLY:
            rule["INTERVAL"] = 2
        elif self.frequency is Frequency.MONTHLY:
            rule.update(FREQ="MONTHLY", BYDAY=f"{self.weekday_position}{weekday}")
        elif self.frequency is Frequency.MONTHLY_DAY:
            rule.update(FREQ="MONTHLY", BYMONTHDAY=self.local_start.day)
        return rule

    def _local_dates(self, limit: int) -> list[datetime]:
        first = self.local_start.replace(tzinfo=None)
        options: dict[str, object] = {"dtstart": first}
        if self.until is not None:
            options["until"] = datetime.combine(self.until, time.max)
        else:
            options["count"] = self.count
        if self.frequency is Frequency.BIWEEKLY:
            options["interval"] = 2
        if self.frequency is Frequency.MONTHLY:
            weekday = _WEEKDAYS[first.weekday()]
            options["byweekday"] = weekday(self.weekday_position)
        elif self.frequency is Frequency.MONTHLY_DAY:
            options["bymonthday"] = first.day
        weekly = self.frequency in (Frequency.WEEKLY, Frequency.BIWEEKLY)
        freq = rrule.WEEKLY if weekly else rrule.MONTHLY
        return list(islice(rrule.rrule(freq, **options), limit))


def _to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A local wall-clock time to UTC; a time that does not exist (the hour skipped in
    spring) is read with the offset before the change (PEP 495: 02:30 is 03:30 summer time)."""
    return wall.replace(tzinfo=zone).astimezone(UTC)
