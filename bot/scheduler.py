"""The scheduler: APScheduler only wakes us; what is due always comes from the database.

One process leads (a PostgreSQL advisory lock, or a file lock next to the SQLite file); the
others stand by and take over when the leader's lock goes. The leader plans due reminders,
hands due notifications to their channels, closes due polls and finished announcements, runs
the nightly retention job, and sets its next precise wake-up from the database. Its first round at
start catches up on whatever fell due while no process ran.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from bot.notifications import NotificationHub
from bot.outages import Retrying, is_outage
from bot.poll_jobs import close_due_polls
from core.announcements import finish_announcements
from core.domain.people import Platform
from core.event_rooms import reconcile_invites
from core.kb import sync_index
from core.polls import next_deadline
from core.reminders import next_due, plan_due
from core.retention import apply_retention
from core.signup import expire_offers, next_offer_end
from core.surveys import next_survey_due, run_due_surveys
from storage.locks import SessionLock

log = logging.getLogger(__name__)
T = TypeVar("T")

#: The safety net between precise wake-ups, and how often a standby tries to take over.
TICK = timedelta(seconds=30)
#: How often every process looks whether the knowledge base changed elsewhere.
KB_SYNC = timedelta(seconds=5)
RETENTION_AT = {"hour": 3, "minute": 30}  # local time, nightly


class Scheduler:
    def __init__(self, app: App, hub: NotificationHub) -> None:
        self.app = app
        self.hub = hub
        self.leading = False
        self._leadership = SessionLock(app.database, "scheduler")
        self._jobs = AsyncIOScheduler(timezone=app.settings.tz)
        self._busy = asyncio.Lock()  # a running round; stop waits for it
        self._rounds = Retrying("scheduler: round")
        self._leading = Retrying("scheduler: trying to lead")
        self._kb_sync = Retrying("scheduler: knowledge-base sync")

    @property
    def state(self) -> str:
        """``leading`` (this process runs the jobs) or ``standby`` (another one does)."""
        return "leading" if self.leading else "standby"

    async def start(self) -> None:
        """Start; lead now if no other process does, else keep trying every ``TICK``. Every
        process, leading or not, follows the knowledge base's changes every ``KB_SYNC``."""
        self._jobs.start()
        self._jobs.add_job(
            _job(self.sync_kb),
            "interval",
            seconds=KB_SYNC.total_seconds(),
            id="kb",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,  # a late run is no news: no warning in the chat
        )
        if not await self.try_to_lead():
            log.info("scheduler: another process leads; standing by")
            self._jobs.add_job(
                _job(self.try_to_lead), "interval", seconds=TICK.total_seconds(), id="lead"
            )

    async def stop(self) -> None:
        """Let a round in progress finish, then stop; nothing new starts meanwhile."""
        self.leading = False
        if self._jobs.running:
            self._jobs.remove_all_jobs()
        async with self._busy:
            await self._leadership.release()
        if self._jobs.running:
            self._jobs.shutdown(wait=False)

    async def try_to_lead(self) -> bool:
        if self.leading:
            return True
        try:
            acquired = await self._leadership.acquire()
        except Exception as exc:  # the database is away: the next tick tries again
            self._leading.failed(exc)
            return False
        self._leading.worked()
        if not acquired:
            return False
        self.leading = True
        if self._jobs.get_job("lead"):
            self._jobs.remove_job("lead")
        common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        self._jobs.add_job(
            _job(self.wake),
            "interval",
            seconds=TICK.total_seconds(),
            id="tick",
            next_run_time=datetime.now(self.app.settings.tz),  # catch up at once
            **common,
        )
        self._jobs.add_job(_job(self.retention), "cron", id="retention", **RETENTION_AT, **common)
        log.info("scheduler: leading")
        return True

    def _step_down(self) -> None:
        """The lock went with a broken database session: another process may lead now.
        Stop the jobs and try to lead again every ``TICK``, like a standby."""
        self.leading = False
        for job in ("tick", "retention", "due"):
            if self._jobs.get_job(job):
                self._jobs.remove_job(job)
        self._jobs.add_job(
            _job(self.try_to_lead), "interval", seconds=TICK.total_seconds(), id="lead"
        )
        log.warning("scheduler: lost the lead (the database session broke); standing by")

    async def wake(self) -> None:
        """The job: one round, then a precise wake-up for the next thing that falls due."""
        async with self._busy:
            if not self.leading:
                return
            if not await self._leadership.still_held():
                self._step_down()
                return
            try:
                upcoming = await self.round()
            except Exception as exc:
                self._rounds.failed(exc)  # retried at the next tick
                return
            self._rounds.worked()
        if upcoming is not None and self._jobs.running:
            self._jobs.add_job(
                _job(self.wake),
                "date",
                run_date=upcoming,
                id="due",
                replace_existing=True,
                misfire_grace_time=None,
            )

    async def round(self) -> datetime | None:
        """Plan what is due, pass on offered places nobody took, hand everything over, close
        due polls and finished announcements, queue invitations to and removals from event
        rooms; returns the next time something falls due."""
        app = self.app
        await self._step("reminders", lambda: plan_due(app.uow(), now=app.clock.now()))
        await self._step("offers", lambda: expire_offers(app.uow, now=app.clock.now()))
        await self._step("surveys", lambda: run_due_surveys(app.uow, now=app.clock.now()))
        await self.hub.deliver_due()
        polls = await self._step(
            "polls", lambda: close_due_polls(app.uow, app.clock.now(), app.translator)
        )
        if polls:
            self.hub.wake({platform.value for platform in Platform})  # results in every room
        await self._step(
            "announcements", lambda: finish_announcements(app.uow(), now=app.clock.now())
        )
        if await self._step("rooms", lambda: reconcile_invites(app.uow(), now=app.clock.now())):
            self.hub.wake({Platform.MATRIX.value})  # invitations to and removals from rooms
        upcoming = [
            await next_due(self.app.uow(), now=self.app.clock.now()),
            await next_deadline(self.app.uow()),
            await next_offer_end(self.app.uow()),
            await next_survey_due(self.app.uow()),
        ]
        return min((moment for moment in upcoming if moment is not None), default=None)

    async def _step(self, name: str, work: Callable[[], Awaitable[T]]) -> T | None:
        """One job of a round: a fault of its own is logged and the round goes on with the
        others (``None``); a database outage ends the round (retried at the next tick)."""
        try:
            return await work()
        except Exception as exc:
            if is_outage(exc):
                raise
            log.exception("scheduler: the %s job failed; the other jobs go on", name)
            return None

    async def sync_kb(self) -> None:
        """Take over what other processes changed in the knowledge base (no restart)."""
        try:
            self.app.faq, self.app.faq_revision = await sync_index(
                self.app.uow(), self.app.faq, known=self.app.faq_revision
            )
        except Exception as exc:
            self._kb_sync.failed(exc)  # retried in KB_SYNC
        else:
            self._kb_sync.worked()

    async def retention(self) -> None:
        try:
            async with self._busy:
                if not self.leading:
                    return
                await apply_retention(
                    self.app.uow(),
                    now=self.app.clock.now(),
                    periods=self.app.settings.retention(),
                )
        except Exception:
            log.exception("scheduler: retention job failed")


def _job(work: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    """``work`` as an APScheduler job that ends quietly when the service stops while it runs
    (APScheduler would log the cancellation as the job's crash)."""

    async def job() -> None:
        try:
            await work()
        except asyncio.CancelledError:
            log.info("scheduler: %s cut off by the stop", getattr(work, "__name__", "a job"))

    return job
