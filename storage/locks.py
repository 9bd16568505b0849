"""Locks held for as long as a process lives: a PostgreSQL advisory lock on a session of
its own, or a file lock next to the SQLite file. A process that dies (even by ``kill -9``)
loses its locks: the server ends its session, the kernel its file handles."""

from __future__ import annotations

import re

import filelock
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.database import Database

#: One lock per purpose and database schema.
_KEY = "hashtext('engagiert-bot:' || :purpose || ':' || current_schema())"


class SessionLock:
    """Held by at most one process per database and ``purpose`` (letters, digits, ``.-_:``)."""

    def __init__(self, database: Database, purpose: str) -> None:
        self._database = database
        self._purpose = purpose
        self._conn: AsyncConnection | None = None
        path = database.url.database if database.is_sqlite else None
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", purpose)
        self._file = (
            filelock.FileLock(f"{path}.{safe}.lock") if path and path != ":memory:" else None
        )

    @property
    def held(self) -> bool:
        return self._conn is not None or (self._file is not None and self._file.is_locked)

    async def acquire(self) -> bool:
        """Take the lock if nobody holds it; ``True`` if this process holds it now. An
        in-memory SQLite database belongs to this process alone: always ``True``."""
        if self._database.is_sqlite:
            if self._file is None:
                return True
            try:
                self._file.acquire(timeout=0)
            except filelock.Timeout:
                return False
            return True
        if self._conn is not None:
            return True
        conn = await self._database.engine.connect()
        try:
            taken = await conn.scalar(
                sa.text(f"SELECT pg_try_advisory_lock({_KEY})"), {"purpose": self._purpose}
            )
            await conn.commit()
        except BaseException:
            await conn.close()
            raise
        if taken:
            self._conn = conn  # the lock lives as long as this session
        else:
            await conn.close()
        return bool(taken)

    async def release(self) -> None:
        if self._file is not None and self._file.is_locked:
            self._file.release()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await conn.execute(
                    sa.text(f"SELECT pg_advisory_unlock({_KEY})"), {"purpose": self._purpose}
                )
                await conn.commit()
            finally:
                await conn.close()
