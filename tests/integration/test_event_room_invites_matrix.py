"""The event room on a real Synapse: ``!termin_raum ID einladen`` invites the confirmed
participant, who is removed with a polite reason after cancelling; someone who joined on
their own stays."""

from __future__ import annotations

from nio import RoomCreateResponse, RoomMemberEvent

from core.domain.people import ChatIdentity, Platform, Role
from core.event_rooms import reconcile_invites
from core.signup import cancel_signup, sign_up
from tests.integration.test_matrix_adapter import (
    eventually,
    humans,
    invited_and_greeted,
    matrix_app,
    running,
    synapse_members,
)
from tests.support import factories

__all__ = ["humans"]  # the Matrix test module's fixture


async def linked(app, human, name: str, **kwargs):
    person = await factories.person(app, name, **kwargs)
    async with app.uow() as uow:
        await uow.identities.add(
            ChatIdentity(Platform.MATRIX, human.user_id, person.id, created_at=app.clock.now())
        )
        await uow.commit()
    return person


async def test_invited_on_request_removed_after_cancelling(
    synapse, sqlite_database, humans, tmp_path
):
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    olga, bob, carol = await humans(bot), await humans(bot), await humans(bot)
    town = await factories.member(app, "Stadt Auenburg")
    await linked(app, olga, "Olga Office", roles={Role.ORGANIZER})
    bob_person = await linked(app, bob, "Bob Auenburg", member=town)
    carol_person = await linked(app, carol, "Carol Auenburg", member=town)
    event = await factories.event(app, title="Kurzformat Ehrenamt", capacity=5)
    now = app.clock.now()
    await sign_up(app.uow(), person_id=bob_person.id, event_id=event.id, now=now)
    async with running(app) as transport:
        created = await olga.client.room_create(
            name="Kurzformat",
            invite=[bot.user_id, carol.user_id],
            power_level_override={"users": {bot.user_id: 50}},  # Olga: the creator
        )
        assert isinstance(created, RoomCreateResponse), created
        room = created.room_id
        await invited_and_greeted(olga, room)
        await carol.join(room)  # invited by Olga, not by the bot
        reply = await olga.command(room, f"!termin_raum {event.id} einladen")
        assert "jetzt 1 Person" in reply.body
        await bob.wait(lambda: room in bob.invites)
        await bob.join(room)
        await eventually(lambda: carol.user_id in transport.client.rooms[room].users)
        await sign_up(app.uow(), person_id=carol_person.id, event_id=event.id, now=now)
        assert await reconcile_invites(app.uow(), now=now) == 1  # Carol's invitation
        await transport.dispatch()  # not sent: she is in the room already
        for person in (bob_person, carol_person):
            await cancel_signup(app.uow(), person_id=person.id, event_id=event.id, now=now)
        assert await reconcile_invites(app.uow(), now=now) == 1  # Bob's removal only
        await transport.dispatch()
        left = await olga.wait(
            lambda: [
                e
                for r, e in olga.events
                if r == room
                and isinstance(e, RoomMemberEvent)
                and e.state_key == bob.user_id
                and e.membership == "leave"
            ]
        )
    assert "nicht mehr angemeldet" in left[0].content["reason"]
    assert "Kurzformat Ehrenamt" in left[0].content["reason"]
    assert left[0].sender == bot.user_id
    members = {m for m in synapse_members(synapse, room)}
    assert carol.user_id in members and bob.user_id not in members
