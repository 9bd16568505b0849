"""Points in time as the office types them: German first, English second, ISO 8601 always.

The reading is done by the maintained library ``dateparser``; this module only prepares the
text for it and checks what it made of it:

* ISO 8601 (``2026-12-03T14:00``, with or without a UTC offset) is read exactly, as before.
* Anything else goes to ``dateparser`` with ``languages=["de", "en"]``, ``DATE_ORDER=DMY``
  (``3/12`` is the 3rd of December), ``PREFER_DATES_FROM=future`` (``3.12.`` is the next
  3rd of December), ``TIMEZONE`` the app's zone and ``RELATIVE_BASE`` the caller's ``now``
  (so ``morgen`` is the day after the app clock's today and tests are deterministic).
* Before that, the text is normalised: the dashes phones type (``–``, ``—``, ``‐`` …) become
  ``-``; ``14 Uhr``, ``9 Uhr``, ``14.30 Uhr`` become ``14:00``, ``09:00``, ``14:30`` (which
  ``dateparser`` misreads otherwise: ``3.12. 14 Uhr`` was midnight in the year 2114); the
  fillers ``am``, ``den``, ``um`` go; a bare time (``14:00``) means today at that time.
* A written date that does not exist (``31.2.``, ``29.2.2027``, ``13.13.``) and a time that
  does not (``25:00``) are refused with their own message instead of "not understood".
* Without a time of day (``3.12.2026``, ``morgen``) the text is refused when a time is needed
  (event start, end, registration deadline) instead of silently meaning midnight.

Results are timezone-aware, in the given zone; the microseconds (and the seconds unless they
were typed) are dropped, so ``in 2 Stunden`` is a whole minute.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

from dateparser.date import DateDataParser

#: Dash characters that phones and word processors put where ``-`` was meant.
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
DASH_TABLE = str.maketrans(dict.fromkeys(DASHES, "-") | {"\u00a0": " ", "\u202f": " "})

ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?P<time>[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
#: ``14 Uhr``, ``9 Uhr``, ``14.30 Uhr``, ``14:30 Uhr``, ``14 Uhr 30``.
UHR = re.compile(
    r"(?<![\d.:])(?P<h>\d{1,2})(?:[.:](?P<m>\d{2}))?\s*Uhr(?:\s+(?P<m2>\d{2})\b)?",
    re.IGNORECASE,
)
#: A day and month written with dots, the year optional: ``3.12.``, ``03.12.2026``, ``3.12.26``
#: (and ``3.12``, which dateparser would read as 03:12).
NUMERIC_DATE = re.compile(
    r"(?<![\d.:])(?P<d>\d{1,2})\.(?P<m>\d{1,2})(?:\.(?P<y>\d{4}|\d{2})?)?(?![\d:])"
)
#: ``3.12. 14.30``: after a date, ``HH.MM`` is a time.
DATE_THEN_DOTTED_TIME = re.compile(
    r"(?P<date>(?<![\d.])\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})?),?\s+(?P<h>\d{1,2})\.(?P<m>\d{2})(?![.\d])"
)
AM_PM = re.compile(r"\d\s*(?:am|pm)\b", re.IGNORECASE)
CLOCK = re.compile(r"(?<![\d.:])(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?![\d])")
TIME_ONLY = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")
WEEKDAYS = r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|(?:mo|di|mi|do|fr|sa|so)\b"
#: ``am 3.12.``, ``den 3.12.``, ``um 14 Uhr``, ``am Donnerstag`` (only before a number or a
#: weekday: ``10 am`` is English).
FILLERS = re.compile(rf"\b(?:am|den|um)\s+(?=\d|{WEEKDAYS})", re.IGNORECASE)

EXAMPLES = "Beispiele: „3.12. 14 Uhr“, „morgen 10:00“, „2026-12-03T14:00“"
NEED_TIME = "Bitte geben Sie auch die Uhrzeit an, zum Beispiel „3.12. 14 Uhr“."


class DateError(ValueError):
    """The text is not a usable point in time; the message is one German sentence."""


def parse_moment(
    text: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    require_time: bool = True,
    day: datetime | None = None,
) -> datetime:
    """The point in time ``text`` means, read relative to ``now`` in zone ``tz``.

    ``now`` must be timezone-aware (the app clock's ``now()``). With ``day``, a bare time of
    day (``16 Uhr``) is on that day instead of today (an event's end on its start's day).
    Returns an aware datetime in ``tz`` (ISO input with an explicit offset keeps its
    offset). With ``require_time`` (the default) a date without a time of day is refused.

    Raises :class:`DateError` (German message) for empty or unreadable text, a date or time
    that does not exist, and a missing time of day. It does not check past or future: that is
    the business of the caller (``core.events.create_event(now=…)``).
    """
    cleaned = " ".join(text.translate(DASH_TABLE).split())
    if not cleaned:
        raise DateError(f"Bitte geben Sie einen Zeitpunkt an ({EXAMPLES}).")
    if (iso := ISO.fullmatch(cleaned)) is not None:
        return _iso(cleaned, has_time=iso.group("time") is not None, tz=tz, need=require_time)

    prepared = _prepare(cleaned)
    if day is not None and prepared.startswith("heute ") and TIME_ONLY.fullmatch(prepared[6:]):
        hour, minute = map(int, prepared[6:].split(":")[:2])
        return datetime.combine(day.astimezone(tz).date(), time(hour, minute), tzinfo=tz)
    has_time = CLOCK.search(prepared) or AM_PM.search(prepared)
    if _check_written_date(prepared, cleaned) and not has_time:
        # A date written alone: dateparser would read "3.12." as 03:12.
        if require_time:
            raise DateError(NEED_TIME)
        prepared = f"{prepared} 00:00"
    parser = DateDataParser(
        languages=["de", "en"],
        settings={
            "DATE_ORDER": "DMY",
            "PREFER_DATES_FROM": "future",
            "TIMEZONE": str(tz),
            "RETURN_AS_TIMEZONE_AWARE": True,
            "RELATIVE_BASE": now.astimezone(tz).replace(tzinfo=None),
            "RETURN_TIME_AS_PERIOD": True,
        },
    )
    data = parser.get_date_data(prepared)
    if data.date_obj is None:
        raise DateError(f"„{text.strip()}“ ist kein Zeitpunkt ({EXAMPLES}).")
    if require_time and data.period != "time":
        raise DateError(NEED_TIME)
    moment = data.date_obj.astimezone(tz).replace(microsecond=0)
    if not any(match.group("s") for match in CLOCK.finditer(prepared)):
        moment = moment.replace(second=0)
    return moment


def _iso(text: str, *, has_time: bool, tz: ZoneInfo, need: bool) -> datetime:
    if need and not has_time:
        raise DateError(NEED_TIME)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise DateError(f"Den Zeitpunkt „{text}“ gibt es nicht.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _prepare(text: str) -> str:
    """Fillers out, ``14 Uhr`` -> ``14:00``, ``3.12. 14.30`` -> ``3.12. 14:30``, a bare
    time -> ``heute HH:MM``. Raises :class:`DateError` for an hour or minute out of range."""

    def clock(match: re.Match[str]) -> str:
        hour, minute = int(match.group("h")), int(match.group("m") or match.group("m2") or 0)
        if hour > 23 or minute > 59:
            raise DateError(f"„{match.group(0)}“ ist keine Uhrzeit.")
        return f"{hour:02d}:{minute:02d}"

    def dotted(match: re.Match[str]) -> str:
        if int(match.group("h")) > 23 or int(match.group("m")) > 59:
            return match.group(0)  # then no time, and the date check names it
        return f"{match.group('date')} {clock(match)}"

    prepared = " ".join(FILLERS.sub(" ", text).split())
    prepared = UHR.sub(clock, prepared)
    prepared = DATE_THEN_DOTTED_TIME.sub(dotted, prepared)
    # "3.12" -> "3.12." (dateparser reads the first as 03:12, or not at all before a time)
    prepared = NUMERIC_DATE.sub(
        lambda m: m.group(0) if m.group(0).count(".") == 2 else f"{m.group(0)}.", prepared
    )
    for match in CLOCK.finditer(prepared):
        if int(match.group("h")) > 23 or int(match.group("m")) > 59:
            raise DateError(f"„{match.group(0)}“ ist keine Uhrzeit.")
    if TIME_ONLY.fullmatch(prepared):
        # dateparser's "future" reading of a bare time is erratic (on 31 December, 14:00 was
        # the 1st of December a year later); a bare time means today.
        prepared = f"heute {prepared}"
    return prepared


def _check_written_date(prepared: str, original: str) -> bool:
    """Whether ``prepared`` has a date written with dots; raises :class:`DateError` for one
    that does not exist (``31.2.``, ``29.2.2027``, ``1.13.``): dateparser says only "not
    understood" (or, for ``3.12``, reads a time)."""
    found = False
    for match in NUMERIC_DATE.finditer(prepared):
        found = True
        day, month, year = int(match.group("d")), int(match.group("m")), match.group("y")
        if year is None:
            longest = 29 if month == 2 else _days(2024, month)  # 29.2. exists in leap years
        else:
            full = int(year) + (2000 if len(year) == 2 else 0)
            longest = _days(full, month)
        if not 1 <= month <= 12 or not 1 <= day <= longest:
            raise DateError(f"Den {match.group(0)} gibt es nicht (in „{original}“).")
    return found


def _days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 0
