"""Where the service refers to a chat by its id: moved together when the chat's id changes."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.people import Platform
from storage.tables import event_rooms, outbox, poll_rooms, polls


class ChatLinkRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def move(self, platform: Platform, old_chat_id: str, new_chat_id: str) -> int:
        """Point event rooms, poll rooms, polls' origin chats and undelivered outbox messages
        at ``new_chat_id``; returns how many rows changed. Links the new chat has already
        (a second notice of the same move) are kept once."""
        changed = 0
        for table, key in (
            (event_rooms, event_rooms.c.event_id),
            (poll_rooms, poll_rooms.c.poll_id),
        ):
            here = sa.and_(table.c.platform == platform.value, table.c.chat_id == new_chat_id)
            taken = sa.select(key).where(here).scalar_subquery()
            there = sa.and_(table.c.platform == platform.value, table.c.chat_id == old_chat_id)
            await self.conn.execute(table.delete().where(there, key.in_(taken)))
            result = await self.conn.execute(
                table.update().where(there).values(chat_id=new_chat_id)
            )
            changed += result.rowcount
        result = await self.conn.execute(
            polls.update()
            .where(polls.c.origin_platform == platform.value, polls.c.origin_chat_id == old_chat_id)
            .values(origin_chat_id=new_chat_id)
        )
        changed += result.rowcount
        result = await self.conn.execute(
            outbox.update()
            .where(
                outbox.c.platform == platform.value,
                outbox.c.chat_id == old_chat_id,
                outbox.c.sent_at.is_(None),
            )
            .values(chat_id=new_chat_id)
        )
        return changed + result.rowcount
