"""DSGVO retention: personal data older than the retention period after its event goes.

Each kind of data registers a purge, ``async (uow, cutoff) -> rows deleted``, under a name;
the nightly job runs them all in one transaction and logs the counts, never the content.
Running it twice deletes nothing the second time. Other modules add their own with
``@retention_purge("votes")``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from dateutil.relativedelta import relativedelta

from core.ports import UnitOfWork

log = logging.getLogger(__name__)

Purge = Callable[[UnitOfWork, datetime], Awaitable[int]]
PURGES: dict[str, Purge] = {}


def retention_purge(name: str) -> Callable[[Purge], Purge]:
    def register(purge: Purge) -> Purge:
        PURGES[name] = purge
        return purge

    return register


@retention_purge("registrations")
async def _registrations(uow: UnitOfWork, cutoff: datetime) -> int:
    """Registrations for events that ended before the cutoff."""
    return await uow.retention.registrations(cutoff)


@retention_purge("forwarded_questions")
async def _forwarded_questions(uow: UnitOfWork, cutoff: datetime) -> int:
    """Questions forwarded to people, counted from their answer (or from asking)."""
    return await uow.retention.forwarded_questions(cutoff)


@retention_purge("notifications")
async def _notifications(uow: UnitOfWork, cutoff: datetime) -> int:
    """Handled notifications and announcements."""
    return await uow.retention.notifications(cutoff)


@retention_purge("outbox")
async def _outbox(uow: UnitOfWork, cutoff: datetime) -> int:
    """Sent or given-up outgoing messages (they hold the texts and chat ids)."""
    return await uow.retention.outbox(cutoff)


def cutoff_for(now: datetime, months: int) -> datetime:
    return now - relativedelta(months=months)


async def apply_retention(uow: UnitOfWork, *, now: datetime, months: int) -> dict[str, int]:
    """Run every registered purge; returns (and logs) the counts per kind."""
    cutoff = cutoff_for(now, months)
    counts: dict[str, int] = {}
    async with uow:
        for name, purge in PURGES.items():
            counts[name] = await purge(uow, cutoff)
        await uow.commit()
    log.info(
        "retention (%d months): %s",
        months,
        ", ".join(f"{name} {count}" for name, count in counts.items()),
    )
    return counts
