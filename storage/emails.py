"""Persons' e-mail addresses (``core.domain.mail``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.mail import EmailAddress
from storage import upsert
from storage.tables import email_addresses, mail_calendar

_COLUMNS = (
    "address",
    "confirmed_at",
    "pending_address",
    "pending_token_hash",
    "pending_since",
    "undeliverable_at",
    "problem",
    "announcements",
    "pending_problem",
)


def _address(row: Any) -> EmailAddress:
    return EmailAddress(row.person_id, *(getattr(row, name) for name in _COLUMNS))


class EmailRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, person_id: int) -> EmailAddress | None:
        query = email_addresses.select().where(email_addresses.c.person_id == person_id)
        row = (await self.conn.execute(query)).first()
        return _address(row) if row else None

    async def many(self, person_ids: list[int]) -> dict[int, EmailAddress]:
        """The addresses of those of ``person_ids`` who have one."""
        query = email_addresses.select().where(email_addresses.c.person_id.in_(person_ids))
        return {row.person_id: _address(row) for row in await self.conn.execute(query)}

    async def by_token_hash(self, token_hash: str) -> EmailAddress | None:
        query = email_addresses.select().where(email_addresses.c.pending_token_hash == token_hash)
        row = (await self.conn.execute(query)).first()
        return _address(row) if row else None

    async def save(self, address: EmailAddress) -> None:
        values = {name: getattr(address, name) for name in _COLUMNS}
        statement = upsert.insert(self.conn.dialect.name, email_addresses).values(
            person_id=address.person_id, **values
        )
        await self.conn.execute(
            statement.on_conflict_do_update(
                index_elements=[email_addresses.c.person_id], set_=values
            )
        )

    async def delete(self, person_id: int) -> bool:
        result = await self.conn.execute(
            email_addresses.delete().where(email_addresses.c.person_id == person_id)
        )
        return result.rowcount == 1

    async def mark_undeliverable(self, address: str, problem: str, now: datetime) -> int:
        """Mark ``address`` refused where it is confirmed and where it waits for confirmation;
        returns how many rows."""
        confirmed = await self.conn.execute(
            email_addresses.update()
            .where(
                sa.func.lower(email_addresses.c.address) == address.lower(),
                email_addresses.c.undeliverable_at.is_(None),
            )
            .values(undeliverable_at=now, problem=problem)
        )
        pending = await self.conn.execute(
            email_addresses.update()
            .where(
                sa.func.lower(email_addresses.c.pending_address) == address.lower(),
                email_addresses.c.pending_problem.is_(None),
            )
            .values(pending_problem=problem)
        )
        return confirmed.rowcount + pending.rowcount

    async def undeliverable(self) -> list[EmailAddress]:
        """Addresses the mail server refused, most recent first (for the organizers)."""
        since = sa.func.coalesce(
            email_addresses.c.undeliverable_at, email_addresses.c.pending_since
        )
        query = (
            email_addresses.select()
            .where(
                sa.or_(
                    email_addresses.c.undeliverable_at.is_not(None),
                    email_addresses.c.pending_problem.is_not(None),
                )
            )
            .order_by(since.desc())
        )
        return [_address(row) for row in await self.conn.execute(query)]

    async def note_calendar(self, person_id: int, event_id: int) -> None:
        """The person's calendar holds ``event_id`` from a mailed invitation."""
        statement = upsert.insert(self.conn.dialect.name, mail_calendar).values(
            person_id=person_id, event_id=event_id
        )
        await self.conn.execute(statement.on_conflict_do_nothing())

    async def forget_calendar(self, person_id: int, event_id: int) -> None:
        await self.conn.execute(
            mail_calendar.delete().where(
                mail_calendar.c.person_id == person_id, mail_calendar.c.event_id == event_id
            )
        )

    async def has_calendar(self, person_id: int, event_id: int) -> bool:
        query = sa.select(mail_calendar.c.person_id).where(
            mail_calendar.c.person_id == person_id, mail_calendar.c.event_id == event_id
        )
        return (await self.conn.execute(query)).first() is not None
