"""DSGVO retention (Art. 5(1)(e)): each kind of personal data is kept for its own period.

Each kind registers a purge, ``async (uow, now, periods) -> rows deleted``, under a name; the
nightly job runs them all in one transaction and logs the counts per kind, never the content.
Running it twice deletes nothing the second time. Other modules add their own with
``@retention_purge("name")``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from core.ports import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetentionPeriods:
    """How long each kind of personal data is kept."""

    #: Registrations (after their event), named votes (after the poll closed), questions that
    #: no one answered (after they were asked).
    months: int = 12
    #: Forwarded questions and their answers, after the answer.
    answered_days: int = 90
    #: Searches the knowledge base could not answer, after they were last asked.
    gaps_months: int = 12
    #: Delivered or given-up messages and notices (they hold texts and chat ids).
    delivered_days: int = 30
    #: Answers to events' registration questions, after the event.
    answers_days: int = 30


Purge = Callable[[UnitOfWork, datetime, RetentionPeriods], Awaitable[int]]
PURGES: dict[str, Purge] = {}


def retention_purge(name: str) -> Callable[[Purge], Purge]:
    def register(purge: Purge) -> Purge:
        PURGES[name] = purge
        return purge

    return register


def months_before(now: datetime, months: int) -> datetime:
    return now - relativedelta(months=months)


@retention_purge("registrations")
async def _registrations(uow: UnitOfWork, now: datetime, periods: RetentionPeriods) -> int:
    """Registrations and check-ins for events that ended before the period."""
    return await uow.retention.registrations(months_before(now, periods.months))


@retention_purge("votes")
async def _votes(uow: UnitOfWork, now: datetime, periods: RetentionPeriods) -> int:
    """Named votes of polls closed before the period (their frozen totals stay)."""
    return await uow.retention.named_votes(months_before(now, periods.months))


@retention_purge("forwarded_questions")
async def _forwarded_questions(uow: UnitOfWork, now: datetime, periods: RetentionPeriods) -> int:
    """Answered questions some days after the answer; unanswered ones after the period."""
    answered = now - timedelta(days=periods.answered_days)
    return await uow.retention.forwarded_questions(answered, months_before(now, periods.months))


@retention_purge("gaps")
async def _gaps(uow: UnitOfWork, now: datetime, periods: RetentionPeriods) -> int:
    """Counted searches not asked again within their period."""
    return await uow.retention.gaps(months_before(now, periods.gaps_months))


@retention_purge("notifications")
async def _notifications(uow: UnitOfWork, now: datetime, periods: RetentionPeriods) -> int:
    """Handled notifications and finished announcements."""
    return await uow.retention.notifications(now - timedelta(days=periods.delivered_days))


@retention_purge("outbox")
async def _outbox(uow: UnitOfWork, now: datetime, periods: RetentionPeriods) -> int:
    """Sent or given-up outgoing messages (they hold the texts and chat ids)."""
    return await uow.retention.outbox(now - timedelta(days=periods.delivered_days))


@retention_purge("dialogues")
async def _dialogues(uow: UnitOfWork, now: datetime, periods: RetentionPeriods) -> int:
    """Dialogue steps nobody answered in time (they live half an hour)."""
    return await uow.dialogues.purge_expired(now)


async def apply_retention(
    uow: UnitOfWork, *, now: datetime, periods: RetentionPeriods
) -> dict[str, int]:
    """Run every registered purge; returns (and logs) the counts per kind."""
    counts: dict[str, int] = {}
    async with uow:
        for name, purge in PURGES.items():
            counts[name] = await purge(uow, now, periods)
        await uow.commit()
    log.info("retention: %s", ", ".join(f"{name} {count}" for name, count in counts.items()))
    return counts


@retention_purge("web_access")
async def _web_access(uow: UnitOfWork, now: datetime, periods: RetentionPeriods) -> int:
    """Expired sign-in links and sessions of the web desk."""
    return await uow.web_access.purge_expired(now)


@retention_purge("audit")
async def _audit(uow: UnitOfWork, now: datetime, periods: RetentionPeriods) -> int:
    """The office's audit log, after the general period."""
    return await uow.audit.purge(months_before(now, periods.months))
