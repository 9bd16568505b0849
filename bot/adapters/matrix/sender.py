"""Sending outbox rows to Matrix: rooms, direct chats, files; each with our own transaction id."""

from __future__ import annotations

import io
import logging
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from nio import (
    AsyncClient,
    LocalProtocolError,
    MatrixRoom,
    RoomCreateResponse,
    RoomInviteResponse,
    RoomKickResponse,
    RoomPreset,
    RoomRedactResponse,
    RoomSendResponse,
    UploadResponse,
)

from bot.adapters.matrix.polls import send_poll_events
from bot.adapters.matrix.text import (
    button_commands,
    file_content,
    hint_commands,
    notice_content,
)
from bot.delivery import (
    PermanentDeliveryError,
    RetryLater,
    poll_closed_meanwhile,
    with_made_file,
)
from bot.reply import Reply, plain_text
from core.domain.outbox import OutgoingMessage
from core.domain.people import Platform
from core.domain.room_invites import INVITE

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

PLATFORM = Platform.MATRIX.value
#: Errors after which a room will not take our messages again.
GONE = frozenset({"M_FORBIDDEN", "M_NOT_FOUND"})


class RoomGone(PermanentDeliveryError):
    """The homeserver refuses messages to this room (we left, or were kicked)."""


class MatrixRequestError(Exception):
    """A request failed in a way a later retry may fix (rate limit, server error)."""


def direct_room_key(user_id: str) -> str:
    return f"matrix.dm.{user_id}"


def joined_key(room_id: str) -> str:
    """State: the join event of ours last greeted in ``room_id`` (or :data:`OPENED`)."""
    return f"matrix.joined.{room_id}"


#: ``joined_key``'s value for a direct chat the bot opened and greeted at once.
OPENED = "opened"


def notice_row(
    room_id: str, text: Markup, now: datetime, *, reply_to: str | None = None
) -> OutgoingMessage:
    """An outbox row for a notice of our own (greeting, hint) in a room."""
    payload = {
        "reply": Reply(text).to_dict(),
        "reply_to": reply_to,
        "sender_id": None,
        "chat_is_private": True,
    }
    return OutgoingMessage(PLATFORM, room_id, payload, uuid.uuid4().hex, now)


class MatrixSender:
    """Turns one outbox row into Matrix requests; raising makes the dispatcher retry it."""

    def __init__(self, client: AsyncClient, app: App) -> None:
        self.client = client
        self.app = app
        self._prefix = app.settings.matrix_command_prefix
        self._language = app.settings.default_language

    async def send(self, message: OutgoingMessage) -> None:
        payload = message.payload
        if "membership" in payload:  # an invitation to or removal from an event room
            await self._membership(message.chat_id, payload)
            return
        made = await with_made_file(self.app, Reply.from_dict(payload["reply"]))
        if made is None:
            return
        reply = made
        if await poll_closed_meanwhile(self.app.uow(), self.app.clock, reply, message):
            return
        reply_to = payload.get("reply_to")
        thread = payload.get("thread")
        if message.chat_id.startswith("@"):  # a notification to a person, not to a room
            await self._send_direct(message.chat_id, reply, message.tx_id)
        elif reply.private and not payload.get("chat_is_private", True):
            await self._send_privately(
                message.chat_id, payload["sender_id"], reply, message.tx_id, reply_to, thread
            )
        else:
            await self._post(message.chat_id, reply, message.tx_id, reply_to, thread)
        if reply.retract_command and reply_to and not payload.get("chat_is_private", True):
            await self._retract(message.chat_id, reply_to, message.tx_id)

    async def _membership(self, room_id: str, payload: dict[str, Any]) -> None:
        """Invite ``payload["user_id"]`` to the room, or remove them with the reason given
        (``core.domain.room_invites``). Someone joined already is not invited (the row fails:
        the bot then never removes them); someone gone already, or a moderator of the room,
        is not removed."""
        user_id = payload["user_id"]
        room = self.client.rooms.get(room_id)
        present = room is not None and user_id in room.users  # joined or invited
        joined = present and room is not None and user_id not in room.invited_users
        response: Any
        if payload["membership"] == INVITE:
            if joined:
                raise PermanentDeliveryError(f"{user_id} joined {room_id} before: not invited")
            response = await self.client.room_invite(room_id, user_id)
            done: type = RoomInviteResponse
        else:
            if not present:
                return
            if await self.app.rooms.is_moderator(Platform.MATRIX, room_id, user_id):
                log.info("not removing %s from %s: a moderator there", user_id, room_id)
                return
            reason = payload["reason"]
            text = self.app.translator.t(reason["language"], reason["key"], **reason["params"])
            response = await self.client.room_kick(room_id, user_id, reason=plain_text(text))
            done = RoomKickResponse
        if isinstance(response, done):
            return
        if response.status_code in GONE:
            raise PermanentDeliveryError(f"{room_id}: {payload['membership']}: {response}")
        if response.status_code == "M_LIMIT_EXCEEDED" and response.retry_after_ms:
            raise RetryLater(timedelta(milliseconds=response.retry_after_ms))
        raise MatrixRequestError(f"{room_id}: {payload['membership']}: {response}")

    async def _retract(self, room_id: str, event_id: str, tx_id: str) -> None:
        """Redact the member's message (an anonymous vote typed into the room), where the
        bot's power level allows; otherwise the hint alone has to do."""
        response = await self.client.room_redact(
            room_id, event_id, reason=self._t("adapter.retract_reason"), tx_id=f"{tx_id}.redact"
        )
        if not isinstance(response, RoomRedactResponse):
            log.info("could not redact %s in %s: %s", event_id, room_id, response)

    async def _send_privately(
        self,
        room_id: str,
        user_id: str,
        reply: Reply,
        tx_id: str,
        reply_to: str | None,
        thread: str | None = None,
    ) -> None:
        """A personal reply to a command in a group: into the direct chat, a note in the room."""
        name = self._display_name(room_id, user_id)
        try:
            await self._send_direct(user_id, reply, tx_id)
        except PermanentDeliveryError:
            log.warning("cannot reach %s in a direct chat", user_id)
            note = self._t("adapter.private_unreachable", name=name)
        else:
            note = self._t("adapter.private_note", name=name)
        await self._room_send(room_id, notice_content(note, reply_to, thread), f"{tx_id}.note")

    async def _send_direct(self, user_id: str, reply: Reply, tx_id: str) -> None:
        room_id = await self.direct_room(user_id)
        try:
            await self._post(room_id, reply, tx_id, None)
        except RoomGone:
            # The person (and so we) left that chat: forget it, a retry opens a new one.
            await self.app.transport_state.delete(direct_room_key(user_id))
            raise MatrixRequestError(f"direct chat {room_id} with {user_id} is gone") from None

    async def direct_room(self, user_id: str) -> str:
        """The bot's direct chat with ``user_id``, created (and remembered) on first use."""
        room_id = await self.app.transport_state.get(direct_room_key(user_id))
        if room_id:
            return room_id
        created = await self.client.room_create(
            is_direct=True, invite=[user_id], preset=RoomPreset.trusted_private_chat
        )
        if not isinstance(created, RoomCreateResponse):
            if created.status_code in GONE:
                raise PermanentDeliveryError(f"cannot invite {user_id}: {created}")
            raise MatrixRequestError(f"creating a direct chat with {user_id}: {created}")
        # nio encrypts only for rooms it knows; this one (plain, made by us) it sees next sync.
        self.client.rooms.setdefault(
            created.room_id, MatrixRoom(created.room_id, self.client.user_id, False)
        )
        await self.remember_direct_room(user_id, created.room_id)
        await self._greet(created.room_id)
        return created.room_id

    async def _greet(self, room_id: str) -> None:
        """The greeting in a direct chat we opened, before the reply that made us open it
        (the sync would see our join only after that reply went out)."""
        await self.app.transport_state.put(joined_key(room_id), OPENED)
        text = self.app.translator.t(self._language, "adapter.greeting", prefix=self._prefix)
        try:
            await self._room_send(room_id, notice_content(text), f"greeting.{room_id}")
        except Exception as error:  # the reply matters more: it goes on
            log.warning("Matrix: greeting in %s failed (%s)", room_id, error)

    async def remember_direct_room(self, user_id: str, room_id: str) -> None:
        await self.app.transport_state.put(direct_room_key(user_id), room_id)

    async def _post(
        self,
        room_id: str,
        reply: Reply,
        tx_id: str,
        reply_to: str | None,
        thread: str | None = None,
    ) -> None:
        if await send_poll_events(self.app, room_id, reply, tx_id, self._room_send):
            return  # posted as a Matrix poll, the text as its fallback
        text = reply.text
        commands = button_commands(reply, self._prefix)
        if commands:
            hint = self._t("adapter.hint_buttons", commands=hint_commands(commands))
            text = Markup("{}\n\n{}").format(text, hint)
        await self._room_send(room_id, notice_content(text, reply_to, thread), tx_id)
        if reply.attachment is not None:
            await self._send_file(room_id, reply, f"{tx_id}.file")

    async def _send_file(self, room_id: str, reply: Reply, tx_id: str) -> None:
        """Into an encrypted room the file goes encrypted (``file`` instead of ``url``)."""
        file = reply.attachment
        assert file is not None
        room = self.client.rooms.get(room_id)
        encrypt = self.client.olm is not None and room is not None and room.encrypted
        uploaded, keys = await self.client.upload(
            lambda *_retries: io.BytesIO(file.content),
            content_type=file.mime_type,
            filename=file.filename,
            filesize=len(file.content),
            encrypt=encrypt,
        )
        if not isinstance(uploaded, UploadResponse):
            raise MatrixRequestError(f"upload of {file.filename} failed: {uploaded}")
        content = file_content(
            file.filename, uploaded.content_uri, file.mime_type, len(file.content), keys
        )
        await self._room_send(room_id, content, tx_id)

    async def _room_send(
        self,
        room_id: str,
        content: dict[str, Any],
        tx_id: str,
        event_type: str = "m.room.message",
    ) -> str:
        """Encrypted when the room is; every device of its members gets the key, verified or
        not (the bot verifies no one interactively)."""
        try:
            response = await self.client.room_send(
                room_id, event_type, content, tx_id=tx_id, ignore_unverified_devices=True
            )
        except LocalProtocolError as error:
            # With encryption on nio refuses rooms it does not know: after the first full sync
            # (which the transport waits for) those are rooms we are no longer in.
            if room_id not in self.client.rooms:
                raise RoomGone(f"{room_id}: not joined ({error})") from None
            raise MatrixRequestError(f"{room_id}: {error}") from None
        if isinstance(response, RoomSendResponse):
            return response.event_id
        if response.status_code in GONE:
            raise RoomGone(f"{room_id}: {response}")
        if response.status_code == "M_LIMIT_EXCEEDED" and response.retry_after_ms:
            raise RetryLater(timedelta(milliseconds=response.retry_after_ms))  # nio gave up
        raise MatrixRequestError(f"{room_id}: {response}")

    def _display_name(self, room_id: str, user_id: str) -> str:
        room = self.client.rooms.get(room_id)
        return (room.user_name(user_id) if room else None) or user_id

    def _t(self, key: str, **params: Any) -> Markup:
        return self.app.translator.t(self._language, key, **params)
