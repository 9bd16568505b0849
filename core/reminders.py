"""Reminders before events and before registration deadlines, planned from the database.

Nothing is scheduled ahead: each wake-up derives what is due now from events,
registrations and preferences, and stores it as notifications with a deduplication key, so
that a reminder is created once however often (or however late) the planner runs. A reminder
whose event has begun by then is recorded as dropped instead; of several reminders for one
event that are due at once (after downtime) only the latest goes out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.audit import record
from core.authority import require
from core.domain.authority import Action
from core.domain.errors import DomainError, InvalidInput, NotFound
from core.domain.events import Event
from core.domain.notifications import DEADLINE_NOTICE, DEFAULT_REMINDERS, Notification
from core.domain.registrations import Mode
from core.ports import UnitOfWork

log = logging.getLogger(__name__)

#: How long after an event's start its missed reminders are still recorded as dropped.
CATCH_UP = timedelta(days=2)
#: The longest reminder offset (and deadline notice) looked ahead for.
HORIZON = timedelta(days=30)
#: More reminders for one event than this would be noise.
REMINDERS_MAX = 5
DROPPED = "event began before the reminder went out"
SUPERSEDED = "a later reminder for the same event was due as well"


@dataclass(frozen=True, slots=True)
class PlanReport:
    planned: int
    dropped: int


def reminder_key(event: Event, mode: Mode) -> str:
    """The message for an event's reminder: with the person's video link (online), the
    place (on site), or neither."""
    if mode is Mode.ONLINE and event.video_url:
        return "reminder_video"
    return "reminder_place" if event.place else "reminder"


async def plan_due(uow: UnitOfWork, *, now: datetime) -> PlanReport:
    """Store every reminder and deadline notice that is due at ``now`` and not yet stored."""
    async with uow:
        planned, dropped = await _event_reminders(uow, now)
        planned += await _deadline_notices(uow, now)
        await uow.commit()
    if dropped:
        log.warning("%d reminder(s) dropped: their event had begun", dropped)
    return PlanReport(planned, dropped)


async def _event_reminders(uow: UnitOfWork, now: datetime) -> tuple[int, int]:
    events = await uow.reminders.events_starting(now - CATCH_UP, now + HORIZON)
    if not events:
        return 0, 0
    ids = [e.id for e in events]
    own = await uow.reminders.offsets(ids)
    known = await uow.notifications.dedupe_keys("reminder:", ids)
    confirmed = await uow.reminders.confirmed(ids)
    prefs = await uow.preferences.many(sorted({p for _, p, _, _ in confirmed}))
    by_id = {e.id: e for e in events}
    due: list[Notification] = []
    late: list[Notification] = []  # the event has begun
    superseded: list[Notification] = []  # a later reminder of the same event is due too
    for event_id, person_id, since, mode in confirmed:
        event = by_id[event_id]
        if not prefs[person_id].reminders:
            continue
        found = False
        for offset in sorted(own.get(event_id, DEFAULT_REMINDERS)):  # the latest first
            at = event.starts_at - offset
            minutes = offset.total_seconds() // 60
            key = f"reminder:{event_id}:{person_id}:{minutes:.0f}:{at.timestamp():.0f}"
            if at > now or since > at or key in known:
                continue  # not yet due, confirmed only after it was due, or done
            notification = Notification(
                person_id,
                reminder_key(event, mode),
                {
                    "event_id": event_id,
                    "title": event.title,
                    "starts_at": event.starts_at,
                    "place": event.place or "",
                    "mode": mode.value,
                },
                at,
                key,
                event_id=event_id,
            )
            if event.starts_at <= now:
                late.append(notification)
            else:
                (superseded if found else due).append(notification)
                found = True
    planned = await uow.notifications.add_many(due)
    dropped = await uow.notifications.add_many(late, dropped_at=now, reason=DROPPED)
    await uow.notifications.add_many(superseded, dropped_at=now, reason=SUPERSEDED)
    return planned, dropped


async def _deadline_notices(uow: UnitOfWork, now: datetime) -> int:
    """ "Registration closes tomorrow" for opted-in people who are not registered yet."""
    subscribers = await uow.preferences.deadline_subscribers()
    if not subscribers:
        return 0
    events = await uow.reminders.events_with_deadline(now, now + DEADLINE_NOTICE)
    if not events:
        return 0
    known = await uow.notifications.dedupe_keys("deadline:", [e.id for e in events])
    notices: list[Notification] = []
    for event in events:
        registered = await uow.reminders.active_person_ids(event.id)
        for person_id in subscribers:
            key = f"deadline:{event.id}:{person_id}:{event.registration_deadline.timestamp():.0f}"
            if person_id in registered or key in known:
                continue
            found = await uow.persons.get_with_member(person_id)
            if found is None:
                continue
            try:
                event.check_audience(*found, now)
            except DomainError:
                continue
            params = {
                "event_id": event.id,
                "title": event.title,
                "deadline": event.registration_deadline,
            }
            notices.append(
                Notification(person_id, "deadline_tomorrow", params, now, key, event_id=event.id)
            )
    return await uow.notifications.add_many(notices)


async def next_due(uow: UnitOfWork, *, now: datetime) -> datetime | None:
    """The next moment after ``now`` at which something becomes due (for the wake-up)."""
    async with uow:
        moments: list[datetime] = []
        events = await uow.reminders.events_starting(now, now + HORIZON)
        own = await uow.reminders.offsets([e.id for e in events])
        for event in events:
            moments += [event.starts_at - o for o in own.get(event.id, DEFAULT_REMINDERS)]
        for event in await uow.reminders.events_with_deadline(now, now + HORIZON):
            moments.append(event.registration_deadline - DEADLINE_NOTICE)
        pending = await uow.notifications.next_due(now)
    moments = [m for m in moments if m > now]
    if pending is not None:
        moments.append(pending)
    return min(moments, default=None)


async def set_event_reminders(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    event_id: int,
    offsets: tuple[timedelta, ...],
    now: datetime,
) -> None:
    """Replace the event's reminder offsets (an empty tuple: no reminders): each between a
    minute and :data:`HORIZON` before the start, at most :data:`REMINDERS_MAX`. Raises
    InvalidInput (``reminder_offset``, ``reminder_count``, ``cancelled_unchangeable``),
    NotFound, NotAllowed."""
    if any(o <= timedelta(0) or o > HORIZON for o in offsets):
        raise InvalidInput("reminder_offset", days=HORIZON.days)
    if len(set(offsets)) > REMINDERS_MAX:
        raise InvalidInput("reminder_count", max=REMINDERS_MAX)
    async with uow:
        await require(uow, actor_id, Action.MANAGE_EVENTS)
        info = await uow.events.get(event_id)
        if info is None:
            raise NotFound("event_not_found", id=event_id)
        info.event.check_changeable()
        ordered = tuple(sorted(set(offsets), reverse=True))
        await uow.reminders.set_offsets(event_id, ordered)
        await record(
            uow,
            actor_id=actor_id,
            action="event.reminders",
            subject=f"event:{event_id}",
            now=now,
            minutes=[int(o.total_seconds() // 60) for o in ordered],
        )
        await uow.commit()


async def event_reminders(
    uow: UnitOfWork, *, actor_id: int | None, event_id: int
) -> tuple[timedelta, ...]:
    """The event's reminder offsets before its start, the earliest first (the defaults when
    the office set none; empty: no reminders). Raises NotFound, NotAllowed."""
    async with uow:
        await require(uow, actor_id, Action.MANAGE_EVENTS)
        if await uow.events.get(event_id) is None:
            raise NotFound("event_not_found", id=event_id)
        own = await uow.reminders.offsets([event_id])
    return tuple(sorted(own.get(event_id, DEFAULT_REMINDERS), reverse=True))


async def set_reminder_preferences(
    uow: UnitOfWork,
    *,
    person_id: int,
    reminders: bool | None = None,
    deadline_reminders: bool | None = None,
    preferred_platform: str | None = None,
) -> None:
    """Change what was given; leave the rest."""
    async with uow:
        prefs = await uow.preferences.get(person_id)
        if reminders is not None:
            prefs.reminders = reminders
        if deadline_reminders is not None:
            prefs.deadline_reminders = deadline_reminders
        if preferred_platform is not None:
            prefs.preferred_platform = preferred_platform
        await uow.preferences.save(prefs)
        await uow.commit()
