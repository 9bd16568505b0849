"""Signup throughput and command latency, printed as a table.

    python bench/signup.py [--signups 2000] [--commands 2000]

SQLite always (a temporary file); PostgreSQL too when ENGAGIERT_TEST_DATABASE_URL is set (a
throwaway schema). For each database: signups per second through the core service, sequential
and 50 concurrent, next to the raw single-row INSERT+COMMIT rate on the same database and
engine; then p50/p99 latency of console commands through router, handler and service.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from bench_databases import backends  # beside this script

from bot.app import App, build
from bot.messages import IncomingMessage
from bot.settings import Settings
from core.domain.events import Event, EventKind
from core.domain.people import Platform
from core.events import create_event
from core.members import add_person
from core.signup import sign_up
from storage.database import Database

CONCURRENCY = 50
ROUND = 200  # signups per event


class Silent:
    async def notify(self, notices) -> None:
        pass


async def run_concurrently(jobs: list[Callable[[], Awaitable[object]]], workers: int) -> None:
    queue = iter(jobs)

    async def worker() -> None:
        for job in queue:
            await job()

    await asyncio.gather(*(worker() for _ in range(workers)))


async def timed(jobs: list[Callable[[], Awaitable[object]]], workers: int) -> float:
    """Operations per second."""
    start = time.perf_counter()
    if workers == 1:
        for job in jobs:
            await job()
    else:
        await run_concurrently(jobs, workers)
    return len(jobs) / (time.perf_counter() - start)


async def raw_rate(db: Database, n: int, workers: int) -> float:
    async with db.engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER, v INTEGER)"))

    async def insert(i: int = 0) -> None:
        # The same connection handling as the core (pool, SQLite writer queue), no service.
        async with db.unit_of_work() as uow:
            await uow.connection.execute(
                sa.text("INSERT INTO bench_raw (id, v) VALUES (:i, 1)"), {"i": i}
            )
            await uow.commit()

    return await timed([lambda i=i: insert(i) for i in range(n)], workers)


async def signup_rate(app: App, n: int, workers: int) -> float:
    """``n`` signups in rounds of 200 for one event of 50 places each (as in the tests: a
    quarter confirmed, the rest waitlisted), all of a round at once when concurrent."""
    now = app.clock.now()
    jobs = []
    for first in range(0, n, ROUND):
        event = await create_event(
            app.uow(),
            actor_id=None,
            event=Event(
                kind=EventKind.NETZWERKTREFFEN,
                title=f"Bench {uuid.uuid4().hex[:6]}",
                starts_at=now + timedelta(days=30),
                ends_at=now + timedelta(days=30, hours=2),
                capacity=ROUND // 4,
            ),
        )
        for person in app.bench_people[first : first + ROUND]:
            jobs.append(
                lambda p=person, e=event.id: sign_up(app.uow(), person_id=p, event_id=e, now=now)
            )
    return await timed(jobs, workers)


async def command_latency(app: App, text: str, n: int, person_id: int) -> tuple[float, float]:
    samples = []
    for i in range(n):
        message = IncomingMessage(
            Platform.CONSOLE, f"person:{person_id}", text.format(i=i), person_id=person_id
        )
        start = time.perf_counter()
        replies = await app.router.handle(message)
        samples.append((time.perf_counter() - start) * 1000)
        assert replies and not replies[0].is_error, replies[0].plain
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


async def bench_backend(name: str, url: str, schema: str | None, args) -> list[str]:
    db = Database(url, schema=schema, pool_size=CONCURRENCY)
    await db.upgrade()
    app = await build(Settings(), database=db, notifier=Silent(), migrate=False)
    now = datetime.now(UTC)
    app.bench_people = [
        (await add_person(app.uow(), display_name=f"P{i}", now=now)).id for i in range(args.signups)
    ]
    rows = []
    for label, workers in (("sequential", 1), (f"{CONCURRENCY} concurrent", CONCURRENCY)):
        raw = await raw_rate(db, args.signups, workers)
        core = await signup_rate(app, args.signups, workers)
        rows.append(f"| {name} | {label} | {core:,.0f} | {raw:,.0f} | {core / raw:.0%} |")
    person = app.bench_people[0]
    events = [
        await create_event(
            app.uow(),
            actor_id=None,
            event=Event(
                kind=EventKind.KURZFORMAT,
                title=f"Kurzformat {i}",
                starts_at=now + timedelta(days=i + 1),
                ends_at=now + timedelta(days=i + 1, hours=1),
                capacity=40,
            ),
        )
        for i in range(8)
    ]
    latencies = []
    for text in ("/termine", f"/termin {events[0].id}", "/meine"):
        p50, p99 = await command_latency(app, text, args.commands, person)
        latencies.append(f"| {name} | `{text}` | {p50:.2f} | {p99:.2f} |")
    await db.dispose()
    return rows, latencies


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signups", type=int, default=2000)
    parser.add_argument("--commands", type=int, default=2000)
    args = parser.parse_args()

    throughput, latency = [], []
    async for name, url, schema in backends():
        rows, lat = await bench_backend(name, url, schema, args)
        throughput += rows
        latency += lat

    print(
        f"Signups ({args.signups} per run, {ROUND} per event of {ROUND // 4} places: "
        "a quarter confirmed, the rest waitlisted)\n"
    )
    print("| database | mode | core signups/s | raw INSERT+COMMIT/s | core / raw |")
    print("|---|---|---:|---:|---:|")
    print("\n".join(throughput))
    print(f"\nConsole command latency ({args.commands} runs each, router → handler → service)\n")
    print("| database | command | p50 ms | p99 ms |")
    print("|---|---|---:|---:|")
    print("\n".join(latency))


if __name__ == "__main__":
    asyncio.run(main())
