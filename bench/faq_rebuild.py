"""Do replies stall while a process rebuilds a 10,000-entry knowledge-base index?

    PYTHONPATH=. .venv/bin/python bench/faq_rebuild.py [--entries 10000] [--samples 400]

Two applications on one SQLite file stand for two processes. The first imports ``--entries``
generated entries (bench/faq.py's generator: the starter base plus Zipf-distributed words);
the second then catches up with ``core.kb.sync_index``, which builds a new index in a worker
thread. Meanwhile the second answers ``/termine`` every 5 ms through its router. Printed: the
reply latency (p50, p99, max) with no rebuild running and during the rebuild, the rebuild's
wall time, and how many replies came while it ran (goal: p99 under 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench.faq import generate  # noqa: E402
from bot.app import build  # noqa: E402
from bot.messages import IncomingMessage  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.starter import starter_faq  # noqa: E402
from core.domain.people import Platform  # noqa: E402
from core.kb import import_entries, sync_index  # noqa: E402
from core.members import add_person  # noqa: E402
from storage.database import Database  # noqa: E402


async def replies(app, person_id: int, stop: asyncio.Event, gap: float) -> list[float]:
    """``/termine`` every ``gap`` seconds until ``stop``: the latencies in milliseconds."""
    samples = []
    while not stop.is_set():
        message = IncomingMessage(Platform.CONSOLE, "bench", "/termine", "B", person_id=person_id)
        start = time.perf_counter()
        await app.router.handle(message)
        samples.append((time.perf_counter() - start) * 1000)
        await asyncio.sleep(gap)
    return samples


def row(name: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p99 = samples[int(0.99 * (len(samples) - 1))]
    return (
        f"{name:<22} {len(samples):>7} {statistics.median(samples):>9.1f} {p99:>9.1f} "
        f"{samples[-1]:>9.1f}"
    )


async def main(entries: int, samples: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        database = Database(settings.effective_database_url)
        writer = await build(settings, database=database)
        reader = await build(settings, database=database, migrate=False)
        person = await add_person(reader.uow(), display_name="Bench", now=reader.clock.now())

        stop = asyncio.Event()
        idle = asyncio.create_task(replies(reader, person.id, stop, 0.005))
        await asyncio.sleep(samples * 0.006)
        stop.set()
        quiet = await idle

        many = generate(starter_faq(), entries)
        await import_entries(
            writer.uow(), writer.faq, many, replace_all=True, now=writer.clock.now()
        )
        stop = asyncio.Event()
        busy = asyncio.create_task(replies(reader, person.id, stop, 0.005))
        start = time.perf_counter()
        reader.faq, reader.faq_revision = await sync_index(
            reader.uow(), reader.faq, known=reader.faq_revision
        )
        rebuild = time.perf_counter() - start
        stop.set()
        during = await busy
        assert len(reader.faq) == entries

        print(f"Knowledge-base rebuild of {entries:,} entries in a worker thread: {rebuild:.1f} s")
        print(f"{'/termine replies':<22} {'samples':>7} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}")
        print(row("no rebuild running", quiet))
        print(row("during the rebuild", during))
        await writer.close()
        await reader.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=400)
    options = parser.parse_args()
    asyncio.run(main(options.entries, options.samples))
