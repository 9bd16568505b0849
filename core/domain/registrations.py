"""A person's registration for an event, and how a signup is decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE


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
