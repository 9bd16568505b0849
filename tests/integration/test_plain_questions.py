"""A message without a command in a private chat (#15): a pending step, small talk, a question."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.kb import import_entries
from tests.conftest import snapshot
from tests.integration.test_faq_chat import ENTRIES
from tests.support import factories
from tests.support.chat import say, say_text


@pytest.fixture
async def kb_app(any_app):
    await import_entries(
        any_app.uow(), any_app.faq, ENTRIES, replace_all=False, now=any_app.clock.now()
    )
    return any_app


async def test_a_plain_question_is_answered_from_the_knowledge_base(kb_app):
    miriam = await factories.person(kb_app, "Miriam")
    text = await say_text(kb_app, miriam, "Was ist die Ehrenamtskarte NRW?")
    assert "Ein Programm des Landes" in text


async def test_a_number_after_a_choice_list_picks_that_entry(kb_app):
    miriam = await factories.person(kb_app, "Miriam")
    [choices] = await say(kb_app, miriam, "naechstes netzwerktreffen")
    assert "Welchen meinen Sie?" in choices.plain and "Nummer (1 bis 2)" in choices.plain
    second = [row[0].command for row in choices.buttons][1].split()[-1]
    picked = await say_text(kb_app, miriam, "2")
    expected = "In Köln." if second == "treffen-ort" else "Siehe /termine."
    assert expected in picked
    # The list stays open for its half hour: the same number picks again; a question ends it.
    assert expected in await say_text(kb_app, miriam, "2")
    await say(kb_app, miriam, "Was ist die Ehrenamtskarte NRW?")
    assert "keine Auswahl offen" in await say_text(kb_app, miriam, "2")


async def test_a_number_out_of_range_keeps_the_list(kb_app):
    miriam = await factories.person(kb_app, "Miriam")
    [choices] = await say(kb_app, miriam, "naechstes netzwerktreffen")
    second = [row[0].command for row in choices.buttons][1].split()[-1]
    assert "von 1 bis 2" in await say_text(kb_app, miriam, "7")
    picked = await say_text(kb_app, miriam, "Nr. 2")
    assert ("In Köln." if second == "treffen-ort" else "Siehe /termine.") in picked


async def test_the_pending_choice_survives_a_restart_and_expires(kb_app):
    from bot.app import build

    miriam = await factories.person(kb_app, "Miriam")
    [choices] = await say(kb_app, miriam, "naechstes netzwerktreffen")
    first = choices.buttons[0][0].command.split()[-1]
    restarted = await build(
        kb_app.settings,
        database=kb_app.database,
        notifier=kb_app.notifier,
        clock=kb_app.clock,
        migrate=False,
    )
    text = await say_text(restarted, miriam, "1")
    assert ("In Köln." if first == "treffen-ort" else "Siehe /termine.") in text

    await say(restarted, miriam, "naechstes netzwerktreffen")
    restarted.clock.advance(timedelta(minutes=31))
    assert "Welchen meinen Sie?" not in await say_text(restarted, miriam, "1")


@pytest.mark.parametrize("text", ["Hallo", "Danke!", "vielen Dank 🙂", "Moin", "Tschüss"])
async def test_greetings_and_thanks_are_answered_and_not_counted_as_gaps(kb_app, text):
    miriam = await factories.person(kb_app, "Miriam")
    before = await snapshot(kb_app.database)
    [reply] = await say(kb_app, miriam, text)
    assert not reply.is_error and "Wissensbasis" not in reply.plain
    assert (await snapshot(kb_app.database))["faq_gaps"] == before["faq_gaps"]


async def test_plain_text_in_a_group_stays_unanswered(kb_app):
    miriam = await factories.person(kb_app, "Miriam")
    assert await say(kb_app, miriam, "Was ist die Ehrenamtskarte NRW?", private=False) == []


@pytest.mark.parametrize(
    "question",
    [
        "Wann ist das nächste Netzwerktreffen?",
        "wann ist das naechste netzwerktreffen",
        "/faq wann ist das nächste Netzwerktreffen",
    ],
)
async def test_the_next_meeting_is_answered_from_the_events(kb_app, question):
    miriam = await factories.person(kb_app, "Miriam", member=await factories.member(kb_app))
    later = await factories.event(kb_app, title="Zweites Treffen", days=30)
    sooner = await factories.event(kb_app, title="Erstes Treffen", days=10, capacity=20)
    [reply] = await say(kb_app, miriam, question)
    assert "Die nächste passende Veranstaltung" in reply.plain
    assert "Erstes Treffen" in reply.plain and "Zweites Treffen" not in reply.plain
    assert "20 von 20 Plätzen frei" in reply.plain
    assert [[b.command for b in row] for row in reply.buttons] == [[f"/anmelden {sooner.id}"]]
    assert later.id != sooner.id
    async with kb_app.uow() as uow:
        assert await uow.faq_gaps.top(10) == []  # answered: not a gap


async def test_without_a_matching_event_the_knowledge_base_answers(kb_app):
    miriam = await factories.person(kb_app, "Miriam")
    text = await say_text(kb_app, miriam, "Wann ist das nächste Netzwerktreffen?")
    assert "Die nächste passende Veranstaltung" not in text
    assert "/faq_zeigen treffen" in text  # the knowledge base's entries


async def test_an_answered_question_becomes_a_variant_and_then_finds_its_entry(kb_app):
    from core.domain.people import Role

    olga = await factories.person(kb_app, "Olga Office", roles={Role.ORGANIZER})
    miriam = await factories.person(kb_app, "Miriam")
    asked = "Bekommen wir als Verein so eine Karte fürs Engagement?"
    before = await say_text(kb_app, miriam, f"/faq {asked}")
    assert "sichere Antwort" in before and "Ein Programm des Landes" not in before
    await say(kb_app, miriam, f"/weiterleiten {asked}")
    await say(kb_app, olga, "/antworten 1 Ja, über die Ehrenamtskarte NRW.")
    adopted = await say_text(kb_app, olga, "/faq_aufnehmen 1 ehrenamtskarte")
    assert "weitere Formulierung von Was ist die Ehrenamtskarte NRW?" in adopted
    after = await say_text(kb_app, miriam, f"/faq {asked}")
    assert after.startswith("Was ist die Ehrenamtskarte NRW?\n\nEin Programm des Landes")


async def test_an_answered_question_becomes_a_new_entry(kb_app):
    from core.domain.people import Role

    olga = await factories.person(kb_app, "Olga Office", roles={Role.ORGANIZER})
    miriam = await factories.person(kb_app, "Miriam")
    asked = "Gibt es Zuschüsse für ein Ehrenamtsfest im Sommer?"
    await say(kb_app, miriam, f"/weiterleiten {asked}")
    assert "noch nicht beantwortet" in await say_text(kb_app, olga, "/faq_aufnehmen 1")
    await say(kb_app, olga, "/antworten 1 Ja, beim Land über das Programm X.")
    assert "ist jetzt ein Eintrag" in await say_text(kb_app, olga, "/faq_aufnehmen 1")
    assert "beim Land über das Programm X" in await say_text(kb_app, miriam, asked)
    assert "Netzwerkbüros" in await say_text(kb_app, miriam, "/faq_aufnehmen 1")  # organizers only


async def test_thumbs_down_is_counted_without_names_and_shown_next_to_the_gaps(kb_app):
    from core.domain.people import Role

    olga = await factories.person(kb_app, "Olga Office", roles={Role.ORGANIZER})
    miriam = await factories.person(kb_app, "Miriam")
    [answer] = await say(kb_app, miriam, "Was ist die Ehrenamtskarte NRW?")
    [[up, down]] = answer.buttons
    assert down.command == "/hilfreich ehrenamtskarte nein"
    reply = await say_text(kb_app, miriam, down.command)
    assert "Danke für die Rückmeldung" in reply and "/weiterleiten" in reply
    await say(kb_app, olga, up.command)
    async with kb_app.uow() as uow:
        rows = await uow.faq_feedback.unhelpful_first(5)
    assert rows == [("ehrenamtskarte", 1, 1)]  # counts only: nobody's id is kept
    assert "ehrenamtskarte: 👍 1 · 👎 1" in await say_text(kb_app, olga, "/faq_luecken")
    assert "gibt es in der Wissensbasis nicht" in await say_text(
        kb_app, miriam, "/hilfreich erfunden ja"
    )


async def test_a_group_question_naming_the_bot_is_answered(kb_app):
    from bot.messages import IncomingMessage
    from core.domain.people import Platform

    def group(text: str, addressed: bool) -> IncomingMessage:
        return IncomingMessage(
            Platform.TELEGRAM,
            "77",
            text,
            "Miriam",
            chat_id="-100",
            is_private=False,
            addressed=addressed,
        )

    assert await kb_app.router.handle(group("Was ist die Ehrenamtskarte NRW?", False)) == []
    [reply] = await kb_app.router.handle(group("Was ist die Ehrenamtskarte NRW?", True))
    assert "Ein Programm des Landes" in reply.plain and not reply.buttons  # no 👍/👎 in groups


# --- found by a fresh pair of eyes ---------------------------------------------------------------


async def test_a_question_is_adopted_once_and_never_as_an_empty_one(kb_app):
    from core.domain.people import Role

    olga = await factories.person(kb_app, "Olga Office", roles={Role.ORGANIZER})
    miriam = await factories.person(kb_app, "Miriam")
    await say(kb_app, miriam, "/weiterleiten Gibt es einen Mitgliedsbeitrag?")
    await say(kb_app, miriam, "/weiterleiten 🙂")
    await say(kb_app, olga, "/antworten 1 Nein, die Mitgliedschaft ist kostenfrei.")
    await say(kb_app, olga, "/antworten 2 Gern!")
    assert "ist jetzt ein Eintrag" in await say_text(kb_app, olga, "/faq_aufnehmen 1")
    before = await snapshot(kb_app.database)
    assert "steht schon in der Wissensbasis" in await say_text(kb_app, olga, "/faq_aufnehmen 1")
    again = await say_text(kb_app, olga, "/faq_aufnehmen 1 ehrenamtskarte")
    assert "steht schon in der Wissensbasis" in again
    assert "keine Wörter" in await say_text(kb_app, olga, "/faq_aufnehmen 2")
    assert await snapshot(kb_app.database) == before


async def test_numbers_without_a_list_and_number_words_with_one(kb_app):
    miriam = await factories.person(kb_app, "Miriam")
    before = await snapshot(kb_app.database)
    assert "keine Auswahl offen" in await say_text(kb_app, miriam, "2")
    assert (await snapshot(kb_app.database))["faq_gaps"] == before["faq_gaps"]
    [choices] = await say(kb_app, miriam, "naechstes netzwerktreffen")
    ids = [row[0].command.split()[-1] for row in choices.buttons]
    answers = {"treffen": "Siehe /termine.", "treffen-ort": "In Köln."}
    assert answers[ids[1]] in await say_text(kb_app, miriam, "zwei")
    assert answers[ids[0]] in await say_text(kb_app, miriam, "Nummer 1")  # the list stays


@pytest.mark.parametrize("text", ["Vielen lieben Dank für die schnelle Hilfe!", "ok", "👍"])
async def test_thanks_and_agreement_are_not_questions(kb_app, text):
    miriam = await factories.person(kb_app, "Miriam")
    before = await snapshot(kb_app.database)
    assert "Gern geschehen" in await say_text(kb_app, miriam, text)
    assert (await snapshot(kb_app.database))["faq_gaps"] == before["faq_gaps"]


async def test_a_rating_counts_under_the_entry_however_its_id_is_written(kb_app):
    miriam = await factories.person(kb_app, "Miriam")
    await say(kb_app, miriam, "/hilfreich EHRENAMTSKARTE nein")
    await say(kb_app, miriam, "/hilfreich Ehrenamtskarte nein")
    async with kb_app.uow() as uow:
        assert await uow.faq_feedback.unhelpful_first(5) == [("ehrenamtskarte", 0, 2)]


async def test_the_place_asked_for_and_the_past_tense(kb_app):
    from core.domain.events import Event, EventKind
    from core.events import create_event

    miriam = await factories.person(kb_app, "Miriam", member=await factories.member(kb_app))
    await factories.event(kb_app, title="Treffen in Hagen", days=5)
    start = kb_app.clock.now() + timedelta(days=9)
    await create_event(
        kb_app.uow(),
        actor_id=None,
        event=Event(
            EventKind.NETZWERKTREFFEN,
            "Treffen Ruhr",
            start,
            start + timedelta(hours=2),
            place="Essen, Zeche Zollverein",
        ),
    )
    essen = await say_text(kb_app, miriam, "Wann ist das nächste Netzwerktreffen in Essen?")
    assert "Treffen Ruhr" in essen and "Hagen" not in essen
    past = await say_text(kb_app, miriam, "Wann war das letzte Netzwerktreffen?")
    assert "Die nächste passende Veranstaltung" not in past


async def test_the_same_question_is_forwarded_once_while_it_waits(kb_app):
    miriam = await factories.person(kb_app, "Miriam")
    await say(kb_app, miriam, "/weiterleiten Gibt es einen Mitgliedsbeitrag?")
    before = await snapshot(kb_app.database)
    again = await say_text(kb_app, miriam, "/weiterleiten gibt es einen mitgliedsbeitrag")
    assert "schon weitergeleitet (Nr. 1)" in again
    assert await snapshot(kb_app.database) == before


async def test_a_zero_width_space_from_copying_is_taken_out(kb_app):
    miriam = await factories.person(kb_app, "Miriam")
    text = await say_text(kb_app, miriam, "Was ist die Ehren\u200bamtskarte NRW?")
    assert "Ein Programm des Landes" in text
    assert "Steuerzeichen" in await say_text(kb_app, miriam, "Was ist das\u202e?")


async def test_the_hint_for_a_command_without_slash_only_names_what_one_may_use(kb_app):
    miriam = await factories.person(kb_app, "Miriam")
    assert "Meinten Sie" not in await say_text(kb_app, miriam, "faq_aufnehmen 1")
    assert "Meinten Sie /anmelden 3?" in await say_text(kb_app, miriam, "anmelden 3")
