"""The audit log: written by the core's use cases, read by the office."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.audit import AuditEntry
from storage.tables import audit_log, persons


class AuditRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, entry: AuditEntry) -> None:
        await self.conn.execute(
            audit_log.insert().values(
                at=entry.at,
                actor_id=entry.actor_id,
                via=entry.via,
                action=entry.action,
                subject=entry.subject,
                details=entry.details,
            )
        )

    async def latest(self, limit: int) -> list[AuditEntry]:
        """The newest entries first, with the acting person's name."""
        query = (
            sa.select(audit_log, persons.c.display_name)
            .outerjoin(persons, persons.c.id == audit_log.c.actor_id)
            .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
            .limit(limit)
        )
        return [_entry(row) for row in await self.conn.execute(query)]

    async def purge(self, before: datetime) -> int:
        result = await self.conn.execute(audit_log.delete().where(audit_log.c.at < before))
        return result.rowcount


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        row.at,
        row.actor_id,
        row.via,
        row.action,
        row.subject,
        dict(row.details),
        row.display_name,
        row.id,
    )
