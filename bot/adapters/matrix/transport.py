"""The Matrix transport: our own sync loop on matrix-nio, exactly-once through the router.

Per sync batch: invitations are accepted or declined, each new timeline event goes through the
router (which records its ``event_id`` with the effect and the replies in one transaction), and
only then is the sync token saved in our database. Replies leave through the outbox, each with
its own transaction id, so neither a redelivered batch nor a repeated send posts twice.

End-to-end encryption (matrix-nio's ``e2e`` extra): one fixed device whose keys live in
``<data_dir>/matrix-store``. After each sync the keys are kept up (upload, query, claim, to-device
messages) before the batch is handled; nio decrypts what it can, so encrypted commands reach the
router as ordinary text. A message whose room key has not arrived waits (remembered with the sync
token) for later syncs; if the key never comes the room is told once that the bot cannot read
it. Replies into encrypted rooms are encrypted for every device of the members, verified or not:
the bot does no interactive verification.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    EncryptionError,
    Event,
    InviteInfo,
    InviteMemberEvent,
    JoinResponse,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    RoomCreateEvent,
    RoomEncryptionEvent,
    RoomInfo,
    RoomMemberEvent,
    RoomMessagesResponse,
    RoomMessageText,
    RoomUpgradeEvent,
    SyncResponse,
    WhoamiResponse,
)
from nio.crypto import ENCRYPTION_ENABLED

from bot.adapters.matrix.polls import is_poll_response, record_response
from bot.adapters.matrix.sender import OPENED, PLATFORM, MatrixSender, joined_key, notice_row
from bot.adapters.matrix.text import command_text
from bot.delivery import OutboxDispatcher
from bot.messages import IncomingMessage
from bot.notifications import NotificationHub
from bot.outages import DATABASE_PAUSE, Retrying, is_outage
from bot.redaction import protect
from core.domain.people import Platform

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
#: State key: the room a replacement room (``m.room.tombstone``) takes over from.
REPLACES_KEY = "matrix.replaces.{room}"

SINCE_KEY = "matrix.since"
#: Encrypted messages still waiting for their room key: {event_id: [room_id, source, first_seen]}.
UNDECRYPTED_KEY = "matrix.undecrypted"
STORE_DIR = "matrix-store"
#: How long an encrypted message may wait for its room key before the room is told.
DECRYPT_PATIENCE = timedelta(minutes=5)
MAX_UNDECRYPTED = 200  # beyond that the oldest waiting messages are given up at once
SYNC_TIMEOUT_MS = 30_000
#: Larger than Synapse's default of 10, so that a burst rarely needs back-filling.
SYNC_FILTER = {"room": {"timeline": {"limit": 50}}, "presence": {"not_types": ["*"]}}
BACKFILL_PAGES = 20
MAX_LIMIT_EXCEEDED = 8  # 429 answers nio waits out (retry_after_ms) before giving up
MAX_TIMEOUTS = 3
REQUEST_TIMEOUT = 45.0
BACKOFF_START, BACKOFF_MAX = 1.0, 60.0
RETRY_EVERY = 5.0  # seconds between outbox rounds when nothing wakes us
MODERATOR_LEVEL = 50
#: Room versions before "privileged creators" (v12), where creators hold an ordinary level.
LEGACY_ROOM_VERSIONS = frozenset(str(n) for n in range(1, 12))
STOP_GRACE = 10.0


class MatrixLoginError(RuntimeError):
    """The homeserver did not accept our credentials."""


class MatrixTransport:
    platform = Platform.MATRIX

    def __init__(self, app: App) -> None:
        settings = app.settings
        assert settings.matrix_homeserver and settings.matrix_user_id
        self.app = app
        self.user_id = settings.matrix_user_id
        if settings.log_level != "DEBUG":  # nio logs every room event at INFO
            logging.getLogger("nio").setLevel(logging.WARNING)
        self.prefix = settings.matrix_command_prefix
        store = settings.data_dir / STORE_DIR
        store.mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(
            settings.matrix_homeserver,
            self.user_id,
            device_id=settings.matrix_device_id,
            store_path=str(store),
            config=AsyncClientConfig(
                max_limit_exceeded=MAX_LIMIT_EXCEEDED,
                max_timeouts=MAX_TIMEOUTS,
                request_timeout=REQUEST_TIMEOUT,
                store_sync_tokens=False,  # we keep the token, and only after our commit
                encryption_enabled=ENCRYPTION_ENABLED,
            ),
        )
        self.decrypt_patience = DECRYPT_PATIENCE
        self._undecrypted: dict[str, tuple[str, dict[str, Any], datetime]] = {}
        self._synced = asyncio.Event()  # the first sync is handled: nio knows our rooms
        self._wake = asyncio.Event()
        self._delivery = Retrying("matrix: delivery", longest=DATABASE_PAUSE)
        self.sender = MatrixSender(self.client, app)
        self._dispatcher = OutboxDispatcher(app.uow, app.clock, owner=app.instance)
        self._send_lock = asyncio.Lock()
        self._since: str | None = None
        self._names: set[str] = set()
        self._creators: dict[str, frozenset[str]] = {}
        self._polling = False
        self._stopping = False
        self.state = "starting"
        self._sync_task: asyncio.Task[None] | None = None
        self._delivery_task: asyncio.Task[None] | None = None

    def routes(self) -> None:
        return None

    async def start(self) -> None:
        self._stopping = False
        await self._login()
        self._since = await self.app.transport_state.get(SINCE_KEY)
        undecrypted = await self.app.transport_state.get(UNDECRYPTED_KEY)
        self._undecrypted = {
            event_id: (room_id, source, datetime.fromisoformat(first_seen))
            for event_id, (room_id, source, first_seen) in json.loads(undecrypted or "{}").items()
        }
        await self._keep_keys()  # our device keys are on the server before anyone writes
        localpart = self.user_id.split(":", 1)[0].removeprefix("@")
        self._names = {self.user_id, localpart, f"@{localpart}"}
        profile = await self.client.get_displayname(self.user_id)
        if getattr(profile, "displayname", None):
            self._names.add(profile.displayname)
        if isinstance(self.app.notifier, NotificationHub):
            self.app.notifier.watch(Platform.MATRIX, self._wake.set)
        self.app.rooms.register(Platform.MATRIX, self)
        self._sync_task = asyncio.create_task(self._sync_loop(), name="matrix-sync")
        self._delivery_task = asyncio.create_task(self._delivery_loop(), name="matrix-outbox")
        self.state = "syncing"

    async def stop(self) -> None:
        """Finish the batch in hand (bounded), then stop both loops and close the client."""
        self._stopping = True
        if self._sync_task is not None:
            if self._polling:
                self._sync_task.cancel()
            await asyncio.wait({self._sync_task}, timeout=STOP_GRACE)
        for task in (self._sync_task, self._delivery_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await self.client.close()
        self.state = "stopped"

    async def dispatch(self) -> int:
        """Send what the outbox holds for Matrix, one round at a time, in order."""
        async with self._send_lock:
            return await self._dispatcher.dispatch(PLATFORM, self.sender.send)

    async def save_sync_token(self, token: str) -> None:
        """Remember where the next sync starts; called only after the batch is committed.

        The messages still waiting for their room key are saved with it: the token skips them.
        """
        waiting = {
            event_id: [room_id, source, first_seen.isoformat()]
            for event_id, (room_id, source, first_seen) in self._undecrypted.items()
        }
        await self.app.transport_state.put_all(
            {SINCE_KEY: token, UNDECRYPTED_KEY: json.dumps(waiting)}
        )
        self._since = token

    # -- connection ----------------------------------------------------------------------------

    async def _login(self) -> None:
        settings = self.app.settings
        if settings.matrix_access_token is not None:
            token = settings.matrix_access_token.get_secret_value()
            self.client.access_token = token
            whoami = await self.client.whoami()
            if not isinstance(whoami, WhoamiResponse):
                raise MatrixLoginError(f"Matrix-Zugangstoken abgelehnt: {whoami}")
            device_id = whoami.device_id or settings.matrix_device_id
            if device_id != settings.matrix_device_id:
                log.warning(
                    "the access token belongs to device %s, not %s",
                    device_id,
                    settings.matrix_device_id,
                )
            self.client.restore_login(self.user_id, device_id, token)
            return
        assert settings.matrix_password is not None
        # nio sends the preset device id: every login is the same device, with the same keys.
        response = await self.client.login(
            settings.matrix_password.get_secret_value(), device_name="engagiert-bot"
        )
        if not isinstance(response, LoginResponse):
            raise MatrixLoginError(
                f"Matrix-Anmeldung als {self.user_id} fehlgeschlagen: {response}"
            )
        protect(response.access_token)  # issued now, not in the settings: keep it out of logs

    async def _sync_loop(self) -> None:
        backoff = BACKOFF_START
        first = True  # after a (re)start nio knows no room: ask for the full state once
        while not self._stopping:
            self._polling = True
            try:
                response: Any = await self.client.sync(
                    timeout=0 if first else SYNC_TIMEOUT_MS,
                    sync_filter=SYNC_FILTER,
                    since=self._since,
                    full_state=first or None,
                )
            except Exception as exc:  # connection lost, timeouts beyond nio's retries
                response = exc
            finally:
                self._polling = False
            if isinstance(response, SyncResponse):
                try:
                    await self._keep_keys()
                    await self._handle_batch(response, history=self._since is None)
                    await self._retry_undecrypted()
                    await self.save_sync_token(response.next_batch)
                except Exception as exc:  # the database is away: the batch comes again
                    response = exc
            if not isinstance(response, SyncResponse):
                if self.state != "degraded":
                    log.warning("Matrix sync failed (%r); next try in %.0f s", response, backoff)
                self.state = "degraded"
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue
            if self.state == "degraded":
                log.info("Matrix sync works again")
            self.state = "syncing"
            backoff = BACKOFF_START
            first = False
            self._synced.set()
            await self._dispatch_logged()

    async def _delivery_loop(self) -> None:
        """Catch up at start, retry failed sends, deliver notices queued by other code."""
        await self._synced.wait()  # before the first sync nio cannot tell encrypted rooms
        while True:
            await self._dispatch_logged()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), RETRY_EVERY)
            self._wake.clear()

    async def _dispatch_logged(self) -> None:
        try:
            await self.dispatch()
        except Exception as exc:
            self._wake.set()  # try again after the pause
            await asyncio.sleep(self._delivery.failed(exc))
        else:
            self._delivery.worked()

    # -- end-to-end encryption -----------------------------------------------------------------

    async def _keep_keys(self) -> None:
        """What nio's ``sync_forever`` does between syncs: our keys up, theirs fetched, the
        Olm sessions claimed, the to-device messages (room keys) sent. Failures wait for the
        next round. Under the send lock, so that no reply goes out with a stale device list."""
        client = self.client
        if client.olm is None:
            return
        try:
            async with self._send_lock:
                if client.should_upload_keys:
                    await client.keys_upload()
                if client.should_query_keys:
                    await client.keys_query()
                if client.should_claim_keys:
                    await client.keys_claim(client.get_users_for_key_claiming())
                await client.send_to_device_messages()
        except Exception:
            log.exception("Matrix key maintenance failed; trying again after the next sync")

    def _wait_for_key(self, room_id: str, event: MegolmEvent) -> None:
        """An encrypted message whose room key has not (yet) reached us."""
        if event.event_id in self._undecrypted:
            return
        log.warning(
            "cannot decrypt %s in %s yet (session %s from %s %s); waiting for the room key",
            event.event_id,
            room_id,
            event.session_id,
            event.sender,
            event.device_id,
        )
        self._undecrypted[event.event_id] = (room_id, event.source, self.app.clock.now())

    async def _retry_undecrypted(self) -> None:
        """Messages whose room key came later go to the router (which drops repeats); those
        that waited too long get the notice that we cannot read them, once per room."""
        now = self.app.clock.now()
        too_many = len(self._undecrypted) - MAX_UNDECRYPTED  # the dict keeps arrival order
        for event_id, (room_id, source, first_seen) in list(self._undecrypted.items()):
            too_many -= 1
            room = self.client.rooms.get(room_id)
            if room is None:  # we left
                del self._undecrypted[event_id]
                continue
            encrypted = Event.parse_event(source)
            decrypted: Any = None
            if isinstance(encrypted, MegolmEvent):
                encrypted.room_id = room_id
                with contextlib.suppress(EncryptionError):
                    decrypted = self.client.decrypt_event(encrypted)
            if decrypted is not None:
                del self._undecrypted[event_id]
                log.info("decrypted %s in %s after its room key arrived", event_id, room_id)
                await self._guarded(room_id, event_id, self._on_event(room, decrypted))
            elif now - first_seen >= self.decrypt_patience or too_many >= 0:
                del self._undecrypted[event_id]
                log.warning("giving up on %s in %s: its room key never came", event_id, room_id)
                await self._guarded(room_id, event_id, self._explain_encryption(room_id, event_id))

    # -- one sync batch ------------------------------------------------------------------------

    async def _handle_batch(self, response: SyncResponse, *, history: bool) -> None:
        """``history``: the very first sync, whose timelines predate us and are skipped."""
        for room_id, invite in response.rooms.invite.items():
            await self._guarded(room_id, None, self._on_invite(room_id, invite))
        for room_id, info in response.rooms.join.items():
            room = self.client.rooms.get(room_id)
            if room is None:
                continue
            self._note_creators(room_id, [*info.state, *info.timeline.events])
            events = [] if history else await self._new_events(room, info)
            for event in events:
                await self._guarded(room_id, event.event_id, self._on_event(room, event))
            await self._guarded(room_id, None, self._leave_if_alone(room))
        for room_id in response.rooms.leave:
            self.client.rooms.pop(room_id, None)

    def _note_creators(self, room_id: str, events: list[Any]) -> None:
        for event in events:
            if (
                isinstance(event, RoomCreateEvent)
                and event.room_version not in LEGACY_ROOM_VERSIONS
            ):
                more = event.source.get("content", {}).get("additional_creators") or []
                self._creators[room_id] = frozenset([event.sender, *more])

    # -- the room directory (core.ports.RoomDirectory), from the state nio keeps in sync ----

    async def is_moderator(self, platform: Platform, chat_id: str, user_id: str) -> bool:
        """Power level 50 or more in a room the bot is in; in rooms from version 12 on,
        creators outrank every level."""
        room = self.client.rooms.get(chat_id)
        if room is None or user_id not in room.users:
            return False
        if user_id in self._creators.get(room.room_id, ()):
            return True
        return room.power_levels.get_user_level(user_id) >= MODERATOR_LEVEL

    async def is_member(self, platform: Platform, chat_id: str, user_id: str) -> bool:
        """Joined to the room now (as of the last sync); invited or left does not count."""
        room = self.client.rooms.get(chat_id)
        return room is not None and user_id in room.users and user_id not in room.invited_users

    async def _guarded(self, room_id: str, event_id: str | None, work: Awaitable[None]) -> None:
        """One event's failure is logged with its id; the loop goes on with the next. An
        outage of the database ends the batch instead: it comes again with the next sync."""
        try:
            await work
        except Exception as exc:
            if is_outage(exc):
                raise
            log.exception("Matrix event %s in %s failed", event_id or "-", room_id)

    async def _new_events(self, room: MatrixRoom, info: RoomInfo) -> list[Any]:
        """The timeline since our token (gaps filled), without what came before our join."""
        events = list(info.timeline.events)
        if info.timeline.limited and info.timeline.prev_batch:
            events = await self._missed(room.room_id, info.timeline.prev_batch) + events
        joins = [i for i, event in enumerate(events) if self._is_own_join(event)]
        if not joins:
            return events
        await self._guarded(room.room_id, None, self._welcome(room, events[joins[-1]].event_id))
        return events[joins[-1] + 1 :]

    async def _missed(self, room_id: str, prev_batch: str) -> list[Any]:
        """Events a limited timeline left out, paged back from ``prev_batch`` to our token."""
        collected: list[Any] = []
        token: str | None = prev_batch
        for _ in range(BACKFILL_PAGES):
            page = await self.client.room_messages(room_id, start=token, end=self._since, limit=100)
            if not isinstance(page, RoomMessagesResponse):
                log.warning("back-filling %s failed: %s", room_id, page)
                break
            collected += page.chunk
            if not page.chunk or page.end in (None, token):
                break
            token = page.end
        return collected[::-1]

    def _is_own_join(self, event: Any) -> bool:
        return (
            isinstance(event, RoomMemberEvent)
            and event.state_key == self.user_id
            and event.membership == "join"
            and event.prev_membership != "join"
        )

    async def _on_invite(self, room_id: str, invite: InviteInfo) -> None:
        event = next(
            (
                e
                for e in invite.invite_state
                if isinstance(e, InviteMemberEvent)
                and e.state_key == self.user_id
                and e.membership == "invite"
            ),
            None,
        )
        inviter = event.sender if event else None
        if inviter is None or not self._may_invite(inviter):
            log.info("declining the invitation to %s from %s", room_id, inviter)
            await self.client.room_leave(room_id)
            self.client.invited_rooms.pop(room_id, None)
            return
        joined = await self.client.join(room_id)
        if not isinstance(joined, JoinResponse):
            raise RuntimeError(f"joining {room_id} failed: {joined}")
        await self._took_over(room_id)
        if event is not None and event.content.get("is_direct"):
            await self.sender.remember_direct_room(inviter, room_id)

    def _may_invite(self, inviter: str) -> bool:
        """Allowed users and servers; with neither configured, people of our own server."""
        settings = self.app.settings
        servers = settings.matrix_allowed_servers
        if not servers and not settings.matrix_allowed_users:
            servers = [self.user_id.split(":", 1)[1]]
        return inviter in settings.matrix_allowed_users or inviter.split(":", 1)[-1] in servers

    async def _welcome(self, room: MatrixRoom, join_event_id: str) -> None:
        """Once per join: a greeting (without nio's ``e2e`` extra, in an encrypted room the
        notice that we cannot read it)."""
        key = joined_key(room.room_id)
        t = self.app.translator.t
        language = self.app.settings.default_language
        now = self.app.clock.now()
        async with self.app.uow() as uow:
            greeted = await uow.state.get(key)
            if greeted == join_event_id:
                return
            if greeted == OPENED:  # a direct chat we opened and greeted at once
                await uow.state.set(key, join_event_id, now)
                await uow.commit()
                return
            if room.encrypted and self.client.olm is None:
                text = t(language, "adapter.encrypted_unsupported")
                await uow.state.set(f"matrix.encrypted.{room.room_id}", "told", now)
            else:
                text = t(language, "adapter.greeting", prefix=self.prefix)
            await uow.outbox.add(notice_row(room.room_id, text, now))
            await uow.state.set(key, join_event_id, now)
            await uow.commit()

    async def _explain_encryption(self, room_id: str, event_id: str) -> None:
        """Tell an encrypted room once that we cannot read it, rather than stay silent: without
        the ``e2e`` extra, or for a message whose room key never reached us."""
        key = f"matrix.encrypted.{room_id}"
        now = self.app.clock.now()
        async with self.app.uow() as uow:
            if await uow.state.get(key):
                return
            text = self.app.translator.t(
                self.app.settings.default_language, "adapter.encrypted_unsupported"
            )
            await uow.outbox.add(notice_row(room_id, text, now, reply_to=event_id))
            await uow.state.set(key, "told", now)
            await uow.commit()

    async def _on_event(self, room: MatrixRoom, event: Any) -> None:
        if isinstance(event, RoomUpgradeEvent) and event.replacement_room:
            await self._follow_upgrade(room.room_id, event.replacement_room)
            return
        if isinstance(event, MegolmEvent | RoomEncryptionEvent) and self.client.olm is None:
            await self._explain_encryption(room.room_id, event.event_id)
            return
        if isinstance(event, MegolmEvent) and event.sender != self.user_id:
            self._wait_for_key(room.room_id, event)
            return
        if is_poll_response(event):
            await record_response(self.app, room, event)
            return
        if not isinstance(event, RoomMessageText) or event.sender == self.user_id:
            return
        relation = event.source.get("content", {}).get("m.relates_to")
        if not isinstance(relation, dict):
            relation = {}
        if relation.get("rel_type") == "m.replace":
            return  # an edit, not a new command
        in_thread = relation.get("rel_type") == "m.thread" and isinstance(
            relation.get("event_id"), str
        )
        text, named = command_text(
            event.body, self.prefix, self._names, lambda word: bool(self.app.router.lookup(word))
        )
        message = IncomingMessage(
            Platform.MATRIX,
            event.sender,
            text,
            sender_name=room.user_name(event.sender) or event.sender,
            chat_id=room.room_id,
            is_private=room.member_count <= 2,
            message_id=event.event_id,
            addressed=named or self._mentioned(event),
            thread_id=relation["event_id"] if in_thread else None,
        )
        if await self.app.router.handle(message):
            await self._dispatch_logged()

    def _mentioned(self, event: RoomMessageText) -> bool:
        """Whether the message mentions the bot the way clients mark it (``m.mentions``,
        Matrix spec v1.7 "user and room mentions"; Element adds it to replies too)."""
        mentions = event.source.get("content", {}).get("m.mentions")
        if not isinstance(mentions, dict):
            return False
        user_ids = mentions.get("user_ids")
        return isinstance(user_ids, list) and self.user_id in user_ids

    async def _follow_upgrade(self, old_room: str, new_room: str) -> None:
        """A room was upgraded (``m.room.tombstone``, Matrix spec "Room Upgrades"): join its
        replacement, and event and poll links follow, as do messages still to send there."""
        # Kept until we are in (an invite-only room invites us first).
        await self.app.transport_state.put(REPLACES_KEY.format(room=new_room), old_room)
        response = await self.client.join(new_room)
        if not isinstance(response, JoinResponse):
            log.info("waiting for an invitation to %s, the replacement of %s", new_room, old_room)
            return
        await self._took_over(new_room)

    async def _took_over(self, room_id: str) -> None:
        """In a room that replaces one we were in: the links move over (once)."""
        old_room = await self.app.transport_state.take(REPLACES_KEY.format(room=room_id))
        if old_room:
            await self.app.router.chat_moved(Platform.MATRIX, old_room, room_id)
            self._wake.set()

    async def _leave_if_alone(self, room: MatrixRoom) -> None:
        if room.joined_count > 1 or room.invited_count > 0:
            return
        log.info("leaving %s: no one else is left", room.room_id)
        await self.client.room_leave(room.room_id)
        self.client.rooms.pop(room.room_id, None)
