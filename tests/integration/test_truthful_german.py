"""What the bot says is true and said in good German (#14): one state per event, one
tolerant reading of arguments, real plurals, dates and commands in the person's language."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.calendar import calendar_feed, subscribe_calendar
from core.domain.events import Audience
from core.domain.people import Role
from core.events import cancel_event
from tests.conftest import snapshot
from tests.support import factories
from tests.support.chat import say, say_text


async def organizer(app):
    return await factories.person(app, "Olga Office", roles={Role.ORGANIZER})


async def member_person(app, name="Miriam Mitglied", municipality="Stadt Auenburg"):
    return await factories.person(app, name, member=await factories.member(app, municipality))


# --- 1, 2: one state per event --------------------------------------------------------------


async def test_a_cancelled_event_says_so_everywhere_and_the_registration_is_void(app):
    miriam = await member_person(app)
    event = await factories.event(app, title="3. Netzwerktreffen", capacity=2)
    await say(app, miriam, f"/anmelden {event.id}")
    await cancel_event(app.uow(), actor_id=None, event_id=event.id, now=app.clock.now())

    mine = await say_text(app, miriam, "/meine")
    assert "Sie sind angemeldet" not in mine
    assert "Ihre Anmeldung ist mit der Absage hinfällig" in mine
    details = await say_text(app, miriam, f"/termin {event.id}")
    assert "abgesagt" in details
    for contradiction in ("Plätzen frei", "Platz frei", "Sie sind angemeldet", "[Abmelden", "["):
        assert contradiction not in details, details
    before = await snapshot(app.database)
    reply = await say_text(app, miriam, f"/abmelden {event.id}")
    assert "wurde abgesagt; Ihre Anmeldung ist damit bereits hinfällig" in reply
    assert await snapshot(app.database) == before


async def test_after_the_deadline_no_view_offers_a_signup(app):
    miriam = await member_person(app)
    event = await factories.event(app, title="Frist vorbei", capacity=20, deadline_days=1)
    app.clock.advance(timedelta(days=2))

    listing = await say_text(app, miriam, "/termine")
    assert "Frist vorbei" in listing and "Plätzen frei" not in listing
    assert "Anmeldefrist ist am" in listing and "abgelaufen" in listing
    details = await say_text(app, miriam, f"/termin {event.id}")
    assert "Anmeldung offen" not in details and "[Anmelden" not in details
    assert "Anmeldeschluss:" not in details  # said once, as the state
    assert "abgelaufen" in (await say_text(app, miriam, f"/anmelden {event.id}"))


async def test_a_running_event_is_shown_as_running_without_buttons(app):
    miriam = await member_person(app)
    event = await factories.event(app, title="Läuft", capacity=5)
    await say(app, miriam, f"/anmelden {event.id}")
    app.clock.advance(timedelta(days=7, minutes=30))
    details = await say_text(app, miriam, f"/termin {event.id}")
    assert "läuft bereits" in details and "[" not in details
    assert "Plätzen frei" not in details


# --- 3: polls say what happened ---------------------------------------------------------------


async def test_the_same_vote_twice_is_not_a_change(app):
    speaker = await factories.person(app, "Sina Sprecherin", roles={Role.SPEAKER})
    await say(app, speaker, "/umfrage Format? | Präsenz | Online")
    first = await say_text(app, speaker, "/abstimmen 1 2")
    again = await say_text(app, speaker, "/abstimmen 1 2")
    changed = await say_text(app, speaker, "/abstimmen 1 1")
    assert "Ihre Stimme in Umfrage Nr. 1: Online" in first
    assert "geändert" not in again and "bleibt: Online" in again
    assert "geändert: Präsenz" in changed


async def test_poll_end_without_number_takes_the_running_poll_and_an_ended_one_shows_its_result(
    app,
):
    speaker = await factories.person(app, "Sina Sprecherin", roles={Role.SPEAKER})
    await say(app, speaker, "/umfrage Erste? | A | B")
    await say(app, speaker, "/umfrage Zweite? | C | D")
    await say(app, speaker, "/umfrage_ende 2")  # the newest has ended, the first still runs
    assert "Umfrage Nr. 1 ist beendet" in await say_text(app, speaker, "/umfrage_ende")
    assert "keine Umfrage" in await say_text(app, speaker, "/umfrage_ende")

    [shown] = await say(app, speaker, "/umfrage 1")
    assert not shown.buttons and "Ergebnis der Umfrage Nr. 1" in shown.text


# --- 4, 5: what people type on a phone ----------------------------------------------------------


@pytest.mark.parametrize("dash", ["–", "—", "--", "−"])
async def test_a_phone_dash_before_a_flag_is_the_flag(app, dash):
    speaker = await factories.person(app, "Sina Sprecherin", roles={Role.SPEAKER})
    [post, _] = await say(app, speaker, f"/umfrage Datenschutz ok? | Ja | Nein {dash}anonym")
    assert post.poll.anonymous and post.poll.options == ("Ja", "Nein")


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("2 Tage", 2 * 24 * 60),
        ("5 Minuten", 5),
        ("2d", 2 * 24 * 60),
        ("48h", 48 * 60),
        ("1,5 Stunden", 90),
        ("90 min", 90),
        ("1 Woche", 7 * 24 * 60),
        ("3", 3),
    ],
)
async def test_durations_as_people_write_them(app, typed, minutes):
    speaker = await factories.person(app, "Sina Sprecherin", roles={Role.SPEAKER})
    [post, _] = await say(app, speaker, f"/umfrage Wann? | Montag | Dienstag --dauer {typed}")
    assert post.poll.options == ("Montag", "Dienstag")
    async with app.uow() as uow:
        poll = await uow.polls.get(post.poll.poll_id)
    assert poll.closes_at - poll.created_at == timedelta(minutes=minutes)


async def test_a_poll_ending_on_another_day_names_the_day(app):
    speaker = await factories.person(app, "Sina Sprecherin", roles={Role.SPEAKER})
    [post, _] = await say(app, speaker, "/umfrage Wann? | Mo | Di --dauer 48h")
    assert "Endet am Fr., 27. November 2026, 10:00 Uhr." in post.text
    [today, _] = await say(app, speaker, "/umfrage Heute? | Ja | Nein --dauer 30m")
    assert "Endet um 10:30 Uhr." in today.text


@pytest.mark.parametrize("flag", ["--foo", "–anonymus"])
async def test_an_unknown_flag_is_refused_not_taken_as_text(app, flag):
    speaker = await factories.person(app, "Sina Sprecherin", roles={Role.SPEAKER})
    before = await snapshot(app.database)
    reply = await say_text(app, speaker, f"/umfrage Frage? | A | B {flag}")
    assert "kenne ich nicht" in reply
    assert await snapshot(app.database) == before


# --- 6: names with spaces --------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "mitglied:Stadt Auenburg",
        "mitglied:„Stadt Auenburg“",
        'mitglied:"Stadt Auenburg"',
        "mitglied:stadt auenburg",
    ],
)
async def test_an_announcement_to_a_member_whose_name_has_spaces(app, target):
    olga = await organizer(app)
    await member_person(app, "Miriam Mitglied", "Stadt Auenburg")
    await member_person(app, "Bernd Bebra", "Stadt Bebra")
    reply = await say_text(app, olga, f"/ankuendigung {target} Hallo zusammen")
    assert "Empfänger: 1" in reply
    async with app.uow() as uow:
        stored = await uow.announcements.get(1)
    assert stored.text == "Hallo zusammen"


async def test_an_ambiguous_member_prefix_is_refused(app):
    olga = await organizer(app)
    await member_person(app, "Miriam Mitglied", "Stadt Auenburg")
    await member_person(app, "Bernd Bebra", "Stadt Bebra")
    reply = await say_text(app, olga, "/ankuendigung mitglied:Stadt Hallo")
    assert "habe ich nicht gefunden" in reply


# --- 10: nothing typed is silently ignored ---------------------------------------------------


async def test_extra_words_after_a_number_are_refused_and_change_nothing(app):
    miriam = await member_person(app)
    event = await factories.event(app, capacity=5)
    other = await factories.event(app, capacity=5)
    before = await snapshot(app.database)
    reply = await say_text(app, miriam, f"/anmelden {event.id} {other.id}")
    assert f"Mit „{other.id}“ kann ich hier nichts anfangen" in reply
    assert f"/anmelden {event.id}" in reply
    assert await snapshot(app.database) == before
    assert "kann ich hier nichts anfangen" in await say_text(app, miriam, "/termine morgen")


async def test_a_typo_in_calendar_feed_off_keeps_the_link(app):
    miriam = await member_person(app)
    token = await subscribe_calendar(app.uow(), person_id=miriam.id)
    reply = await say_text(app, miriam, "/kalender_abo auss")
    assert "„auss“ verstehe ich hier nicht" in reply and "/kalender_abo aus" in reply
    assert await calendar_feed(app.uow(), token=token, now=app.clock.now()) is not None


async def test_declining_the_erasure_keeps_everything(app):
    miriam = await member_person(app)
    before = await snapshot(app.database)
    assert "lösche nichts" in await say_text(app, miriam, "/daten_loeschen nein")
    assert await snapshot(app.database) == before


# --- 11, 13: plurals and wording ---------------------------------------------------------------


async def test_numbers_meet_nouns_in_the_right_form(app):
    miriam = await member_person(app)
    single = await factories.event(app, title="Klein", capacity=1)
    double = await factories.event(app, title="Groß", capacity=2)
    listing = await say_text(app, miriam, "/termine")
    assert "1 von 1 Platz frei" in listing and "2 von 2 Plätzen frei" in listing
    await say(app, miriam, f"/anmelden {single.id}")
    later = await member_person(app, "Lena Later", "Stadt Later")
    await say(app, later, f"/anmelden {single.id}")
    assert "(1 Person wartet)" in await say_text(app, miriam, f"/termin {single.id}")
    await say(app, miriam, f"/anmelden {double.id}")
    await say(app, miriam, "/daten_loeschen")
    [done] = await say(app, miriam, "/daten_loeschen ja")
    assert "(2 Anmeldungen storniert)" in done.text


async def test_a_time_span_on_one_day_is_written_once(app):
    miriam = await member_person(app)
    event = await factories.event(app, title="Spanne")  # 2 December, 10:00–12:00 Berlin
    text = await say_text(app, miriam, f"/termin {event.id}")
    assert "Mi., 2. Dezember 2026, 10:00–12:00 Uhr" in text
    assert "#" not in text and f"Nr. {event.id}: Spanne" in text


@pytest.mark.parametrize("command", ["kalender", "teilnehmende", "termin", "abmelden"])
async def test_a_missing_number_is_explained_with_the_command_used(app, command):
    olga = await organizer(app)
    assert f"zum Beispiel /{command} 3" in await say_text(app, olga, f"/{command}")
    assert f"zum Beispiel /{command} 3" in await say_text(app, olga, f"/{command} drei")


async def test_event_room_in_a_direct_chat_says_where_it_works(app):
    olga = await organizer(app)
    event = await factories.event(app)
    reply = await say_text(app, olga, f"/termin_raum {event.id}")
    assert "nicht für den Direktchat" in reply and "mehrere" in reply


# --- 14: help for one command --------------------------------------------------------------------


async def test_help_for_one_command(app):
    miriam = await member_person(app)
    text = await say_text(app, miriam, "/hilfe anmelden")
    assert "/anmelden (/signup)" in text and "/termine" not in text
    assert "keinen Befehl" not in text
    assert "kenne ich nicht" in await say_text(app, miriam, "/hilfe teilnehmende")


# --- 12: English means English -----------------------------------------------------------------


async def test_english_mode_answers_unknown_input_and_buttons_in_english(app):
    miriam = await member_person(app)
    await say(app, miriam, "/sprache en")
    event = await factories.event(app, capacity=3)
    assert "do not know the command" in await say_text(app, miriam, "/quatsch")
    [details] = await say(app, miriam, f"/termin {event.id}")
    [[signup]] = details.buttons
    assert signup.command == f"/signup {event.id}" and signup.label == "Sign up"
    help_text = await say_text(app, miriam, "/help")
    assert "/signup (/anmelden)" in help_text


# --- found by a fresh pair of eyes ---------------------------------------------------------------


async def test_a_hidden_event_stays_hidden_to_every_command(app):
    miriam = await member_person(app)
    hidden = await factories.event(app, title="Nur Spitzen", audience=Audience.LEADERSHIP)
    for command in ("termin", "abmelden", "anmelden", "kalender"):
        reply = await say_text(app, miriam, f"/{command} {hidden.id}")
        assert "Nur Spitzen" not in reply and "gibt es nicht" in reply, (command, reply)


async def test_an_event_that_began_cannot_be_cancelled(app):
    from core.domain.errors import InvalidInput

    event = await factories.event(app, title="Schon vorbei", days=-1)
    with pytest.raises(InvalidInput, match="event_began"):
        await cancel_event(app.uow(), actor_id=None, event_id=event.id, now=app.clock.now())


async def test_a_guest_sees_that_signing_up_is_for_the_network(app):
    from bot.messages import IncomingMessage
    from core.domain.people import Platform

    await factories.event(app, title="Netzwerkabend", capacity=5, audience=Audience.NETWORK)
    message = IncomingMessage(Platform.CONSOLE, "guest-1", "/termine", "Gustav Gast")
    [listing] = await app.router.handle(message)
    assert "Anmeldung nur für Personen des Netzwerks" in listing.plain
    assert "Plätzen frei" not in listing.plain


async def test_a_poll_keeps_the_quotes_people_typed(app):
    speaker = await factories.person(app, "Sina Sprecherin", roles={Role.SPEAKER})
    [post, _] = await say(app, speaker, "/umfrage Lieber „Präsenz“ oder Online? | Präsenz | Online")
    assert post.poll.question == "Lieber „Präsenz“ oder Online?"


async def test_an_invitation_code_in_quotes_is_read(app):
    from core.accounts import create_personal_invitation

    person = await factories.person(app, "Tobias Feldmann", informed=True)
    created = await create_personal_invitation(
        app.uow(), actor_id=None, person_ref=str(person.id), now=app.clock.now()
    )
    guest = await factories.person(app, "Gast")
    reply = await say_text(app, guest, f"/start „p_{created.code}“")
    assert "kenne ich nicht" not in reply


@pytest.mark.parametrize(
    ("typed", "said"),
    [("--dauer -5m", "Die Dauer verstehe ich nicht"), ("--termin x", "Den Wert hinter „--termin“")],
)
async def test_a_known_flag_with_a_bad_value_says_so(app, typed, said):
    speaker = await factories.person(app, "Sina Sprecherin", roles={Role.SPEAKER})
    reply = await say_text(app, speaker, f"/umfrage Test? | A | B {typed}")
    assert said in reply and "kenne ich nicht" not in reply


@pytest.mark.parametrize("separator", ["\t", "\n", "  "])
async def test_any_whitespace_ends_the_command_name(app, separator):
    miriam = await member_person(app)
    event = await factories.event(app, title="Trenner")
    assert "Nr. 1: Trenner" in await say_text(app, miriam, f"/termin{separator}{event.id}")


async def test_control_characters_are_refused_in_every_text_others_read(app):
    """Not only in chat messages: names and poll texts made by the core (the CLI, later the
    web desk) are refused the same way."""
    from core.domain.errors import InvalidInput
    from core.domain.members import MemberKind
    from core.members import add_member, add_person
    from core.polls import start_poll

    with pytest.raises(InvalidInput, match="control_characters"):
        await add_person(app.uow(), display_name="Eve\x1b[31m", now=app.clock.now())
    with pytest.raises(InvalidInput, match="control_characters"):
        await add_member(
            app.uow(), name="Stadt\u202eX", kind=MemberKind.STADT, joined_on=app.clock.now().date()
        )
    speaker = await factories.person(app, "Sina Sprecherin", roles={Role.SPEAKER})
    with pytest.raises(InvalidInput, match="control_characters"):
        await start_poll(
            app.uow(),
            actor_id=speaker.id,
            question="Frage\x00?",
            options=["A", "B"],
            now=app.clock.now(),
        )
