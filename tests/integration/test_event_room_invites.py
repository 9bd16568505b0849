"""Inviting an event's confirmed participants into its Matrix room and removing them when
they are no longer registered: the rules through the core, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.domain.authority import Place
from core.domain.errors import InvalidInput, NotAllowed
from core.domain.people import ChatIdentity, Platform, Role
from core.event_rooms import reconcile_invites, switch_invites
from core.events import cancel_event
from core.signup import cancel_signup, sign_up
from storage.tables import outbox
from tests.conftest import snapshot
from tests.support import factories

ROOM = "!treffen:example.org"


def room(user_id: str = "@olga:example.org", platform: Platform = Platform.MATRIX) -> Place:
    return Place(platform, ROOM, is_private=False, user_id=user_id)


async def on_matrix(app, name: str, **kwargs):
    person = await factories.person(app, name, **kwargs)
    async with app.uow() as uow:
        user = f"@{name.split()[0].lower()}:example.org"
        await uow.identities.add(
            ChatIdentity(Platform.MATRIX, user, person.id, created_at=app.clock.now())
        )
        await uow.commit()
    return person


async def queued(app) -> list[tuple[str, str, str]]:
    """(membership, user id, reason's title) of the unsent membership rows, oldest first."""
    async with app.database.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(outbox.c.payload, outbox.c.chat_id)
            .where(outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None))
            .order_by(outbox.c.id)
        )
        found = []
        for payload, chat_id in rows:
            if "membership" in payload:
                assert chat_id == ROOM
                title = payload.get("reason", {}).get("params", {}).get("title", "")
                found.append((payload["membership"], payload["user_id"], title))
    return found


async def deliver(app, *, refused: set[str] = frozenset()) -> None:
    """What the Matrix adapter does: each membership row sent, or failed for ``refused``."""
    async with app.uow() as uow:
        for message in await uow.outbox.claim_due("matrix", app.clock.now(), 100, timedelta(1)):
            if message.payload.get("user_id") in refused:
                await uow.outbox.mark_failed(message.id, "joined before", None, app.clock.now())
            else:
                await uow.outbox.mark_sent(message.id, app.clock.now())
        await uow.commit()


async def setting(app):
    town = await factories.member(app, "Stadt Auenburg")
    office = await on_matrix(app, "Olga Office", roles={Role.ORGANIZER})
    anna = await on_matrix(app, "Anna Auenburg", member=town)
    bernd = await on_matrix(app, "Bernd Bergen", member=town)
    carla = await factories.person(app, "Carla ohne Matrix", member=town)
    event = await factories.event(app, title="Netzwerktreffen", capacity=2)
    for person in (anna, carla, bernd):  # Bernd waits
        await sign_up(app.uow(), person_id=person.id, event_id=event.id, now=app.clock.now())
    return office, anna, bernd, event


async def test_confirmed_people_are_invited_and_removed_only_if_the_bot_invited_them(any_app):
    app = any_app
    office, anna, bernd, event = await setting(app)
    now = app.clock.now()
    switched, count = await switch_invites(
        app.uow(), actor_id=office.id, event_id=event.id, place=room(), now=now, on=True
    )
    assert switched.id == event.id and count == 1  # Carla has no Matrix account, Bernd waits
    async with app.uow() as uow:
        assert await uow.polls.event_rooms(event.id) == [(Platform.MATRIX, ROOM)]  # linked too
    assert await queued(app) == [("invite", "@anna:example.org", "")]
    # Anna cancels before her invitation went out: nothing is decided about her yet.
    await cancel_signup(app.uow(), person_id=anna.id, event_id=event.id, now=now)
    assert await reconcile_invites(app.uow(), now=now) == 1  # Bernd moved up
    await deliver(app, refused={"@bernd:example.org"})  # Bernd had joined on his own
    # Now Anna's went out: she is removed, with the event's title in the reason.
    assert await reconcile_invites(app.uow(), now=now) == 1
    assert await queued(app) == [("remove", "@anna:example.org", "Netzwerktreffen")]
    await deliver(app)
    assert await reconcile_invites(app.uow(), now=now) == 0  # a second round changes nothing
    # Bernd cancels: the bot did not invite him, so it does not remove him.
    await cancel_signup(app.uow(), person_id=bernd.id, event_id=event.id, now=now)
    assert await reconcile_invites(app.uow(), now=now) == 0
    # Anna comes back: invited anew.
    await sign_up(app.uow(), person_id=anna.id, event_id=event.id, now=now)
    assert await reconcile_invites(app.uow(), now=now) == 1
    assert await queued(app) == [("invite", "@anna:example.org", "")]


async def test_switching_off_ending_and_cancelling_stop_everything(any_app):
    app = any_app
    office, anna, _, event = await setting(app)
    now = app.clock.now()
    await switch_invites(
        app.uow(), actor_id=office.id, event_id=event.id, place=room(), now=now, on=True
    )
    await deliver(app)
    await switch_invites(
        app.uow(), actor_id=office.id, event_id=event.id, place=room(), now=now, on=False
    )
    await cancel_signup(app.uow(), person_id=anna.id, event_id=event.id, now=now)  # Bernd up
    assert await reconcile_invites(app.uow(), now=now) == 0
    assert await queued(app) == []
    # On again; a cancelled event is left alone.
    await switch_invites(
        app.uow(), actor_id=office.id, event_id=event.id, place=room(), now=now, on=True
    )
    await deliver(app)
    await cancel_event(app.uow(), actor_id=office.id, event_id=event.id, now=now)
    assert await reconcile_invites(app.uow(), now=now) == 0
    # After the end the record of invitations is deleted (data minimisation).
    later = event.ends_at + timedelta(minutes=1)
    await reconcile_invites(app.uow(), now=later)
    async with app.database.engine.connect() as conn:
        left = await conn.execute(sa.text("SELECT count(*) FROM event_room_invites"))
        assert left.scalar_one() == 0


async def test_who_may_and_where_and_bad_input_changes_nothing(any_app):
    app = any_app
    office, anna, _, event = await setting(app)
    now = app.clock.now()
    before = await snapshot(app.database)
    with pytest.raises(NotAllowed):
        await switch_invites(
            app.uow(),
            actor_id=anna.id,
            event_id=event.id,
            place=room("@anna:example.org"),
            now=now,
            on=True,
        )
    cases = [
        (room(platform=Platform.TELEGRAM), True, "event_room_invites_matrix_only"),
        (Place(Platform.MATRIX, "!dm:example.org", is_private=True), True, "event_room_group_only"),
        (room(), False, "event_room_invites_not_on"),
    ]
    for place, on, code in cases:
        with pytest.raises(InvalidInput) as refused:
            await switch_invites(
                app.uow(), actor_id=office.id, event_id=event.id, place=place, now=now, on=on
            )
        assert refused.value.code == code
    over = event.ends_at + timedelta(minutes=1)
    with pytest.raises(InvalidInput) as refused:
        await switch_invites(
            app.uow(), actor_id=office.id, event_id=event.id, place=room(), now=over, on=True
        )
    assert refused.value.code == "event_room_invites_ended"
    assert await snapshot(app.database) == before
    # The event's speaker may, as for linking the room.
    speaker = await on_matrix(app, "Sina Sprecherin")
    talk = await factories.event(app, speaker=speaker)
    _, count = await switch_invites(
        app.uow(),
        actor_id=speaker.id,
        event_id=talk.id,
        place=room("@sina:example.org"),
        now=now,
        on=True,
    )
    assert count == 0
