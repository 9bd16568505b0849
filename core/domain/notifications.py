"""Notices that wait in the database: reminders, announcements, promotions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from core.domain.mail import Channel

#: Reminders before an event unless the event says otherwise.
DEFAULT_REMINDERS = (timedelta(hours=24), timedelta(hours=1))
#: "Registration closes tomorrow" goes out this long before the deadline.
DEADLINE_NOTICE = timedelta(hours=24)


@dataclass(slots=True)
class Notification:
    """One notice to one person, due at ``due_at``; handed to a channel exactly once."""

    person_id: int
    key: str  # i18n key below ``notice.``
    params: dict[str, Any]
    due_at: datetime
    #: Makes planning idempotent: a second row with the same key is never created.
    dedupe_key: str | None = None
    event_id: int | None = None
    announcement_id: int | None = None
    id: int | None = None


@dataclass(slots=True)
class Preferences:
    """What a person chose about being contacted; absent rows mean these defaults."""

    person_id: int
    reminders: bool = True
    deadline_reminders: bool = False  # opt-in
    preferred_platform: str | None = None
    calendar_token_hash: str | None = None
    channel: Channel = Channel.CHAT


class AudienceKind(StrEnum):
    ALL = "all"  # every person of a member municipality
    MEMBER_KIND = "kind"  # the people of one kind of member (Kreise, Städte …)
    MEMBER = "member"  # the people of one member
    EVENT = "event"  # one event's confirmed participants
    #: The people of the member municipalities nobody is registered from (core.outreach).
    NOT_REGISTERED = "not_registered"


@dataclass(slots=True)
class Announcement:
    text: str
    audience: AudienceKind
    audience_ref: str | None
    author_id: int | None
    created_at: datetime
    recipients: int = 0
    completed_at: datetime | None = None
    id: int | None = None
    #: An information mail's subject; the text is then its Markdown body.
    subject: str | None = None
    #: The event the announcement invites to (mails carry a personal "Anmelden" link).
    event_id: int | None = None


@dataclass(frozen=True, slots=True)
class DeliveryProgress:
    total: int
    delivered: int
    failed: int

    @property
    def pending(self) -> int:
        return self.total - self.delivered - self.failed


@dataclass(frozen=True, slots=True)
class GivenUp:
    """A notification that will not arrive, for the organizers' overview."""

    person_name: str
    key: str
    at: datetime
    error: str
