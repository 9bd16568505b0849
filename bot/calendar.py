"""iCalendar files: one event (``/kalender``) or a person's feed (``/kalender_abo``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from icalendar import Alarm, Calendar
from icalendar import Event as CalendarEvent

from core.domain.events import Event

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


def calendar_file(entries: Iterable[Entry], *, name: str, now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for entry in entries:
        calendar.add_component(_vevent(entry, now))
    return calendar.to_ical()


def _vevent(entry: Entry, now: datetime) -> CalendarEvent:
    event = entry.event
    item = CalendarEvent()
    item.add("uid", event_uid(event))
    item.add("dtstamp", now)
    item.add("sequence", event.sequence)
    if event.updated_at is not None:
        item.add("last-modified", event.updated_at)
    item.add("dtstart", event.starts_at)
    item.add("dtend", event.ends_at)
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
