"""A person's registration for an event, and how a signup is decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class RegistrationStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


ACTIVE = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


class Mode(StrEnum):
    """How a person takes part: at the event's place or by its video conference. A hybrid
    event offers both, each with its own capacity and waiting list."""

    ON_SITE = "on_site"
    ONLINE = "online"


@dataclass(slots=True)
class Registration:
    event_id: int
    person_id: int | None  # None once the person's data was erased
    status: RegistrationStatus
    created_at: datetime
    updated_at: datetime
    waitlist_position: int | None = None  # within the waiting list of ``mode``
    id: int | None = None
    mode: Mode = Mode.ON_SITE
    #: Someone waiting who was offered a freed place holds it until then.
    offered_until: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    def holds_offer(self, now: datetime) -> bool:
        """Waiting, and offered a place that can still be taken at ``now``."""
        return (
            self.status is RegistrationStatus.WAITLISTED
            and self.offered_until is not None
            and now < self.offered_until
        )


def status_for_new_signup(
    capacity: int | None, confirmed: int, waitlisted: int
) -> RegistrationStatus:
    """Confirm while places are free and nobody waits; otherwise queue up."""
    if capacity is None or (confirmed < capacity and waitlisted == 0):
        return RegistrationStatus.CONFIRMED
    return RegistrationStatus.WAITLISTED


def places_to_fill(capacity: int | None, confirmed: int) -> int:
    """How many waiting-list entries can be promoted now (unbounded capacity: all)."""
    if capacity is None:
        return 1 << 30
    return max(capacity - confirmed, 0)


#: How long a waiting person has to take an offered place, and how close to the start an
#: offer may end at the latest.
OFFER_FOR = timedelta(hours=24)
OFFER_ENDS_BEFORE_START = timedelta(hours=2)
#: Nobody is expected to answer at night: an offer ending then ends at 08:00 instead.
OFFER_NIGHT = (time(22, 0), time(8, 0))
OFFER_TIME_ZONE = ZoneInfo("Europe/Berlin")


def offer_deadline(now: datetime, starts_at: datetime) -> datetime | None:
    """Until when a place offered at ``now`` is held: 24 hours, but no later than 2 hours
    before ``starts_at``; an end between 22:00 and 08:00 Berlin time moves to 08:00 unless
    that is past the 2-hour limit. ``None`` when the limit has passed (no time for an offer:
    the place is given at once). Both moments are aware datetimes."""
    limit = starts_at - OFFER_ENDS_BEFORE_START
    if limit <= now:
        return None
    deadline = min(now + OFFER_FOR, limit)
    local = deadline.astimezone(OFFER_TIME_ZONE)
    evening, morning = OFFER_NIGHT
    if local.time() >= evening or local.time() < morning:
        day = local.date() + timedelta(days=1) if local.time() >= evening else local.date()
        moved = datetime.combine(day, morning, OFFER_TIME_ZONE)
        if moved <= limit:
            return moved
    return deadline
