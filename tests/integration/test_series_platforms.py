"""Signing up for a series on Telegram (the Bot API stand-in, real PTB client: a hybrid
series asks for the mode with buttons, the calendar file as a document) and Matrix (real
Synapse: the per-date report)."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar

from core.domain.events import Audience, Event, EventKind
from core.domain.series import Frequency
from core.series import create_series
from tests.integration.test_matrix_adapter import Human, humans, invited_and_greeted, matrix_app
from tests.integration.test_matrix_adapter import running as matrix_running
from tests.support.telegram_rig import running_rig

__all__ = ["humans"]  # the Matrix test module's fixture

ANNA = {"id": 703, "first_name": "Anna", "last_name": "Őrsi", "language_code": "de"}


async def series(app, **more):
    starts = app.clock.now() + timedelta(days=7)
    event = Event(
        kind=EventKind.KURZFORMAT,
        title="Kurzformat Ehrenamt",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        place="Rathaus Unna",
        capacity=1,
        audience=Audience.EVERYONE,  # guests: the chat accounts are not linked to persons
        **more,
    )
    created = await create_series(
        app.uow(),
        actor_id=None,
        event=event,
        frequency=Frequency.BIWEEKLY,
        count=3,
        now=app.clock.now(),
    )
    return created.dates


async def test_telegram(telegram_api_factory, sqlite_database, tmp_path):
    api = await telegram_api_factory(global_limit=100)
    async with running_rig(api, sqlite_database, tmp_path) as rig:
        dates = await series(rig.app, video_url="https://meet.example.org/k", online_capacity=5)
        api.inject_message(ANNA["id"], ANNA, f"/anmelden {dates[1].id} --serie")
        (asked,) = await api.wait_for_sent(ANNA["id"])
        buttons = asked.params["reply_markup"]["inline_keyboard"][0]
        assert [b["text"] for b in buttons] == ["Vor Ort", "Online"]
        api.inject_callback(
            ANNA["id"], ANNA, buttons[1]["callback_data"], asked.result["message_id"]
        )
        done = (await api.wait_for_sent(ANNA["id"], 2))[1]
        api.inject_message(ANNA["id"], ANNA, f"/kalender {dates[0].id}")
        (document,) = await api.wait_for_sent(ANNA["id"], 1, method="sendDocument")
    text = done.params["text"]
    # A guest holds two coming events at most: the third date says so, the others stand.
    assert text.count("✅ angemeldet – Online") == 2
    assert "für 2 davon sind Sie jetzt neu angemeldet" in text
    assert f"Nr. {dates[2].id}, " in text and "Als Gast können Sie sich für höchstens 2" in text
    parsed = Calendar.from_ical(document.params["document"].content)
    master = next(e for e in parsed.walk("VEVENT") if "RRULE" in e)
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=3;INTERVAL=2"
    # The third date is not held: EXDATE; each online date has the person's own video link:
    # an override per date.
    assert len(master["EXDATE"].dts) == 1
    assert len([e for e in parsed.walk("VEVENT") if "RECURRENCE-ID" in e]) == 2


async def test_matrix(synapse, sqlite_database, humans, tmp_path):
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    dates = await series(app)
    bob: Human = await humans(bot)
    async with matrix_running(app):
        direct = await bob.create_room(bot.user_id, direct=True)
        await invited_and_greeted(bob, direct)
        first = await bob.command(direct, f"!anmelden {dates[2].id}")
        done = await bob.command(direct, f"!anmelden {dates[0].id} serie")
        details = await bob.command(direct, f"!termin {dates[0].id}")
    assert "angemeldet" in first.body
    # The third date was held already; of the other two a guest may take one more.
    assert done.body.count("✅ angemeldet") == 1 and "waren Sie schon angemeldet" in done.body
    assert "Als Gast können Sie sich für höchstens 2" in done.body
    assert "Termin einer Serie: alle zwei Wochen, 3 Termine." in details.body
    assert f"/anmelden {dates[0].id} --serie" in details.body  # Matrix takes / as well as !
