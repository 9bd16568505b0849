"""A place offered from the waiting list reaches the person on Telegram (the Bot API
stand-in, real PTB client) and Matrix (real Synapse), and is taken with /annehmen there."""

from __future__ import annotations

from core.signup import cancel_signup, sign_up
from tests.integration.test_matrix_adapter import Human, humans, invited_and_greeted, matrix_app
from tests.integration.test_matrix_adapter import running as matrix_running
from tests.support import factories
from tests.support.telegram_rig import running_rig

__all__ = ["humans"]  # the Matrix test module's fixture

ANNA = {"id": 704, "first_name": "Anna", "last_name": "Böhm", "language_code": "de"}


async def full_event_with_offers(app):
    """An event with one place, taken by someone else, whose freed place will be offered."""
    event = await factories.event(app, title="Strategieworkshop", capacity=1)
    async with app.uow() as uow:
        info = await uow.events.get(event.id)
        info.event.waitlist_offers = True
        await uow.events.update(info.event)
        await uow.commit()
    first = await factories.person(app, "Erika Erste")
    await sign_up(app.uow(), person_id=first.id, event_id=event.id, now=app.clock.now())
    return event, first


async def test_telegram(telegram_api_factory, sqlite_database, tmp_path):
    api = await telegram_api_factory(global_limit=100)
    async with running_rig(api, sqlite_database, tmp_path) as rig:
        event, first = await full_event_with_offers(rig.app)
        api.inject_message(ANNA["id"], ANNA, f"/anmelden {event.id}")
        (waiting,) = await api.wait_for_sent(ANNA["id"])
        assert "Warteliste" in waiting.params["text"]
        await cancel_signup(
            rig.app.uow(), person_id=first.id, event_id=event.id, now=rig.app.clock.now()
        )
        offered = (await api.wait_for_sent(ANNA["id"], 2))[1]
        assert "für Sie reserviert" in offered.params["text"]
        assert f"/annehmen {event.id}" in offered.params["text"]
        api.inject_message(ANNA["id"], ANNA, f"/annehmen {event.id}")
        taken = (await api.wait_for_sent(ANNA["id"], 3))[2]
    assert "Platz angenommen" in taken.params["text"]


async def test_matrix(synapse, sqlite_database, humans, tmp_path):
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    event, first = await full_event_with_offers(app)
    bob: Human = await humans(bot)
    async with matrix_running(app):
        direct = await bob.create_room(bot.user_id, direct=True)
        await invited_and_greeted(bob, direct)
        assert "Warteliste" in (await bob.command(direct, f"!anmelden {event.id}")).body
        await cancel_signup(app.uow(), person_id=first.id, event_id=event.id, now=app.clock.now())
        offered = await bob.wait(
            lambda: [n for n in bob.notices(direct) if "für Sie reserviert" in n.body]
        )
        assert f"/annehmen {event.id}" in offered[0].body
        taken = await bob.command(direct, f"!annehmen {event.id}")
    assert "Platz angenommen" in taken.body
