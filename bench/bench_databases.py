"""The databases a benchmark runs on: a temporary SQLite file, and PostgreSQL in a throwaway
schema when ENGAGIERT_TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine


async def backends() -> AsyncIterator[tuple[str, str, str | None]]:
    """``(name, database url, schema)`` for each database; cleaned up after each."""
    with tempfile.TemporaryDirectory() as tmp:
        yield "SQLite", f"sqlite+aiosqlite:///{tmp}/bench.db", None
    url = os.environ.get("ENGAGIERT_TEST_DATABASE_URL")
    if not url:
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield "PostgreSQL", url, schema
    finally:
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
