"""REST API tokens by name and by the hash of the token."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.api import ApiToken, Scope
from storage.tables import api_tokens


def _token(row: Any) -> ApiToken:
    return ApiToken(row.name, Scope(row.scope), row.created_at, row.last_used_at, row.revoked_at)


class ApiTokenRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, token: ApiToken, token_hash: str) -> None:
        await self.conn.execute(
            api_tokens.insert().values(
                name=token.name,
                token_hash=token_hash,
                scope=token.scope.value,
                created_at=token.created_at,
            )
        )

    async def by_name(self, name: str) -> ApiToken | None:
        query = api_tokens.select().where(api_tokens.c.name == name)
        row = (await self.conn.execute(query)).first()
        return _token(row) if row else None

    async def by_hash(self, token_hash: str) -> ApiToken | None:
        query = api_tokens.select().where(api_tokens.c.token_hash == token_hash)
        row = (await self.conn.execute(query)).first()
        return _token(row) if row else None

    async def list(self) -> list[ApiToken]:
        rows = await self.conn.execute(api_tokens.select().order_by(api_tokens.c.name))
        return [_token(r) for r in rows]

    async def used(self, name: str, now: datetime) -> None:
        await self.conn.execute(
            api_tokens.update().where(api_tokens.c.name == name).values(last_used_at=now)
        )

    async def revoke(self, name: str, now: datetime) -> bool:
        result = await self.conn.execute(
            api_tokens.update()
            .where(api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return result.rowcount == 1
