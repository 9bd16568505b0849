"""iCalendar files: one event (``/kalender``) or a person's feed (``/kalender_abo``).

The dates of a series are one VEVENT with the series' RRULE (its UID is the series') and,
for each date that differs from the rule for this person (moved, cancelled, another title or
place, waiting list, a personal video link), an override VEVENT with RECURRENCE-ID; dates the
person is not registered for are EXDATEs (RFC 5545 3.8.5.1–3.8.5.3, 3.8.4.4).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar
from icalendar import Event as CalendarEvent

from core.domain.events import Event
from core.series import SeriesDates

PRODID = "-//Kommunen-Netzwerk engagiert in NRW//engagiert-bot//DE"
ALARM_BEFORE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Entry:
    event: Event
    #: Waiting people see the event as tentative.
    confirmed: bool
    #: The person's own video link (``bot.video_links``), for a confirmed online registration.
    video_link: str | None = None


def event_uid(event: Event) -> str:
    return f"event-{event.id}@engagiert-bot"


def series_uid(plan: SeriesDates) -> str:
    return f"series-{plan.series.id}@engagiert-bot"


def calendar_file(
    entries: Iterable[Entry],
    *,
    name: str,
    now: datetime,
    series: Mapping[int, SeriesDates] | None = None,
) -> bytes:
    """A VCALENDAR with one VEVENT per entry; entries of a series in ``series`` (series id →
    the series with all its dates) become that series' recurring VEVENT (see the module).
    Returns the file's bytes (RFC 5545)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    grouped: dict[int, list[Entry]] = {}
    for entry in entries:
        series_id = entry.event.series_id
        if series and series_id in series:
            grouped.setdefault(series_id, []).append(entry)
        else:
            calendar.add_component(_vevent(entry, now))
    for series_id, group in grouped.items():
        for item in _series_vevents(series[series_id], group, now):
            calendar.add_component(item)
    if grouped:
        calendar.add_missing_timezones()  # VTIMEZONE for TZID=Europe/Berlin
    return calendar.to_ical()


def _series_vevents(
    plan: SeriesDates, entries: list[Entry], now: datetime
) -> Iterator[CalendarEvent]:
    """The series as this person has it: the rule (from the first date's title, place and
    description, in local time), EXDATE for dates without an entry, an override for every
    entry the rule does not describe."""
    rule, zone, uid = plan.series, plan.series.zone, series_uid(plan)
    planned = rule.starts()
    mine = {entry.event.id: entry for entry in entries}
    confirmed = any(entry.confirmed for entry in entries)
    template = replace(
        plan.dates[0],
        starts_at=planned[0],
        ends_at=planned[0] + rule.duration,
        cancelled=False,
        sequence=0,
        updated_at=max((e.event.updated_at for e in entries if e.event.updated_at), default=None),
    )
    master = _vevent(Entry(template, confirmed), now, uid=uid, zone=zone)
    master.add("rrule", rule.recurrence())
    missing = [
        start.astimezone(zone)
        for d, start in zip(plan.dates, planned, strict=False)
        if d.id not in mine
    ]
    if missing:
        master.add("exdate", missing)
    yield master
    for dated, start in zip(plan.dates, planned, strict=False):
        entry = mine.get(dated.id)
        if entry is None:
            continue
        expected = Entry(
            replace(template, starts_at=start, ends_at=start + rule.duration), confirmed
        )
        if _facts(entry) != _facts(expected):
            item = _vevent(entry, now, uid=uid, zone=zone)
            item.add("recurrence-id", start.astimezone(zone))
            yield item


def _facts(entry: Entry) -> tuple[object, ...]:
    """What a VEVENT shows of an entry: equal facts, equal entries in a calendar."""
    event = entry.event
    link = entry.video_link if entry.confirmed else None
    return (
        event.starts_at,
        event.ends_at,
        event.title,
        event.description,
        event.place,
        event.cancelled,
        entry.confirmed,
        link,
    )


def _vevent(
    entry: Entry, now: datetime, *, uid: str | None = None, zone: ZoneInfo | None = None
) -> CalendarEvent:
    """One VEVENT; ``uid`` instead of the event's own, times in ``zone`` (TZID) if given."""
    event = entry.event
    item = CalendarEvent()
    item.add("uid", uid or event_uid(event))
    item.add("dtstamp", now)
    item.add("sequence", event.sequence)
    if event.updated_at is not None:
        item.add("last-modified", event.updated_at)
    item.add("dtstart", event.starts_at.astimezone(zone) if zone else event.starts_at)
    item.add("dtend", event.ends_at.astimezone(zone) if zone else event.ends_at)
    item.add("summary", event.title)
    if event.cancelled:
        item.add("status", "CANCELLED")
    else:
        item.add("status", "CONFIRMED" if entry.confirmed else "TENTATIVE")
    description = [event.description] if event.description else []
    if entry.video_link and entry.confirmed:  # online: the conference is where they are
        item.add("url", entry.video_link)
        item.add("location", entry.video_link)
        description.append(entry.video_link)
    elif event.place:
        item.add("location", event.place)
    if description:
        item.add("description", "\n\n".join(description))
    if not event.cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.title)
        alarm.add("trigger", -ALARM_BEFORE)
        item.add_component(alarm)
    return item


def invitation(
    event: Event,
    *,
    method: str,
    attendee: tuple[str, str],
    organizer: tuple[str, str],
    note: str,
    now: datetime,
    video_link: str | None = None,
) -> str:
    """An iTIP message (RFC 5546) for one person's calendar: ``REQUEST`` adds or updates the
    event (same UID and SEQUENCE as the calendar files, so a move replaces the entry),
    ``CANCEL`` removes it. ``attendee`` and ``organizer`` are ``(name, address)``; the
    attendee is ``RSVP=FALSE`` (nothing reads calendar replies) and ``note`` says how to
    cancel instead; ``video_link``: the attendee's own (online registrations). Returns the
    text of a VCALENDAR object."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    item = _vevent(Entry(event, confirmed=True, video_link=video_link), now)
    if method == "CANCEL":
        item["status"] = "CANCELLED"
        item.subcomponents.clear()  # no alarm for an entry that goes away
    organizer_name, organizer_address = organizer
    item.add("organizer", f"mailto:{organizer_address}", parameters={"CN": organizer_name})
    name, address = attendee
    item.add(
        "attendee",
        f"mailto:{address}",
        parameters={
            "CN": name,
            "ROLE": "REQ-PARTICIPANT",
            "PARTSTAT": "ACCEPTED",
            "RSVP": "FALSE",
        },
    )
    description = str(item.get("description", ""))
    item["description"] = f"{description}\n\n{note}".strip()
    calendar.add_component(item)
    return calendar.to_ical().decode()
