"""Chat messages with a platform id are handled exactly once, replies go out via the outbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.delivery import OutboxDispatcher, PermanentDeliveryError
from bot.messages import IncomingMessage
from bot.reply import Attachment, Button, Reply
from bot.serve import _own_instance
from core.domain.outbox import MAX_ATTEMPTS, OutgoingMessage
from core.domain.people import Platform
from storage.tables import outbox, registrations
from tests.conftest import RecordingNotifier, make_app, snapshot
from tests.support import factories


def telegram(update_id: int, text: str, user: str = "100") -> IncomingMessage:
    return IncomingMessage(
        Platform.TELEGRAM, user, text, "Tessa", chat_id=user, message_id=str(update_id)
    )


async def outbox_rows(app) -> list:
    async with app.database.engine.connect() as conn:
        return list(await conn.execute(outbox.select().order_by(outbox.c.id)))


async def test_a_redelivered_update_changes_nothing_and_sends_nothing(any_app):
    app = any_app
    event = await factories.event(app, capacity=5)
    first = await app.router.handle(telegram(1, f"/anmelden {event.id}"))
    assert "angemeldet" in first[0].plain
    before = await snapshot(app.database)
    assert await app.router.handle(telegram(1, f"/anmelden {event.id}")) == []
    assert await snapshot(app.database) == before
    rows = await outbox_rows(app)
    assert len(rows) == 1 and rows[0].chat_id == "100"
    assert Reply.from_dict(rows[0].payload["reply"]) == first[0]
    assert rows[0].payload["reply_to"] == "1"


async def test_concurrent_redeliveries_apply_once(any_app):
    app = any_app
    event = await factories.event(app, capacity=50)
    await asyncio.gather(
        *(app.router.handle(telegram(7, f"/anmelden {event.id}")) for _ in range(10))
    )
    async with app.database.engine.connect() as conn:
        count = await conn.execute(sa.select(sa.func.count()).select_from(registrations))
        assert count.scalar_one() == 1
    assert len(await outbox_rows(app)) == 1


async def test_a_failing_command_leaves_no_partial_effect_but_is_answered_once(app, monkeypatch):
    from core.domain.errors import DomainError
    from storage.uow import JoinedUnitOfWork

    event = await factories.event(app, capacity=5)
    await app.router.handle(telegram(8, "/hilfe", user="555"))  # the sender is known now

    async def fail_after_the_insert(self) -> None:
        raise DomainError("identity_conflict")

    # The registration row is written, then the command fails: the savepoint must undo it.
    monkeypatch.setattr(JoinedUnitOfWork, "commit", fail_after_the_insert)
    replies = await app.router.handle(telegram(9, f"/anmelden {event.id}", user="555"))
    monkeypatch.undo()
    assert replies[0].is_error
    async with app.database.engine.connect() as conn:
        count = await conn.execute(sa.select(sa.func.count()).select_from(registrations))
        assert count.scalar_one() == 0
    rows = await outbox_rows(app)
    assert [r.payload["reply"]["is_error"] for r in rows] == [False, True]
    assert "Ihr Konto konnte" in rows[1].payload["reply"]["text"]
    assert await app.router.handle(telegram(9, f"/anmelden {event.id}", user="555")) == []


async def test_group_chatter_is_recorded_but_answers_nothing(app):
    message = IncomingMessage(
        Platform.TELEGRAM, "1", "Hallo zusammen", chat_id="-100", is_private=False, message_id="50"
    )
    assert await app.router.handle(message) == []
    assert await outbox_rows(app) == []


def test_replies_survive_the_outbox_round_trip():
    reply = Reply(
        text="<b>Hallo</b> &amp; mehr",
        buttons=((Button("Anmelden", "/anmelden 3"), Button("Details", "/termin 3")),),
        attachment=Attachment("meine-daten.json", b'{"a": 1}\n\x00\xff', "application/json"),
        private=True,
    )
    again = Reply.from_dict(reply.to_dict())
    assert again == reply


async def test_dispatcher_sends_each_message_once_and_retries_with_backoff(any_app):
    app = any_app
    dispatcher = OutboxDispatcher(app.uow, app.clock)
    async with app.uow() as uow:
        for n in range(3):
            await uow.outbox.add(
                OutgoingMessage("telegram", f"chat{n}", {"n": n}, f"tx{n}", app.clock.now())
            )
        await uow.commit()
    sent: list[str] = []
    flaky = {"chat1": 2}

    async def send(message: OutgoingMessage) -> None:
        if flaky.get(message.chat_id, 0) > 0:
            flaky[message.chat_id] -= 1
            raise ConnectionError("network down")
        sent.append(message.chat_id)

    assert await dispatcher.dispatch("telegram", send) == 2
    assert await dispatcher.dispatch("telegram", send) == 0  # chat1 waits for its backoff
    app.clock.advance(timedelta(seconds=3))
    assert await dispatcher.dispatch("telegram", send) == 0  # second failure, longer backoff
    app.clock.advance(timedelta(seconds=5))
    assert await dispatcher.dispatch("telegram", send) == 1
    assert sorted(sent) == ["chat0", "chat1", "chat2"]
    assert await dispatcher.dispatch("telegram", send) == 0


async def test_dispatcher_gives_up_visibly(app, caplog):
    dispatcher = OutboxDispatcher(app.uow, app.clock)
    async with app.uow() as uow:
        await uow.outbox.add(OutgoingMessage("telegram", "gone", {}, "tx-a", app.clock.now()))
        await uow.outbox.add(OutgoingMessage("telegram", "flaky", {}, "tx-b", app.clock.now()))
        await uow.commit()

    async def send(message: OutgoingMessage) -> None:
        if message.chat_id == "gone":
            raise PermanentDeliveryError("bot was blocked by the user")
        raise TimeoutError("slow")

    for _ in range(MAX_ATTEMPTS + 2):
        await dispatcher.dispatch("telegram", send)
        app.clock.advance(timedelta(minutes=15))
    rows = {r.chat_id: r for r in await outbox_rows(app)}
    assert rows["gone"].attempts == 1 and rows["gone"].failed_at is not None
    assert rows["flaky"].attempts == MAX_ATTEMPTS and rows["flaky"].failed_at is not None
    assert any("giving up" in r.getMessage() for r in caplog.records)


async def test_two_dispatchers_never_send_the_same_message(any_app):
    app = any_app
    async with app.uow() as uow:
        for n in range(60):
            await uow.outbox.add(
                OutgoingMessage("matrix", f"!room{n}", {}, f"t{n}", app.clock.now())
            )
        await uow.commit()
    sent: list[str] = []

    async def send(message: OutgoingMessage) -> None:
        await asyncio.sleep(0)  # let the other dispatcher interleave
        sent.append(message.tx_id)

    counts = await asyncio.gather(
        *(OutboxDispatcher(app.uow, app.clock).dispatch("matrix", send) for _ in range(2))
    )
    assert sum(counts) == 60
    assert sorted(sent) == sorted(f"t{n}" for n in range(60))


@pytest.mark.parametrize("value", ["12345", "s72594_4483_1934"])
async def test_transport_state_is_upserted(any_app, value):
    app = any_app
    async with app.uow() as uow:
        assert await uow.state.get("telegram.offset") is None
        await uow.state.set("telegram.offset", "1", app.clock.now())
        await uow.state.set("telegram.offset", value, app.clock.now())
        await uow.commit()
    async with app.uow() as uow:
        assert await uow.state.get("telegram.offset") == value


async def test_a_chat_whose_replies_wait_holds_up_no_other_chat(app):
    """One chat's send hangs (a private chat paced at one message a second, a flood of
    replies): a message for another chat, queued later, still goes out at once."""
    dispatcher = OutboxDispatcher(app.uow, app.clock)
    release, fast_sent = asyncio.Event(), asyncio.Event()
    sent: list[str] = []

    async def queue(chat: str, n: int) -> None:
        async with app.uow() as uow:
            await uow.outbox.add(
                OutgoingMessage("telegram", chat, {}, f"{chat}{n}", app.clock.now())
            )
            await uow.commit()

    async def send(message: OutgoingMessage) -> None:
        if message.chat_id == "slow":
            await release.wait()
        sent.append(message.tx_id)
        if message.chat_id == "fast":
            fast_sent.set()

    await queue("slow", 1)
    await queue("slow", 2)
    wake = asyncio.Event()
    running = asyncio.create_task(dispatcher.dispatch("telegram", send, concurrency=4, wake=wake))
    await queue("fast", 1)
    wake.set()
    async with asyncio.timeout(5):
        await fast_sent.wait()
    assert sent == ["fast1"]  # while the slow chat still waits
    release.set()
    assert await running == 3
    assert sent == ["fast1", "slow1", "slow2"]  # one chat's messages stay in order


async def test_a_restarted_process_takes_back_its_own_leases_and_no_others(any_app):
    """``kill -9`` leaves leases behind: the process that restarts under the same name takes
    its own back at once; a second live process with that name gets a name of its own and
    never takes over the first one's messages."""
    app = any_app
    now = app.clock.now()
    async with app.uow() as uow:
        for n in range(2):
            await uow.outbox.add(
                OutgoingMessage("telegram", str(n), {"text": f"t{n}"}, f"tx{n}", now)
            )
        lease = timedelta(minutes=2)
        [mine] = await uow.outbox.claim_due("telegram", now, 1, lease, owner="bot-1")
        [other] = await uow.outbox.claim_due("telegram", now, 1, lease, owner="bot-2")
        await uow.commit()
    app.settings = app.settings.model_copy(update={"instance": "bot-1"})
    first = await _own_instance(app)
    try:
        assert app.instance == "bot-1"
        async with app.uow() as uow:
            again = await uow.outbox.claim_due("telegram", now, 10, lease, owner="bot-1")
            await uow.commit()
        assert [m.id for m in again] == [mine.id]  # bot-2's lease still holds
        twin = await make_app(app.database, app.clock, RecordingNotifier())
        twin.settings = app.settings
        second = await _own_instance(twin)
        assert twin.instance.startswith("bot-1-") and not second.held
    finally:
        await first.release()
    assert other.id != mine.id


@pytest.mark.parametrize("name", ["Ni\x00na", "Ulf\ud800", "\x1b[31mRot"])
async def test_a_platform_name_nobody_can_store_is_cleaned_not_refused(any_app, name):
    """PostgreSQL refuses NUL; control and lone surrogate characters are taken out of the
    name a platform hands over, and the message is answered (not with an apology)."""
    message = IncomingMessage(
        Platform.TELEGRAM, "4711", "/termine", name, chat_id="4711", message_id="9001"
    )
    [reply] = await any_app.router.handle(message)
    assert "schiefgegangen" not in reply.text
    async with any_app.uow() as uow:
        identity = await uow.identities.get(Platform.TELEGRAM, "4711")
        person = await uow.persons.get(identity.person_id)
    assert person.display_name in ("Nina", "Ulf", "[31mRot")


async def test_a_database_error_names_the_statement_but_not_its_parameters(any_app):
    """Error messages (and so tracebacks in the log) carry no personal data."""
    from storage.tables import members

    async with any_app.uow() as uow:
        await uow.connection.execute(
            members.insert().values(name="Gemeinde Geheimhausen", kind="gemeinde")
        )
        with pytest.raises(sa.exc.IntegrityError) as caught:
            await uow.connection.execute(
                members.insert().values(name="Gemeinde Geheimhausen", kind="gemeinde")
            )
    assert "INSERT INTO members" in str(caught.value)
    assert "Geheimhausen" not in str(caught.value)
