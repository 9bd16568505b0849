"""Locks held for as long as a process lives: a PostgreSQL advisory lock on a session of
its own, or a file lock next to the SQLite file. A process that dies (even by ``kill -9``)
loses its locks: the server ends its session, the kernel its file handles."""

from __future__ import annotations

import contextlib
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

    async def still_held(self) -> bool:
        """Whether the lock is still ours: a PostgreSQL session that broke (the database was
        away) took its lock with it, and another process may hold it now."""
        if self._conn is None:
            return self.held
        try:
            held = await self._conn.scalar(
                sa.text(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid = pg_backend_pid() AND granted)"
                )
            )
            await self._conn.commit()
        except Exception:  # the session is gone, and the lock with it
            held = False
        if not held:
            await self._forget()
        return bool(held)

    async def release(self) -> None:
        """Give the lock up (nothing to do if it went with a broken session)."""
        if self._file is not None and self._file.is_locked:
            self._file.release()
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.execute(
                    sa.text(f"SELECT pg_advisory_unlock({_KEY})"), {"purpose": self._purpose}
                )
                await self._conn.commit()
            await self._forget()

    async def _forget(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
