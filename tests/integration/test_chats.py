"""A chat's new id (a Telegram group upgraded to a supergroup): every link follows, once."""

from __future__ import annotations

from bot.reply import Reply
from core.chats import move_chat
from core.domain.authority import Place
from core.domain.outbox import OutgoingMessage
from core.domain.people import Platform, Role
from core.polls import start_poll
from tests.support import factories

OLD, NEW = "-4001", "-1004001"


async def test_event_and_poll_rooms_origin_and_pending_messages_move_once(any_app):
    app = any_app
    now = app.clock.now()
    office = await factories.person(app, "Olga", roles={Role.ORGANIZER})
    event = await factories.event(app, capacity=5)
    other = await factories.event(app, capacity=5)
    async with app.uow() as uow:
        await uow.polls.link_event_room(event.id, Platform.TELEGRAM, OLD, now)
        await uow.polls.link_event_room(other.id, Platform.TELEGRAM, OLD, now)
        await uow.polls.link_event_room(other.id, Platform.TELEGRAM, NEW, now)  # already there
        await uow.polls.link_event_room(event.id, Platform.MATRIX, OLD, now)  # other platform
        pending = await uow.outbox.add(
            OutgoingMessage("telegram", OLD, {"reply": Reply("x").to_dict()}, "t1", now)
        )
        sent = await uow.outbox.add(
            OutgoingMessage("telegram", OLD, {"reply": Reply("y").to_dict()}, "t2", now)
        )
        await uow.outbox.mark_sent(sent.id, now)
        await uow.commit()
    place = Place(Platform.TELEGRAM, OLD, False, "1")
    poll = await start_poll(
        app.uow(), actor_id=office.id, question="Q?", options=["a", "b"], now=now, place=place
    )
    async with app.uow() as uow:
        await uow.polls.add_room(poll.id, Platform.TELEGRAM, OLD, now)
        await uow.commit()

    moved = await move_chat(app.uow(), platform=Platform.TELEGRAM, old_chat_id=OLD, new_chat_id=NEW)
    assert moved == 4  # an event room (the other one was there already), the poll room,
    # the poll's origin, one undelivered message
    assert (
        await move_chat(app.uow(), platform=Platform.TELEGRAM, old_chat_id=OLD, new_chat_id=NEW)
        == 0
    )

    async with app.uow() as uow:
        assert sorted(await uow.polls.event_rooms(event.id)) == [
            (Platform.MATRIX, OLD),
            (Platform.TELEGRAM, NEW),
        ]
        assert await uow.polls.event_rooms(other.id) == [(Platform.TELEGRAM, NEW)]
        assert [r.chat_id for r in await uow.polls.rooms(poll.id)] == [NEW]
        assert (await uow.polls.get(poll.id)).origin == (Platform.TELEGRAM, NEW)
        assert (await uow.outbox.get(pending.id)).chat_id == NEW
        assert (await uow.outbox.get(sent.id)).chat_id == OLD  # history stays as it was
