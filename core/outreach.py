"""Reaching municipalities: for one event, the member municipalities nobody has registered
from yet, and the people an announcement ``nicht_angemeldet:ID`` reaches there.

Rules (README "Noch nicht angemeldete Kommunen"):

- Municipalities are the members of a municipal kind (Kreise, kreisfreie Städte, Städte,
  Gemeinden); cooperation partners and Bezirksregierungen are left out, as in the coverage
  view (:mod:`core.coverage`).
- A municipality counts as registered while one of its people has an active registration:
  a confirmed place or a place on the waiting list (either mode of a hybrid event).
- The event's audience decides which municipalities count: for ``new_members`` only the new
  member municipalities (:meth:`core.domain.members.Member.is_new`), for every other audience
  all of them.
- An announcement reaches the people of those municipalities who may sign up for the event
  (:meth:`core.domain.events.Event.admits`: at a ``leadership`` event only Verwaltungsspitzen),
  counted when it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.authority import require
from core.domain.authority import Action
from core.domain.errors import NotFound
from core.domain.events import Audience, Event
from core.domain.members import MUNICIPAL_KINDS, Member
from core.domain.people import Person
from core.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Outreach:
    """One event's municipalities without a registration."""

    event: Event
    #: The municipalities without an active registration, by name.
    missing: list[Member]
    #: How many municipalities count for the event (its audience's), registered or not.
    counted: int


async def not_registered(
    uow: UnitOfWork, *, actor_id: int | None, event_id: int, now: datetime
) -> Outreach:
    """The member municipalities from which nobody is registered for ``event_id`` (organizers:
    :data:`Action.VIEW_ATTENDEES`; ``None``: the operator). ``now`` decides who is a new member.
    Raises NotAllowed, NotFound ``event_not_found``."""
    async with uow:
        await require(uow, actor_id, Action.VIEW_ATTENDEES)
        event, counted, missing, _ = await _missing(uow, event_id, now)
    return Outreach(event, missing, len(counted))


async def recipients(uow: UnitOfWork, event_id: int, now: datetime) -> list[int]:
    """Ids of the persons an announcement ``nicht_angemeldet:event_id`` reaches now, in id
    order: the people of :func:`not_registered`'s municipalities whom the event admits.
    Runs inside the caller's open unit of work. Raises NotFound ``event_not_found``."""
    event, _, missing, persons = await _missing(uow, event_id, now)
    by_id = {m.id: m for m in missing}
    return sorted(
        p.id
        for p in persons
        if p.id is not None
        and p.member_id in by_id
        and not p.is_guest
        and event.admits(p, by_id[p.member_id], now)
    )


async def _missing(
    uow: UnitOfWork, event_id: int, now: datetime
) -> tuple[Event, list[Member], list[Member], list[Person]]:
    """The event, the municipalities that count for it, those of them not registered, and
    every person."""
    info = await uow.events.get(event_id)
    if info is None:
        raise NotFound("event_not_found", id=event_id)
    event = info.event
    counted = [
        m
        for m in await uow.members.list()
        if m.kind in MUNICIPAL_KINDS
        and (event.audience is not Audience.NEW_MEMBERS or m.is_new(now.date()))
    ]
    active = await uow.reminders.active_person_ids(event_id)
    persons = await uow.persons.list()
    registered = {p.member_id for p in persons if p.id in active}
    missing = sorted((m for m in counted if m.id not in registered), key=lambda m: m.name)
    return event, counted, missing, persons
