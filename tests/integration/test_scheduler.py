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
