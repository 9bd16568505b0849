"""Repositories for exactly-once input, the outbox and transport cursors."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.outbox import OutgoingMessage
from storage import upsert
from storage.tables import outbox, processed_inputs, transport_state


class InboundRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def claim(self, platform: str, external_id: str, now: datetime) -> bool:
        statement = (
            upsert.insert(self.conn.dialect.name, processed_inputs)
            .values(platform=platform, external_id=external_id, processed_at=now)
            .on_conflict_do_nothing()
        )
        return (await self.conn.execute(statement)).rowcount == 1


class StateRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, key: str) -> str | None:
        query = sa.select(transport_state.c.value).where(transport_state.c.key == key)
        return (await self.conn.execute(query)).scalar_one_or_none()

    async def set(self, key: str, value: str, now: datetime) -> None:
        statement = upsert.insert(self.conn.dialect.name, transport_state).values(
            key=key, value=value, updated_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=[transport_state.c.key], set_={"value": value, "updated_at": now}
        )
        await self.conn.execute(statement)

    async def delete(self, key: str) -> None:
        await self.conn.execute(transport_state.delete().where(transport_state.c.key == key))


def _message(row: Any) -> OutgoingMessage:
    return OutgoingMessage(
        row.platform, row.chat_id, row.payload, row.tx_id, row.created_at, row.attempts, row.id
    )


class OutboxRepository:
    def __init__(self, conn: AsyncConnection, *, row_locks: bool = True) -> None:
        self.conn = conn
        self.row_locks = row_locks
        #: Platforms this transaction queued messages for (whose senders to wake after it).
        self.platforms: set[str] = set()

    async def add(self, message: OutgoingMessage) -> OutgoingMessage:
        self.platforms.add(message.platform)
        result = await self.conn.execute(
            outbox.insert()
            .values(
                platform=message.platform,
                chat_id=message.chat_id,
                payload=message.payload,
                tx_id=message.tx_id,
                created_at=message.created_at,
                next_attempt_at=message.created_at,
                attempts=message.attempts,
            )
            .returning(outbox.c.id)
        )
        message.id = result.scalar_one()
        return message

    async def get(self, message_id: int) -> OutgoingMessage | None:
        row = (await self.conn.execute(outbox.select().where(outbox.c.id == message_id))).first()
        return _message(row) if row else None

    async def claim_due(
        self,
        platform: str,
        now: datetime,
        limit: int,
        lease: timedelta,
        *,
        owner: str | None = None,
        skip_chats: Collection[str] = (),
    ) -> list[OutgoingMessage]:
        due = (
            sa.select(outbox.c.id)
            .where(
                outbox.c.platform == platform,
                outbox.c.sent_at.is_(None),
                outbox.c.failed_at.is_(None),
                outbox.c.next_attempt_at <= now,
                sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
            )
            .order_by(outbox.c.id)
            .limit(limit)
        )
        if skip_chats:
            due = due.where(outbox.c.chat_id.not_in(list(skip_chats)))
        if self.row_locks:
            due = due.with_for_update(skip_locked=True)
        ids = list((await self.conn.execute(due)).scalars())
        if not ids:
            return []
        rows = await self.conn.execute(
            outbox.update()
            .where(outbox.c.id.in_(ids))
            .values(claimed_until=now + lease, claimed_by=owner)
            .returning(*outbox.c)
        )
        return sorted((_message(r) for r in rows), key=lambda m: m.id or 0)

    async def take_back(self, owner: str) -> int:
        result = await self.conn.execute(
            outbox.update()
            .where(outbox.c.claimed_by == owner, outbox.c.sent_at.is_(None))
            .values(claimed_until=None, claimed_by=None)
        )
        return result.rowcount or 0

    async def forget(self, message_id: int) -> None:
        await self.conn.execute(outbox.delete().where(outbox.c.id == message_id))

    async def mark_sent(self, message_id: int, now: datetime) -> None:
        await self.conn.execute(
            outbox.update()
            .where(outbox.c.id == message_id)
            .values(
                sent_at=now, claimed_until=None, claimed_by=None, attempts=outbox.c.attempts + 1
            )
        )

    async def postpone(self, message_id: int, error: str, retry_at: datetime) -> None:
        """Try again at ``retry_at``, its attempts untouched (the server was away)."""
        await self.conn.execute(
            outbox.update()
            .where(outbox.c.id == message_id)
            .values(
                last_error=error[:2000],
                claimed_until=None,
                claimed_by=None,
                next_attempt_at=retry_at,
            )
        )

    async def mark_failed(
        self, message_id: int, error: str, retry_at: datetime | None, now: datetime
    ) -> None:
        values: dict[str, Any] = {
            "attempts": outbox.c.attempts + 1,
            "last_error": error[:2000],
            "claimed_until": None,
            "claimed_by": None,
        }
        if retry_at is None:
            values["failed_at"] = now
        else:
            values["next_attempt_at"] = retry_at
        await self.conn.execute(outbox.update().where(outbox.c.id == message_id).values(values))
