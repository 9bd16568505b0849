"""Sign-in links and sessions of the office's web desk, by the hash of their token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.web import GrantKind as Kind
from core.domain.web import WebGrant
from storage.tables import web_access


class WebAccessRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(
        self, kind: Kind, token_hash: str, person_id: int, now: datetime, expires_at: datetime
    ) -> None:
        await self.conn.execute(
            web_access.insert().values(
                kind=kind,
                token_hash=token_hash,
                person_id=person_id,
                created_at=now,
                expires_at=expires_at,
            )
        )

    async def get(self, kind: Kind, token_hash: str) -> WebGrant | None:
        query = web_access.select().where(
            web_access.c.kind == kind, web_access.c.token_hash == token_hash
        )
        row = (await self.conn.execute(query)).first()
        return WebGrant(row.person_id, row.expires_at, row.used_at) if row else None

    async def use(self, token_hash: str, now: datetime) -> bool:
        """Mark a link used; ``False`` if it was used already (a second click, a race)."""
        result = await self.conn.execute(
            web_access.update()
            .where(
                web_access.c.kind == "link",
                web_access.c.token_hash == token_hash,
                web_access.c.used_at.is_(None),
            )
            .values(used_at=now)
        )
        return result.rowcount == 1

    async def delete(self, kind: Kind, token_hash: str) -> None:
        await self.conn.execute(
            web_access.delete().where(
                web_access.c.kind == kind, web_access.c.token_hash == token_hash
            )
        )

    async def purge_expired(self, now: datetime) -> int:
        result = await self.conn.execute(web_access.delete().where(web_access.c.expires_at < now))
        return result.rowcount
