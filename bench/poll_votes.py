"""Votes under load and the live page's update latency, printed as a table.

    python bench/poll_votes.py [--voters 500] [--change 0.2] [--probes 50]

SQLite always (a temporary file); PostgreSQL too when ENGAGIERT_TEST_DATABASE_URL is set (a
throwaway schema). Per database and poll kind (named, anonymous): every voter votes twice,
all voters at once (1,000 votes from 500 voters); 20 % change their choice with the second
vote, the others repeat it. Reported: votes per second through the core service next to the
raw single-row INSERT+COMMIT rate of the same database and engine; whether the final tally
equals a plain count of the vote rows and the voters' last choices; and, while the load
runs, the time from a vote to the Server-Sent Event that shows it (a real HTTP server and
client on loopback; probe voters choose an option nobody else chooses).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import statistics
import time
from collections import Counter

import httpx
import sqlalchemy as sa
import uvicorn
from bench_databases import backends  # beside this script

from bot.app import App, build
from bot.settings import Settings
from bot.web import create_web_app
from core.domain.people import Role
from core.domain.polls import from_mask
from core.members import add_person
from core.polls import cast_vote, live_results, start_poll
from storage.database import Database
from storage.tables import poll_votes, polls

CONCURRENCY = 50
OPTIONS = ["Präsenz", "Online", "Hybrid", "Egal", "Messpunkt"]
PROBE = len(OPTIONS) - 1
PROBE_COUNT = re.compile(rf'data-index="{PROBE}" data-count="(\d+)"')


class Silent:
    async def notify(self, notices) -> None:
        pass


async def raw_rate(db: Database, n: int) -> float:
    async with db.engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER, v INTEGER)"))
    slots = asyncio.Semaphore(CONCURRENCY)

    async def insert(i: int) -> None:
        async with slots, db.unit_of_work() as uow:  # the core's connection handling
            await uow.connection.execute(
                sa.text("INSERT INTO bench_raw (id, v) VALUES (:i, 1)"), {"i": i}
            )
            await uow.commit()

    start = time.perf_counter()
    await asyncio.gather(*(insert(i) for i in range(n)))
    return n / (time.perf_counter() - start)


async def sse_counts(url: str, seen: list[tuple[float, int]], ready: asyncio.Event) -> None:
    """Record (arrival time, probe count) for every tally event of the live page."""
    async with httpx.AsyncClient(timeout=None) as client, client.stream("GET", url) as response:
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                svg = json.loads(line[5:])["svg"]
                seen.append((time.perf_counter(), int(PROBE_COUNT.search(svg).group(1))))
                ready.set()


async def run_poll(app: App, base: str, voters: list[int], probes: list[int], args, anonymous):
    now = app.clock.now()
    poll = await start_poll(
        app.uow(),
        actor_id=app.bench_speaker,
        question="Wie soll das nächste Netzwerktreffen stattfinden?",
        options=OPTIONS,
        anonymous=anonymous,
        now=now,
    )
    rng = random.Random(6)
    plans = {}
    for person in voters:
        first = rng.randrange(PROBE)
        second = first
        if rng.random() < args.change:
            second = rng.choice([o for o in range(PROBE) if o != first])
        plans[person] = (first, second)
    slots = asyncio.Semaphore(CONCURRENCY)

    async def voter(person: int) -> None:
        for choice in plans[person]:
            async with slots:
                await cast_vote(
                    app.uow(), poll_id=poll.id, person_id=person, choices=[choice], now=now
                )

    seen: list[tuple[float, int]] = []
    ready = asyncio.Event()
    reader = asyncio.create_task(sse_counts(f"{base}/live/poll/{poll.token}/events", seen, ready))
    await ready.wait()
    sent_at: list[float] = []

    async def probing() -> None:
        for person in probes:
            sent_at.append(time.perf_counter())
            await cast_vote(app.uow(), poll_id=poll.id, person_id=person, choices=[PROBE], now=now)
            await asyncio.sleep(0.03)

    start = time.perf_counter()
    probe_task = asyncio.create_task(probing())  # probes run during the load and after it
    await asyncio.gather(*(voter(p) for p in voters))
    elapsed = time.perf_counter() - start  # the load alone: paced probes do not count
    await probe_task
    await asyncio.sleep(1.0)  # let the last probe arrive
    reader.cancel()

    latencies = []
    for k, t0 in enumerate(sent_at, 1):
        arrival = next((t for t, count in seen if count >= k and t >= t0), None)
        latencies.append((arrival - t0) * 1000 if arrival else float("inf"))
    latencies.sort()

    results = await live_results(app.uow(), token=poll.token)
    async with app.database.engine.connect() as conn:
        if poll.anonymous:  # one map of ballots per poll: {pseudonym: [mask, changes]}
            query = sa.select(polls.c.ballots).where(polls.c.id == poll.id)
            masks = [mask for mask, _ in (await conn.execute(query)).scalar_one().values()]
        else:
            query = sa.select(poll_votes.c.choices).where(poll_votes.c.poll_id == poll.id)
            masks = (await conn.execute(query)).scalars().all()
    counted = Counter(c for mask in masks for c in from_mask(mask))
    db_counts = tuple(counted[i] for i in range(len(OPTIONS)))
    expected = Counter(second for _, second in plans.values())
    expected[PROBE] = len(probes)
    matches = (
        results.tally.counts == db_counts
        and results.tally.participants == len(masks) == len(voters) + len(probes)
        and db_counts == tuple(expected[i] for i in range(len(OPTIONS)))
    )
    rate = 2 * len(voters) / elapsed
    p99 = latencies[max(int(len(latencies) * 0.99) - 1, 0)]
    return rate, matches, statistics.median(latencies), p99


async def bench_backend(name: str, url: str, schema: str | None, args) -> list[str]:
    db = Database(url, schema=schema, pool_size=CONCURRENCY)
    await db.upgrade()
    app = await build(Settings(), database=db, notifier=Silent(), migrate=False)
    now = app.clock.now()
    people = []
    for i in range(args.voters + args.probes + 1):
        roles = frozenset({Role.SPEAKER}) if i == 0 else frozenset()
        people.append((await add_person(app.uow(), display_name=f"P{i}", roles=roles, now=now)).id)
    app.bench_speaker, voters, probes = (
        people[0],
        people[1 : args.voters + 1],
        people[-args.probes :],
    )

    config = uvicorn.Config(create_web_app(app), host="127.0.0.1", port=0, log_level="warning")
    config.timeout_graceful_shutdown = 1
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"

    rows = []
    try:
        for kind, anonymous in (("named", False), ("anonymous", True)):
            raw = await raw_rate(db, 2 * args.voters)
            rate, matches, p50, p99 = await run_poll(app, base, voters, probes, args, anonymous)
            rows.append(
                f"| {name} | {kind} | {2 * args.voters:,} | {rate:,.0f} | {raw:,.0f} "
                f"| {rate / raw:.0%} | {'yes' if matches else 'NO'} | {p50:.0f} | {p99:.0f} |"
            )
    finally:
        server.should_exit = True
        await serving
        await db.dispose()
    return rows


async def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--voters", type=int, default=500)
    parser.add_argument("--change", type=float, default=0.2)
    parser.add_argument("--probes", type=int, default=50)
    args = parser.parse_args()

    rows = []
    async for name, url, schema in backends():
        rows += await bench_backend(name, url, schema, args)

    print(
        f"Votes ({2 * args.voters} from {args.voters} voters at once, {args.change:.0%} change "
        f"their vote; {CONCURRENCY} connections) and vote → SSE update latency "
        f"({args.probes} probe votes during the load)\n"
    )
    print(
        "| database | poll | votes | core votes/s | raw INSERT+COMMIT/s | core / raw "
        "| tally = DB count | SSE p50 ms | SSE p99 ms |"
    )
    print("|---|---|---:|---:|---:|---:|:---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    asyncio.run(main())
