"""Conversations through the real router, handlers, services and a SQLite file."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.messages import IncomingMessage
from core.domain.events import Audience
from core.domain.people import Platform, Role
from tests.conftest import snapshot
from tests.support import factories
from tests.support.chat import say, say_text


async def test_signup_dialog(app):
    town = await factories.member(app, "Stadt Auenburg")
    miriam = await factories.person(app, "Miriam", member=town)
    event = await factories.event(
        app, title="Kurzformat Kultur", capacity=2, video_url="https://video.example.org/k"
    )
    dialog = [
        (
            "/termine",
            [
                "Kommende Veranstaltungen",
                f"Nr. {event.id}: Kurzformat Kultur",
                "2 von 2 Plätzen frei",
            ],
        ),
        (
            f"/termin {event.id}",
            [
                "Kurzformat Kultur",
                "den Link erhalten Sie mit der Anmeldung",
                f"[Anmelden: /anmelden {event.id}]",
            ],
        ),
        (
            f"/anmelden {event.id}",
            ["Sie sind angemeldet für Kurzformat Kultur", "Ihr persönlicher Zugang", "/v/"],
        ),
        (
            f"/termin {event.id}",
            ["1 von 2 Plätzen frei", "Sie sind angemeldet", f"[Abmelden: /abmelden {event.id}]"],
        ),
        ("/meine", ["Ihre Anmeldungen", "Kurzformat Kultur", "Sie sind angemeldet"]),
        (f"/abmelden {event.id}", ["Sie sind von Kurzformat Kultur abgemeldet"]),
        ("/meine", ["für keine Veranstaltung angemeldet"]),
    ]
    for message, expected in dialog:
        text = await say_text(app, miriam, message)
        for part in expected:
            assert part in text, f"{message!r}: {part!r} not in {text!r}"


async def test_english_aliases_and_language_switch(app):
    person = await factories.person(app, "Sam")
    event = await factories.event(app, title="Open workshop")
    assert "Sie sind jetzt" not in await say_text(app, person, "/language en")
    text = await say_text(app, person, f"/signup {event.id}")
    assert "You are signed up for Open workshop" in text
    assert "What I can do" in await say_text(app, person, "/help")
    assert "auf Deutsch" in await say_text(app, person, "/sprache de")
    assert "Was ich kann" in await say_text(app, person, "/hilfe")


async def test_full_event_waitlist_and_promotion_notice(app, notifier):
    event = await factories.event(app, title="Strategieworkshop", capacity=1)
    first, second, third = [await factories.person(app) for _ in range(3)]
    await say(app, first, f"/anmelden {event.id}")
    assert "Platz 1 der Warteliste" in await say_text(app, second, f"/anmelden {event.id}")
    assert "Platz 2 der Warteliste" in await say_text(app, third, f"/anmelden {event.id}")
    assert "Platz 1 der Warteliste" in await say_text(app, second, f"/termin {event.id}")
    text = await say_text(app, first, f"/abmelden {event.id}")
    assert "an die nächste Person auf der Warteliste gegangen" in text
    assert notifier.keys_for(second.id) == ["promoted"]
    assert notifier.keys_for(third.id) == []
    assert "Platz 1 der Warteliste" in await say_text(app, third, "/meine")


async def test_attendee_list_is_for_organizers(app):
    office = await factories.person(app, "Büro", roles={Role.ORGANIZER})
    town = await factories.member(app, "Gemeinde Birkental")
    lukas = await factories.person(app, "Lukas", member=town)
    event = await factories.event(app, capacity=1)
    waiting = await factories.person(app, "Wartende")
    await say(app, lukas, f"/anmelden {event.id}")
    await say(app, waiting, f"/anmelden {event.id}")
    text = await say_text(app, office, f"/teilnehmende {event.id}")
    assert "1. Lukas (Gemeinde Birkental)" in text
    assert "Warteliste (1)" in text and "1. Wartende" in text
    assert "nur Organisatorinnen" in await say_text(app, lukas, f"/teilnehmende {event.id}")
    assert "/teilnehmende" in await say_text(app, office, "/hilfe")
    assert "/teilnehmende" not in await say_text(app, lukas, "/hilfe")


async def test_invitation_code_links_a_guest_to_the_member(app):
    from core.accounts import create_invitation

    town = await factories.member(app, "Stadt Hagenwalde")
    code = (
        await create_invitation(
            app.uow(), actor_id=None, member_ref=str(town.id), now=app.clock.now(), max_uses=1
        )
    ).code
    newcomer = IncomingMessage(Platform.TELEGRAM, "4711", "/start", "Neu im Amt")
    replies = await app.router.handle(newcomer)
    assert "schreiben mir als Gast" in replies[0].plain
    members_only = await factories.event(app, audience=Audience.MEMBERS, title="Nur Mitglieder")
    attempt = IncomingMessage(Platform.TELEGRAM, "4711", f"/anmelden {members_only.id}", "Neu")
    # Outside its audience the event does not exist for the guest.
    assert "gibt es nicht" in (await app.router.handle(attempt))[0].plain

    linked = IncomingMessage(Platform.TELEGRAM, "4711", f"/start {code.lower()}", "Neu im Amt")
    assert "mit Stadt Hagenwalde verbunden" in (await app.router.handle(linked))[0].plain
    assert "angemeldet für Nur Mitglieder" in (await app.router.handle(attempt))[0].plain
    again = IncomingMessage(Platform.TELEGRAM, "999", f"/start {code}", "Jemand anderes")
    assert "so oft verwendet" in (await app.router.handle(again))[0].plain


async def test_a_newcomer_gets_one_guest_person_per_identity(app):
    async with app.uow() as uow:
        before = len(await uow.persons.list())
    for _ in range(3):
        await app.router.handle(IncomingMessage(Platform.MATRIX, "@a:example.org", "/termine", "A"))
    async with app.uow() as uow:
        people = await uow.persons.list()
    assert len(people) == before + 1
    assert people[-1].is_guest and people[-1].display_name == "A"


async def test_group_chatter_gets_no_answer_but_group_commands_do(app):
    person = await factories.person(app)
    assert await say(app, person, "Guten Morgen zusammen!", private=False) == []
    assert await say(app, person, "/wetter", private=False) == []
    assert await say(app, person, "/termine@EngagiertBot", private=False) != []
    # In a private chat the same greeting is answered kindly.
    assert "Guten Tag! Fragen Sie mich einfach" in await say_text(app, person, "Guten Morgen!")


async def test_export_is_json_with_the_persons_rows(app):
    person = await factories.person(app, "Export Person")
    event = await factories.event(app, title="Exportiert")
    await say(app, person, f"/anmelden {event.id}")
    (reply,) = await say(app, person, "/meine_daten")
    assert reply.private and reply.attachment is not None
    data = json.loads(reply.attachment.content)
    parts = data["daten"]
    assert parts["persons"]["eintraege"][0]["display_name"] == "Export Person"
    assert [r["event_id"] for r in parts["registrations"]["eintraege"]] == [event.id]
    assert "Anmeldungen" in parts["registrations"]["erklaerung"]


async def test_erasure_needs_confirmation(app):
    person = await factories.person(app, "Löschkandidat")
    before = await snapshot(app.database)
    (reply,) = await say(app, person, "/daten_loeschen")
    assert "wirklich" in reply.plain
    assert reply.buttons[0][0].command == "/daten_loeschen ja"
    assert await snapshot(app.database) == before
    assert "Ihre Daten sind gelöscht" in await say_text(app, person, "/daten_loeschen ja")
    async with app.uow() as uow:
        assert await uow.persons.get(person.id) is None


BAD_INPUT = [
    ("/gibtsnicht", "kenne ich leider nicht"),
    ("/anmeldn 1", "Meinten Sie /anmelden?"),
    ("/anmelden", "Bitte geben Sie die Nummer der Veranstaltung an"),
    ("/anmelden eins", "„eins“ ist keine Nummer"),
    ("/anmelden -3", "keine Nummer"),
    ("/anmelden 99999999999999999999", "keine Nummer"),
    ("/anmelden 4242", "Eine Veranstaltung mit der Nummer 4242 gibt es nicht"),
    ("/termin 4242", "gibt es nicht"),
    ("/abmelden {open}", "Sie sind für „Offen“ nicht angemeldet"),
    ("/anmelden {past}", "hat bereits begonnen oder ist vorbei"),
    ("/anmelden {cancelled}", "wurde abgesagt"),
    ("/anmelden {closed}", "Anmeldefrist für „Frist vorbei“ ist am"),
    ("/anmelden {mine}", "bereits angemeldet"),
    ("/anmelden {members}", "gibt es nicht"),  # outside its audience: invisible
    ("/teilnehmende {open}", "nur Organisatorinnen"),
    ("/sprache klingonisch", "kenne ich nicht"),
    ("/start FALSCHERCODE", "Diesen Einladungscode kenne ich nicht"),
    ("/start ../../etc", "Diesen Einladungscode kenne ich nicht"),
    ("x" * 5000, "zu lang"),
    ("/anmelden " + "9" * 4995, "zu lang"),
    ("/anmelden \x00 1", "Steuerzeichen"),
    ("/termine\x1b[2J", "Steuerzeichen"),
    ("/anmelden 1\u202e", "Steuerzeichen"),
    ("/", "nicht verstanden"),
    ("<b>/anmelden 1</b>", "Meinten Sie /anmelden 1?"),
    ("anmelden 1", "Meinten Sie /anmelden 1?"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_INPUT)
async def test_bad_input_gets_a_polite_german_reply_and_changes_nothing(app, text, expected):
    from core.events import cancel_event
    from core.signup import sign_up

    guest = await factories.person(app, "Gast")
    ids = {
        "open": (await factories.event(app, title="Offen")).id,
        "past": (await factories.event(app, title="Vorbei", days=-1)).id,
        "cancelled": (await factories.event(app, title="Abgesagt")).id,
        "closed": (await factories.event(app, title="Frist vorbei", days=5, deadline_days=1)).id,
        "mine": (await factories.event(app, title="Schon dabei")).id,
        "members": (await factories.event(app, title="Mitglieder", audience=Audience.MEMBERS)).id,
    }
    await cancel_event(app.uow(), actor_id=None, event_id=ids["cancelled"], now=app.clock.now())
    await sign_up(app.uow(), person_id=guest.id, event_id=ids["mine"], now=app.clock.now())
    app.clock.advance(timedelta(days=2))  # past the "closed" deadline
    before = await snapshot(app.database)

    replies = await say(app, guest, text.format(**ids))

    assert len(replies) == 1 and replies[0].is_error
    assert expected in replies[0].plain
    assert "Traceback" not in replies[0].plain
    assert await snapshot(app.database) == before


async def test_an_internal_error_is_logged_and_answered_with_an_apology(app, caplog, monkeypatch):
    import bot.handlers.events as handlers

    async def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(handlers, "upcoming_events", broken)
    person = await factories.person(app)
    (reply,) = await say(app, person, "/termine")
    assert "Entschuldigung" in reply.plain and "fire" not in reply.plain
    record = next(r for r in caplog.records if r.levelname == "ERROR")
    assert "/termine" in record.getMessage() and f"person={person.id}" in record.getMessage()
    assert record.exc_info is not None
