"""Use cases around events: listing, details, and the organizers' create/change/cancel."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from core.audit import record
from core.authority import require
from core.domain.authority import Action
from core.domain.errors import InvalidInput, NotFound
from core.domain.events import Event, check_moments
from core.domain.members import Member
from core.domain.notices import Notice
from core.domain.people import Person
from core.domain.registrations import Registration, RegistrationStatus
from core.members import person_by_ref
from core.ports import EventWithCounts, UnitOfWork
from core.signup import promote_waitlisted

UPCOMING_LIMIT = 20
#: How many events the office's lists show (a year holds 10–30).
OFFICE_LIMIT = 200
#: Everything but the id; cancelling has its own use case.
CHANGEABLE = frozenset(f.name for f in fields(Event)) - {
    "id",
    "cancelled",
    "sequence",
    "updated_at",
    "series_id",  # a date stays in its series (``core.series``)
}
#: Changes that registered people must hear about.
NOTIFIED_CHANGES = frozenset({"starts_at", "ends_at", "place", "video_url"})


@dataclass(frozen=True, slots=True)
class EventDetails:
    info: EventWithCounts  # with the asking person's own status and admission
    own_rank: int | None  # place on the waiting list, 1-based


async def upcoming_events(
    uow: UnitOfWork,
    *,
    now: datetime,
    person_id: int | None = None,
    limit: int | None = UPCOMING_LIMIT,
) -> list[EventWithCounts]:
    """The next events not yet over, soonest first, at most ``limit`` (``None``: all); for a
    person only those they may see (restricted audiences are invisible outside them).
    ``person_id=None``: the office's list."""
    async with uow:
        events = await uow.events.upcoming(now, None if person_id is not None else limit)
        if person_id is not None:
            viewer = await _viewer(uow, person_id)
            events = [
                replace(info, admitted=info.event.admits(*viewer, now))
                for info in events
                if info.event.visible_to(*viewer, now)
            ]
    return events if limit is None else events[:limit]


async def office_events(
    uow: UnitOfWork, *, actor_id: int | None, now: datetime, ended: bool = False
) -> list[EventWithCounts]:
    """The office's list with counts, cancelled events included: coming events soonest
    first, or (``ended``) past ones, the latest first; at most :data:`OFFICE_LIMIT`.
    Aggregates only, so leadership may see it too. Raises NotAllowed."""
    async with uow:
        await require(uow, actor_id, Action.VIEW_AGGREGATES)
        return await uow.events.listed(now, ended=ended, limit=OFFICE_LIMIT)


async def event_details(
    uow: UnitOfWork, *, event_id: int, person_id: int | None, now: datetime
) -> EventDetails:
    """One event with the person's own status; ``event_not_found`` also for an event the
    person may not see."""
    async with uow:
        info = await uow.events.get(event_id, person_id=person_id)
        if info is None:
            raise NotFound("event_not_found", id=event_id)
        if person_id is not None:
            viewer = await _viewer(uow, person_id)
            if not info.event.visible_to(*viewer, now):
                raise NotFound("event_not_found", id=event_id)
            info = replace(info, admitted=info.event.admits(*viewer, now))
        rank = None
        if info.own_status is RegistrationStatus.WAITLISTED:
            own = await uow.registrations.active_for(event_id, person_id)
            rank = await uow.registrations.waitlist_rank(own)
        return EventDetails(info, rank)


async def speaks_at_any(uow: UnitOfWork, *, person_id: int, now: datetime) -> bool:
    """Whether the office assigned the person as speaker to an event not yet over."""
    async with uow:
        coming = await uow.events.upcoming(now, None)
    return any(info.event.speaker_id == person_id for info in coming)


async def _viewer(uow: UnitOfWork, person_id: int) -> tuple[Person, Member | None]:
    found = await uow.persons.get_with_member(person_id)
    if found is None:
        raise NotFound("person_not_found", id=person_id)
    return found


async def create_event(
    uow: UnitOfWork, *, actor_id: int | None, event: Event, now: datetime | None = None
) -> Event:
    """Store a new event (office only). With ``now`` (the office acting; without it: starter
    content, fixtures), a start or registration deadline at or before ``now`` is refused
    (``start_in_past``, ``deadline_in_past``): such an event could never be signed up for;
    and the creation goes into the audit log. Raises InvalidInput, NotAllowed."""
    event.title = event.title.strip()
    event.place = event.place.strip() if event.place else event.place
    event.validate()
    if now is not None:
        event.check_future(now)
        event.updated_at = now
    async with uow:
        await require(uow, actor_id, Action.MANAGE_EVENTS)
        stored = await uow.events.add(event)
        if now is not None:
            subject = f"event:{stored.id}"
            await record(uow, actor_id=actor_id, action="event.created", subject=subject, now=now)
        await uow.commit()
    return stored


async def change_event(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    event_id: int,
    changes: dict[str, Any],
    now: datetime,
    version: str | None = None,
) -> Event:
    """Apply ``changes`` (field name → value of :class:`Event`); a new start without a new
    end keeps the duration (a move); a larger capacity promotes waiting people; a change of
    time, place or link is announced to everyone registered and raises the calendars'
    SEQUENCE. A cancelled event is not changed (``cancelled_unchangeable``); a start or
    deadline changed into the past is refused. With ``version`` (:attr:`Event.version` as a
    form showed it) a change made meanwhile by someone else is not overwritten
    (``changed_meanwhile``). Raises InvalidInput, NotFound, NotAllowed."""
    changes = {k: v.strip() if k in ("title", "place") and v else v for k, v in changes.items()}
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise InvalidInput("unknown_field", field=", ".join(sorted(unknown)))
    async with uow:
        await require(uow, actor_id, Action.MANAGE_EVENTS)
        info = await uow.events.lock(event_id)
        if info is None:
            raise NotFound("event_not_found", id=event_id)
        info.event.check_changeable()
        if version is not None and version != info.event.version:
            raise InvalidInput("changed_meanwhile", title=info.event.title)
        check_moments(*(v for v in changes.values() if isinstance(v, datetime)))
        if "starts_at" in changes and "ends_at" not in changes:
            duration = info.event.ends_at - info.event.starts_at
            changes = {**changes, "ends_at": changes["starts_at"] + duration}
        changed = replace(info.event, **changes)
        if not changed.is_hybrid and changed.online_capacity is not None:
            changes = {**changes, "online_capacity": None}  # no online places of their own
            changed.online_capacity = None
        differing = {k for k, v in changes.items() if getattr(info.event, k) != v}
        # What was changed into the past is named first: it is what the office mistyped.
        if "starts_at" in differing and changed.starts_at <= now:
            raise InvalidInput("start_in_past", start=changed.starts_at)
        deadline = changed.registration_deadline
        if "registration_deadline" in differing and deadline is not None and deadline <= now:
            raise InvalidInput("deadline_in_past", deadline=deadline)
        changed.validate()
        await _follow_modes(uow, info, changed)
        await _fit_capacity(uow, info, changed, now)
        if differing:
            changed.updated_at = now
        if NOTIFIED_CHANGES & differing:
            changed.sequence += 1  # calendars replace their copy of the entry
        await uow.events.update(changed)
        if differing:
            await record(
                uow,
                actor_id=actor_id,
                action="event.changed",
                subject=f"event:{event_id}",
                now=now,
                fields=sorted(differing),
            )
        if not changed.cancelled:
            for mode in changed.modes:
                held = info.by_mode[mode].held if mode in info.by_mode else 0
                await promote_waitlisted(uow, changed, mode, held=held, now=now)
        if NOTIFIED_CHANGES & differing:
            await _tell_registered(uow, changed, "event_changed")
        await uow.commit()
    return changed


async def _fit_capacity(
    uow: UnitOfWork, before: EventWithCounts, after: Event, now: datetime
) -> None:
    """Fewer places than people hold: refused below those confirmed
    (``capacity_below_confirmed``: the office takes registrations back first); places held
    by offers beyond the new number go back to waiting (the latest offers first, the people
    are told, notice ``offer_withdrawn``)."""
    for mode, places in before.by_mode.items():
        if mode not in after.modes:
            continue
        capacity = after.capacity_of(mode)
        if capacity is None or capacity >= places.held:
            continue
        if capacity < places.confirmed:
            raise InvalidInput(
                "capacity_below_confirmed", title=after.title, count=places.confirmed
            )
        waiting = await uow.registrations.first_waitlisted(after.id, mode, 1 << 30)
        offered = [r for r in waiting if r.offered_until is not None]
        for registration in reversed(offered[capacity - places.confirmed :]):
            registration.offered_until = None
            registration.updated_at = now
            await uow.registrations.update(registration)
            if registration.person_id is not None:
                params = {"event_id": after.id, "title": after.title, "starts_at": after.starts_at}
                uow.notify(Notice(registration.person_id, "offer_withdrawn", params))


async def _follow_modes(uow: UnitOfWork, before: EventWithCounts, after: Event) -> None:
    """Keep registrations in a mode the changed event offers: an event that changes from on
    site to online (or back) takes its registrations along; a hybrid event cannot drop a
    mode people are registered in (``mode_still_registered_<mode>``: they would lose their
    place)."""
    dropped = [m for m in before.by_mode if m not in after.modes]
    if not dropped:
        return
    if len(before.by_mode) == 1 and len(after.modes) == 1:
        await uow.registrations.change_mode(after.id, dropped[0], after.modes[0])
        return
    for mode in dropped:
        places = before.by_mode[mode]
        if places.confirmed + places.waitlisted:
            raise InvalidInput(
                f"mode_still_registered_{mode.value}",
                title=after.title,
                count=places.confirmed + places.waitlisted,
            )


async def assign_speaker(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    event_id: int,
    person_ref: str | None,
    now: datetime,
) -> tuple[Event, Person | None]:
    """The speaker who runs the event's polls and links its rooms (office only);
    ``person_ref=None`` removes the assignment. A guest cannot be assigned."""
    async with uow:
        await require(uow, actor_id, Action.MANAGE_EVENTS)
        speaker = None
        if person_ref is not None:
            speaker = await person_by_ref(uow, person_ref)
            if not speaker.office_entry:
                raise InvalidInput("speaker_guest", name=speaker.display_name)
        info = await uow.events.get(event_id)
        if info is None:
            raise NotFound("event_not_found", id=event_id)
        if speaker is not None:
            viewer = await _viewer(uow, speaker.id)
            if not info.event.visible_to(*viewer, now):
                raise InvalidInput(
                    "speaker_outside_audience", name=speaker.display_name, title=info.event.title
                )
        info.event.speaker_id = speaker.id if speaker else None
        await uow.events.update(info.event)
        subject = f"event:{event_id}"
        await record(uow, actor_id=actor_id, action="event.speaker", subject=subject, now=now)
        await uow.commit()
    return info.event, speaker


@dataclass(frozen=True, slots=True)
class Told:
    """Who was told of a change or cancellation: registered people and those waiting."""

    confirmed: int
    waitlisted: int


async def cancel_event(
    uow: UnitOfWork, *, actor_id: int | None, event_id: int, now: datetime
) -> Told:
    """Cancel the event and tell everyone registered or waiting. An event that has begun or
    is over cannot be cancelled (``event_began``); nor twice (``already_cancelled``).
    Raises InvalidInput, NotFound, NotAllowed."""
    async with uow:
        await require(uow, actor_id, Action.MANAGE_EVENTS)
        info = await uow.events.lock(event_id)
        if info is None:
            raise NotFound("event_not_found", id=event_id)
        info.event.check_cancellable(now)
        info.event.cancelled = True
        info.event.sequence += 1
        info.event.updated_at = now
        await uow.events.update(info.event)
        await record(
            uow, actor_id=actor_id, action="event.cancelled", subject=f"event:{event_id}", now=now
        )
        told = await _tell_registered(uow, info.event, "event_cancelled")
        await uow.commit()
    return told


def _confirmed_mode(registration: Registration) -> dict[str, str]:
    """A notice's ``mode`` for a confirmed place (``online``: it carries the video link)."""
    if registration.status is RegistrationStatus.CONFIRMED:
        return {"mode": registration.mode.value}
    return {}


async def _tell_registered(uow: UnitOfWork, event: Event, key: str) -> Told:
    views = await uow.registrations.for_event(event.id)
    told = [v.registration for v in views if v.registration.person_id is not None]
    for registration in told:
        uow.notify(
            Notice(
                registration.person_id,
                key,
                {
                    "event_id": event.id,
                    "title": event.title,
                    "starts_at": event.starts_at,
                    **_confirmed_mode(registration),
                },
            )
        )
    waiting = sum(r.status is RegistrationStatus.WAITLISTED for r in told)
    return Told(len(told) - waiting, waiting)
