"""The Matrix transport against a real Synapse; the humans are matrix-nio clients, plain or (in
encrypted rooms) encrypting with their own key store."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from nio import (
    AsyncClient,
    DownloadResponse,
    EnableEncryptionBuilder,
    JoinResponse,
    RoomCreateResponse,
    RoomEncryptedFile,
    RoomMemberEvent,
    RoomMessageFile,
    RoomMessageNotice,
    RoomSendResponse,
    SyncResponse,
)
from nio.crypto.attachments import decrypt_attachment

from bot.adapters.matrix import MatrixTransport
from bot.app import App, build
from bot.messages import IncomingMessage
from bot.settings import Settings
from core.clock import SystemClock
from core.domain.events import Audience
from core.domain.faq import FaqEntry
from core.domain.people import Platform
from core.kb import import_entries
from storage.database import Database
from storage.tables import registrations
from tests.support import factories
from tests.support.synapse import RegisteredUser, SynapseServer, keep_keys

WAIT = 20.0  # seconds: a bound for every wait on the homeserver, never a sleep
#: Synapse's default timeline limit (10) would hide part of a burst from the human.
HUMAN_FILTER = {"room": {"timeline": {"limit": 100}}}


class Human:
    """A person in Element, reduced to a nio client that remembers everything it synced."""

    def __init__(self, client: AsyncClient, bot_id: str) -> None:
        self.client = client
        self.bot_id = bot_id
        self.events: list[tuple[str, Any]] = []
        self.invites: set[str] = set()

    @property
    def user_id(self) -> str:
        return self.client.user_id

    async def create_room(self, *invite: str, direct: bool = False, encrypted: bool = False) -> str:
        created = await self.client.room_create(
            name=None if direct else "AG Ehrenamt",
            invite=list(invite),
            is_direct=direct,
            initial_state=[EnableEncryptionBuilder().as_dict()] if encrypted else (),
        )
        assert isinstance(created, RoomCreateResponse), created
        return created.room_id

    async def join(self, room_id: str) -> None:
        assert isinstance(await self.client.join(room_id), JoinResponse)

    async def say(self, room_id: str, text: str) -> str:
        return await self.send(room_id, {"msgtype": "m.text", "body": text})

    async def send(self, room_id: str, content: dict[str, Any]) -> str:
        """Encrypted if the room is (the human's client must have synced it)."""
        sent = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        assert isinstance(sent, RoomSendResponse), sent
        return sent.event_id

    async def wait(self, check: Callable[[], Any], timeout: float = WAIT) -> Any:
        """Sync until ``check()`` returns something truthy (bounded, never a sleep)."""
        try:
            async with asyncio.timeout(timeout):
                while not (found := check()):
                    response = await self.client.sync(timeout=1000, sync_filter=HUMAN_FILTER)
                    assert isinstance(response, SyncResponse), response
                    await keep_keys(self.client)
                    for room_id, info in response.rooms.join.items():
                        self.events += [(room_id, e) for e in info.timeline.events]
                    self.invites.update(response.rooms.invite)
        except TimeoutError:
            raise AssertionError(f"{self.user_id}: not seen within {timeout} s") from None
        return found

    def notices(self, room_id: str | None = None) -> list[RoomMessageNotice]:
        return [
            e
            for r, e in self.events
            if isinstance(e, RoomMessageNotice)
            and e.sender == self.bot_id
            and (room_id is None or r == room_id)
        ]

    def replies_to(self, event_id: str) -> list[RoomMessageNotice]:
        return [n for n in self.notices() if in_reply_to(n) == event_id]

    async def command(self, room_id: str, text: str) -> RoomMessageNotice:
        """Send ``text`` and wait for the bot's one reply to it."""
        return await self.command_raw(room_id, {"msgtype": "m.text", "body": text})

    async def command_raw(self, room_id: str, content: dict[str, Any]) -> RoomMessageNotice:
        event_id = await self.send(room_id, content)
        replies = await self.wait(lambda: self.replies_to(event_id))
        return replies[0]


async def answered_in_its_thread(alice: Human, room: str, expected: str) -> None:
    """A command written in a thread is answered in that thread (``expected`` in the reply)."""
    root = await alice.say(room, "Fragen zum Netzwerktreffen")
    threaded = await alice.command_raw(
        room,
        {
            "msgtype": "m.text",
            "body": "!termine",
            "m.relates_to": {
                "rel_type": "m.thread",
                "event_id": root,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": root},
            },
        },
    )
    relation = threaded.source["content"]["m.relates_to"]
    assert (relation["rel_type"], relation["event_id"]) == ("m.thread", root)
    assert relation["is_falling_back"] is False  # it answers the command itself
    assert expected in threaded.body


def in_reply_to(event: Any) -> str | None:
    relation = event.source["content"].get("m.relates_to") or {}
    return (relation.get("m.in_reply_to") or {}).get("event_id")


JOIN = FaqEntry(
    "beitritt", "Wie wird eine Kommune Mitglied?", "Sie unterzeichnet die Gemeinsame Erklärung."
)


@pytest.fixture
async def humans(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """``await humans(bot)``: a plain client; ``encrypting=True``: one with its own key store."""
    clients: list[AsyncClient] = []

    async def make(
        bot: RegisteredUser, server: SynapseServer = synapse, *, encrypting: bool = False
    ) -> Human:
        user = server.register_user()
        server.override_ratelimit(user.user_id)  # only the bot meets the limits
        store = tmp_path / f"human-store-{secrets.token_hex(4)}" if encrypting else None
        clients.append(await server.client_for(user, encryption_store=store))
        return Human(clients[-1], bot.user_id)

    yield make
    for client in clients:
        await client.close()


async def matrix_app(
    db: Database, server: SynapseServer, bot: RegisteredUser, data_dir: Path, **settings: Any
) -> App:
    credentials = (
        {"matrix_password": bot.password}
        if server.profile == "fast"
        else {"matrix_access_token": bot.access_token}  # no login: rc_login is per IP
    )
    return await build(
        Settings(
            data_dir=data_dir,
            matrix_homeserver=server.url,
            matrix_user_id=bot.user_id,
            **credentials,
            **settings,
        ),
        database=db,
        clock=SystemClock(),
        migrate=False,
    )


@contextlib.asynccontextmanager
async def running(app: App) -> AsyncIterator[MatrixTransport]:
    transport = MatrixTransport(app)
    await transport.start()
    try:
        yield transport
    finally:
        await transport.stop()


def recorded_messages(app: App, monkeypatch: pytest.MonkeyPatch) -> list[IncomingMessage]:
    """Every envelope the transport hands to the router."""
    seen: list[IncomingMessage] = []
    handle = app.router.handle

    async def spy(message: IncomingMessage) -> Any:
        seen.append(message)
        return await handle(message)

    monkeypatch.setattr(app.router, "handle", spy)
    return seen


async def registration_count(app: App) -> int:
    async with app.database.engine.connect() as conn:
        result = await conn.execute(sa.select(sa.func.count()).select_from(registrations))
        return result.scalar_one()


async def invited_and_greeted(human: Human, room_id: str) -> RoomMessageNotice:
    notices = await human.wait(lambda: human.notices(room_id))
    return notices[0]


async def test_invite_greeting_and_signup_in_a_room(synapse, sqlite_database, humans, tmp_path):
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    event = await factories.event(app, title="Netzwerktreffen Köln", capacity=5)
    alice = await humans(bot)
    async with running(app):
        room = await alice.create_room(bot.user_id)
        greeting = await invited_and_greeted(alice, room)
        assert "!termine" in greeting.body and "!anmelden" in greeting.body

        listing = await alice.command(room, "!termine")
        content = listing.source["content"]
        assert content["msgtype"] == "m.notice"
        assert content["format"] == "org.matrix.custom.html"
        assert "<b>Kommende Veranstaltungen des Netzwerks</b><br>" in content["formatted_body"]
        assert "Netzwerktreffen Köln" in content["body"] and "<b>" not in content["body"]

        await answered_in_its_thread(alice, room, "Netzwerktreffen Köln")

        signed_up = await alice.command(room, f"!anmelden {event.id}")
        assert "Sie sind angemeldet für Netzwerktreffen Köln" in signed_up.body
        assert f"!abmelden {event.id}" in signed_up.body  # the buttons, as a command hint
        assert await registration_count(app) == 1

        cancelled = await alice.command(
            room, f"@{bot.user_id.split(':')[0][1:]}: abmelden {event.id}"
        )
        assert "Sie sind von Netzwerktreffen Köln abgemeldet" in cancelled.body
        again = await alice.command(room, f"/anmelden {event.id}")
        assert "Sie sind angemeldet" in again.body
    assert [n.body for n in alice.notices(room)].count(greeting.body) == 1


async def test_personal_replies_from_a_group_go_to_a_direct_chat(
    synapse, sqlite_database, humans, tmp_path, monkeypatch
):
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    seen = recorded_messages(app, monkeypatch)
    alice, bob = await humans(bot), await humans(bot)
    async with running(app):
        room = await alice.create_room(bot.user_id, bob.user_id)
        await bob.wait(lambda: room in bob.invites)
        await bob.join(room)
        await invited_and_greeted(alice, room)

        note = await alice.command(room, "!meine_daten")
        assert "ich habe Ihnen persönlich geantwortet" in note.body
        direct = await alice.wait(lambda: next(iter(alice.invites - {room}), None))
        await alice.join(direct)
        file = await alice.wait(
            lambda: [e for r, e in alice.events if r == direct and isinstance(e, RoomMessageFile)]
        )
        assert file[0].body == "meine-daten.json" and file[0].url.startswith("mxc://")
        greeting, *replies = [n.body for n in alice.notices(direct)]
        assert greeting.startswith("Guten Tag!") and "!hilfe" in greeting, "greeting first"
        assert replies, "the reply text comes before the file"
        assert not any(r.startswith("Guten Tag!") for r in replies), "and only once"

        await bob.command(room, "!termine")
        # A question that names the bot is answered in the room, by name or as a client
        # marks a mention (m.mentions); a command word after the name stays a command.
        await import_entries(app.uow(), app.faq, [JOIN], replace_all=False, now=app.clock.now())
        localpart = bot.user_id.split(":")[0][1:]
        named = await bob.command(room, f"{localpart}: Wie werde ich Mitglied?")
        assert named.body.startswith("Wie wird eine Kommune Mitglied?")
        marked = await bob.command_raw(
            room,
            {
                "msgtype": "m.text",
                "body": "Hallo Bot, wie kann unsere Stadt Mitglied werden?",
                "m.mentions": {"user_ids": [bot.user_id]},
            },
        )
        assert marked.body.startswith("Wie wird eine Kommune Mitglied?")
        # The room directory, as the authority decision asks it: power levels of this room.
        assert await app.rooms.is_moderator(Platform.MATRIX, room, alice.user_id)  # creator
        assert not await app.rooms.is_moderator(Platform.MATRIX, room, bob.user_id)
        assert await app.rooms.is_member(Platform.MATRIX, room, bob.user_id)
    by_sender = {m.sender_id: m for m in seen}
    assert not by_sender[alice.user_id].is_private


async def test_a_waitlisted_member_hears_of_the_promotion(
    synapse, sqlite_database, humans, tmp_path
):
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    event = await factories.event(app, title="Fachtag Engagement", capacity=1)
    alice, bob = await humans(bot), await humans(bot)
    async with running(app):
        alice_dm = await alice.create_room(bot.user_id, direct=True)
        bob_dm = await bob.create_room(bot.user_id, direct=True)
        await invited_and_greeted(alice, alice_dm)
        await invited_and_greeted(bob, bob_dm)
        assert "angemeldet" in (await alice.command(alice_dm, f"!anmelden {event.id}")).body
        assert "Warteliste" in (await bob.command(bob_dm, f"!anmelden {event.id}")).body
        await alice.command(alice_dm, f"!abmelden {event.id}")
        promoted = await bob.wait(
            lambda: [n for n in bob.notices(bob_dm) if "Platz frei geworden" in n.body]
        )
    assert "Fachtag Engagement" in promoted[0].body
    assert len(promoted) == 1


async def test_invitations_only_from_allowed_users(synapse, sqlite_database, humans, tmp_path):
    bot = synapse.register_user()
    alice, mallory = await humans(bot), await humans(bot)
    app = await matrix_app(
        sqlite_database, synapse, bot, tmp_path, matrix_allowed_users=[alice.user_id]
    )

    def bot_membership(human: Human, room_id: str) -> list[str]:
        return [
            e.membership
            for r, e in human.events
            if r == room_id and isinstance(e, RoomMemberEvent) and e.state_key == bot.user_id
        ]

    async with running(app) as transport:
        refused = await mallory.create_room(bot.user_id)
        await mallory.wait(lambda: "leave" in bot_membership(mallory, refused))
        accepted = await alice.create_room(bot.user_id)
        await invited_and_greeted(alice, accepted)
        await alice.client.room_leave(accepted)
        await eventually(lambda: accepted not in transport.client.rooms)
    assert "join" not in bot_membership(mallory, refused)
    assert "join" in bot_membership(alice, accepted)
    assert synapse_members(synapse, accepted) == []  # the bot left after the last human


def synapse_members(server: SynapseServer, room_id: str) -> list[str]:
    response = server.http.get(
        f"/_synapse/admin/v1/rooms/{room_id}/members",
        headers={"Authorization": f"Bearer {server.admin.access_token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()["members"]


async def eventually(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    """Wait (bounded) for a condition the bot changes in this process, yielding between checks."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


class Crash(Exception):
    """Stands for the process dying between the commit and saving the sync token."""


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_a_restart_before_the_token_is_saved_applies_each_command_once(
    synapse, sqlite_database, humans, tmp_path, caplog, encrypted
):
    caplog.set_level(logging.INFO, logger="bot.router")
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path / "bot")
    event = await factories.event(app, capacity=5)
    alice = await humans(bot, encrypting=encrypted)
    crashed = asyncio.Event()
    async with running(app) as transport:
        room = await alice.create_room(bot.user_id, encrypted=encrypted)
        await invited_and_greeted(alice, room)
        save = transport.save_sync_token

        async def crash_after_the_signup(token: str) -> None:
            if await registration_count(app):
                crashed.set()
                raise Crash
            await save(token)

        transport.save_sync_token = crash_after_the_signup  # type: ignore[method-assign]
        signup = await alice.say(room, f"!anmelden {event.id}")
        async with asyncio.timeout(WAIT):
            await crashed.wait()
    while_down = await alice.say(room, "!termine")

    async with running(app):
        await alice.wait(lambda: alice.replies_to(while_down))
        marker = await alice.say(room, "!hilfe")
        await alice.wait(lambda: alice.replies_to(marker))

    assert f"redelivered matrix message {signup}" in caplog.text  # the batch came again
    assert await registration_count(app) == 1
    assert len(alice.replies_to(signup)) == 1
    assert len(alice.replies_to(while_down)) == 1
    ids = [n.event_id for n in alice.notices(room)]
    assert len(ids) == len(set(ids)) == 4  # greeting and three replies, nothing twice


async def test_the_first_start_ignores_history(synapse, sqlite_database, humans, tmp_path):
    bot = synapse.register_user()
    alice = await humans(bot)
    room = await alice.create_room(bot.user_id)
    bot_client = await synapse.client_for(bot)  # the account joined before the bot first ran
    try:
        assert isinstance(await bot_client.join(room), JoinResponse)
    finally:
        await bot_client.close()
    old = await alice.say(room, "!termine")
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    async with running(app):
        fresh = await alice.say(room, "!hilfe")
        await alice.wait(lambda: alice.replies_to(fresh))
    assert alice.replies_to(old) == []
    assert len(alice.notices(room)) == 1


async def test_malformed_and_huge_messages_get_a_polite_answer(
    synapse, sqlite_database, humans, tmp_path, monkeypatch, caplog
):
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    alice = await humans(bot)
    handle = app.router.handle

    async def broken_for_one_command(message: IncomingMessage) -> Any:
        if message.text == "/kaputt":
            raise RuntimeError("handler bug")
        return await handle(message)

    monkeypatch.setattr(app.router, "handle", broken_for_one_command)
    async with running(app):
        room = await alice.create_room(bot.user_id, direct=True)
        await invited_and_greeted(alice, room)
        assert "zu lang" in (await alice.command(room, "!termine " + "x" * 5000)).body
        assert "Steuerzeichen" in (await alice.command(room, "!termine \x07")).body
        assert "keine Nummer" in (await alice.command(room, "!anmelden drei")).body
        assert "Nummer der Veranstaltung" in (await alice.command(room, "!anmelden")).body
        odd = {"msgtype": "m.text", "body": "!termine", "m.relates_to": "kaputt"}
        assert "Veranstaltungen" in (await alice.command_raw(room, odd)).body
        failing = await alice.say(room, "!kaputt")
        assert "/termine" in (await alice.command(room, "!hilfe")).body
    assert alice.replies_to(failing) == []
    assert any(failing in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records), (
        "the failing event is logged with its id"
    )


async def test_a_burst_under_default_rate_limits_arrives_complete_in_order(
    synapse_default_limits, sqlite_database, tmp_path, caplog
):
    server = synapse_default_limits
    bot = server.register_user()
    app = await matrix_app(sqlite_database, server, bot, tmp_path)
    human = server.register_user()
    server.override_ratelimit(human.user_id)
    alice = Human(await server.client_for(human), bot.user_id)
    try:
        async with running(app):
            room = await alice.create_room(bot.user_id)
            await invited_and_greeted(alice, room)
            commands = [await alice.say(room, "!termine") for _ in range(12)]
            await alice.wait(lambda: all(alice.replies_to(c) for c in commands), timeout=60)
            marker = await alice.say(room, "!hilfe")
            await alice.wait(lambda: alice.replies_to(marker), timeout=30)
    finally:
        await alice.client.close()
    answered = [in_reply_to(n) for n in alice.notices(room) if in_reply_to(n) in commands]
    assert answered == commands  # every reply once, in the order asked
    assert any("429" in r.getMessage() for r in caplog.records), "the limit was never hit"


async def test_an_encrypted_room_is_read_and_answered_also_after_a_restart(
    synapse, sqlite_database, humans, tmp_path
):
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path / "bot")
    event = await factories.event(app, title="Netzwerktreffen Köln", capacity=5)
    alice = await humans(bot, encrypting=True)
    async with running(app):
        room = await alice.create_room(bot.user_id, encrypted=True)
        greeting = await invited_and_greeted(alice, room)
        assert "!termine" in greeting.body  # decrypted by alice: the bot's reply is encrypted
        listing = await alice.command(room, "!termine")
        assert "Netzwerktreffen Köln" in listing.body
        assert listing.source["content"]["msgtype"] == "m.notice"
        await answered_in_its_thread(alice, room, "Netzwerktreffen Köln")

        signed_up = await alice.command(room, f"!anmelden {event.id}")
        assert "Sie sind angemeldet für Netzwerktreffen Köln" in signed_up.body

        await alice.command(room, "!meine_daten")  # two people: the reply stays in the room
        files = await alice.wait(
            lambda: [e for r, e in alice.events if r == room and isinstance(e, RoomEncryptedFile)]
        )
        assert "url" not in files[0].source["content"]  # only the ciphertext is on the server
        downloaded = await alice.client.download(files[0].url)
        assert isinstance(downloaded, DownloadResponse), downloaded
        plain = decrypt_attachment(
            downloaded.body, files[0].key["k"], files[0].hashes["sha256"], files[0].iv
        )
        assert alice.user_id in json.dumps(json.loads(plain), ensure_ascii=False)
    assert await registration_count(app) == 1

    async with running(app):  # a new device session from the same key store
        again = await alice.command(room, "!termine")
        assert "Netzwerktreffen Köln" in again.body
        assert "bereits angemeldet" in (await alice.command(room, f"!anmelden {event.id}")).body
    assert await registration_count(app) == 1
    assert all(e.decrypted for e in [*alice.notices(room), *files]), "nothing sent in the clear"
    assert [n.body for n in alice.notices(room)].count(greeting.body) == 1


async def test_a_message_whose_room_key_never_comes_is_explained_once(
    synapse, sqlite_database, humans, tmp_path
):
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path / "bot")
    alice = await humans(bot, encrypting=True)
    async with running(app) as transport:
        transport.decrypt_patience = timedelta(0)  # give up at once
        room = await alice.create_room(bot.user_id, encrypted=True)
        await invited_and_greeted(alice, room)
        ciphertext = {  # a megolm session the bot never received
            "algorithm": "m.megolm.v1.aes-sha2",
            "ciphertext": "AwgAEnACgAkLmt6qF84IK++J7UDH2Za1YVchHyprqTqsg",
            "device_id": "ALICEPHONE",
            "sender_key": "IlRMeOPX2e0MurIyfWEucYBRVOEEUMrOHqn/8mLqMjA",
            "session_id": "X3lUlvLELLYxeTx4yOVu6UDpasGEVO0Jbu+QFnm0cKQ",
        }
        unreadable = []
        for _ in range(2):  # sent as is: alice's client would encrypt it once more
            sent = synapse.http.put(
                f"/_matrix/client/v3/rooms/{room}/send/m.room.encrypted/{secrets.token_hex(8)}",
                json=ciphertext,
                headers={"Authorization": f"Bearer {alice.client.access_token}"},
            )
            assert sent.status_code == 200, sent.text
            unreadable.append(sent.json()["event_id"])
        told = await alice.wait(lambda: alice.replies_to(unreadable[0]))
        assert "verschlüsselt" in told[0].body
        marker = await alice.say(room, "!hilfe")  # properly encrypted messages still work
        await alice.wait(lambda: alice.replies_to(marker))
    assert alice.replies_to(unreadable[1]) == []  # told once per room


async def test_after_erasure_the_next_message_starts_as_a_new_guest(
    synapse, sqlite_database, humans, tmp_path
):
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    await factories.event(app, title="Netzwerktreffen Köln", audience=Audience.EVERYONE)
    alice = await humans(bot)
    async with running(app):
        room = await alice.create_room(bot.user_id, direct=True)
        await invited_and_greeted(alice, room)
        done = await alice.command(room, "!daten_loeschen ja")
        assert "Ihre Daten sind gelöscht" in done.body
        events = await alice.command(room, "!termine")
        assert "Netzwerktreffen Köln" in events.body
    async with app.uow() as uow:
        identity = await uow.identities.get(Platform.MATRIX, alice.user_id)
        assert (await uow.persons.get(identity.person_id)).is_guest
        assert await uow.state.get(f"matrix.dm.{alice.user_id}") is None  # erased with her


async def test_a_database_outage_does_not_end_the_sync(synapse, sqlite_database, humans, tmp_path):
    # While the database is away, handling a batch fails (ConnectionRefusedError): the sync
    # must go on, report itself degraded, and answer once the database is back.
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    alice = await humans(bot)
    async with running(app) as transport:
        room = await alice.create_room(bot.user_id)
        await invited_and_greeted(alice, room)
        handle = transport._handle_batch
        outage = {"left": 3}

        async def database_away(*args: Any, **kwargs: Any) -> None:
            if outage["left"]:
                outage["left"] -= 1
                raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
            await handle(*args, **kwargs)

        transport._handle_batch = database_away  # type: ignore[method-assign]
        asked = await alice.say(room, "!termine")
        await eventually(lambda: transport.state == "degraded")
        await alice.wait(lambda: alice.replies_to(asked))
        await eventually(lambda: transport.state == "syncing")  # the reply may come first
        assert outage["left"] == 0
        assert len(alice.replies_to(asked)) == 1


async def test_an_upgraded_room_is_followed_with_its_links(
    synapse, sqlite_database, humans, tmp_path
):
    # POST /rooms/{id}/upgrade: the old room is tombstoned; the bot joins the replacement,
    # the event's room link moves there, and commands there are answered.
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    event = await factories.event(app, capacity=5)
    alice, bob = await humans(bot), await humans(bot)
    async with running(app) as transport:
        room = await alice.create_room(bot.user_id, bob.user_id)
        await invited_and_greeted(alice, room)
        async with app.uow() as uow:
            await uow.polls.link_event_room(event.id, Platform.MATRIX, room, app.clock.now())
            await uow.commit()
        upgraded = synapse.http.post(
            f"/_matrix/client/v3/rooms/{room}/upgrade",
            json={"new_version": "11"},
            headers={"Authorization": f"Bearer {alice.client.access_token}"},
        )
        assert upgraded.status_code == 200, upgraded.text
        new_room = upgraded.json()["replacement_room"]
        # An invite-only room: members come along by invitation (Element offers it).
        invited = await alice.client.room_invite(new_room, bot.user_id)
        assert not hasattr(invited, "status_code"), invited

        async def linked() -> list:
            async with app.uow() as uow:
                return await uow.polls.event_rooms(event.id)

        async with asyncio.timeout(WAIT):
            while await linked() != [(Platform.MATRIX, new_room)]:
                await asyncio.sleep(0.05)
        await eventually(lambda: new_room in transport.client.rooms)
        listing = await alice.command(new_room, "!termine")
        assert "Kommende Veranstaltungen" in listing.body
