"""Shared fixtures: databases (SQLite file and PostgreSQL), a fake clock, a recording
notifier and the real application wired around them."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import App, build
from bot.logs import FORMAT
from bot.settings import Settings
from core.domain.notices import Notice
from storage.database import Database
from tests.support import process
from tests.support.credentials import leaked
from tests.support.synapse import synapse, synapse_default_limits
from tests.support.telegram_api import telegram_api, telegram_api_factory

# Platform fixtures for every test directory: a real Synapse, the Telegram Bot API stand-in.
__all__ = ["synapse", "synapse_default_limits", "telegram_api", "telegram_api_factory"]


@pytest.fixture(scope="session", autouse=True)
def session_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every log record of the run from DEBUG on, also those of the service processes the
    tests start, in one file; at the end no throwaway secret of the run may be in it."""
    path = tmp_path_factory.getbasetemp() / "session.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    process.SESSION_LOG = path
    yield path
    process.SESSION_LOG = None
    root.removeHandler(handler)
    handler.close()
    leaks = leaked(path.read_text(encoding="utf-8", errors="replace"))
    assert not leaks, f"secrets of the test run in the log {path}: {leaks}"


@pytest.fixture(autouse=True)
def _everything_logged(session_log: Path) -> None:
    """DEBUG for each test anew (a CLI run in the test process sets its own level)."""
    logging.getLogger().setLevel(logging.DEBUG)


PG_URL_VARIABLE = "ENGAGIERT_TEST_DATABASE_URL"
BACKENDS = ("sqlite", "postgres")


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[Notice] = []

    async def notify(self, notices: Sequence[Notice]) -> None:
        self.sent.extend(notices)

    def keys_for(self, person_id: int) -> list[str]:
        return [n.key for n in self.sent if n.person_id == person_id]


def postgres_url() -> str:
    url = os.environ.get(PG_URL_VARIABLE)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_URL_VARIABLE} must be set in CI; PostgreSQL tests may not skip")
        pytest.skip(f"{PG_URL_VARIABLE} not set")
    return url


async def make_database(backend: str, tmp_path: Path, **options: object) -> AsyncIterator[Database]:
    """A migrated, empty database: a SQLite file, or a throwaway PostgreSQL schema."""
    if backend == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}", **options)
        await db.upgrade()
        yield db
        await db.dispose()
        return
    url = postgres_url()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    db = Database(url, schema=schema, **options)
    try:
        await db.upgrade()
        yield db
    finally:
        await db.dispose()
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async for db in make_database(request.param, tmp_path):
        yield db


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    async for db in make_database("sqlite", tmp_path):
        yield db


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


async def make_app(db: Database, clock: FakeClock, notifier: RecordingNotifier) -> App:
    return await build(Settings(), database=db, notifier=notifier, clock=clock, migrate=False)


@pytest.fixture
async def app(sqlite_database: Database, clock: FakeClock, notifier: RecordingNotifier) -> App:
    """The real application on a SQLite file, with a fake clock and a recording notifier."""
    return await make_app(sqlite_database, clock, notifier)


@pytest.fixture
async def any_app(database: Database, clock: FakeClock, notifier: RecordingNotifier) -> App:
    """Like ``app``, once on SQLite and once on PostgreSQL."""
    return await make_app(database, clock, notifier)


async def snapshot(db: Database) -> dict[str, list[tuple]]:
    """Every row of every table, for 'nothing changed' and 'nothing left' checks."""
    from storage.tables import metadata

    out: dict[str, list[tuple]] = {}
    async with db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = await conn.execute(table.select().order_by(*table.primary_key.columns))
            out[table.name] = [tuple(r) for r in rows]
        await conn.rollback()
    return out
