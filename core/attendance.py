"""Attendance at events: checking in (by the office or the event's speaker, or by the
person with the event's code), undoing it, the check-in list, the code, and the facts of a
Teilnahmebescheinigung.

Who may do what is asked from :mod:`core.authority` (:data:`Action.CHECK_IN`: organizers and
the event's speaker; :data:`Action.SEND_CERTIFICATES`: organizers). What the office or the
speaker changes goes into the audit log (``attendance.checked_in``, ``attendance.undone``,
``attendance.code_renewed``, ``certificates.sent``) with ids only; a person's own check-in
with the code is theirs, like a signup, and is not logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from core.audit import record
from core.authority import load_person, require
from core.domain.attendance import (
    Attendance,
    Attendee,
    CertificateFacts,
    CheckInMethod,
    check_code_time,
    check_office_time,
    looks_like_code,
    new_code,
)
from core.domain.authority import TERMINAL, Action, Place, decide
from core.domain.errors import InvalidInput, NotAllowed, NotFound
from core.domain.events import Event
from core.domain.notices import Notice
from core.domain.people import Person
from core.domain.registrations import RegistrationStatus
from core.ports import RoomDirectory, UnitOfWork
from core.surveys import invite_late

#: At most this many people are offered when a name matches several.
CHOICES = 8


@dataclass(frozen=True, slots=True)
class CheckInResult:
    event: Event
    person: Person
    checked_in_at: datetime
    #: ``False``: the person was checked in before (nothing changed).
    new: bool
    #: The person holds a confirmed registration for the event (else: a walk-in).
    registered: bool


@dataclass(frozen=True, slots=True)
class Choice:
    """Several people match a name: the office picks one (``registered`` first)."""

    event: Event
    people: list[tuple[Person, bool]]  # (person, registered for the event)
    #: person id → their municipality's name, to tell people of the same name apart
    members: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AttendanceList:
    event: Event
    attendees: list[Attendee]  # confirmed registrations and walk-ins, by name
    code: str | None = None

    @property
    def present(self) -> int:
        return sum(a.present for a in self.attendees)

    @property
    def registered(self) -> int:
        return sum(a.registered for a in self.attendees)


async def _event(uow: UnitOfWork, event_id: int) -> Event:
    info = await uow.events.get(event_id)
    if info is None:
        raise NotFound("event_not_found", id=event_id)
    return info.event


async def _matching(uow: UnitOfWork, ref: str) -> list[Person]:
    """By number; else everyone whose name contains ``ref``, compared by Unicode case
    folding (``łukasz`` finds „Łukasz Nowak“, ``GROSS`` finds „Jürgen Groß“)."""
    ref = re.sub(r"^(?:nr\.?|no\.?|#)\s*(?=\d)", "", ref.strip(), flags=re.IGNORECASE)
    if ref.isdigit():
        return await uow.persons.matching(ref)
    wanted = ref.casefold()
    return [p for p in await uow.persons.list() if wanted in p.display_name.casefold()]


async def _active(uow: UnitOfWork, event_id: int, person_id: int) -> bool:
    """Registered for the event, with a place or waiting."""
    return await uow.registrations.active_for(event_id, person_id) is not None


async def _registered(uow: UnitOfWork, event_id: int, person_id: int) -> bool:
    registration = await uow.registrations.active_for(event_id, person_id)
    return registration is not None and registration.status is RegistrationStatus.CONFIRMED


async def check_in(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    event_id: int,
    person_ref: str,
    now: datetime,
    place: Place = TERMINAL,
    rooms: RoomDirectory | None = None,
) -> CheckInResult | Choice:
    """The office or the event's speaker checks in the person ``person_ref`` (a number, or
    part of a name): a :class:`CheckInResult`, or a :class:`Choice` when the name fits
    several people. The office may check in anyone (walk-ins); the speaker only people
    registered for the event (nobody else is found for them). Idempotent. Raises NotFound
    (event; ``attendance_nobody_named``), NotAllowed, InvalidInput (cancelled, too
    early)."""
    async with uow:
        await _require(uow, actor_id, event_id, place, rooms)
        event = await _event(uow, event_id)
        check_office_time(event, now)
        found = await _matching(uow, person_ref)
        actor = None if actor_id is None else await load_person(uow, actor_id)
        office = decide(actor, Action.CHECK_IN_ANYONE, place).allowed
        if not office:  # the speaker: the people registered for the event, nobody else
            found = [p for p in found if await _active(uow, event_id, p.id or 0)]
        if not found:
            raise NotFound("attendance_nobody_named", name=person_ref[:40])
        if len(found) > 1:
            marked = [(p, await _registered(uow, event_id, p.id or 0)) for p in found]
            marked.sort(key=lambda pair: (not pair[1], pair[0].display_name))
            members = {m.id: m.name for m in await uow.members.list() if m.id is not None}
            named = {
                p.id: members[p.member_id]
                for p, _ in marked
                if p.id is not None and p.member_id in members
            }
            return Choice(event, marked[:CHOICES], named)
        person = found[0]
        assert person.id is not None
        new = await uow.attendance.add(Attendance(event_id, person.id, now, CheckInMethod.OFFICE))
        stored = await uow.attendance.get(event_id, person.id)
        assert stored is not None
        if new:
            await invite_late(uow, event=event, person_id=person.id, now=now)
            await record(
                uow,
                actor_id=actor_id,
                action="attendance.checked_in",
                subject=f"event:{event_id}",
                now=now,
                person=person.id,
            )
        registered = await _registered(uow, event_id, person.id)
        await uow.commit()
    return CheckInResult(event, person, stored.checked_in_at, new, registered)


async def undo_check_in(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    event_id: int,
    person_id: int,
    now: datetime,
    place: Place = TERMINAL,
    rooms: RoomDirectory | None = None,
) -> tuple[Event, Person]:
    """Take back a check-in (a mistake at the door). Raises NotFound, NotAllowed,
    InvalidInput ``attendance_not_checked_in``."""
    async with uow:
        await _require(uow, actor_id, event_id, place, rooms)
        event = await _event(uow, event_id)
        person = await uow.persons.get(person_id)
        if person is None:
            raise NotFound("attendance_no_person", id=person_id)
        if not await uow.attendance.remove(event_id, person_id):
            raise InvalidInput(
                "attendance_not_checked_in", name=person.display_name, title=event.title
            )
        await record(
            uow,
            actor_id=actor_id,
            action="attendance.undone",
            subject=f"event:{event_id}",
            now=now,
            person=person_id,
        )
        await uow.commit()
    return event, person


async def check_in_with_code(
    uow: UnitOfWork, *, person_id: int, code: str, now: datetime
) -> CheckInResult:
    """The person checks themselves in with the event's code (``/start a_<code>``): only
    while the event runs and with a confirmed registration. Idempotent. Raises NotFound
    ``attendance_code_unknown``, InvalidInput (cancelled, not yet, over), NotAllowed
    ``attendance_not_registered`` / ``attendance_waitlisted``."""
    async with uow:
        event_id = await uow.attendance.event_of_code(code) if looks_like_code(code) else None
        if event_id is None:
            raise NotFound("attendance_code_unknown")
        event = await _event(uow, event_id)
        person = await uow.persons.get(person_id)
        if person is None:
            raise NotFound("person_not_found", id=person_id)
        check_code_time(event, now)
        registration = await uow.registrations.active_for(event_id, person_id)
        if registration is None:
            raise NotAllowed("attendance_not_registered", title=event.title)
        if registration.status is not RegistrationStatus.CONFIRMED:
            raise NotAllowed("attendance_waitlisted", title=event.title)
        new = await uow.attendance.add(Attendance(event_id, person_id, now, CheckInMethod.CODE))
        stored = await uow.attendance.get(event_id, person_id)
        assert stored is not None
        if new:
            await invite_late(uow, event=event, person_id=person_id, now=now)
        await uow.commit()
    return CheckInResult(event, person, stored.checked_in_at, new, True)


async def attendance_code(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    event_id: int,
    now: datetime,
    renew: bool = False,
    place: Place = TERMINAL,
    rooms: RoomDirectory | None = None,
) -> tuple[Event, str]:
    """The event's attendance code, made on first use; ``renew`` replaces it (the old one
    stops working; audited). Raises NotFound, NotAllowed, InvalidInput
    ``attendance_event_cancelled``."""
    async with uow:
        await _require(uow, actor_id, event_id, place, rooms)
        event = await _event(uow, event_id)
        if event.cancelled:
            raise InvalidInput("attendance_event_cancelled", title=event.title)
        code = await uow.attendance.code(event_id)
        if code is None or renew:
            code = new_code()
            await uow.attendance.set_code(event_id, code, now)
            if renew:
                await record(
                    uow,
                    actor_id=actor_id,
                    action="attendance.code_renewed",
                    subject=f"event:{event_id}",
                    now=now,
                )
        await uow.commit()
    return event, code


async def attendance_list(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    event_id: int,
    place: Place = TERMINAL,
    rooms: RoomDirectory | None = None,
) -> AttendanceList:
    """Everyone confirmed for the event and everyone checked in (walk-ins too), by name,
    with the code if one was made. Raises NotFound, NotAllowed."""
    async with uow:
        await _require(uow, actor_id, event_id, place, rooms)
        event = await _event(uow, event_id)
        rows: dict[int, Attendee] = {}
        for view in await uow.registrations.for_event(event_id):
            person_id = view.registration.person_id
            if person_id is None or view.registration.status is not RegistrationStatus.CONFIRMED:
                continue
            rows[person_id] = Attendee(person_id, view.person_name or "", view.member_name, True)
        for entry, name, member in await uow.attendance.for_event(event_id):
            registered = entry.person_id in rows
            rows[entry.person_id] = Attendee(
                entry.person_id, name, member, registered, entry.checked_in_at, entry.method
            )
        code = await uow.attendance.code(event_id)
    people = sorted(rows.values(), key=lambda a: (a.name.casefold(), a.person_id))
    return AttendanceList(event, people, code)


async def own_certificate(uow: UnitOfWork, *, person_id: int, event_id: int) -> CertificateFacts:
    """The facts of the person's own certificate, from their check-in on. Raises NotFound
    (no such event, or one the person may not know of), NotAllowed
    ``certificate_not_checked_in``."""
    async with uow:
        facts = await certificate_facts(uow, event_id=event_id, person_id=person_id)
        if facts is None:
            found = await uow.persons.get_with_member(person_id)
            info = await uow.events.get(event_id)
            if (
                info is None
                or found is None
                or not info.event.visible_to(*found, info.event.starts_at)
            ):
                raise NotFound("event_not_found", id=event_id)
            raise NotAllowed("certificate_not_checked_in", title=info.event.title)
    return facts


async def certificate_facts(
    uow: UnitOfWork, *, event_id: int, person_id: int
) -> CertificateFacts | None:
    """What the certificate of ``person_id`` for ``event_id`` states; ``None`` unless the
    person is checked in (also when the check-in was undone or the person erased since a
    certificate was queued). Call inside an open unit of work; no authority: the caller
    decided."""
    entry = await uow.attendance.get(event_id, person_id)
    found = await uow.persons.get_with_member(person_id)
    info = await uow.events.get(event_id)
    if entry is None or found is None or info is None:
        return None
    person, member = found
    return CertificateFacts(
        info.event, person.display_name, member.name if member else None, entry.checked_in_at
    )


async def send_certificates(
    uow: UnitOfWork, *, actor_id: int | None, event_id: int, now: datetime
) -> tuple[Event, int]:
    """An organizer sends every checked-in attendee their certificate (notice
    ``certificate``; the file is made when it is delivered and never stored); once each: a
    second call reaches only those checked in since. Returns the event and how many were
    sent. Raises NotFound, NotAllowed, InvalidInput ``certificates_nobody``,
    ``certificates_all_sent``."""
    async with uow:
        await require(uow, actor_id, Action.SEND_CERTIFICATES)
        event = await _event(uow, event_id)
        everyone = await uow.attendance.for_event(event_id)
        if not everyone:
            raise InvalidInput("certificates_nobody", title=event.title)
        present = [entry for entry, _, _ in everyone if entry.certificate_sent_at is None]
        if not present:
            raise InvalidInput("certificates_all_sent", title=event.title, count=len(everyone))
        for entry in present:
            params = {"event_id": event_id, "title": event.title, "starts_at": event.starts_at}
            uow.notify(Notice(entry.person_id, "certificate", params))
        await uow.attendance.certificates_sent(event_id, [e.person_id for e in present], now)
        await record(
            uow,
            actor_id=actor_id,
            action="certificates.sent",
            subject=f"event:{event_id}",
            now=now,
            count=len(present),
        )
        await uow.commit()
    return event, len(present)


async def _require(
    uow: UnitOfWork,
    actor_id: int | None,
    event_id: int,
    place: Place,
    rooms: RoomDirectory | None,
) -> None:
    if rooms is None:
        await require(uow, actor_id, Action.CHECK_IN, place, event_id=event_id)
    else:
        await require(uow, actor_id, Action.CHECK_IN, place, rooms, event_id=event_id)
