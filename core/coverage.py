"""Coverage: which member municipalities took part in which of the year's events and named
polls, and which the network has not reached this year (the office's contact care).

Aggregates only — municipalities and numbers of people, never a person — so leadership may
see it too (:data:`Action.VIEW_AGGREGATES`). Anonymous polls do not count: who took part
in them is not stored, and in a small municipality it would say how someone voted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from core.authority import require
from core.domain.authority import Action
from core.domain.events import Event
from core.domain.members import MUNICIPAL_KINDS, Member
from core.domain.polls import Poll
from core.events import OFFICE_LIMIT
from core.polls import sees_results
from core.ports import UnitOfWork

#: How many of the newest polls are looked at for a year (the network runs a few dozen).
POLL_SCAN = 500


@dataclass(slots=True)
class MemberCoverage:
    member: Member
    #: Event id → how many of the municipality's people were registered (confirmed).
    events: dict[int, int] = field(default_factory=dict)
    #: Event id → how many of the municipality's people were checked in (attendance).
    attended: dict[int, int] = field(default_factory=dict)
    #: Ids of the named polls someone of the municipality voted in.
    polls: set[int] = field(default_factory=set)
    #: How many persons of the municipality the office knows.
    people: int = 0

    @property
    def reached(self) -> bool:
        return bool(self.events or self.attended or self.polls)


@dataclass(frozen=True, slots=True)
class Coverage:
    year: int
    #: The year's events that have begun and were not cancelled, in order.
    events: list[Event]
    #: The year's named polls whose turnout the actor may see, in order.
    polls: list[Poll]
    #: One per member municipality (partners and Bezirksregierungen left out), by name.
    members: list[MemberCoverage]

    @property
    def not_reached(self) -> list[Member]:
        return [m.member for m in self.members if not m.reached]


async def coverage(
    uow: UnitOfWork, *, actor_id: int | None, year: int, now: datetime, tz: ZoneInfo
) -> Coverage:
    """Who took part in ``year`` (in ``tz``) up to ``now``: events that have begun and named
    polls (a running poll with hidden results only for who controls it, as its turnout).
    Raises NotAllowed."""
    since = datetime(year, 1, 1, tzinfo=tz)
    until = min(datetime(year + 1, 1, 1, tzinfo=tz), now)
    async with uow:
        actor = await require(uow, actor_id, Action.VIEW_AGGREGATES)
        rows = {
            m.id: MemberCoverage(m) for m in await uow.members.list() if m.kind in MUNICIPAL_KINDS
        }
        for person in await uow.persons.list():
            if person.member_id in rows:
                rows[person.member_id].people += 1
        held = [
            info.event
            for info in await uow.events.listed(until, ended=True, limit=OFFICE_LIMIT)
            if info.event.starts_at >= since and not info.event.cancelled
        ]
        held += [
            info.event
            for info in await uow.events.listed(until, ended=False, limit=OFFICE_LIMIT)
            if info.event.starts_at < until and not info.event.cancelled
        ]  # running now
        for event_id, member_id, people in await uow.events.attendance(since, until):
            if member_id in rows:
                rows[member_id].events[event_id] = people
        for event_id, member_id, people in await uow.attendance.counts(since, until):
            if member_id in rows:
                rows[member_id].attended[event_id] = people
        polls = []
        for poll in reversed(await uow.polls.recent(POLL_SCAN)):
            if poll.anonymous or not since <= poll.created_at < until:
                continue
            if not await sees_results(uow, actor, poll, now):
                continue
            polls.append(poll)
            turnout = await uow.polls.frozen_turnout(poll.id) if poll.closed_at else None
            for member_id, _, _ in turnout or await uow.polls.turnout(poll.id):
                if member_id in rows:
                    rows[member_id].polls.add(poll.id)
    held.sort(key=lambda e: (e.starts_at, e.id))
    members = sorted(rows.values(), key=lambda m: m.member.name)
    return Coverage(year, held, polls, members)
