"""Signing up, cancelling and the waiting list — the network's capacity rules in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.audit import record
from core.authority import require
from core.domain import guests
from core.domain.authority import Action
from core.domain.errors import (
    AlreadyRegistered,
    DomainError,
    InvalidInput,
    NotFound,
    NotRegistered,
    SignupClosed,
)
from core.domain.events import Event
from core.domain.notices import Notice
from core.domain.questions import EventQuestion
from core.domain.registrations import (
    Mode,
    Registration,
    RegistrationStatus,
    offer_deadline,
    places_to_fill,
)
from core.mail import wants_mail
from core.ports import EventWithCounts, RegistrationView, UnitOfWork


@dataclass(frozen=True, slots=True)
class SignupResult:
    event: Event
    registration: Registration
    waitlist_rank: int | None  # 1-based place on the waiting list of the registration's mode
    switched_from: Mode | None = None  # the person changed their mode of a hybrid event


@dataclass(frozen=True, slots=True)
class CancelResult:
    event: Event
    previous: RegistrationStatus
    promoted: int


@dataclass(frozen=True, slots=True)
class AttendeeList:
    info: EventWithCounts
    confirmed: list[RegistrationView]
    waitlisted: list[RegistrationView]
    #: The event's registration questions and person id → {question id → answer}.
    questions: list[EventQuestion] = field(default_factory=list)
    answers: dict[int, dict[int, str]] = field(default_factory=dict)


async def sign_up(
    uow: UnitOfWork,
    *,
    person_id: int,
    event_id: int,
    now: datetime,
    mode: Mode | None = None,
    via_mail: bool = False,
) -> SignupResult:
    """One transaction: lock the event, count, decide, insert. Concurrent signups queue up.

    ``mode``: on site or online; needed for a hybrid event (else ModeRequired), refused when
    the event does not offer it (``mode_not_offered_<mode>``). Someone registered in the other
    mode of a hybrid event switches (:func:`_switch`); someone holding an offered place takes
    it (:func:`accept_offer`). A person who gets notices by e-mail (or
    signed up from a mail, ``via_mail``) is sent the confirmation with the calendar
    invitation (notice ``registered`` or ``waitlisted``). Raises NotFound, AlreadyRegistered,
    SignupClosed, NotAllowed, ModeRequired, InvalidInput, DomainError."""
    async with uow:
        found = await uow.persons.get_with_member(person_id)
        if found is None:
            raise NotFound("person_not_found", id=person_id)
        person, member = found
        info = await uow.events.lock(event_id, person_id=person_id)
        if info is None:
            raise NotFound("event_not_found", id=event_id)
        event = info.event
        if not event.visible_to(person, member, now):  # never reveal its title or state
            raise NotFound("event_not_found", id=event_id)
        if event.cancelled:  # before "already registered": that registration is void
            event.check_open(now)
        if info.own_status is not None and (mode is None or mode is info.own_mode):
            if info.own_offer is not None:  # the place offered to them: taking it
                registration = await _accept(uow, info, person_id, now)
                await uow.commit()
                return SignupResult(event, registration, None)
            # said first: it reassures, whatever else holds
            raise AlreadyRegistered(f"already_{info.own_status.value}", title=event.title)
        event.check_open(now)
        event.check_audience(person, member, now)
        mode = event.check_mode(mode)
        if info.own_status is not None:
            result = await _switch(uow, info, person_id, mode, now)
            await uow.commit()
            return result
        if person.is_guest:
            held = await uow.registrations.for_person(person_id, active_only=True)
            if sum(v.event.ends_at > now for v in held) >= guests.ACTIVE_REGISTRATIONS:
                raise DomainError("guest_registration_limit", max=guests.ACTIVE_REGISTRATIONS)
        places = info.places(mode)
        position = None if places.takes_confirmed else places.waitlist_tail + 1
        status = RegistrationStatus.CONFIRMED if position is None else RegistrationStatus.WAITLISTED
        registration = await uow.registrations.add(
            Registration(
                event_id, person_id, status, now, now, waitlist_position=position, mode=mode
            )
        )
        if await wants_mail(uow, person_id, via_mail=via_mail):
            key = "waitlisted" if position is not None else "registered"
            uow.notify(Notice(person_id, key, {**_about(event, mode), "via_mail": via_mail}))
        await uow.commit()
    rank = places.waitlisted + 1 if position is not None else None
    return SignupResult(event, registration, rank)


async def _switch(
    uow: UnitOfWork, info: EventWithCounts, person_id: int, mode: Mode, now: datetime
) -> SignupResult:
    """Move the person's registration of a hybrid event to ``mode``, under the event's lock.

    A confirmed place is kept only in exchange for a free one: when ``mode`` has none (or
    people wait for it), nothing changes (``mode_switch_full_<mode>``). Someone waiting takes a free
    place of ``mode`` at once, else joins the end of its waiting list. A place given up goes
    to the first person waiting for it."""
    registration = await uow.registrations.active_for(info.event.id, person_id)
    assert registration is not None and info.own_mode is not None
    previous = info.own_mode
    target = info.places(mode)
    was_confirmed = registration.status is RegistrationStatus.CONFIRMED
    held_offer = registration.offered_until is not None
    registration.offered_until = None
    if was_confirmed and not target.takes_confirmed:
        raise DomainError(f"mode_switch_full_{mode.value}", title=info.event.title)
    registration.mode = mode
    registration.updated_at = now
    if target.takes_confirmed:
        registration.status = RegistrationStatus.CONFIRMED
        registration.waitlist_position = None
        rank = None
    else:
        registration.waitlist_position = target.waitlist_tail + 1
        rank = target.waitlisted + 1
    await uow.registrations.update(registration)
    if was_confirmed or held_offer:
        left = info.places(previous).held - 1
        await promote_waitlisted(uow, info.event, previous, held=left, now=now)
    return SignupResult(info.event, registration, rank, switched_from=previous)


async def _accept(
    uow: UnitOfWork, info: EventWithCounts, person_id: int, now: datetime
) -> Registration:
    """The person takes the place offered to them, under the event's lock. Raises
    SignupClosed (cancelled, begun), DomainError ``offer_expired``."""
    info.event.check_withdrawable(now)
    registration = await uow.registrations.active_for(info.event.id, person_id)
    assert registration is not None
    if not registration.holds_offer(now):
        raise DomainError("offer_expired", title=info.event.title)
    registration.status = RegistrationStatus.CONFIRMED
    registration.waitlist_position = None
    registration.offered_until = None
    registration.updated_at = now
    await uow.registrations.update(registration)
    if await wants_mail(uow, person_id):
        uow.notify(Notice(person_id, "registered", _about(info.event, registration.mode)))
    return registration


async def accept_offer(
    uow: UnitOfWork, *, person_id: int, event_id: int, now: datetime
) -> Registration:
    """``/annehmen ID``: take the place offered from the waiting list. Raises NotFound,
    NotRegistered, SignupClosed, DomainError ``no_offer`` (waiting without an offer, or
    registered already), ``offer_expired``."""
    async with uow:
        info = await uow.events.lock(event_id, person_id=person_id)
        if info is None:
            raise NotFound("event_not_found", id=event_id)
        if info.own_status is None:
            found = await uow.persons.get_with_member(person_id)
            if found is None or not info.event.visible_to(*found, now):
                raise NotFound("event_not_found", id=event_id)
            mine = await uow.registrations.for_person(person_id, active_only=False)
            if any(
                v.registration.event_id == event_id and v.registration.offered_until is not None
                for v in mine
            ):  # an offer that ran out ended the entry
                raise DomainError("offer_expired", title=info.event.title)
            raise NotRegistered(title=info.event.title)
        if info.own_offer is None:
            raise DomainError(f"no_offer_{info.own_status.value}", title=info.event.title)
        registration = await _accept(uow, info, person_id, now)
        await uow.commit()
    return registration


async def expire_offers(uow_factory: Callable[[], UnitOfWork], *, now: datetime) -> int:
    """Offers nobody took in time pass on: the waiting-list entry ends (the person is told,
    notice ``offer_expired``) and the place is offered to the next person waiting. One
    transaction per entry, under its event's lock. Returns how many ended."""
    async with uow_factory() as uow:
        ended = await uow.registrations.offers_ended(now)
    count = 0
    for found in ended:
        assert found.id is not None
        async with uow_factory() as uow:
            info = await uow.events.lock(found.event_id)
            registration = await uow.registrations.get(found.id)
            if info is None or registration is None or not registration.is_active:
                continue  # withdrawn meanwhile
            if registration.offered_until is None or registration.offered_until > now:
                continue  # taken meanwhile
            held = info.places(registration.mode).held if registration.mode in info.by_mode else 1
            registration.status = RegistrationStatus.CANCELLED
            registration.waitlist_position = None  # offered_until stays: "it expired"
            registration.updated_at = now
            await uow.registrations.update(registration)
            if registration.person_id is not None:  # None: erased meanwhile
                uow.notify(Notice(registration.person_id, "offer_expired", _about(info.event)))
            if not info.event.cancelled and registration.mode in info.by_mode:
                await promote_waitlisted(uow, info.event, registration.mode, held=held - 1, now=now)
            await uow.commit()
            count += 1
    return count


async def next_offer_end(uow: UnitOfWork) -> datetime | None:
    """When the next open offer ends (the scheduler wakes up then)."""
    async with uow:
        return await uow.registrations.next_offer_end()


async def cancel_signup(
    uow: UnitOfWork, *, person_id: int, event_id: int, now: datetime, via_mail: bool = False
) -> CancelResult:
    """Withdraw the person's registration; a freed place goes to the waiting list. Those who
    get notices by e-mail are sent the calendar cancellation (notice ``unregistered``)."""
    async with uow:
        info = await uow.events.lock(event_id)
        if info is None:
            raise NotFound("event_not_found", id=event_id)
        registration = await uow.registrations.active_for(event_id, person_id)
        if registration is None:
            found = await uow.persons.get_with_member(person_id)
            if found is None or not info.event.visible_to(*found, now):
                raise NotFound("event_not_found", id=event_id)  # never reveal its title
            raise NotRegistered(title=info.event.title)
        info.event.check_withdrawable(now)
        previous = registration.status
        promoted = await _withdraw(uow, info, registration, now)
        if await wants_mail(uow, person_id, via_mail=via_mail, event_id=event_id):
            params = {**_about(info.event), "via_mail": via_mail}
            uow.notify(Notice(person_id, "unregistered", params))
        await uow.commit()
    return CancelResult(info.event, previous, promoted)


async def remove_registration(
    uow: UnitOfWork, *, actor_id: int | None, event_id: int, person_id: int, now: datetime
) -> CancelResult:
    """The office takes ``person_id`` off the event, registered or waiting: the person is
    told, a freed place goes to the waiting list, the audit log keeps it
    (``registration.removed``). Raises NotFound, NotAllowed, SignupClosed (the event was
    cancelled, has begun or is over), InvalidInput (``person_not_registered``)."""
    async with uow:
        await require(uow, actor_id, Action.MANAGE_EVENTS)
        info, registration, name = await _registered(uow, event_id, person_id)
        if registration is None:
            raise InvalidInput("person_not_registered", name=name, title=info.event.title)
        info.event.check_withdrawable(now)
        previous = registration.status
        promoted = await _withdraw(uow, info, registration, now)
        await _office_did(uow, actor_id, "registration.removed", info.event, person_id, now)
        await uow.commit()
    return CancelResult(info.event, previous, promoted)


async def move_up(
    uow: UnitOfWork, *, actor_id: int | None, event_id: int, person_id: int, now: datetime
) -> Registration:
    """The office confirms a waiting person ahead of the list's order, beyond the capacity
    if the event is full (an extra chair); the person is told as when a place frees up, the
    audit log keeps it (``registration.moved_up``). Raises NotFound, NotAllowed,
    SignupClosed, InvalidInput (``person_not_waiting``)."""
    async with uow:
        await require(uow, actor_id, Action.MANAGE_EVENTS)
        info, registration, name = await _registered(uow, event_id, person_id)
        if registration is None or registration.status is not RegistrationStatus.WAITLISTED:
            raise InvalidInput("person_not_waiting", name=name, title=info.event.title)
        info.event.check_withdrawable(now)
        registration.status = RegistrationStatus.CONFIRMED
        registration.waitlist_position = None
        registration.offered_until = None
        registration.updated_at = now
        await uow.registrations.update(registration)
        await _office_did(
            uow, actor_id, "registration.moved_up", info.event, person_id, now, registration.mode
        )
        await uow.commit()
    return registration


#: What the person is told when the office removes or moves up their registration.
TOLD = {"registration.removed": "registration_removed", "registration.moved_up": "promoted"}


async def _office_did(
    uow: UnitOfWork,
    actor_id: int | None,
    action: str,
    event: Event,
    person_id: int,
    now: datetime,
    mode: Mode | None = None,
) -> None:
    """Tell the person what the office did with their registration; note it in the log."""
    uow.notify(Notice(person_id, TOLD[action], _about(event, mode)))
    subject = f"event:{event.id}"
    await record(uow, actor_id=actor_id, action=action, subject=subject, now=now, person=person_id)


async def _registered(
    uow: UnitOfWork, event_id: int, person_id: int
) -> tuple[EventWithCounts, Registration | None, str]:
    """Under the event's lock: the event, the person's active registration, their name."""
    info = await uow.events.lock(event_id)
    if info is None:
        raise NotFound("event_not_found", id=event_id)
    person = await uow.persons.get(person_id)
    if person is None:
        raise NotFound("person_not_found", id=person_id)
    return info, await uow.registrations.active_for(event_id, person_id), person.display_name


async def withdraw_duplicates(
    uow: UnitOfWork, *, source_id: int, target_id: int, now: datetime
) -> int:
    """Before two persons are merged: cancel each active registration of ``source_id`` for
    an event ``target_id`` holds one for too (a freed place goes to the waiting list).
    Returns how many were cancelled."""
    cancelled = 0
    for view in await uow.registrations.for_person(source_id, active_only=True):
        event_id = view.registration.event_id
        if await uow.registrations.active_for(event_id, target_id) is None:
            continue
        info = await uow.events.lock(event_id)
        registration = await uow.registrations.active_for(event_id, source_id)
        if info is not None and registration is not None:
            await _withdraw(uow, info, registration, now)
            cancelled += 1
    return cancelled


async def _withdraw(
    uow: UnitOfWork, info: EventWithCounts, registration: Registration, now: datetime
) -> int:
    """Cancel one registration under the event lock and hand a freed place on."""
    held_place = (
        registration.status is RegistrationStatus.CONFIRMED
        or registration.offered_until is not None
    )
    registration.status = RegistrationStatus.CANCELLED
    registration.waitlist_position = None
    registration.offered_until = None
    registration.updated_at = now
    await uow.registrations.update(registration)
    if registration.person_id is not None:  # the answers to its questions go with it
        await uow.questions.forget_answers(registration.event_id, registration.person_id)
    if not held_place or info.event.cancelled or registration.mode not in info.by_mode:
        return 0
    held = info.places(registration.mode).held - 1
    return await promote_waitlisted(uow, info.event, registration.mode, held=held, now=now)


async def promote_waitlisted(
    uow: UnitOfWork, event: Event, mode: Mode, *, held: int, now: datetime
) -> int:
    """Hand ``mode``'s free places to its waiting list, first come first served (``held``:
    places of ``mode`` confirmed or held by an offer now); call under the event's lock.

    With :attr:`Event.waitlist_offers` each free place is offered (notice ``offered``) until
    :func:`~core.domain.registrations.offer_deadline`; without them, or when the start is
    too near for an offer, the next people waiting are confirmed (notice ``promoted``, with
    the number of the event's registration ``questions`` they are asked to answer).
    Returns how many were offered or confirmed."""
    free = places_to_fill(event.capacity_of(mode), held)
    if free == 0:
        return 0
    deadline = offer_deadline(now, event.starts_at) if event.waitlist_offers else None
    chosen = await uow.registrations.first_waitlisted(event.id, mode, free, unoffered=True)
    asked = len(await uow.questions.of_event(event.id)) if chosen else 0
    for registration in chosen:
        registration.updated_at = now
        if deadline is not None:
            registration.offered_until = deadline
            params = {**_about(event, mode), "deadline": deadline, "hybrid": event.is_hybrid}
            uow.notify(Notice(registration.person_id, "offered", params))
        else:
            registration.status = RegistrationStatus.CONFIRMED
            registration.waitlist_position = None
            params = {**_about(event, mode), **({"questions": asked} if asked else {})}
            uow.notify(Notice(registration.person_id, "promoted", params))
        await uow.registrations.update(registration)
    return len(chosen)


def _about(event: Event, mode: Mode | None = None) -> dict[str, object]:
    """What a notice about ``event`` names; with the person's ``mode`` of a hybrid event
    (``online``: the notice carries the personal video link)."""
    about: dict[str, object] = {
        "event_id": event.id,
        "title": event.title,
        "starts_at": event.starts_at,
    }
    if mode is not None:
        about["mode"] = mode.value
    return about


async def withdraw_all(uow: UnitOfWork, *, person_id: int, now: datetime) -> int:
    """Cancel every active registration for events still ahead (used by erasure)."""
    withdrawn = 0
    for view in await uow.registrations.for_person(person_id, active_only=True):
        if view.event.starts_at <= now:
            continue
        info = await uow.events.lock(view.event.id)
        registration = await uow.registrations.active_for(view.event.id, person_id)
        if info is not None and registration is not None:
            await _withdraw(uow, info, registration, now)
            withdrawn += 1
    return withdrawn


async def my_registrations(
    uow: UnitOfWork, *, person_id: int, now: datetime
) -> list[RegistrationView]:
    async with uow:
        views = await uow.registrations.for_person(person_id, active_only=True)
    return [v for v in views if v.event.ends_at > now]


async def export_attendees(
    uow: UnitOfWork, *, actor_id: int | None, event_id: int, form: str, now: datetime
) -> AttendeeList:
    """:func:`attendees` for a file that leaves the service (``form``: csv, xlsx, api); the
    export goes into the audit log. Raises NotFound, NotAllowed."""
    listing = await attendees(uow, actor_id=actor_id, event_id=event_id)
    async with uow:
        await record(
            uow,
            actor_id=actor_id,
            action="attendees.exported",
            subject=f"event:{event_id}",
            now=now,
            form=form,
            rows=len(listing.confirmed) + len(listing.waitlisted),
        )
        await uow.commit()
    return listing


async def attendees(uow: UnitOfWork, *, actor_id: int | None, event_id: int) -> AttendeeList:
    async with uow:
        await require(uow, actor_id, Action.VIEW_ATTENDEES)
        info = await uow.events.get(event_id)
        if info is None:
            raise NotFound("event_not_found", id=event_id)
        views = await uow.registrations.for_event(event_id)
        questions = await uow.questions.of_event(event_id)
        answers = await uow.questions.answers(event_id) if questions else {}
    confirmed = [v for v in views if v.registration.status is RegistrationStatus.CONFIRMED]
    waiting = [v for v in views if v.registration.status is RegistrationStatus.WAITLISTED]
    waiting.sort(key=lambda v: (v.registration.mode != Mode.ON_SITE, v.waitlist_rank or 0))
    return AttendeeList(info, confirmed, waiting, questions, answers)


async def video_access(
    uow: UnitOfWork, *, event_id: int, person_id: int, now: datetime, opens_before: timedelta
) -> str:
    """The event's video link for the person, behind their personal redirect link: only for
    a confirmed online registration, from ``opens_before`` the start until the end (so the
    link cannot be passed on to the waiting list or used early).

    Raises NotFound (``event_not_found``), SignupClosed (``event_cancelled``,
    ``video_over``), DomainError ``video_not_registered`` (no active registration, or the
    event has no video link any more), ``video_on_site``, ``video_waitlisted``,
    ``video_not_yet`` (with ``opens_at``)."""
    async with uow:
        info = await uow.events.get(event_id, person_id=person_id)
        if info is None:
            raise NotFound("event_not_found", id=event_id)
        event = info.event
        title = event.title
        if event.cancelled:
            raise SignupClosed("event_cancelled", title=title)
        if event.ends_at <= now:
            raise SignupClosed("video_over", title=title)
        if info.own_status is None or not event.video_url:
            raise DomainError("video_not_registered", title=title)
        if info.own_mode is not Mode.ONLINE:
            raise DomainError("video_on_site", title=title, event_id=event_id)
        if info.own_status is RegistrationStatus.WAITLISTED:
            raise DomainError("video_waitlisted", title=title)
        if now < event.starts_at - opens_before:
            raise DomainError("video_not_yet", title=title, opens_at=event.starts_at - opens_before)
        return event.video_url
