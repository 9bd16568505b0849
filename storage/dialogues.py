"""The pending dialogue step of each person."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.dialogues import Dialogue, DialogueKind
from storage import upsert
from storage.tables import dialogues


class DialogueRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, person_id: int) -> Dialogue | None:
        query = dialogues.select().where(dialogues.c.person_id == person_id)
        row = (await self.conn.execute(query)).first()
        return _dialogue(row) if row else None

    async def put(self, dialogue: Dialogue) -> None:
        """Set the person's one pending step (replacing any earlier one)."""
        values = {"kind": dialogue.kind.value, "data": dialogue.data}
        values["expires_at"] = dialogue.expires_at
        statement = upsert.insert(self.conn.dialect.name, dialogues).values(
            person_id=dialogue.person_id, **values
        )
        statement = statement.on_conflict_do_update(
            index_elements=[dialogues.c.person_id], set_=values
        )
        await self.conn.execute(statement)

    async def delete(self, person_id: int) -> None:
        await self.conn.execute(dialogues.delete().where(dialogues.c.person_id == person_id))

    async def purge_expired(self, now: datetime) -> int:
        """Remove the steps nobody answered in time; returns how many."""
        result = await self.conn.execute(dialogues.delete().where(dialogues.c.expires_at <= now))
        return result.rowcount


def _dialogue(row: sa.Row[Any]) -> Dialogue:
    return Dialogue(row.person_id, DialogueKind(row.kind), dict(row.data), row.expires_at)
