"""Choosing how to take part in a hybrid event on Telegram (the Bot API stand-in, real PTB
client: one inline button per mode) and Matrix (real Synapse: the modes as commands), and
the personal video link arriving as a link both platforms accept."""

from __future__ import annotations

from core.domain.registrations import Mode
from tests.integration.test_matrix_adapter import Human, humans, invited_and_greeted, matrix_app
from tests.integration.test_matrix_adapter import running as matrix_running
from tests.support import factories
from tests.support.telegram_rig import running_rig

__all__ = ["humans"]  # the Matrix test module's fixture

ANNA = {"id": 702, "first_name": "Anna", "last_name": "Österreicher", "language_code": "de"}
VIDEO = "https://meet.example.org/netzwerktreffen"


async def hybrid(app):
    return await factories.event(
        app,
        title="Netzwerktreffen Köln",
        place="Rathaus Köln",
        capacity=40,
        video_url=VIDEO,
        online_capacity=100,
    )


async def modes_of(app, event_id: int) -> list[tuple[int, str, str]]:
    """(person id, mode, status) of the event's active registrations."""
    async with app.uow() as uow:
        views = await uow.registrations.for_event(event_id)
    return [
        (v.registration.person_id, v.registration.mode.value, v.registration.status.value)
        for v in views
    ]


async def test_telegram(telegram_api_factory, sqlite_database, tmp_path):
    api = await telegram_api_factory(global_limit=100)
    async with running_rig(api, sqlite_database, tmp_path) as rig:
        event = await hybrid(rig.app)
        api.inject_message(ANNA["id"], ANNA, f"/anmelden {event.id}")
        (asked,) = await api.wait_for_sent(ANNA["id"])
        buttons = asked.params["reply_markup"]["inline_keyboard"][0]
        assert [b["text"] for b in buttons] == ["Vor Ort", "Online"]
        assert "Vor Ort (Rathaus Köln): 40 von 40 Plätzen frei" in asked.params["text"]
        assert await modes_of(rig.app, event.id) == []
        api.inject_callback(
            ANNA["id"], ANNA, buttons[1]["callback_data"], asked.result["message_id"]
        )
        done = (await api.wait_for_sent(ANNA["id"], 2))[1]
        [(person_id, mode, status)] = await modes_of(rig.app, event.id)
        link = rig.app.video.link(event.id, person_id)
    assert (mode, status) == (Mode.ONLINE.value, "confirmed")
    text = done.params["text"]
    assert "Sie nehmen online teil" in text and VIDEO not in text
    assert done.params["parse_mode"] == "HTML" and f'<a href="{link}">' in text


async def test_matrix(synapse, sqlite_database, humans, tmp_path):
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    event = await hybrid(app)
    bob: Human = await humans(bot)
    async with matrix_running(app):
        direct = await bob.create_room(bot.user_id, direct=True)
        await invited_and_greeted(bob, direct)
        asked = await bob.command(direct, f"!anmelden {event.id}")
        assert f"!anmelden {event.id} vor_ort" in asked.body
        assert f"!anmelden {event.id} online" in asked.body
        done = await bob.command(direct, f"!anmelden {event.id} vor Ort")
        assert "Sie nehmen vor Ort teil: Rathaus Köln" in done.body and "/v/" not in done.body
        switched = await bob.command(direct, f"!anmelden {event.id} online")
        assert "Umgemeldet" in switched.body
        [(person_id, mode, _)] = await modes_of(app, event.id)
        details = await bob.command(direct, f"!termin {event.id}")
    assert mode == Mode.ONLINE.value
    link = app.video.link(event.id, person_id)
    assert f'href="{link}"' in details.source["content"]["formatted_body"]
