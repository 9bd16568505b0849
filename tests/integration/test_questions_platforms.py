"""Questions asked one at a time on Telegram (the Bot API stand-in, real PTB client: answer
buttons) and Matrix (real Synapse: typed answers): registration questions after a signup,
and an evaluation survey after an event."""

from __future__ import annotations

from datetime import timedelta

from core.attendance import check_in
from core.domain.people import Platform
from core.domain.questions import QuestionKind
from core.domain.surveys import QuestionKind as SurveyKind
from core.domain.surveys import question
from core.questions import add_question
from core.surveys import add_survey, run_due_surveys
from tests.integration.test_matrix_adapter import Human, humans, invited_and_greeted, matrix_app
from tests.integration.test_matrix_adapter import running as matrix_running
from tests.support import factories
from tests.support.telegram_rig import running_rig

__all__ = ["humans"]  # the Matrix test module's fixture

ANNA = {"id": 703, "first_name": "Anna", "last_name": "Groß", "language_code": "de"}


async def event_with_question(app):
    event = await factories.event(app, title="Strategieworkshop")
    await add_question(
        app.uow(),
        actor_id=None,
        event_id=event.id,
        kind=QuestionKind.YES_NO,
        prompt="Nehmen Sie am Mittagessen teil?",
        required=True,
        now=app.clock.now(),
    )
    return event


async def ended_survey(app, person_id: int):
    """An event that ended an hour ago, ``person_id`` checked in, its survey sent."""
    event = await factories.event(app, title="Kurzformat Ehrenamt", days=-1 / 12)
    await check_in(
        app.uow(), actor_id=None, event_id=event.id, person_ref=str(person_id), now=event.ends_at
    )
    survey, _ = await add_survey(
        app.uow(),
        actor_id=None,
        event_id=event.id,
        now=app.clock.now(),
        questions=[question(SurveyKind.LIKERT, "Wie zufrieden sind Sie?")],
    )
    await run_due_surveys(app.uow, now=app.clock.now() + timedelta(seconds=1))
    return survey


async def person_of(app, platform: Platform, external_id: str) -> int:
    async with app.uow() as uow:
        identity = await uow.identities.get(platform, external_id)
    assert identity is not None
    return identity.person_id


async def test_telegram(telegram_api_factory, sqlite_database, tmp_path):
    api = await telegram_api_factory(global_limit=100)
    async with running_rig(api, sqlite_database, tmp_path) as rig:
        event = await event_with_question(rig.app)
        api.inject_message(ANNA["id"], ANNA, f"/anmelden {event.id}")
        (signed,) = await api.wait_for_sent(ANNA["id"])
        assert "Frage 1 von 1" in signed.params["text"]
        buttons = signed.params["reply_markup"]["inline_keyboard"][0]
        assert [b["text"] for b in buttons] == ["Ja", "Nein"]
        api.inject_callback(
            ANNA["id"], ANNA, buttons[1]["callback_data"], signed.result["message_id"]
        )
        done = (await api.wait_for_sent(ANNA["id"], 2))[1]
        assert "Ihre Angaben sind notiert" in done.params["text"]
        async with rig.app.uow() as uow:
            answers = await uow.questions.answers(event.id)
        assert list(answers.values()) == [{1: "nein"}]

        survey = await ended_survey(rig.app, await person_of(rig.app, Platform.TELEGRAM, "703"))
        invited = await api.wait_for(
            lambda: [m for m in api.sent_to(ANNA["id"]) if "/befragung" in m.params.get("text", "")]
        )
        assert f"/befragung {survey.id}" in invited[0].params["text"]
        api.inject_message(ANNA["id"], ANNA, f"/befragung {survey.id}")
        asked = await api.wait_for(
            lambda: [
                m for m in api.sent_to(ANNA["id"]) if "Wie zufrieden" in m.params.get("text", "")
            ]
        )
        likert = [b for row in asked[0].params["reply_markup"]["inline_keyboard"] for b in row]
        assert len(likert) >= 5
        api.inject_callback(
            ANNA["id"], ANNA, likert[4]["callback_data"], asked[0].result["message_id"]
        )
        await api.wait_for(
            lambda: [
                m for m in api.sent_to(ANNA["id"]) if "Vielen Dank" in m.params.get("text", "")
            ]
        )


async def test_matrix(synapse, sqlite_database, humans, tmp_path):
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    event = await event_with_question(app)
    bob: Human = await humans(bot)
    async with matrix_running(app):
        direct = await bob.create_room(bot.user_id, direct=True)
        await invited_and_greeted(bob, direct)
        asked = await bob.command(direct, f"!anmelden {event.id}")
        assert "Frage 1 von 1" in asked.body and f"!angaben {event.id} ja" in asked.body
        done = await bob.command(direct, "ja")
        assert "Ihre Angaben sind notiert" in done.body
        survey = await ended_survey(app, await person_of(app, Platform.MATRIX, bob.user_id))
        first = await bob.command(direct, f"!befragung {survey.id}")
        assert "Wie zufrieden" in first.body
        thanks = await bob.command(direct, "4")
        assert "Vielen Dank" in thanks.body
