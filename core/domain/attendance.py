"""Attendance at an event: who was there, how they were checked in, and when a member may
check in with the event's code.

Rules (pure; ``core.attendance`` applies them):

- The office and the event's speaker check people in from :data:`OPENS_BEFORE` before the
  start on, also after the end (from the paper list at the door), anyone, registered or not
  (a walk-in counts too).
- A member checks in with the event's code only while the event runs (from
  :data:`OPENS_BEFORE` before the start until its end), and only with a confirmed
  registration.
- A check-in is kept once per person and event: checking in again changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.domain.errors import InvalidInput
from core.domain.events import Event

#: The check-in opens this long before the event starts.
OPENS_BEFORE = timedelta(minutes=30)
#: Characters of an attendance code (``[A-Za-z0-9_-]``, as Telegram's deep links allow);
#: the ``/start`` payload ``a_<code>`` stays far below Telegram's 64 characters.
CODE_BYTES = 9  # 12 characters of URL-safe base64
CODE_MAX = 32


class CheckInMethod(StrEnum):
    OFFICE = "office"  # the office or the speaker, in the chat or at the desk
    CODE = "code"  # the person, with the event's code


@dataclass(frozen=True, slots=True)
class Attendance:
    """One person's check-in at one event."""

    event_id: int
    person_id: int
    checked_in_at: datetime
    method: CheckInMethod
    id: int | None = None
    certificate_sent_at: datetime | None = None  # by the office, to everyone present


@dataclass(frozen=True, slots=True)
class Attendee:
    """A row of an event's check-in list: a confirmed registration and/or a check-in."""

    person_id: int
    name: str
    member_name: str | None
    registered: bool
    checked_in_at: datetime | None = None
    method: CheckInMethod | None = None

    @property
    def present(self) -> bool:
        return self.checked_in_at is not None


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """What a Teilnahmebescheinigung states (the bot layer lays it out)."""

    event: Event
    person_name: str
    member_name: str | None
    checked_in_at: datetime

    @property
    def duration(self) -> timedelta:
        return self.event.ends_at - self.event.starts_at


def window(event: Event) -> tuple[datetime, datetime]:
    """When a member may check in with the code: ``(opens, closes)``."""
    return event.starts_at - OPENS_BEFORE, event.ends_at


def check_office_time(event: Event, now: datetime) -> None:
    """Raise unless the office may check someone in at ``now``: not for a cancelled event
    (``attendance_event_cancelled``), not before the window opens (``attendance_not_yet``)."""
    if event.cancelled:
        raise InvalidInput("attendance_event_cancelled", title=event.title)
    opens, _ = window(event)
    if now < opens:
        raise InvalidInput("attendance_not_yet", title=event.title, opens=opens)


def check_code_time(event: Event, now: datetime) -> None:
    """Raise unless a member may check in with the code at ``now``: cancelled
    (``attendance_event_cancelled``), too early (``attendance_not_yet``), over
    (``attendance_over``)."""
    check_office_time(event, now)
    _, closes = window(event)
    if now >= closes:
        raise InvalidInput("attendance_over", title=event.title)


def new_code() -> str:
    """A fresh, unguessable attendance code (12 characters of ``[A-Za-z0-9_-]``)."""
    return secrets.token_urlsafe(CODE_BYTES)


def looks_like_code(text: str) -> bool:
    """Whether ``text`` could be an attendance code at all (checked before any lookup)."""
    return 0 < len(text) <= CODE_MAX and all(
        c.isascii() and (c.isalnum() or c in "_-") for c in text
    )
