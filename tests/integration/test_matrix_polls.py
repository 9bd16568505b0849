"""Quick polls in Matrix rooms against a real Synapse: MSC3381 start/response/end events."""

from __future__ import annotations

import logging
from typing import Any

from nio import RedactionEvent, RoomMessageNotice, RoomSendResponse, UnknownEvent

from bot.adapters.matrix.polls import (
    END,
    RESPONSE,
    STABLE_RESPONSE,
    START,
    TEXT,
    choices_of,
    poll_response,
)
from bot.app import App
from core.domain.people import ChatIdentity, Platform, Role
from core.polls import cast_vote, live_results
from core.ports import VoteRecord
from tests.integration.test_matrix_adapter import (
    Human,
    humans,
    invited_and_greeted,
    matrix_app,
    running,
)
from tests.support import factories

__all__ = ["humans"]  # the fixture, imported for this module


def poll_events(human: Human, room_id: str, event_type: str) -> list[UnknownEvent]:
    return [
        e
        for r, e in human.events
        if r == room_id
        and isinstance(e, UnknownEvent)
        and e.type == event_type
        and e.sender == human.bot_id
    ]


async def respond(
    human: Human, room_id: str, start_id: str, answers: list[str], *, stable: bool = False
) -> str:
    relation = {"rel_type": "m.reference", "event_id": start_id}
    if stable:
        event_type, content = STABLE_RESPONSE, {"m.relates_to": relation, "m.selections": answers}
    else:
        event_type = RESPONSE
        content = {"m.relates_to": relation, RESPONSE: {"answers": answers}}
    sent = await human.client.room_send(room_id, event_type, content)
    assert isinstance(sent, RoomSendResponse), sent
    return sent.event_id


async def tally(app: App, poll_id: int) -> tuple[tuple[int, ...], int]:
    async with app.uow() as uow:
        poll = await uow.polls.get(poll_id)
    results = await live_results(app.uow(), token=poll.token)
    return results.tally.counts, results.tally.participants


async def posted_poll_id(app: App, start_id: str) -> int:
    async with app.uow() as uow:
        room = await uow.polls.room_for(Platform.MATRIX, start_id)
    assert room is not None, "the start event id is recorded as the poll's Matrix id"
    assert room.message_id == start_id
    return room.poll_id


async def identity_person(app: App, user_id: str) -> int:
    async with app.uow() as uow:
        return (await uow.identities.get(Platform.MATRIX, user_id)).person_id


async def choices_of_voter(app: App, poll_id: int, user_id: str) -> tuple[int, ...] | None:
    async with app.uow() as uow:
        identity = await uow.identities.get(Platform.MATRIX, user_id)
        return await uow.polls.choices(VoteRecord(poll_id, person_id=identity.person_id))


async def link_speaker(app: App, user_id: str) -> Any:
    return await link_person(app, user_id, "Sara Sprecherin", roles={Role.SPEAKER})


async def link_person(app: App, user_id: str, name: str, **options: Any) -> Any:
    """A person of the network whose Matrix account is ``user_id``."""
    person = await factories.person(app, name, **options)
    async with app.uow() as uow:
        await uow.identities.add(
            ChatIdentity(Platform.MATRIX, user_id, person.id, created_at=app.clock.now())
        )
        await uow.commit()
    return person


async def test_a_poll_is_an_msc3381_poll_and_responses_add_to_one_tally(
    synapse, sqlite_database, humans, tmp_path, caplog
):
    caplog.set_level(logging.INFO, logger="bot.adapters.matrix.polls")
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    host, sara, bernd, dora = [await humans(bot) for _ in range(4)]
    await link_speaker(app, sara.user_id)
    for human, name in ((host, "Hanna Host"), (bernd, "Bernd"), (dora, "Dora Konsole")):
        await link_person(app, human.user_id, name)
    async with running(app):
        room = await host.create_room(bot.user_id, sara.user_id, bernd.user_id, dora.user_id)
        for guest in (sara, bernd, dora):
            await guest.wait(lambda g=guest: room in g.invites)
            await guest.join(room)
        await invited_and_greeted(host, room)

        await sara.say(room, "!umfrage Format? | Präsenz | Online")
        (start,) = await sara.wait(lambda: poll_events(sara, room, START))
        content = start.source["content"]
        assert content[START]["question"][TEXT] == "Format?"
        assert content[START]["kind"] == "org.matrix.msc3381.poll.disclosed"
        assert content[START]["max_selections"] == 1
        answers = content[START]["answers"]
        assert [a[TEXT] for a in answers] == ["Präsenz", "Online"]
        fallback = content[TEXT]
        assert "Format?" in fallback and "1. Präsenz" in fallback and "2. Online" in fallback
        assert "!abstimmen" in fallback and content["body"] == fallback
        poll_id = await posted_poll_id(app, start.event_id)
        assert all("Format?" not in n.body for n in sara.notices(room)), "no extra text post"

        presence, online = answers[0]["id"], answers[1]["id"]
        await respond(bernd, room, start.event_id, [presence])
        await respond(host, room, start.event_id, [presence])
        await respond(bernd, room, start.event_id, [online])  # changes his mind: last wins
        results = await sara.command(room, "!ergebnis")
        assert "50 % (1)" in results.body and "Abgestimmt haben 2 Personen" in results.body
        assert await tally(app, poll_id) == ((1, 1), 2)
        assert await choices_of_voter(app, poll_id, bernd.user_id) == (1,)  # his last response

        # Dora votes at the terminal, not in the room: the same poll, the same tally; the
        # Matrix transport confirms she is in the poll's room.
        dora_person = await identity_person(app, dora.user_id)
        await cast_vote(
            app.uow(),
            poll_id=poll_id,
            person_id=dora_person,
            choices=[1],
            now=app.clock.now(),
            rooms=app.rooms,
        )
        # Sara answers in the stable namespace.
        await respond(sara, room, start.event_id, [presence], stable=True)
        results = await sara.command(room, "!ergebnis")
        assert "Abgestimmt haben 4 Personen" in results.body
        assert await tally(app, poll_id) == ((2, 2), 4)

        closing = await sara.say(room, "!umfrage_ende")
        result = await sara.wait(lambda: sara.replies_to(closing))
        (end,) = poll_events(sara, room, END)
        relation = end.source["content"]["m.relates_to"]
        assert relation == {"rel_type": "m.reference", "event_id": start.event_id}
        assert "beendet" in end.source["content"][TEXT]
        assert "Abgestimmt haben 4 Personen" in result[0].body
        order = [e.event_id for r, e in sara.events if r == room]
        assert order.index(end.event_id) < order.index(result[0].event_id)

        await respond(bernd, room, start.event_id, [presence])  # after the end: ignored
        marker = await sara.command(room, f"!ergebnis {poll_id}")
        assert "Abgestimmt haben 4 Personen" in marker.body
    assert await tally(app, poll_id) == ((2, 2), 4)
    assert await choices_of_voter(app, poll_id, bernd.user_id) == (1,)  # not the late one
    assert "not counted (poll_closed)" in caplog.text
    assert len(poll_events(sara, room, START)) == 1


async def test_room_moderators_may_run_polls_ordinary_members_may_not(
    synapse, sqlite_database, humans, tmp_path
):
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    mod, member = await humans(bot), await humans(bot)  # neither has a speaker role
    async with running(app):
        room = await mod.create_room(bot.user_id, member.user_id)  # creator: power level 100
        await member.wait(lambda: room in member.invites)
        await member.join(room)
        await invited_and_greeted(mod, room)

        refused = await member.command(room, "!umfrage Pause? | Ja | Nein")
        assert "dürfen" in refused.body
        # The moderator's own room, and a poll open to guests (neither is linked).
        await mod.say(room, "!umfrage Pause? | Ja | Nein --offen")
        (start,) = await mod.wait(lambda: poll_events(mod, room, START))
        assert start.source["content"][START]["question"][TEXT] == "Pause?"

        await respond(member, room, start.event_id, ["99"])  # unknown answer: spoiled
        await respond(mod, room, start.event_id, ["1"])
        denied = await member.command(room, "!umfrage_ende")
        assert "dürfen" in denied.body
        closing = await mod.say(room, "!umfrage_ende")
        await mod.wait(lambda: mod.replies_to(closing))
        assert len(poll_events(mod, room, END)) == 1
        poll_id = await posted_poll_id(app, start.event_id)
    assert await tally(app, poll_id) == ((1, 0), 1)


async def test_an_anonymous_poll_stays_text_only(synapse, sqlite_database, humans, tmp_path):
    """Matrix shows every response to the whole room: no native poll for anonymous ones."""
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    mod = await humans(bot)
    await link_speaker(app, mod.user_id)
    async with running(app):
        room = await mod.create_room(bot.user_id)
        await invited_and_greeted(mod, room)
        posted = await mod.command(room, "!umfrage Zufrieden? | Ja | Nein --anonym")
        assert isinstance(posted, RoomMessageNotice)
        assert "Zufrieden?" in posted.body and "!abstimmen" in posted.body
    assert poll_events(mod, room, START) == []


def response(event_type: str, content: dict[str, Any]) -> UnknownEvent:
    source = {
        "type": event_type,
        "content": content,
        "event_id": "$response",
        "sender": "@bernd:localhost",
        "origin_server_ts": 1,
    }
    return UnknownEvent.from_dict(source)


def test_responses_follow_msc3381():
    relation = {"rel_type": "m.reference", "event_id": "$start"}
    unstable = response(RESPONSE, {"m.relates_to": relation, RESPONSE: {"answers": ["2"]}})
    stable = response(STABLE_RESPONSE, {"m.relates_to": relation, "m.selections": ["1"]})
    broken = response(RESPONSE, {"m.relates_to": relation, RESPONSE: {"answers": 3}})
    assert poll_response(unstable) == ("$start", ["2"])
    assert poll_response(stable) == ("$start", ["1"])
    assert poll_response(broken) == ("$start", None)
    assert poll_response(response("m.reaction", {"m.relates_to": relation})) is None
    assert poll_response(response(RESPONSE, {RESPONSE: {"answers": ["1"]}})) is None
    assert choices_of(["2"], 3, 1) == [1]
    assert choices_of(["1", "3"], 3, 1) == [0]  # cut to max_selections
    assert choices_of(["1", "1", "3"], 3, 3) == [0, 2]  # repeated: counts once
    assert choices_of(["1", "9"], 3, 2) == []  # an unknown answer spoils the vote
    assert choices_of(None, 3, 1) == [] and choices_of([], 3, 1) == []


async def test_anonymous_polls_are_voted_in_a_direct_chat_and_typed_votes_redacted(
    synapse, sqlite_database, humans, tmp_path
):
    """A vote typed into the room is seen by every member: refused with a hint, and redacted
    since the bot has the power to; ``!abstimmen 1`` opens a direct chat to vote in."""
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    sara, anna, stranger = await humans(bot), await humans(bot), await humans(bot)
    await link_speaker(app, sara.user_id)
    await link_person(app, anna.user_id, "Anna")
    await link_person(app, stranger.user_id, "Stefan Fremd")  # linked, but not in the room
    async with running(app):
        created = await sara.client.room_create(
            name="Kurzformat",
            invite=[bot.user_id, anna.user_id],
            power_level_override={"users": {bot.user_id: 50}},  # creators rank above (v12)
        )
        room = created.room_id
        await anna.wait(lambda: room in anna.invites)
        await anna.join(room)
        await invited_and_greeted(sara, room)
        posted = await sara.command(room, "!umfrage Geheim? | Ja | Nein --anonym")
        assert "Direktchat" in posted.body and "!abstimmen 1 1" not in posted.body

        typed = await anna.say(room, "!abstimmen 1 1")
        (hint,) = await anna.wait(lambda: anna.replies_to(typed))
        assert "sähen alle Ihre Stimme" in hint.body
        await anna.wait(
            lambda: [
                e for r, e in anna.events if isinstance(e, RedactionEvent) and e.redacts == typed
            ]
        )
        await anna.say(room, "!abstimmen 1")
        direct = await anna.wait(lambda: next(iter(anna.invites - {room}), None))
        await anna.join(direct)
        await anna.wait(lambda: [n for n in anna.notices(direct) if "Geheim?" in n.body])
        voted = await anna.command(direct, "!abstimmen 1 1")
        assert "anonym" in voted.body and "Ja" not in voted.body

        # Linked, but not in the poll's room: the bot's room state says so.
        outsider = await stranger.create_room(bot.user_id, direct=True)
        await invited_and_greeted(stranger, outsider)
        refused = await stranger.command(outsider, "!abstimmen 1 2")
        assert "in einem der Chats der Umfrage" in refused.body
        # And a power level of 100 in a direct chat is no moderation.
        denied = await stranger.command(outsider, "!umfrage_ende 1")
        assert "leiten Sie nicht" in denied.body
    assert await tally(app, 1) == ((1, 0), 1)
