"""Engine creation, SQLite/PostgreSQL specifics and schema migrations."""

from __future__ import annotations

import asyncio
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.ports import Notifier
from storage.uow import SqlUnitOfWork, ended

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: libpq's ``sslmode`` values, which asyncpg takes as ``ssl``.
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
#: PostgreSQL, in seconds: connecting, one statement, waiting for a pooled connection, and
#: closing everything at the end.
CONNECT_TIMEOUT = 10
COMMAND_TIMEOUT = 30
POOL_TIMEOUT = 30
DISPOSE_WITHIN = 2

#: URL schemes accepted for the database, and the async driver each one gets.
ASYNC_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}
SUPPORTED_URLS = "postgresql://BENUTZER@RECHNER/DATENBANK oder sqlite:///PFAD"


def async_url(url: str | URL) -> URL:
    """The database URL with the async driver this app uses: ``postgresql://``,
    ``postgres://`` and ``postgresql+asyncpg://`` become ``postgresql+asyncpg://``;
    ``sqlite://`` and ``sqlite+aiosqlite://`` become ``sqlite+aiosqlite://``. A libpq-style
    ``?sslmode=…`` (what hosting panels hand out) becomes asyncpg's ``?ssl=…``.

    Raises ValueError (one German sentence) for text that is no URL and for other schemes
    (``mysql://``, ``postgresql+psycopg2://`` …).
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(f"keine Datenbank-URL (erwartet: {SUPPORTED_URLS})") from None
    driver = ASYNC_DRIVERS.get(parsed.drivername.lower())
    if driver is None:
        raise ValueError(
            f"„{parsed.drivername}://“ wird nicht unterstützt (möglich: {SUPPORTED_URLS})"
        )
    parsed = parsed.set(drivername=driver)
    if driver == "postgresql+asyncpg" and "sslmode" in parsed.query:
        query = dict(parsed.query)
        query.setdefault("ssl", query.pop("sslmode"))
        query.pop("sslmode", None)
        parsed = parsed.set(query=query)
    ssl = parsed.query.get("ssl")
    if driver == "postgresql+asyncpg" and ssl is not None and ssl not in SSL_MODES:
        raise ValueError(f"sslmode={ssl} gibt es nicht (möglich: {', '.join(SSL_MODES)})")
    return parsed


# aiosqlite logs every statement with its parameters at DEBUG: names, questions, chat ids.
# Personal data stays out of every log, a DEBUG log file included.
logging.getLogger("aiosqlite").setLevel(logging.INFO)


class Database:
    """One database: the engine, migrations and units of work.

    ``locking=False`` turns off the signup lock (deferred ``BEGIN`` and no writer queue on
    SQLite, no row lock on PostgreSQL). It exists only so that a test can show that the lock
    is what prevents overbooking.
    """

    def __init__(
        self,
        url: str,
        *,
        locking: bool = True,
        schema: str | None = None,
        pool_size: int = 10,
        pepper: bytes | None = None,
    ) -> None:
        self.url = async_url(url)
        #: The server's secret key for voter pseudonyms (never stored in the database). Without
        #: one, a random key for this object's lifetime (tests; a restart would forget it).
        self.pepper = pepper or os.urandom(32)
        self.locking = locking
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        options: dict[str, Any] = {}
        if self.is_sqlite:
            database = self.url.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            options["pool_size"] = pool_size
        else:
            options["pool_size"] = pool_size
            options["max_overflow"] = pool_size
            options["pool_pre_ping"] = True
            options["pool_timeout"] = POOL_TIMEOUT
            # A server that stops answering is an outage, not an endless wait (asyncpg:
            # ``timeout`` to connect, ``command_timeout`` per statement, in seconds).
            connect: dict[str, Any] = {
                "timeout": CONNECT_TIMEOUT,
                "command_timeout": COMMAND_TIMEOUT,
            }
            if schema:
                connect["server_settings"] = {"search_path": schema}
            options["connect_args"] = connect
        # Errors name the statement but never its parameters: those are personal data.
        self.engine: AsyncEngine = create_async_engine(self.url, hide_parameters=True, **options)
        # SQLite has one writer at a time. Queueing our own transactions in-process avoids
        # SQLite's sleeping busy handler; BEGIN IMMEDIATE still guards against other processes.
        self._writer_lock = asyncio.Lock() if self.is_sqlite and locking else None
        if self.is_sqlite:
            self._install_sqlite_hooks()

    def _install_sqlite_hooks(self) -> None:
        begin = "BEGIN IMMEDIATE" if self.locking else "BEGIN"

        @event.listens_for(self.engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, decide when a transaction begins.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(self.engine.sync_engine, "begin")
        def _on_begin(connection: Connection) -> None:
            connection.exec_driver_sql(begin)

    def unit_of_work(self, notifier: Notifier | None = None) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self.engine,
            notifier=notifier,
            row_locks=self.locking,
            writer_lock=self._writer_lock,
            pepper=self.pepper,
        )

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration (idempotent).

        SQLite: foreign keys are off while migrating. Alembic's batch mode rebuilds a table
        as copy, drop, rename, and dropping a table with foreign keys on would delete (``ON
        DELETE CASCADE``) or clear (``SET NULL``) every row that refers to it. Afterwards
        ``PRAGMA foreign_key_check`` must find nothing (SQLite FAQ, "ALTER TABLE" §7).
        """
        async with self.engine.connect() as conn:
            if self.is_sqlite:
                await conn.run_sync(_sqlite_pragma, "PRAGMA foreign_keys=OFF")
            try:
                await conn.run_sync(_upgrade)
                await conn.commit()
            finally:
                if self.is_sqlite:
                    await conn.rollback()
                    broken = await conn.run_sync(_sqlite_pragma, "PRAGMA foreign_key_check")
                    await conn.run_sync(_sqlite_pragma, "PRAGMA foreign_keys=ON")
            if self.is_sqlite and broken:
                raise RuntimeError(f"migration left foreign keys broken: {broken[:5]}")

    async def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        async with self.engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )

    async def dispose(self) -> None:
        """Close every connection, within ``DISPOSE_WITHIN`` seconds (a database that does
        not answer keeps its connections; the process ends anyway)."""
        try:
            async with asyncio.timeout(DISPOSE_WITHIN):
                await ended()
                await self.engine.dispose()
        except TimeoutError:
            logging.getLogger(__name__).warning("closing the database connections timed out")


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest migration this code knows (the schema :meth:`Database.upgrade` brings)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _sqlite_pragma(connection: Connection, pragma: str) -> list[Any]:
    """A PRAGMA on the driver's connection, outside any transaction (where SQLite ignores
    ``foreign_keys``)."""
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(pragma)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")
