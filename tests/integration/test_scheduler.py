"""Only one process runs the scheduler; another takes over when it stops."""

from __future__ import annotations

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
