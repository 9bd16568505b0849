"""A task cancelled while it works with the database (a transport stopping, a live page
closed) leaves no half-reset connection behind."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from storage.uow import ended


async def test_a_cancel_during_the_rollback_does_not_cut_it_short(database, caplog):
    """The first cancel starts the rollback; a second one (the service stopping) arrives
    while it or the return to the pool runs, at every step in turn: both still finish,
    nothing is logged as failed, and the write is gone."""
    caplog.set_level(logging.WARNING)

    async def work(inside: asyncio.Event) -> None:
        async with database.unit_of_work() as uow:
            await uow.state.set("cancel.test", "1", datetime(2026, 11, 30, tzinfo=UTC))
            inside.set()
            await asyncio.Event().wait()

    for steps in range(40):
        inside = asyncio.Event()
        task = asyncio.create_task(work(inside))
        await inside.wait()
        task.cancel()
        for _ in range(steps):
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.wait_for(asyncio.wait({task}), 10)
        await asyncio.wait_for(ended(), 10)
        assert database.engine.pool.checkedout() == 0, steps
        failed = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert failed == [], steps
    async with database.unit_of_work() as uow:
        assert await uow.state.get("cancel.test") is None
