"""Repositories: rows in, domain objects out, translated explicitly."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.events import Audience, Event, EventKind
from core.domain.invitations import Invitation
from core.domain.members import Member, MemberKind
from core.domain.people import ChatIdentity, Person, Platform, Role, unquote
from core.domain.registrations import Mode, Registration, RegistrationStatus
from core.ports import EventWithCounts, Places, RegistrationView
from storage.tables import (
    chat_identities,
    events,
    invitations,
    members,
    metadata,
    person_preferences,
    persons,
    poll_votes,
    registrations,
)

ACTIVE = [RegistrationStatus.CONFIRMED.value, RegistrationStatus.WAITLISTED.value]
_INSERTS = {
    table.name: table.insert().returning(table.c.id)
    for table in (members, persons, events, registrations, invitations)
}


class _Repository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def _insert(self, table: sa.Table, values: dict[str, Any]) -> int:
        result = await self.conn.execute(_INSERTS[table.name], values)
        return result.scalar_one()


def _member(row: Any) -> Member:
    return Member(row.name, MemberKind(row.kind), row.municipality_key, row.joined_on, row.id)


def _member_values(member: Member) -> dict[str, Any]:
    return {
        "name": member.name,
        "kind": member.kind.value,
        "municipality_key": member.municipality_key,
        "joined_on": member.joined_on,
    }


class MemberRepository(_Repository):
    async def add(self, member: Member) -> Member:
        member.id = await self._insert(members, _member_values(member))
        return member

    async def update(self, member: Member) -> None:
        query = members.update().where(members.c.id == member.id)
        await self.conn.execute(query.values(_member_values(member)))

    async def get(self, member_id: int) -> Member | None:
        row = (await self.conn.execute(members.select().where(members.c.id == member_id))).first()
        return _member(row) if row else None

    async def find(self, ref: str) -> Member | None:
        """By id, exact name or municipality key, then by a unique case-insensitive match;
        quotes around the reference do not count."""
        ref = unquote(ref)
        query = members.select().where(
            sa.or_(members.c.name == ref, members.c.municipality_key == ref)
        )
        if ref.isdigit():
            query = members.select().where(members.c.id == int(ref))
        row = (await self.conn.execute(query)).first()
        if row is None:  # by Unicode case folding (SQLite's lower() knows only ASCII)
            wanted = ref.casefold()
            rows = [
                r for r in await self.conn.execute(members.select()) if wanted in r.name.casefold()
            ]
            row = rows[0] if len(rows) == 1 else None
        return _member(row) if row else None

    async def list(self) -> list[Member]:
        rows = await self.conn.execute(members.select().order_by(members.c.name))
        return [_member(r) for r in rows]


def _person(row: Any) -> Person:
    return Person(
        row.display_name,
        row.member_id,
        frozenset(Role(r) for r in row.roles),
        tuple(row.supporter_topics),
        row.language,
        row.is_guest,
        row.created_at,
        row.id,
        row.self_registered,
        row.privacy_notice_at,
    )


def _person_values(person: Person) -> dict[str, Any]:
    return {
        "display_name": person.display_name,
        "member_id": person.member_id,
        "roles": sorted(r.value for r in person.roles),
        "supporter_topics": list(person.supporter_topics),
        "language": person.language,
        "is_guest": person.is_guest,
        "created_at": person.created_at,
        "self_registered": person.self_registered,
        "privacy_notice_at": person.privacy_notice_at,
    }


_PERSON_WITH_MEMBER = (
    sa.select(persons, *[c.label(f"m_{c.name}") for c in members.c])
    .select_from(persons.outerjoin(members, members.c.id == persons.c.member_id))
    .where(persons.c.id == sa.bindparam("person_id"))
)


class PersonRepository(_Repository):
    async def add(self, person: Person) -> Person:
        person.id = await self._insert(persons, _person_values(person))
        return person

    async def get(self, person_id: int) -> Person | None:
        row = (await self.conn.execute(persons.select().where(persons.c.id == person_id))).first()
        return _person(row) if row else None

    async def get_with_member(self, person_id: int) -> tuple[Person, Member | None] | None:
        row = (await self.conn.execute(_PERSON_WITH_MEMBER, {"person_id": person_id})).first()
        if row is None:
            return None
        member = _member(_Prefixed(row._mapping, "m_")) if row.m_id is not None else None
        return _person(row), member

    async def matching(self, ref: str) -> list[Person]:
        """By id; else everyone whose name contains ``ref`` (Unicode case folding), by id.

        No exact match is preferred: a name chosen by a chat account could otherwise shadow
        the office's entry that contains it ("Petra Sommer" and "Dr. Petra Sommer").
        """
        ref = ref.strip()
        if ref.isdigit():
            found = await self.get(int(ref))
            return [found] if found else []
        # Compared in Python by Unicode case folding: SQLite's lower() knows only ASCII
        # ("Öztürk", "Şahin"), and both databases must find the same people.
        wanted = ref.casefold()
        query = persons.select().order_by(persons.c.id)
        return [
            _person(r)
            for r in await self.conn.execute(query)
            if wanted in r.display_name.casefold()
        ]

    async def update(self, person: Person) -> None:
        await self.conn.execute(
            persons.update().where(persons.c.id == person.id).values(_person_values(person))
        )

    async def delete(self, person_id: int) -> None:
        await self.conn.execute(persons.delete().where(persons.c.id == person_id))

    async def list(self) -> list[Person]:
        rows = await self.conn.execute(persons.select().order_by(persons.c.id))
        return [_person(r) for r in rows]

    async def merge(self, source_id: int, target_id: int) -> None:
        """Point every row of ``source_id`` at ``target_id``, then delete the source person.

        Every foreign key to ``persons`` is followed, so a table added later is merged too.
        Where the target already has the one row allowed (a named vote in the same poll,
        preferences), the source's row is dropped: the target's counts. Active registrations
        for the same event must have been resolved by the caller (the waiting list moves).
        """
        for table, column in _person_references():
            if table is poll_votes:
                mine = sa.select(poll_votes.c.poll_id).where(poll_votes.c.person_id == target_id)
                await self.conn.execute(
                    poll_votes.delete().where(
                        poll_votes.c.person_id == source_id, poll_votes.c.poll_id.in_(mine)
                    )
                )
            if table is person_preferences:
                exists = sa.exists().where(person_preferences.c.person_id == target_id)
                await self.conn.execute(
                    person_preferences.delete().where(
                        person_preferences.c.person_id == source_id, exists
                    )
                )
            await self.conn.execute(
                table.update().where(column == source_id).values({column.name: target_id})
            )
        await self.delete(source_id)


def _person_references() -> list[tuple[sa.Table, sa.Column[Any]]]:
    """Every (table, column) with a foreign key to ``persons.id``."""
    return [
        (table, fk.parent)
        for table in metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column is persons.c.id
    ]


def _identity(row: Any) -> ChatIdentity:
    return ChatIdentity(
        Platform(row.platform), row.external_id, row.person_id, row.display_name, row.created_at
    )


class IdentityRepository(_Repository):
    async def get(self, platform: Platform, external_id: str) -> ChatIdentity | None:
        query = chat_identities.select().where(
            chat_identities.c.platform == platform.value,
            chat_identities.c.external_id == external_id,
        )
        row = (await self.conn.execute(query)).first()
        return _identity(row) if row else None

    async def add(self, identity: ChatIdentity) -> bool:
        # A savepoint keeps the transaction usable when a concurrent insert wins.
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(
                    chat_identities.insert().values(
                        platform=identity.platform.value,
                        external_id=identity.external_id,
                        person_id=identity.person_id,
                        display_name=identity.display_name,
                        created_at=identity.created_at,
                    )
                )
        except sa.exc.IntegrityError:
            return False
        return True

    async def for_person(self, person_id: int) -> list[ChatIdentity]:
        query = chat_identities.select().where(chat_identities.c.person_id == person_id)
        return [_identity(r) for r in await self.conn.execute(query)]

    async def delete(self, platform: Platform, external_id: str) -> bool:
        result = await self.conn.execute(
            chat_identities.delete().where(
                chat_identities.c.platform == platform.value,
                chat_identities.c.external_id == external_id,
            )
        )
        return result.rowcount > 0


def _count(status: RegistrationStatus, mode: Mode) -> sa.ScalarSelect[int]:
    return (
        sa.select(sa.func.count())
        .select_from(registrations)
        .where(
            registrations.c.event_id == events.c.id,
            registrations.c.mode == mode.value,
            registrations.c.status == status.value,
        )
        .scalar_subquery()
    )


def _offered(mode: Mode) -> sa.ScalarSelect[int]:
    return (
        sa.select(sa.func.count())
        .select_from(registrations)
        .where(
            registrations.c.event_id == events.c.id,
            registrations.c.mode == mode.value,
            registrations.c.status == RegistrationStatus.WAITLISTED.value,
            registrations.c.offered_until.is_not(None),
        )
        .scalar_subquery()
    )


def _tail(mode: Mode) -> sa.ScalarSelect[int]:
    return (
        sa.select(sa.func.coalesce(sa.func.max(registrations.c.waitlist_position), 0))
        .where(
            registrations.c.event_id == events.c.id,
            registrations.c.mode == mode.value,
            registrations.c.status == RegistrationStatus.WAITLISTED.value,
        )
        .scalar_subquery()
    )


def _event_query(with_own_status: bool) -> sa.Select:
    """The event with its counts and waiting-list tail per mode, and (with the bind
    parameter ``person_id``) that person's own active status and mode. Built once:
    statements are cached."""
    own_status = own_mode = own_offer = sa.null()
    if with_own_status:
        own = sa.select(registrations).where(
            registrations.c.event_id == events.c.id,
            registrations.c.person_id == sa.bindparam("person_id"),
            registrations.c.status.in_(ACTIVE),
        )
        own_status = own.with_only_columns(registrations.c.status).scalar_subquery()
        own_mode = own.with_only_columns(registrations.c.mode).scalar_subquery()
        own_offer = own.with_only_columns(registrations.c.offered_until).scalar_subquery()
    counts = [
        column.label(f"{name}_{mode.value}")
        for mode in Mode
        for name, column in (
            ("confirmed", _count(RegistrationStatus.CONFIRMED, mode)),
            ("waitlisted", _count(RegistrationStatus.WAITLISTED, mode)),
            ("tail", _tail(mode)),
            ("offered", _offered(mode)),
        )
    ]
    return sa.select(
        events,
        *counts,
        own_status.label("own_status"),
        own_mode.label("own_mode"),
        own_offer.label("own_offer"),
    )


_EVENT = _event_query(with_own_status=False)
_EVENT_BY_ID = _EVENT.where(events.c.id == sa.bindparam("event_id"))
_EVENT_FOR_PERSON_BY_ID = _event_query(with_own_status=True).where(
    events.c.id == sa.bindparam("event_id")
)
_LOCK_EVENT = (
    sa.select(events.c.id).where(events.c.id == sa.bindparam("event_id")).with_for_update()
)

_EVENT_FIELDS = tuple(f.name for f in dataclasses.fields(Event) if f.name != "id")


def _event(row: Any) -> Event:
    return Event(
        kind=EventKind(row.kind),
        title=row.title,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        description=row.description,
        place=row.place,
        video_url=row.video_url,
        capacity=row.capacity,
        online_capacity=row.online_capacity,
        registration_deadline=row.registration_deadline,
        audience=Audience(row.audience),
        cancelled=row.cancelled,
        speaker_id=row.speaker_id,
        waitlist_offers=row.waitlist_offers,
        sequence=row.sequence,
        updated_at=row.updated_at,
        series_id=row.series_id,
        id=row.id,
    )


def _event_values(event: Event) -> dict[str, Any]:
    values = {name: getattr(event, name) for name in _EVENT_FIELDS}
    values["kind"] = event.kind.value
    values["audience"] = event.audience.value
    return values


def _with_counts(row: Any) -> EventWithCounts:
    event = _event(row)
    by_mode = {
        mode: Places(
            event.capacity_of(mode),
            row._mapping[f"confirmed_{mode.value}"],
            row._mapping[f"waitlisted_{mode.value}"],
            row._mapping[f"tail_{mode.value}"],
            row._mapping[f"offered_{mode.value}"],
        )
        for mode in event.modes
    }
    own = RegistrationStatus(row.own_status) if row.own_status else None
    own_mode = Mode(row.own_mode) if row.own_mode else None
    offer = row.own_offer
    return EventWithCounts(event, by_mode, own, own_mode, offer)


class EventRepository(_Repository):
    def __init__(self, conn: AsyncConnection, *, row_locks: bool) -> None:
        super().__init__(conn)
        self.row_locks = row_locks

    async def add(self, event: Event) -> Event:
        event.id = await self._insert(events, _event_values(event))
        return event

    async def get(self, event_id: int, *, person_id: int | None = None) -> EventWithCounts | None:
        if person_id is None:
            result = await self.conn.execute(_EVENT_BY_ID, {"event_id": event_id})
        else:
            params = {"event_id": event_id, "person_id": person_id}
            result = await self.conn.execute(_EVENT_FOR_PERSON_BY_ID, params)
        row = result.first()
        return _with_counts(row) if row else None

    async def lock(self, event_id: int, *, person_id: int | None = None) -> EventWithCounts | None:
        # PostgreSQL: lock the row first, then count in a new statement, whose snapshot
        # (READ COMMITTED) sees what the previous lock holder committed. SQLite ignores
        # FOR UPDATE; BEGIN IMMEDIATE serialises writers there.
        if (
            self.row_locks
            and not (await self.conn.execute(_LOCK_EVENT, {"event_id": event_id})).first()
        ):
            return None
        return await self.get(event_id, person_id=person_id)

    async def update(self, event: Event) -> None:
        await self.conn.execute(
            events.update().where(events.c.id == event.id).values(_event_values(event))
        )

    async def upcoming(self, now: datetime, limit: int | None) -> list[EventWithCounts]:
        query = (
            _EVENT.where(events.c.ends_at > now, events.c.cancelled.is_(False))
            .order_by(events.c.starts_at, events.c.id)
            .limit(limit)
        )
        return [_with_counts(r) for r in await self.conn.execute(query)]

    async def listed(self, now: datetime, *, ended: bool, limit: int) -> list[EventWithCounts]:
        if ended:
            query = _EVENT.where(events.c.ends_at <= now).order_by(
                events.c.starts_at.desc(), events.c.id.desc()
            )
        else:
            query = _EVENT.where(events.c.ends_at > now).order_by(events.c.starts_at, events.c.id)
        return [_with_counts(r) for r in await self.conn.execute(query.limit(limit))]

    async def attendance(self, since: datetime, until: datetime) -> list[tuple[int, int, int]]:
        query = (
            sa.select(events.c.id, persons.c.member_id, sa.func.count())
            .select_from(
                registrations.join(events, events.c.id == registrations.c.event_id).join(
                    persons, persons.c.id == registrations.c.person_id
                )
            )
            .where(
                events.c.starts_at >= since,
                events.c.starts_at < until,
                events.c.cancelled.is_(False),
                registrations.c.status == RegistrationStatus.CONFIRMED.value,
                persons.c.member_id.is_not(None),
            )
            .group_by(events.c.id, persons.c.member_id)
        )
        return [(r[0], r[1], int(r[2])) for r in await self.conn.execute(query)]


def _registration(row: Any) -> Registration:
    return Registration(
        row.event_id,
        row.person_id,
        RegistrationStatus(row.status),
        row.created_at,
        row.updated_at,
        row.waitlist_position,
        row.id,
        Mode(row.mode),
        row.offered_until,
    )


_ahead = registrations.alias("ahead")
_RANK = (
    sa.select(sa.func.count() + 1)
    .select_from(_ahead)
    .where(
        _ahead.c.event_id == registrations.c.event_id,
        _ahead.c.mode == registrations.c.mode,
        _ahead.c.status == RegistrationStatus.WAITLISTED.value,
        _ahead.c.waitlist_position < registrations.c.waitlist_position,
    )
    .scalar_subquery()
)

_VIEW = sa.select(
    registrations,
    *[c.label(f"ev_{c.name}") for c in events.c],
    persons.c.display_name.label("person_name"),
    members.c.name.label("member_name"),
    sa.case(
        (registrations.c.status == RegistrationStatus.WAITLISTED.value, _RANK), else_=None
    ).label("rank"),
).select_from(
    registrations.join(events, events.c.id == registrations.c.event_id)
    .outerjoin(persons, persons.c.id == registrations.c.person_id)
    .outerjoin(members, members.c.id == persons.c.member_id)
)


def _view(row: Any) -> RegistrationView:
    event = _event(_Prefixed(row._mapping, "ev_"))
    return RegistrationView(_registration(row), event, row.person_name, row.member_name, row.rank)


class _Prefixed:
    """Attribute access to the ``ev_``-prefixed columns of a joined row."""

    def __init__(self, mapping: Any, prefix: str) -> None:
        self._mapping = mapping
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        return self._mapping[self._prefix + name]


class RegistrationRepository(_Repository):
    async def add(self, registration: Registration) -> Registration:
        registration.id = await self._insert(
            registrations,
            {
                "event_id": registration.event_id,
                "person_id": registration.person_id,
                "status": registration.status.value,
                "mode": registration.mode.value,
                "waitlist_position": registration.waitlist_position,
                "offered_until": registration.offered_until,
                "created_at": registration.created_at,
                "updated_at": registration.updated_at,
            },
        )
        return registration

    async def update(self, registration: Registration) -> None:
        await self.conn.execute(
            registrations.update()
            .where(registrations.c.id == registration.id)
            .values(
                status=registration.status.value,
                mode=registration.mode.value,
                waitlist_position=registration.waitlist_position,
                offered_until=registration.offered_until,
                updated_at=registration.updated_at,
            )
        )

    async def get(self, registration_id: int) -> Registration | None:
        query = registrations.select().where(registrations.c.id == registration_id)
        row = (await self.conn.execute(query)).first()
        return _registration(row) if row else None

    async def active_for(self, event_id: int, person_id: int) -> Registration | None:
        query = registrations.select().where(
            registrations.c.event_id == event_id,
            registrations.c.person_id == person_id,
            registrations.c.status.in_(ACTIVE),
        )
        row = (await self.conn.execute(query)).first()
        return _registration(row) if row else None

    async def first_waitlisted(
        self, event_id: int, mode: Mode, limit: int, *, unoffered: bool = False
    ) -> list[Registration]:
        query = (
            registrations.select()
            .where(
                registrations.c.event_id == event_id,
                registrations.c.mode == mode.value,
                registrations.c.status == RegistrationStatus.WAITLISTED.value,
            )
            .order_by(registrations.c.waitlist_position)
            .limit(limit)
        )
        if unoffered:
            query = query.where(registrations.c.offered_until.is_(None))
        return [_registration(r) for r in await self.conn.execute(query)]

    async def offers_ended(self, now: datetime) -> list[Registration]:
        query = (
            registrations.select()
            .where(
                registrations.c.status == RegistrationStatus.WAITLISTED.value,
                registrations.c.offered_until <= now,
            )
            .order_by(registrations.c.event_id, registrations.c.id)
        )
        return [_registration(r) for r in await self.conn.execute(query)]

    async def next_offer_end(self) -> datetime | None:
        query = sa.select(sa.func.min(registrations.c.offered_until)).where(
            registrations.c.status == RegistrationStatus.WAITLISTED.value
        )
        return (await self.conn.execute(query)).scalar()

    async def change_mode(self, event_id: int, old: Mode, new: Mode) -> int:
        result = await self.conn.execute(
            registrations.update()
            .where(
                registrations.c.event_id == event_id,
                registrations.c.mode == old.value,
                registrations.c.status.in_(ACTIVE),
            )
            .values(mode=new.value)
        )
        return result.rowcount

    async def waitlist_rank(self, registration: Registration) -> int:
        query = (
            sa.select(_RANK).select_from(registrations).where(registrations.c.id == registration.id)
        )
        return (await self.conn.execute(query)).scalar_one()

    async def for_event(self, event_id: int) -> list[RegistrationView]:
        query = _VIEW.where(
            registrations.c.event_id == event_id, registrations.c.status.in_(ACTIVE)
        ).order_by(registrations.c.created_at, registrations.c.id)
        return [_view(r) for r in await self.conn.execute(query)]

    async def for_person(self, person_id: int, *, active_only: bool) -> list[RegistrationView]:
        query = _VIEW.where(registrations.c.person_id == person_id)
        if active_only:
            query = query.where(registrations.c.status.in_(ACTIVE))
        query = query.order_by(events.c.starts_at, registrations.c.id)
        return [_view(r) for r in await self.conn.execute(query)]


def _invitation(row: Any) -> Invitation:
    return Invitation(
        row.code_hash,
        row.member_id,
        row.created_by,
        row.created_at,
        row.expires_at,
        row.max_uses,
        row.uses,
        row.person_id,
        row.id,
    )


class InvitationRepository(_Repository):
    async def add(self, invitation: Invitation) -> Invitation:
        invitation.id = await self._insert(
            invitations,
            {
                "code_hash": invitation.code_hash,
                "member_id": invitation.member_id,
                "person_id": invitation.person_id,
                "created_by": invitation.created_by,
                "created_at": invitation.created_at,
                "expires_at": invitation.expires_at,
                "max_uses": invitation.max_uses,
                "uses": invitation.uses,
            },
        )
        return invitation

    async def get_by_hash(self, code_hash: str) -> Invitation | None:
        query = invitations.select().where(invitations.c.code_hash == code_hash)
        row = (await self.conn.execute(query)).first()
        return _invitation(row) if row else None

    async def update(self, invitation: Invitation) -> None:
        await self.conn.execute(
            invitations.update()
            .where(invitations.c.id == invitation.id)
            .values(uses=invitation.uses)
        )
