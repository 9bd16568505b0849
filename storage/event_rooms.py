"""The event rooms the bot invites participants to, and whom it invited (``core.event_rooms``)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.people import Platform
from core.domain.registrations import RegistrationStatus
from core.domain.room_invites import Invitee, InviteState, InvitingRoom, RoomInvite
from storage import upsert
from storage.tables import (
    chat_identities,
    event_room_invitations,
    event_room_invites,
    events,
    outbox,
    persons,
    registrations,
)


def _room(table: sa.Table, event_id: int, platform: Platform, chat_id: str) -> sa.ColumnElement:
    return sa.and_(
        table.c.event_id == event_id,
        table.c.platform == platform.value,
        table.c.chat_id == chat_id,
    )


class RoomInviteRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def switch_on(
        self, event_id: int, platform: Platform, chat_id: str, now: datetime
    ) -> None:
        """Invite in this (linked) room from now on; nothing changes if it does already."""
        statement = upsert.insert(self.conn.dialect.name, event_room_invitations).values(
            event_id=event_id, platform=platform.value, chat_id=chat_id, since=now
        )
        await self.conn.execute(statement.on_conflict_do_nothing())

    async def switch_off(self, event_id: int, platform: Platform, chat_id: str) -> bool:
        """Stop, forgetting whom the bot invited; ``False`` if it was not on."""
        where = _room(event_room_invitations, event_id, platform, chat_id)
        result = await self.conn.execute(event_room_invitations.delete().where(where))
        return result.rowcount > 0

    async def rooms(self, now: datetime, event_id: int | None = None) -> list[InvitingRoom]:
        """Rooms that invite, of events neither over nor cancelled (of one event, if given)."""
        query = (
            sa.select(
                event_room_invitations.c.event_id,
                event_room_invitations.c.platform,
                event_room_invitations.c.chat_id,
                events.c.title,
            )
            .join(events, events.c.id == event_room_invitations.c.event_id)
            .where(events.c.cancelled.is_(False), events.c.ends_at > now)
            .order_by(event_room_invitations.c.event_id, event_room_invitations.c.chat_id)
        )
        if event_id is not None:
            query = query.where(events.c.id == event_id)
        return [
            InvitingRoom(r.event_id, Platform(r.platform), r.chat_id, r.title)
            for r in await self.conn.execute(query)
        ]

    async def invitees(self, event_id: int, platform: Platform) -> list[Invitee]:
        """The event's confirmed participants with their accounts on ``platform``."""
        query = (
            sa.select(
                chat_identities.c.person_id, chat_identities.c.external_id, persons.c.language
            )
            .join(registrations, registrations.c.person_id == chat_identities.c.person_id)
            .join(persons, persons.c.id == chat_identities.c.person_id)
            .where(
                registrations.c.event_id == event_id,
                registrations.c.status == RegistrationStatus.CONFIRMED.value,
                chat_identities.c.platform == platform.value,
            )
            .order_by(chat_identities.c.person_id, chat_identities.c.external_id)
        )
        return [Invitee(*row) for row in await self.conn.execute(query)]

    async def invites(self, room: InvitingRoom) -> list[RoomInvite]:
        """The bot's invitations to ``room``, each with the state of its outbox row (a row
        deleted by the retention job went out long ago)."""
        state = sa.case(
            (outbox.c.failed_at.is_not(None), InviteState.FAILED.value),
            (
                sa.and_(event_room_invites.c.outbox_id.is_not(None), outbox.c.sent_at.is_(None)),
                InviteState.PENDING.value,
            ),
            else_=InviteState.SENT.value,
        )
        query = (
            sa.select(
                event_room_invites.c.person_id,
                event_room_invites.c.user_id,
                persons.c.language,
                state,
                event_room_invites.c.id,
            )
            .join(persons, persons.c.id == event_room_invites.c.person_id)
            .outerjoin(outbox, outbox.c.id == event_room_invites.c.outbox_id)
            .where(_room(event_room_invites, room.event_id, room.platform, room.chat_id))
            .order_by(event_room_invites.c.id)
        )
        return [
            RoomInvite(person, user, language, InviteState(found), row_id)
            for person, user, language, found, row_id in await self.conn.execute(query)
        ]

    async def add(self, room: InvitingRoom, invitee: Invitee, now: datetime) -> int | None:
        """Record the invitation; its id, or ``None`` if the account is invited already (by a
        concurrent transaction)."""
        statement = (
            upsert.insert(self.conn.dialect.name, event_room_invites)
            .values(
                event_id=room.event_id,
                platform=room.platform.value,
                chat_id=room.chat_id,
                person_id=invitee.person_id,
                user_id=invitee.user_id,
                invited_at=now,
            )
            .on_conflict_do_nothing()
            .returning(event_room_invites.c.id)
        )
        return (await self.conn.execute(statement)).scalar_one_or_none()

    async def sent_with(self, invite_id: int, outbox_id: int) -> None:
        await self.conn.execute(
            event_room_invites.update()
            .where(event_room_invites.c.id == invite_id)
            .values(outbox_id=outbox_id)
        )

    async def delete(self, invite_id: int) -> None:
        await self.conn.execute(
            event_room_invites.delete().where(event_room_invites.c.id == invite_id)
        )

    async def forget_ended(self, now: datetime) -> int:
        """Delete the invitations to rooms of events that are over (nothing is done for
        them any more); how many."""
        ended = sa.select(events.c.id).where(events.c.ends_at <= now)
        result = await self.conn.execute(
            event_room_invites.delete().where(event_room_invites.c.event_id.in_(ended))
        )
        return result.rowcount
