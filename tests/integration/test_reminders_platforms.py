"""A reminder for an event two minutes ahead reaches Telegram (the Bot API stand-in) and a
Matrix direct chat (real Synapse) when it is due — not before, and once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.adapters.telegram import TelegramTransport
from bot.app import build
from bot.settings import Settings
from core.reminders import set_event_reminders
from tests.conftest import FakeClock
from tests.integration.test_matrix_adapter import Human, humans, invited_and_greeted, running
from tests.support import factories
from tests.support.notices import scheduler_for
from tests.support.telegram_rig import FAST

__all__ = ["humans"]  # the Matrix test module's fixture

TESSA = {"id": 601, "first_name": "Tessa", "language_code": "de"}


async def two_minutes_ahead(app):
    event = await factories.event(app, title="Kurzformat", days=2 / (24 * 60))
    await set_event_reminders(
        app.uow(),
        actor_id=None,
        event_id=event.id,
        offsets=(timedelta(minutes=1),),
        now=app.clock.now(),
    )
    return event


async def test_telegram(telegram_api_factory, sqlite_database, tmp_path):
    api = await telegram_api_factory(global_limit=100)
    clock = FakeClock(datetime.now(UTC))
    settings = Settings(data_dir=tmp_path, telegram_token=api.token, telegram_api_url=api.base_url)
    app = await build(settings, database=sqlite_database, clock=clock, migrate=False)
    event = await two_minutes_ahead(app)
    transport = TelegramTransport(app, limits=FAST, poll_timeout=1)
    await transport.start()
    scheduler = scheduler_for(app, app.notifier)
    try:
        api.inject_message(TESSA["id"], TESSA, f"/anmelden {event.id}")
        await api.wait_for_sent(TESSA["id"], 1)
        clock.advance(timedelta(seconds=59))
        assert await scheduler.round() == event.starts_at - timedelta(minutes=1)
        clock.advance(timedelta(seconds=1))
        await scheduler.round()
        await scheduler.round()
        calls = await api.wait_for_sent(TESSA["id"], 2)
    finally:
        await transport.stop()
    assert "Erinnerung: <b>Kurzformat</b>" in calls[1].params["text"]
    assert len(api.sent_to(TESSA["id"], "sendMessage")) == 2


async def test_matrix(synapse, sqlite_database, humans, tmp_path):
    bot = synapse.register_user()
    clock = FakeClock(datetime.now(UTC))
    settings = Settings(
        data_dir=tmp_path,
        matrix_homeserver=synapse.url,
        matrix_user_id=bot.user_id,
        matrix_password=bot.password,
    )
    app = await build(settings, database=sqlite_database, clock=clock, migrate=False)
    event = await two_minutes_ahead(app)
    bob: Human = await humans(bot)
    scheduler = scheduler_for(app, app.notifier)
    async with running(app):
        direct = await bob.create_room(bot.user_id, direct=True)
        await invited_and_greeted(bob, direct)
        assert "angemeldet" in (await bob.command(direct, f"!anmelden {event.id}")).body
        clock.advance(timedelta(seconds=59))
        await scheduler.round()
        clock.advance(timedelta(seconds=1))
        await scheduler.round()
        await scheduler.round()
        reminders = await bob.wait(
            lambda: [n for n in bob.notices() if "Erinnerung: Kurzformat" in n.body]
        )
    assert len(reminders) == 1
