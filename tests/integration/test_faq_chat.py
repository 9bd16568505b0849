"""The knowledge base in the console chat: real router, handlers, services and SQLite."""

from __future__ import annotations

import json

import pytest

from bot.messages import IncomingMessage
from bot.starter import starter_faq
from core.domain.faq import FaqEntry
from core.domain.people import Platform, Role
from core.kb import import_entries
from core.members import add_person
from tests.conftest import snapshot
from tests.support import factories
from tests.support.chat import say, say_text

ENTRIES = [
    FaqEntry(
        "ehrenamtskarte",
        "Was ist die Ehrenamtskarte NRW?",
        "Ein Programm des Landes, mit dem Kommunen **Engagement** anerkennen.\n\n"
        "- für Engagierte\n- ab 5 Stunden pro Woche",
        variants=("Wie erkennt das Land Engagement mit einer Karte an?",),
        links=("https://www.ehrenamtskarte.nrw.de",),
        topic="ehrenamtskarte",
    ),
    FaqEntry("treffen", "Wann ist das nächste Netzwerktreffen?", "Siehe /termine.", topic="x"),
    FaqEntry("treffen-ort", "Wo ist das nächste Netzwerktreffen?", "In Köln.", topic="x"),
]


@pytest.fixture
async def kb_app(app):
    await import_entries(app.uow(), app.faq, ENTRIES, replace_all=False, now=app.clock.now())
    return app


async def supporter(app, name: str, *topics: str):
    return await add_person(
        app.uow(),
        display_name=name,
        roles=frozenset({Role.SUPPORTER}),
        supporter_topics=topics,
        now=app.clock.now(),
    )


async def test_a_confident_answer_is_headed_by_its_question(kb_app):
    miriam = await factories.person(kb_app, "Miriam")
    text = await say_text(kb_app, miriam, "/faq was ist eigentlich die ehrenamtskarte")
    assert text.startswith("Was ist die Ehrenamtskarte NRW?\n\nEin Programm des Landes")
    assert "• für Engagierte\n• ab 5 Stunden pro Woche" in text
    assert "Mehr dazu:\nhttps://www.ehrenamtskarte.nrw.de" in text
    [reply] = await say(kb_app, miriam, "/frage ehrenamtskarte")
    assert "<b>Engagement</b>" in reply.text
    assert '<a href="https://www.ehrenamtskarte.nrw.de">' in reply.text


async def test_in_a_group_the_answer_is_short_and_points_to_the_entry(kb_app):
    miriam = await factories.person(kb_app, "Miriam")
    [reply] = await say(kb_app, miriam, "/faq Ehrenamtskarte", private=False)
    assert not reply.private
    assert "für Engagierte" not in reply.plain
    assert reply.plain.endswith("Die ganze Antwort: /faq_zeigen ehrenamtskarte")
    full = await say_text(kb_app, miriam, "/faq_zeigen ehrenamtskarte")
    assert "• für Engagierte" in full


async def test_close_matches_are_offered_as_choices(kb_app):
    miriam = await factories.person(kb_app, "Miriam")
    [reply] = await say(kb_app, miriam, "/ask naechstes netzwerktreffen")
    assert "Welchen meinen Sie?" in reply.plain
    commands = [row[0].command for row in reply.buttons]
    assert sorted(commands) == ["/faq_zeigen treffen", "/faq_zeigen treffen-ort"]


async def test_a_near_miss_is_offered_with_the_way_to_forward_it(kb_app):
    # Not a confident answer, but something is near: offer it, and the forward button.
    miriam = await factories.person(kb_app, "Miriam")
    [reply] = await say(kb_app, miriam, "/faq ehrenamtskarte verloren", private=True)
    assert "Meinten Sie vielleicht diese Frage?" in reply.plain  # one: no "eine dieser"
    assert "1. Was ist die Ehrenamtskarte NRW?" in reply.plain
    assert "Antworten Sie einfach mit der Nummer 1." in reply.plain
    commands = [row[0].command for row in reply.buttons]
    assert commands == ["/faq_zeigen ehrenamtskarte", "/weiterleiten ehrenamtskarte verloren"]
    [picked] = await say(kb_app, miriam, "1", private=True)
    assert picked.plain.startswith("Was ist die Ehrenamtskarte NRW?")
    # Pasted markup is no part of the question, nor of the button; a greeting that only
    # announces a question is a greeting.
    [pasted] = await say(kb_app, miriam, "/faq <b>ehrenamtskarte</b> verloren", private=True)
    assert pasted.buttons[-1][0].command == "/weiterleiten ehrenamtskarte verloren"
    [hello] = await say(kb_app, miriam, "<b>Hallo</b> zusammen, kurze Frage", private=True)
    assert not hello.buttons and "keine sichere Antwort" not in hello.plain
    await say(kb_app, miriam, "/termine", private=True)
    [lone] = await say(kb_app, miriam, "4", private=True)
    assert "Meinten Sie die Veranstaltung /termin 4?" in lone.plain
    # Nothing near: only the offer to forward.
    [none] = await say(kb_app, miriam, "/faq wie wird das wetter morgen", private=True)
    assert [row[0].command for row in none.buttons] == ["/weiterleiten wie wird das wetter morgen"]


async def test_forward_to_supporters_end_to_end(kb_app):
    app, notifier = kb_app, kb_app.notifier
    town = await factories.member(app, "Stadt Auenburg")
    miriam = await factories.person(app, "Miriam Lindner", member=town)
    aylin = await supporter(app, "Aylin Kaya", "Ehrenamtskarte", "Engagementstrategie")
    other = await supporter(app, "Tom Teilhabe", "Inklusion")
    erika = await factories.person(app, "Erika Netzwerkbüro", roles={Role.ORGANIZER})
    question = "Gilt die Ehrenamtskarte auch im Zoo von Auenburg?"

    [reply] = await say(app, miriam, f"/faq {question}")
    assert "keine sichere Antwort" in reply.plain
    [[button]] = reply.buttons
    assert button.command == f"/weiterleiten {question}"

    text = await say_text(app, miriam, button.command)
    assert "an die Unterstützerinnen und Unterstützer für das Thema „Ehrenamtskarte“" in text
    [notice] = [n for n in notifier.sent if n.person_id == aylin.id]
    assert notice.key == "faq_forwarded_topic" and notice.params["question"] == question
    told = app.translator.t("de", f"notice.{notice.key}", **notice.params)
    assert "Eine Frage zum Thema „Ehrenamtskarte“" in told  # the label, not the code
    assert notifier.keys_for(other.id) == [] and notifier.keys_for(erika.id) == []
    qid = notice.params["id"]

    assert f"Nr. {qid}" in await say_text(app, aylin, "/faq_offen")
    assert f"Nr. {qid}" in await say_text(app, erika, "/faq_offen")  # the office sees all
    # A supporter of another topic neither sees nor answers it.
    assert f"Nr. {qid}" not in await say_text(app, other, "/faq_offen")
    refused = await say_text(app, other, f"/antworten {qid} Ja, überall.")
    assert f"Frage {qid} gehört nicht zu Ihren Themen" in refused
    assert notifier.keys_for(miriam.id) == []
    assert "Unterstützerinnen und Unterstützer" in await say_text(app, miriam, "/faq_offen")
    text = await say_text(app, aylin, f"/antworten {qid} Nein, nur bei teilnehmenden Partnern.")
    assert f"Ihre Antwort auf Frage {qid}" in text
    [answer] = [n for n in notifier.sent if n.person_id == miriam.id]
    assert answer.key == "faq_answered"
    rendered = app.translator.t("de", f"notice.{answer.key}", **answer.params)
    assert "Antwort auf Ihre Frage „Gilt die Ehrenamtskarte auch im Zoo" in rendered
    assert "von Aylin Kaya:\nNein, nur bei teilnehmenden Partnern." in rendered
    assert "bereits beantwortet" in await say_text(app, erika, f"/antworten {qid} Doppelt")

    # The organizer sees the gap, counted without the name of whoever asked.
    await say(app, other, "/faq gilt die EHRENAMTSKARTE auch im Zoo von Auenburg")
    gaps = await say_text(app, erika, "/faq_luecken")
    assert "2× „gilt die ehrenamtskarte auch im zoo von auenburg“" in gaps
    assert "Miriam" not in gaps and "Tom" not in gaps
    assert "nur" in await say_text(app, miriam, "/faq_luecken")  # "Das dürfen nur …"

    # Erasure removes the forwarded question; the export had it.
    [export] = await say(app, miriam, "/meine_daten")
    data = json.loads(export.attachment.content)
    assert [q["text"] for q in data["daten"]["faq_questions"]["eintraege"]] == [question]
    await say(app, miriam, "/daten_loeschen ja")
    assert question not in str((await snapshot(app.database))["faq_questions"])


async def test_without_a_matching_supporter_the_organizers_are_asked(kb_app):
    app, notifier = kb_app, kb_app.notifier
    miriam = await factories.person(app, "Miriam")
    erika = await factories.person(app, "Erika", roles={Role.ORGANIZER})
    text = await say_text(app, miriam, "/forward Wo kann ich in Köln parken?")
    assert "an das Netzwerkbüro gegangen" in text
    assert notifier.keys_for(erika.id) in (["faq_forwarded"], ["faq_forwarded_topic"])


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("/faq", "Bitte schreiben Sie Ihre Frage hinter den Befehl"),
        ("/antworten", "Das dürfen nur die Unterstützerinnen und Unterstützer"),
        ("/faq    ", "Bitte schreiben Sie Ihre Frage hinter den Befehl"),
        ("/weiterleiten", "Bitte schreiben Sie die Frage hinter den Befehl"),
        ("/faq_zeigen", "Bitte geben Sie die Kennung des Eintrags an"),
        ("/faq_zeigen gibtsnicht", "Einen Eintrag „gibtsnicht“ gibt es in der Wissensbasis nicht"),
        ("/antworten 999 Text", "Das dürfen nur die Unterstützerinnen und Unterstützer"),
        ("/faq_luecken", "Das dürfen nur Organisatorinnen und Organisatoren"),
    ],
)
async def test_bad_input_gets_a_polite_error_and_changes_nothing(kb_app, message, expected):
    miriam = await factories.person(kb_app, "Miriam")
    before = await snapshot(kb_app.database)
    [reply] = await say(kb_app, miriam, message)
    assert reply.is_error and expected in reply.plain
    assert await snapshot(kb_app.database) == before
    assert kb_app.notifier.sent == []


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("/antworten", "Nummer der Frage und Ihre Antwort"),
        ("/antworten zwölf Text", "Nummer der Frage und Ihre Antwort"),
        ("/antworten 3", "Bitte schreiben Sie Ihre Antwort hinter die Nummer"),
        ("/antworten 999 Text", "gibt es nicht"),
    ],
)
async def test_a_supporters_bad_answer_gets_a_polite_error_and_changes_nothing(
    kb_app, message, expected
):
    helper = await factories.person(kb_app, "Aylin", roles={Role.SUPPORTER})
    before = await snapshot(kb_app.database)
    [reply] = await say(kb_app, helper, message)
    assert reply.is_error and expected in reply.plain
    assert await snapshot(kb_app.database) == before
    assert kb_app.notifier.sent == []


async def test_markup_in_questions_and_answers_is_escaped(app):
    entry = FaqEntry("x", "Was tun <b>bei</b> Fragen?", "Nutzen Sie <script>x</script> & **das**.")
    await import_entries(app.uow(), app.faq, [entry], replace_all=False, now=app.clock.now())
    miriam = await factories.person(app, "Miriam")
    [reply] = await say(app, miriam, "/faq_zeigen x")
    assert "&lt;b&gt;bei&lt;/b&gt;" in reply.text and "&lt;script&gt;" in reply.text
    assert "&amp; <b>das</b>" in reply.text


async def test_the_starter_base_answers_the_must_show_question(app):
    await import_entries(app.uow(), app.faq, starter_faq(), replace_all=False, now=app.clock.now())
    miriam = await factories.person(app, "Miriam")
    text = await say_text(app, miriam, "/faq wie wird meine stadt mitglied")
    assert text.startswith("Wie kann unsere Kommune Mitglied im Netzwerk werden?")


async def test_forwarding_is_exactly_once_for_a_redelivered_message(kb_app):
    app, notifier = kb_app, kb_app.notifier
    miriam = await factories.person(app, "Miriam")
    erika = await factories.person(app, "Erika", roles={Role.ORGANIZER})
    message = IncomingMessage(
        Platform.TELEGRAM,
        "tg-miriam",
        "/weiterleiten Wo kann ich parken?",
        person_id=miriam.id,
        message_id="update-1",
    )
    assert len(await app.router.handle(message)) == 1
    assert await app.router.handle(message) == []
    assert notifier.keys_for(erika.id) == ["faq_forwarded"]
    assert len((await snapshot(app.database))["faq_questions"]) == 1
