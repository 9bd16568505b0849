"""The faults that issue #10 reported, each as it was tried, through the real router.

Chats are addressed as their platforms send them (a Telegram group, a Matrix direct chat);
whether someone moderates or sits in a chat is answered by a room directory, as the
adapters answer it (their own tests show how each platform derives it).
"""

from __future__ import annotations

import io
import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.adapters.console import ConsoleChat
from bot.messages import IncomingMessage
from bot.notifications import NotificationHub
from core.accounts import change_roles, create_invitation, create_personal_invitation
from core.domain.errors import DomainError
from core.domain.events import Audience
from core.domain.people import ChatIdentity, Platform, Role
from core.kb import forward_question
from core.members import resolve_identity
from core.polls import Room, live_results, start_poll
from storage.tables import notifications, persons, poll_votes, registrations
from tests.conftest import snapshot
from tests.support import factories
from tests.support.chat import say_text
from tests.support.rooms import fake_rooms, seat

OFFICIAL = Room(Platform.TELEGRAM, "-100777")  # the short format's group, linked to event 1
STRANGERS = Room(Platform.TELEGRAM, "-100666")  # a group a stranger created (so moderates)
_ids = itertools.count(1)


def message(room: Room, sender: str, text: str, *, private: bool = False) -> IncomingMessage:
    return IncomingMessage(
        room.platform,
        sender,
        text,
        f"Konto {sender}",
        chat_id=room.chat_id,
        is_private=private,
        message_id=f"s{next(_ids)}",
    )


async def said(app, room: Room, sender: str, text: str, *, private: bool = False) -> str:
    replies = await app.router.handle(message(room, sender, text, private=private))
    return "\n".join(r.plain for r in replies)


async def poll_by(app, creator, place=None, question="Frage?", **flags):
    """A poll with the options Ja and Nein, started by ``creator`` at ``place``."""
    where = {"place": place} if place is not None else {}
    return await start_poll(
        app.uow(),
        actor_id=creator.id,
        question=question,
        options=["Ja", "Nein"],
        now=app.clock.now(),
        **where,
        **flags,
    )


async def official_setup(app):
    """Speaker Sara runs a hidden poll for event 1 in its official group; Tom, another
    speaker, runs his own; the stranger moderates a group of their own."""
    rooms = fake_rooms(app)
    sara = await factories.person(app, "Sara", roles={Role.SPEAKER})
    tom = await factories.person(app, "Tom", roles={Role.SPEAKER})
    event = await factories.event(app, title="Kurzformat", speaker=sara)
    sara_there = await seat(app, rooms, sara, OFFICIAL)
    async with app.uow() as uow:
        await uow.polls.link_event_room(
            event.id, OFFICIAL.platform, OFFICIAL.chat_id, app.clock.now()
        )
        await uow.commit()
    hidden = await poll_by(
        app, sara, question="Budget?", place=sara_there, hidden_results=True, event_id=event.id
    )
    toms = await poll_by(app, tom, question="Pause?")
    rooms.moderators.add((STRANGERS.platform, STRANGERS.chat_id, "666"))
    rooms.members.add((STRANGERS.platform, STRANGERS.chat_id, "666"))
    return rooms, sara, tom, event, hidden, toms


async def test_a_stranger_moderating_their_own_group_gets_no_network_power(app):
    _, _, _, event, hidden, toms = await official_setup(app)
    before = await snapshot(app.database)
    text = await said(app, STRANGERS, "666", f"/ergebnis {hidden.id}")
    assert "gibt es nicht" in text and "Budget" not in text  # not theirs to see at all
    assert "leiten Sie nicht" in await said(app, STRANGERS, "666", f"/umfrage_ende {toms.id}")
    assert "leiten Sie nicht" in await said(app, STRANGERS, "666", f"/umfrage {hidden.id}")
    phishing = (
        f"/umfrage Neue Zugangsdaten unter http://evil.example | OK | Nein --termin {event.id}"
    )
    assert "Sprecher, die das Netzwerkbüro" in await said(app, STRANGERS, "666", phishing)
    after = await snapshot(app.database)
    assert after["polls"] == before["polls"] and after["poll_rooms"] == before["poll_rooms"]
    assert not [r for r in after["outbox"] if r[2] == OFFICIAL.chat_id]  # nothing posted there
    # In their own group, on a poll of their own, the moderation does count.
    started = await said(app, STRANGERS, "666", "/umfrage Pizza? | Ja | Nein")
    assert "Pizza?" in started
    assert "ist beendet" in await said(app, STRANGERS, "666", "/umfrage_ende")


async def test_in_a_matrix_direct_chat_power_level_100_counts_for_nothing(app):
    rooms, _, _, event, hidden, toms = await official_setup(app)
    direct = Room(Platform.MATRIX, "!dm:example.org")
    own_room = Room(Platform.MATRIX, "!mine:example.org")
    for room in (direct, own_room):  # the user has power level 100 in both
        rooms.moderators.add((room.platform, room.chat_id, "@eve:example.org"))
        rooms.members.add((room.platform, room.chat_id, "@eve:example.org"))
    eve = "@eve:example.org"
    dm = {"private": True}
    assert "gibt es nicht" in await said(app, direct, eve, f"/ergebnis {hidden.id}", **dm)
    assert "leiten Sie nicht" in await said(app, direct, eve, f"/umfrage_ende {toms.id}", **dm)
    assert "Umfragen starten dürfen" in await said(app, direct, eve, "/umfrage A? | B | C", **dm)
    linked = await said(app, own_room, eve, f"/termin_raum {event.id}")
    assert "Sprecher, die das Netzwerkbüro" in linked
    async with app.uow() as uow:
        assert await uow.polls.event_rooms(event.id) == [(OFFICIAL.platform, OFFICIAL.chat_id)]


async def test_a_speaker_runs_only_their_own_polls(app):
    _, sara, tom, _, hidden, toms = await official_setup(app)
    assert "gibt es nicht" in await say_text(app, tom, f"/ergebnis {hidden.id}")  # not in room
    assert "leiten Sie nicht" in await say_text(app, tom, f"/umfrage_ende {hidden.id}")
    assert "leiten Sie nicht" in await say_text(app, sara, f"/umfrage_ende {toms.id}")
    assert "Nur für Sie" in await say_text(app, sara, f"/ergebnis {hidden.id}")
    assert "ist beendet" in await say_text(app, tom, f"/umfrage_ende {toms.id}")


async def test_twenty_new_accounts_add_no_vote_to_a_poll(app):
    rooms, _, _, _, hidden, _ = await official_setup(app)
    for n in range(20):
        account = str(9000 + n)
        rooms.members.add((OFFICIAL.platform, OFFICIAL.chat_id, account))  # even in the group
        text = await said(app, OFFICIAL, account, f"/abstimmen {hidden.id} 1")
        assert "Personen des Netzwerks" in text
        text = await said(
            app, Room(Platform.TELEGRAM, account), account, "/abstimmen 1 1", private=True
        )
        assert "Personen des Netzwerks" in text
    results = await live_results(app.uow(), token=hidden.token)
    assert results.tally.participants == 0


async def test_a_linked_member_votes_only_from_within_the_poll_s_rooms(app):
    rooms, _, _, _, hidden, _ = await official_setup(app)
    anna = await factories.person(app, "Anna")
    async with app.uow() as uow:
        await uow.identities.add(
            ChatIdentity(Platform.TELEGRAM, "501", anna.id, None, app.clock.now())
        )
        await uow.commit()
    direct = Room(Platform.TELEGRAM, "501")
    refused = await said(app, direct, "501", f"/abstimmen {hidden.id} 1", private=True)
    assert "in einem der Chats der Umfrage" in refused
    rooms.members.add((OFFICIAL.platform, OFFICIAL.chat_id, "501"))  # she joins the group
    assert "Ihre Stimme" in await said(
        app, direct, "501", f"/abstimmen {hidden.id} 1", private=True
    )
    assert (await live_results(app.uow(), token=hidden.token)).tally.participants == 1


async def test_an_open_poll_lets_guests_in_its_rooms_vote(app):
    rooms = fake_rooms(app)
    sara = await factories.person(app, "Sara", roles={Role.SPEAKER})
    place = await seat(app, rooms, sara, OFFICIAL)
    poll = await poll_by(app, sara, question="Offen?", place=place, open_to_guests=True)
    assert "Ihre Stimme" in await said(app, OFFICIAL, "4242", f"/abstimmen {poll.id} 2")
    outside = await said(
        app, Room(Platform.TELEGRAM, "4343"), "4343", f"/abstimmen {poll.id} 1", private=True
    )
    assert "in einem der Chats der Umfrage" in outside
    assert (await live_results(app.uow(), token=poll.token)).tally.counts == (0, 1)


async def test_an_anonymous_vote_typed_into_a_group_is_refused_and_taken_down(app):
    rooms = fake_rooms(app)
    sara = await factories.person(app, "Sara", roles={Role.SPEAKER})
    anna = await factories.person(app, "Anna")
    place = await seat(app, rooms, sara, OFFICIAL)
    anna_there = await seat(app, rooms, anna, OFFICIAL)
    poll = await poll_by(app, sara, question="Geheim?", place=place, anonymous=True)
    (reply,) = await app.router.handle(
        message(OFFICIAL, anna_there.user_id, f"/abstimmen {poll.id} 1")
    )
    assert reply.is_error and reply.retract_command and not reply.private
    assert "im Direktchat" in reply.plain
    assert (await live_results(app.uow(), token=poll.token)).tally.participants == 0
    (offer,) = await app.router.handle(
        message(OFFICIAL, anna_there.user_id, f"/abstimmen {poll.id}")
    )
    assert offer.private and "Geheim?" in offer.plain
    assert [b.command for row in offer.buttons for b in row] == [
        f"/abstimmen {poll.id} 1",
        f"/abstimmen {poll.id} 2",
    ]
    direct = Room(Platform.TELEGRAM, anna_there.user_id)
    confirmed = await said(app, direct, anna_there.user_id, f"/abstimmen {poll.id} 1", private=True)
    assert "anonym" in confirmed
    assert (await live_results(app.uow(), token=poll.token)).tally.participants == 1


async def test_events_outside_one_s_audience_are_invisible(app):
    town = await factories.member(app, "Stadt Auenburg")
    member = await factories.person(app, "Mia", member=town)
    mayor = await factories.person(app, "Dr. Sommer", member=town, roles={Role.LEADERSHIP})
    summit = await factories.event(
        app, title="Spitzentreffen Geheimort", audience=Audience.LEADERSHIP
    )
    async with app.uow() as uow:
        info = await uow.events.get(summit.id)
        info.event.place, info.event.description = "Schloss Beispiel", "Vertrauliche Agenda"
        await uow.events.update(info.event)
        await uow.commit()
    for who in (member,):
        for command in (
            "/termine",
            f"/termin {summit.id}",
            f"/kalender {summit.id}",
            f"/anmelden {summit.id}",
        ):
            text = await say_text(app, who, command)
            assert "Geheimort" not in text and "Schloss" not in text and "Agenda" not in text
    guest = await said(
        app, Room(Platform.TELEGRAM, "555"), "555", f"/termin {summit.id}", private=True
    )
    assert "gibt es nicht" in guest and "Geheimort" not in guest
    assert "Geheimort" in await say_text(app, mayor, "/termine")
    assert "Schloss Beispiel" in await say_text(app, mayor, f"/termin {summit.id}")


async def test_the_terminal_chat_shows_only_its_own_person_s_notices(app):
    hub = NotificationHub(app.uow, app.translator, app.clock)  # no transport in this process
    app.notifier = hub
    office = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    others = [await factories.person(app, f"Mitglied {n}") for n in range(3)]
    out = io.StringIO()
    chat = ConsoleChat(app, office, out=out)
    await chat.send("/ankuendigung alle Wichtige Änderung")
    assert "Mitglied" not in out.getvalue()
    async with app.database.engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(
                    notifications.c.person_id, notifications.c.sent_at, notifications.c.platform
                )
            )
        ).all()
    for person_id, sent_at, platform in rows:
        if person_id in {p.id for p in others}:
            assert sent_at is None and platform is None  # left for serve to deliver
        else:
            assert person_id == office.id


async def test_one_account_s_flood_is_slowed_with_one_notice_and_others_are_answered(app):
    flood = [
        await app.router.handle(
            message(Room(Platform.TELEGRAM, "13"), "13", "/termine", private=True)
        )
        for _ in range(200)
    ]
    answered = [r for r in flood if r and not r[0].is_error]
    notices = [r for r in flood if r and r[0].is_error]
    assert len(answered) == app.settings.flood_messages
    assert len(notices) == 1 and "sehr schnell" in notices[0][0].plain
    other = await app.router.handle(
        message(Room(Platform.TELEGRAM, "14"), "14", "/termine", private=True)
    )
    assert other and not other[0].is_error
    async with app.database.engine.connect() as conn:
        claimed = (await conn.execute(sa.text("SELECT count(*) FROM processed_inputs"))).scalar()
    assert claimed == app.settings.flood_messages + 2  # dropped messages leave no trace


async def test_guests_cannot_exhaust_an_event(app):
    network = await factories.event(
        app, title="Netzwerktreffen", capacity=10, audience=Audience.NETWORK
    )
    for n in range(10):
        text = await said(
            app,
            Room(Platform.TELEGRAM, str(3000 + n)),
            str(3000 + n),
            f"/anmelden {network.id}",
            private=True,
        )
        assert "für die Personen des Netzwerks" in text
    open_events = [
        await factories.event(app, title=f"Offen {n}", capacity=10, audience=Audience.EVERYONE)
        for n in range(3)
    ]
    guest = Room(Platform.TELEGRAM, "3100")
    for event in open_events[:2]:
        assert "angemeldet" in await said(app, guest, "3100", f"/anmelden {event.id}", private=True)
    third = await said(app, guest, "3100", f"/anmelden {open_events[2].id}", private=True)
    assert "höchstens 2" in third
    async with app.database.engine.connect() as conn:
        count = (await conn.execute(sa.select(sa.func.count()).select_from(registrations))).scalar()
    assert count == 2


async def test_a_guest_forwards_a_few_questions_a_day(app):
    office = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    guest = Room(Platform.TELEGRAM, "3200")
    for n in range(3):
        sent = await said(app, guest, "3200", f"/weiterleiten Frage Nummer {n}?", private=True)
        assert "gegangen" in sent
    assert "höchstens 3" in await said(app, guest, "3200", "/weiterleiten Noch eine?", private=True)
    # Erasing their data does not start the count over for the account.
    await said(app, guest, "3200", "/daten_loeschen ja", private=True)
    assert "höchstens 3" in await said(app, guest, "3200", "/weiterleiten Und?", private=True)
    assert len(app.notifier.keys_for(office.id)) == 3


async def test_the_stored_count_of_a_guest_s_questions_lasts_a_day(app):
    """The database's count (it survives a restart of the bot) uses a sliding day."""
    await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    guest = await resolve_identity(
        app.uow(),
        platform=Platform.TELEGRAM,
        external_id="3300",
        display_name="Gast",
        language="de",
        now=app.clock.now(),
    )

    asked = iter(range(100))

    async def forward() -> None:  # another question each time: the same one goes once
        text = f"Frage Nummer {next(asked)}?"
        await forward_question(
            app.uow(), app.faq, person_id=guest.id, text=text, now=app.clock.now()
        )

    for _ in range(3):
        await forward()
    with pytest.raises(DomainError, match="guest_forward_limit"):
        await forward()
    app.clock.advance(timedelta(hours=23))
    with pytest.raises(DomainError, match="guest_forward_limit"):
        await forward()
    app.clock.advance(timedelta(hours=1, minutes=1))
    await forward()


async def test_personal_invitations_link_accounts_and_merge_guests(any_app):
    """The office's organizer joins from Telegram and from Matrix; on both her accounts had
    acted as guests before (a registration, a vote): one person remains, counted once."""
    app = any_app
    rooms = fake_rooms(app)
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    sara = await factories.person(app, "Sara", roles={Role.SPEAKER})
    open_event = await factories.event(app, title="Offen", capacity=5, audience=Audience.EVERYONE)
    sara_there = await seat(app, rooms, sara, OFFICIAL)
    poll = await poll_by(app, sara, question="Offen?", place=sara_there, open_to_guests=True)
    telegram, matrix = "5001", "@olga:example.org"
    await said(app, OFFICIAL, telegram, f"/abstimmen {poll.id} 1")
    await said(
        app, Room(Platform.TELEGRAM, telegram), telegram, f"/anmelden {open_event.id}", private=True
    )
    matrix_room = Room(Platform.MATRIX, "!kf:example.org")
    async with app.uow() as uow:
        await uow.polls.add_room(
            poll.id, matrix_room.platform, matrix_room.chat_id, app.clock.now()
        )
        await uow.commit()
    await said(app, matrix_room, matrix, f"/abstimmen {poll.id} 2")
    assert (await live_results(app.uow(), token=poll.token)).tally.participants == 2

    for account, room in (
        (telegram, Room(Platform.TELEGRAM, telegram)),
        (matrix, Room(Platform.MATRIX, "!dm:example.org")),
    ):
        code = (
            await create_personal_invitation(
                app.uow(), actor_id=None, person_ref=str(olga.id), now=app.clock.now()
            )
        ).code
        text = await said(app, room, account, f"/start p_{code.lower()}", private=True)
        assert "Willkommen, Olga Office!" in text and "Netzwerkbüro" in text
        again = await said(
            app, Room(Platform.TELEGRAM, "5999"), "5999", f"/start p_{code}", private=True
        )
        assert "so oft verwendet" in again  # one code, one account
    results = await live_results(app.uow(), token=poll.token)
    assert results.tally.participants == 1 and results.tally.counts == (1, 0)  # the first stays
    async with app.uow() as uow:
        accounts = await uow.identities.for_person(olga.id)
        assert {(i.platform, i.external_id) for i in accounts} == {
            (Platform.TELEGRAM, telegram),
            (Platform.MATRIX, matrix),
        }
    async with app.database.engine.connect() as conn:
        people = (await conn.execute(sa.select(persons.c.display_name))).scalars().all()
        votes = (await conn.execute(sa.select(poll_votes.c.person_id))).scalars().all()
        held = (await conn.execute(sa.select(registrations.c.person_id))).scalars().all()
    assert sorted(people) == ["Konto 5999", "Olga Office", "Sara"]
    assert votes == [olga.id] and held == [olga.id]
    assert "Olga Office" in await said(
        app,
        Room(Platform.TELEGRAM, telegram),
        telegram,
        f"/teilnehmende {open_event.id}",
        private=True,
    )
    assert not any(r for r in (await snapshot(app.database))["outbox"] if "Traceback" in repr(r))


async def test_an_office_entry_is_never_merged_away(app):
    """An account already linked to one of the office's persons redeeming another person's
    code is refused, and both entries stay; a self-registered member is merged."""
    town = await factories.member(app, "Stadt Auenburg")
    juergen = await factories.person(app, "Jürgen Weiß", member=town)
    karl = await factories.person(app, "Karl Klein", member=town)
    account = Room(Platform.TELEGRAM, "6001")

    async def code_for(person) -> str:
        invitation = await create_personal_invitation(
            app.uow(), actor_id=None, person_ref=str(person.id), now=app.clock.now()
        )
        return invitation.code

    assert "Willkommen, Jürgen Weiß" in await said(
        app, account, "6001", f"/start p_{await code_for(juergen)}", private=True
    )
    karls_code = await code_for(karl)
    refused = await said(app, account, "6001", f"/start p_{karls_code}", private=True)
    assert "gehört schon zu „Jürgen Weiß“" in refused
    async with app.uow() as uow:
        assert await uow.persons.get(juergen.id) is not None
        assert await uow.persons.get(karl.id) is not None
    # The code is still good for Karl's own account.
    assert "Willkommen, Karl Klein" in await said(
        app, Room(Platform.TELEGRAM, "6002"), "6002", f"/start p_{karls_code}", private=True
    )

    # Someone who joined by the municipality's code is merged into the office's entry.
    municipal = await create_invitation(
        app.uow(), actor_id=None, member_ref=str(town.id), now=app.clock.now()
    )
    newcomer = Room(Platform.TELEGRAM, "6003")
    assert "verbunden" in await said(
        app, newcomer, "6003", f"/start m_{municipal.code}", private=True
    )
    lea = await factories.person(app, "Lea Leitung", member=town, roles={Role.LEADERSHIP})
    linked = await said(app, newcomer, "6003", f"/start p_{await code_for(lea)}", private=True)
    assert "Willkommen, Lea Leitung" in linked and "Verwaltungsspitze" in linked
    async with app.database.engine.connect() as conn:
        names = (await conn.execute(sa.select(persons.c.display_name))).scalars().all()
    assert "Konto 6003" not in names


async def test_a_self_chosen_name_cannot_collect_the_office_s_roles(app):
    town = await factories.member(app, "Stadt Auenburg")
    await factories.person(app, "Dr. Petra Sommer", member=town)
    municipal = await create_invitation(
        app.uow(), actor_id=None, member_ref=str(town.id), now=app.clock.now()
    )
    impostor = IncomingMessage(
        Platform.TELEGRAM, "6100", f"/start {municipal.code}", "Petra Sommer", is_private=True
    )
    await app.router.handle(impostor)
    with pytest.raises(DomainError, match="person_ref_ambiguous"):
        await change_roles(
            app.uow(),
            actor_id=None,
            person_ref="Petra Sommer",
            add=frozenset({Role.ORGANIZER}),
            now=app.clock.now(),
        )
    async with app.uow() as uow:
        (impostor_person,) = [
            p for p in await uow.persons.list() if p.display_name == "Petra Sommer"
        ]
    with pytest.raises(DomainError, match="roles_for_guest"):
        await change_roles(
            app.uow(),
            actor_id=None,
            person_ref=str(impostor_person.id),
            add=frozenset({Role.ORGANIZER}),
            now=app.clock.now(),
        )
