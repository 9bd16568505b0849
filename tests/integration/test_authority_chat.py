"""The authority table through the real router: each kind of actor sends each command from
where such an actor sits (a Telegram group, another group, a Matrix direct chat, the
terminal), with the chats' moderation answered by a room directory."""

from __future__ import annotations

import itertools

import pytest

from bot.flood import FloodGuard
from bot.messages import IncomingMessage
from core.domain.events import Audience
from core.domain.people import Platform, Role
from core.domain.polls import new_poll
from core.polls import Room
from tests.support import factories
from tests.support.chat import say
from tests.support.rooms import fake_rooms, seat
from tests.unit.test_authority import COLUMNS, TABLE

GROUP = Room(Platform.TELEGRAM, "-100")
OTHER = Room(Platform.TELEGRAM, "-200")
DIRECT = Room(Platform.MATRIX, "!dm:example.org")
REASONS = ("organizers_only", "faq_helpers_only", "poll_runners_only", "event_speaker_only")
REASONS += ("poll_not_yours", "poll_results_hidden")  # /ergebnis refuses hidden results
REASONS += ("poll_not_found",)  # a poll is shown to its electorate only

_ids = itertools.count(1)


class World:
    """The actors of the table, an event with its assigned speaker, and polls to act on."""

    async def build(self, app) -> World:
        self.app = app
        app.router.flood = FloodGuard(100_000, 1)  # this test sends a lot from each account
        rooms = fake_rooms(app)
        self.creator = await factories.person(app, "Carla Creator", roles={Role.SPEAKER})
        assigned = await factories.person(app, "Anton Assigned", roles={Role.SPEAKER})
        self.event = await factories.event(app, audience=Audience.EVERYONE, speaker=assigned)
        await seat(app, rooms, self.creator, GROUP)
        town = await factories.member(app, "Stadt Auenburg")
        kinds = {  # roles, whether of a member municipality, where, moderating there
            "M": (set(), town, GROUP, False),
            "S": ({Role.SPEAKER}, None, GROUP, False),
            "U": ({Role.SUPPORTER}, None, GROUP, False),
            "L": ({Role.LEADERSHIP}, town, GROUP, False),
            "H": (set(), town, GROUP, True),
        }
        self.places = {"A": await seat(app, rooms, assigned, GROUP)}
        for column, (roles, member, room, moderator) in kinds.items():
            someone = await factories.person(app, f"Person {column}", roles=roles, member=member)
            self.places[column] = await seat(app, rooms, someone, room, moderator=moderator)
        # Accounts nobody linked: guests, made by their first message.
        self.guests = {"G": (OTHER, "9001", False), "X": (OTHER, "9002", True)}
        self.guests["D"] = (DIRECT, "@d:example.org", True)
        for room, account, moderator in self.guests.values():
            rooms.members.add((room.platform, room.chat_id, account))
            if moderator:
                rooms.moderators.add((room.platform, room.chat_id, account))
        self.organizer = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
        return self

    async def hidden_poll(self) -> int:
        """A fresh poll with hidden results, started by the creator in GROUP, for the event
        whose speaker is assigned (set up in storage: no command makes this combination)."""
        poll = new_poll(
            "Verdeckt?",
            ["Ja", "Nein"],
            now=self.app.clock.now(),
            creator_id=self.creator.id,
            hidden_results=True,
            event_id=self.event.id,
            origin=(GROUP.platform, GROUP.chat_id),
        )
        async with self.app.uow() as uow:
            poll = await uow.polls.add(poll)
            await uow.polls.add_room(poll.id, GROUP.platform, GROUP.chat_id, self.app.clock.now())
            await uow.commit()
        return poll.id

    async def send(self, column: str, text: str):
        if column == "O":
            return await say(self.app, self.organizer, text)
        if column in self.guests:
            room, account, _ = self.guests[column]
            private = room is DIRECT
        else:
            place = self.places[column]
            room, account, private = Room(place.platform, place.chat_id), place.user_id, False
        message = IncomingMessage(
            room.platform,
            account,
            text,
            f"Konto {account}",
            chat_id=room.chat_id,
            is_private=private,
            message_id=f"m{next(_ids)}",
        )
        return await self.app.router.handle(message)


def command_text(command: str, world: World, poll_id: int | None) -> str:
    event = world.event.id
    return {
        "/termin ID": f"/termin {event}",
        "/anmelden ID": f"/anmelden {event}",
        "/abmelden ID": f"/abmelden {event}",
        "/teilnehmende ID": f"/teilnehmende {event}",
        "/kalender ID": f"/kalender {event}",
        "/ankuendigung": "/ankuendigung alle Hallo",
        "/faq": "/faq Mitglied werden",
        "/faq_zeigen": "/faq_zeigen x",
        "/weiterleiten": "/weiterleiten Gibt es Zuschüsse?",
        "/antworten": "/antworten 999 Danke",
        "/umfrage Frage | A | B": "/umfrage Pause? | Ja | Nein",
        "/umfrage … --termin ID": f"/umfrage Pause? | Ja | Nein --termin {event}",
        "/umfrage ID": f"/umfrage {poll_id}",
        "/umfrage_ende ID": f"/umfrage_ende {poll_id}",
        "/ergebnis ID (hidden)": f"/ergebnis {poll_id}",
        "/abstimmen ID N": f"/abstimmen {poll_id} 1",
        "/termin_raum ID": f"/termin_raum {event}",
        "/anwesend ID PERSON": f"/anwesend {event} 1",
        "/bescheinigung ID alle": f"/bescheinigung {event} alle",
        "/bescheinigung ID": f"/bescheinigung {event}",
    }.get(command, command)


@pytest.fixture
async def world(app) -> World:
    return await World().build(app)


async def test_every_cell_through_the_router(world):
    t = world.app.translator
    wrong = []
    for command, (_, obj, row) in TABLE.items():
        for column, expected in zip(COLUMNS, row, strict=True):
            poll_id = await world.hidden_poll() if obj == "poll" or "abstimmen" in command else None
            refusals = [str(t.t("de", f"error.{code}", id=poll_id)) for code in REASONS]
            replies = await world.send(column, command_text(command, world, poll_id))
            refused = any(r.is_error and str(r.text) in refusals for r in replies)
            if refused == (expected == "y"):
                wrong.append((command, column, [r.plain[:80] for r in replies]))
    assert wrong == []
