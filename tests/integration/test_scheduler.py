"""Only one process runs the scheduler; another takes over when it stops."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from bot.notifications import NotificationHub
from bot.scheduler import Scheduler
from tests.conftest import make_app


async def test_one_leader_per_database_and_a_standby_takes_over(any_app, clock, notifier):
    first = Scheduler(any_app, NotificationHub(any_app.uow, any_app.translator, clock))
    second_app = await make_app(any_app.database, clock, notifier)
    second = Scheduler(second_app, NotificationHub(second_app.uow, second_app.translator, clock))
    await first.start()
    await second.start()
    try:
        assert first.leading and not second.leading
        assert not await second.try_to_lead()
        await first.stop()
        assert await second.try_to_lead() and second.leading
    finally:
        await first.stop()
        await second.stop()


async def test_a_scheduler_round_closes_due_polls_and_wakes_the_transports(app, clock):
    from datetime import timedelta

    from core.domain.authority import Place
    from core.domain.people import Platform, Role
    from core.polls import start_poll
    from tests.support import factories

    hub = NotificationHub(app.uow, app.translator, clock)
    woken: list[str] = []
    hub.watch(Platform.TELEGRAM, lambda: woken.append("telegram"))
    scheduler = Scheduler(app, hub)
    sara = await factories.person(app, "Sara", roles={Role.SPEAKER})
    poll = await start_poll(
        app.uow(),
        actor_id=sara.id,
        now=clock.now(),
        question="Weiter so?",
        options=["Ja", "Nein"],
        duration=timedelta(minutes=5),
        place=Place(Platform.TELEGRAM, "-100123", False, "701"),
    )
    assert await scheduler.round() == poll.closes_at  # wakes exactly at the deadline
    assert woken == []
    clock.advance(timedelta(minutes=6))
    await scheduler.round()
    assert woken == ["telegram"]
    async with app.uow() as uow:
        closed = await uow.polls.get(poll.id)
    assert closed.closed_at is not None


async def test_a_leader_whose_database_session_broke_steps_down(any_app, clock, notifier):
    """The database was away and took the leader's lock with its session: the leader notices
    before its next round and stands by (no two leaders), and stopping it fails nothing."""
    first = Scheduler(any_app, NotificationHub(any_app.uow, any_app.translator, clock))
    second_app = await make_app(any_app.database, clock, notifier)
    second = Scheduler(second_app, NotificationHub(second_app.uow, second_app.translator, clock))
    await first.start()
    try:
        assert first.leading
        await _break_the_lock_session(any_app.database)
        assert await second.try_to_lead() is (not any_app.database.is_sqlite)
        await first.wake()
        assert first.leading is any_app.database.is_sqlite  # a file lock cannot break so
        assert first.state == ("leading" if any_app.database.is_sqlite else "standby")
    finally:
        await first.stop()
        await second.stop()


async def _break_the_lock_session(database) -> None:
    """What an outage does to the session holding a PostgreSQL advisory lock: it ends."""
    if database.is_sqlite:
        return
    holders = (
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    alive = "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"
    async with database.engine.connect() as other:
        pids = list((await other.execute(sa.text(holders))).scalars())
        assert pids
        for pid in pids:
            await other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        async with asyncio.timeout(10):  # the server ends the sessions a moment later
            while await other.scalar(sa.text(alive), {"pids": pids}):
                await other.commit()
                await asyncio.sleep(0.02)
        await other.commit()


async def test_a_job_that_fails_leaves_the_others_running(app, clock, monkeypatch, caplog):
    """A fault in one job (here: planning reminders, the round's first) is logged and the
    jobs after it still run: an offer nobody took passes on in the same round."""
    from datetime import timedelta

    from core.domain.people import Platform
    from core.signup import cancel_signup, sign_up
    from tests.support import factories
    from tests.support.notices import Inbox, link

    async def broken(*args, **kwargs):
        raise RuntimeError("a bug in one job")

    monkeypatch.setattr("bot.scheduler.plan_due", broken)
    hub = NotificationHub(app.uow, app.translator, clock)
    inbox = Inbox()
    hub.register(Platform.CONSOLE, inbox)
    app.notifier = hub
    scheduler = Scheduler(app, hub)
    event = await factories.event(app, title="Strategieworkshop", capacity=1)
    async with app.uow() as uow:
        info = await uow.events.get(event.id)
        info.event.waitlist_offers = True
        await uow.events.update(info.event)
        await uow.commit()
    first, ben, cem = [await factories.person(app, n) for n in ("Erste", "Ben", "Cem")]
    for person in (first, ben, cem):
        await link(app, person, Platform.CONSOLE, f"console-{person.id}")
        await sign_up(app.uow(), person_id=person.id, event_id=event.id, now=clock.now())
    await cancel_signup(app.uow(), person_id=first.id, event_id=event.id, now=clock.now())
    clock.advance(timedelta(days=2))  # Ben's offer ran out
    await scheduler.round()
    assert "a bug in one job" in caplog.text and "the reminders job failed" in caplog.text
    assert any("Platzangebot" in text and "abgelaufen" in text for text in inbox.of(ben))
    assert any("für Sie reserviert" in text for text in inbox.of(cem))
