"""Telegram, on python-telegram-bot, inside our own event loop.

Updates are handled exactly once: the router records each ``update_id`` in the transaction
that carries its effect and its replies (in the outbox); the getUpdates offset is stored in
the database and only advanced after that commit. Replies leave through the outbox, paced by
PTB's ``AIORateLimiter`` plus a per-private-chat limit; flood control answers are honoured.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import re
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from aiolimiter import AsyncLimiter
from fastapi import APIRouter, Request, Response
from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ExtBot
from telegram.warnings import PTBUserWarning

from bot.adapters.telegram_html import split_html
from bot.app import App
from bot.delivery import (
    OutboxDispatcher,
    PermanentDeliveryError,
    RetryLater,
    poll_closed_meanwhile,
    with_made_file,
)
from bot.messages import IncomingMessage, IncomingVote
from bot.notifications import NotificationHub
from bot.outages import DATABASE_PAUSE, Retrying, describe, is_outage
from bot.reply import Attachment, PollSpec, Reply, plain_text
from core.domain.authority import EVERYONE, Place
from core.domain.outbox import OutgoingMessage
from core.domain.people import Platform
from core.polls import Room, record_posted

log = logging.getLogger(__name__)
# Opt in to PTB's coming behaviour: durations (RetryAfter.retry_after) as timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "true")

ALLOWED_UPDATES = ("message", "callback_query", "poll_answer")
WEBHOOK_PATH = "/telegram/webhook"
MAX_WEBHOOK_BODY = 256 * 1024
OFFSET_KEY = "telegram.offset"
PROGRESS_KEY = "telegram.progress.{tx_id}"
#: An update that fails this often is recorded under this key and skipped.
SKIPPED_KEY = "telegram.skipped.{update_id}"
UPDATE_TRIES = 3
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BUTTON_DATA = re.compile(r"b:(\d{1,12}):(\d{1,2})")
#: Vote buttons under our own polls: ``v:<poll id>:<option>``; ``+`` switches one option.
VOTE_DATA = re.compile(r"v:(\d{1,9}):(\+?)(\d{1,2})")
#: Telegram closes a native poll itself only within this window (``close_date``).
NATIVE_CLOSE = timedelta(seconds=600)
#: getChatMember statuses: who moderates a chat, who is in it.
MODERATOR_STATUSES = frozenset({"creator", "administrator"})
MEMBER_STATUSES = frozenset({"creator", "administrator", "member"})
USERNAME_KEY = "telegram.username"
#: Outgoing messages are retried from the outbox; between wake-ups we look every few seconds.
DELIVERY_TICK = 5.0
#: How often (seconds, at most) the getUpdates offset is stored while updates come in.
OFFSET_SAVE_EVERY = 5.0


# getUpdates is fetched raw on purpose (see TelegramTransport._get_updates).
warnings.filterwarnings("ignore", r"Please use 'Bot\.getUpdates'", PTBUserWarning)


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Telegram's flood limits; tests scale the periods down."""

    #: Sends are spaced evenly (no bursts), a hair under Telegram's 30 per second, so that no
    #: one-second window ever holds more than 30.
    overall_per_second: float = 29.5
    group_messages: float = 20
    group_period: float = 60
    #: Telegram asks for about one message per second in a private chat (short bursts pass).
    private_burst: float = 3
    private_period: float = 3
    #: How often PTB waits out a RetryAfter and resends before the outbox takes over.
    max_retries: int = 3
    #: Seconds before an update that failed is tried again (times the tries so far).
    update_retry_pause: float = 1.0


class TelegramTransport:
    platform = Platform.TELEGRAM

    def __init__(
        self, app: App, *, limits: RateLimits | None = None, poll_timeout: int = 30
    ) -> None:
        settings = app.settings
        if settings.telegram_token is None:
            raise ValueError("ENGAGIERT_TELEGRAM_TOKEN is not set")
        self.app = app
        self.limits = limits or RateLimits()
        self.poll_timeout = poll_timeout
        self.application = (
            Application.builder()
            .token(settings.telegram_token.get_secret_value())
            .base_url(settings.telegram_api_url)
            .rate_limiter(
                AIORateLimiter(
                    overall_max_rate=1,
                    overall_time_period=1 / self.limits.overall_per_second,
                    group_max_rate=self.limits.group_messages,
                    group_time_period=self.limits.group_period,
                    max_retries=self.limits.max_retries,
                )
            )
            .updater(None)
            .connection_pool_size(64)
            .pool_timeout(30)
            .build()
        )
        self.dispatcher = OutboxDispatcher(app.uow, app.clock, owner=app.instance)
        self.username = ""
        self._kick = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._waiting_for_updates = False  # the poll loop may be cancelled only then
        self._offset: int | None = None  # past the last update handled …
        self._saved_offset: int | None = None  # … and as stored
        self._private_limits: dict[str, AsyncLimiter] = {}
        self.state = "starting"

    @property
    def bot(self) -> ExtBot[None]:
        return self.application.bot

    # --- lifecycle --------------------------------------------------------------------------

    def routes(self) -> APIRouter | None:
        if self.app.settings.telegram_mode != "webhook":
            return None
        router = APIRouter()
        router.add_api_route(WEBHOOK_PATH, self._webhook, methods=["POST"])
        return router

    async def start(self) -> None:
        self._stopping.clear()
        await self.application.initialize()  # getMe: checks the token
        await self.application.start()
        self.username = self.bot.username or ""
        # For invitation links made by other processes.
        await self.app.transport_state.put(USERNAME_KEY, self.username)
        self.app.rooms.register(Platform.TELEGRAM, self)
        await self._publish_commands()
        if isinstance(self.app.notifier, NotificationHub):
            self.app.notifier.watch(Platform.TELEGRAM, self.kick)
        settings = self.app.settings
        if settings.telegram_mode == "webhook":
            await self.bot.set_webhook(
                settings.telegram_webhook_url,
                secret_token=settings.telegram_webhook_secret.get_secret_value(),
                allowed_updates=list(ALLOWED_UPDATES),
                drop_pending_updates=False,
            )
        else:
            await self.bot.delete_webhook(drop_pending_updates=False)
            self._tasks.append(asyncio.create_task(self._poll(), name="telegram-poll"))
        self._tasks.append(asyncio.create_task(self._deliver(), name="telegram-deliver"))
        self._kick.set()  # whatever an earlier run left in the outbox goes out now
        self.state = settings.telegram_mode
        log.info("telegram: running as @%s (%s)", self.username, settings.telegram_mode)

    async def stop(self) -> None:
        """Stop receiving, let the message in hand go out, close; also after a start that
        failed half-way (so that it can be tried again)."""
        self._stopping.set()
        self._kick.set()
        for task in self._tasks:
            # Cut the long poll short, never the update in hand (its transaction would be cut).
            if task.get_name() == "telegram-poll" and self._waiting_for_updates:
                task.cancel()
        # Let the delivery loop finish the message in hand rather than cut it off mid-send.
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=10)
            for task in pending:
                task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._offset != self._saved_offset:
            with contextlib.suppress(Exception):  # the database is away: redelivered then
                await self._save_offset(self._offset)
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        self.state = "stopped"

    async def _publish_commands(self) -> None:
        """The command menu in German (default) and English, from the command table: what
        anybody may do (``/hilfe`` lists the rest by role)."""
        for language in ("de", "en"):
            commands = []
            for command in self.app.router.commands:
                if not command.listed or command.action not in EVERYONE:
                    continue
                name = command.spelled(language)
                text = plain_text(self.app.translator.t(language, command.help_key))
                commands.append(BotCommand(name, text[:256]))
            await self.bot.set_my_commands(commands, language_code=language)
            if language == self.app.settings.default_language:
                await self.bot.set_my_commands(commands)

    # --- receiving --------------------------------------------------------------------------

    async def _poll(self) -> None:
        """Long polling that never ends while the service runs: network errors back off; an
        update that cannot be read, or keeps failing, is recorded and skipped."""
        stored = await self.app.transport_state.get(OFFSET_KEY)
        offset = self._offset = self._saved_offset = int(stored) if stored else None
        saved_at = time.monotonic()
        network = Retrying("telegram: getUpdates", expected=(TelegramError, TypeError))
        database = Retrying("telegram: handling updates", longest=DATABASE_PAUSE)
        failures: dict[int, int] = {}
        while not self._stopping.is_set():
            # Telegram itself forgets what getUpdates confirmed; the stored offset only spares
            # a restart the redelivery of the last updates (which the claim drops anyway), so
            # it is written now and then, off the way from update to reply.
            if offset != self._saved_offset and time.monotonic() - saved_at >= OFFSET_SAVE_EVERY:
                with contextlib.suppress(Exception):  # the database is away: next time
                    await self._save_offset(offset)
                    saved_at = time.monotonic()
            self._waiting_for_updates = True
            try:
                raw = await self._get_updates(offset)
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except Exception as exc:  # network, server or parse: retry later
                self.state = "degraded"
                await asyncio.sleep(network.failed(exc))
                continue
            finally:
                self._waiting_for_updates = False
            network.worked()
            self.state = "polling"
            try:
                offset = self._offset = await self._handle(raw, offset, failures)
            except Exception as exc:  # the database is away: the updates come again
                await asyncio.sleep(database.failed(exc))
            else:
                database.worked()
            await asyncio.sleep(0)  # the replies' delivery goes first, then the next poll

    async def _handle(
        self, raw: list[dict[str, Any]], offset: int | None, failures: dict[int, int]
    ) -> int | None:
        """Handle ``raw`` updates in order; returns the offset past the last one handled.

        An update that cannot be read, or whose handling fails the same way every time (an
        error in the data or the code), is recorded and skipped at once: trying again would
        only hold up everybody else's messages. One that meets a Telegram error is tried again
        with the next getUpdates and skipped after ``UPDATE_TRIES``; an outage of the database
        is raised instead (it is no fault of the update, which comes again)."""
        handled = offset
        for data in raw:
            update_id = data["update_id"]
            try:
                update = Update.de_json(data, self.bot)
            except Exception as exc:
                update = None
                await self._skip(update_id, exc, tries=1)
            try:
                if update is not None:
                    await self.process(update)
            except Exception as exc:
                if is_outage(exc):
                    raise
                failures[update_id] = failures.get(update_id, 0) + 1
                if not isinstance(exc, TelegramError):
                    await self._skip(update_id, exc, tries=1)
                elif failures[update_id] < UPDATE_TRIES:
                    # Nothing was committed; getUpdates hands this update over again.
                    log.exception("telegram: update %s failed; will retry", update_id)
                    await asyncio.sleep(failures[update_id] * self.limits.update_retry_pause)
                    break
                else:
                    await self._skip(update_id, exc, tries=UPDATE_TRIES)
            failures.pop(update_id, None)
            handled = update_id + 1
        return handled

    async def _get_updates(self, offset: int | None) -> list[dict[str, Any]]:
        """getUpdates as raw JSON, so that one update PTB cannot read does not take the
        others down with it. Raises TelegramError (or another error) as PTB does."""
        result = await self.bot.do_api_request(
            "getUpdates",
            api_kwargs={
                "offset": offset,
                "timeout": self.poll_timeout,
                "allowed_updates": list(ALLOWED_UPDATES),
            },
            read_timeout=self.poll_timeout + 10,
        )
        if not isinstance(result, list):
            raise TypeError(f"getUpdates answered {type(result).__name__}, not a list")
        return [u for u in result if isinstance(u, dict) and type(u.get("update_id")) is int]

    async def _skip(self, update_id: int, exc: Exception, *, tries: int) -> None:
        """Record an update given up on (its id and the error, never its content)."""
        log.error(
            "telegram: update %s skipped after %d %s: %s",
            update_id,
            tries,
            "try" if tries == 1 else "tries",
            describe(exc),
            exc_info=exc if not isinstance(exc, TelegramError) else None,
        )
        await self.app.transport_state.put(
            SKIPPED_KEY.format(update_id=update_id), f"{type(exc).__name__}: {exc}"[:500]
        )

    async def _save_offset(self, offset: int | None) -> None:
        if offset is not None:
            await self.app.transport_state.put(OFFSET_KEY, str(offset))
            self._saved_offset = offset

    async def _webhook(self, request: Request) -> Response:
        expected = self.app.settings.telegram_webhook_secret.get_secret_value().encode()
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return Response(status_code=403)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_WEBHOOK_BODY:
            return Response(status_code=413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_WEBHOOK_BODY:
                return Response(status_code=413)
        update = self._parsed(bytes(body))
        if update is None:
            return Response(status_code=400)
        try:
            await self.process(update)
        except Exception:
            log.exception("telegram: webhook update %s failed", update.update_id)
            return Response(status_code=500)  # Telegram delivers it again
        return Response(status_code=200)

    def _parsed(self, body: bytes) -> Update | None:
        """The update in a webhook body, or ``None`` when it is none: not JSON, not an object
        with an integer ``update_id``, nested too deep, or not readable as an Update."""
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            return None
        try:
            return Update.de_json(data, self.bot)
        except Exception as exc:  # PTB raises whatever the malformed part provokes
            log.warning(
                "telegram: webhook update %s unreadable (%s)", data["update_id"], type(exc).__name__
            )
            return None

    async def process(self, update: Update) -> None:
        """Handle one update; returns once its effect and replies are committed."""
        message = update.message
        if message is not None and (message.migrate_to_chat_id or message.migrate_from_chat_id):
            old, new = (
                (message.chat.id, message.migrate_to_chat_id)
                if message.migrate_to_chat_id
                else (message.migrate_from_chat_id, message.chat.id)
            )
            await self._chat_moved(str(old), str(new))
            return
        if update.poll_answer is not None:
            await self._poll_answer(update)
            return
        if update.callback_query is not None:
            if VOTE_DATA.fullmatch(update.callback_query.data or ""):
                await self._vote_button(update)
                return
            message = await self._from_button(update)
        else:
            message = self._from_message(update)
        if message is None:
            return
        if await self.app.router.handle(message):
            self._kick.set()

    async def _chat_moved(self, old_chat_id: str, new_chat_id: str) -> None:
        await self.app.router.chat_moved(Platform.TELEGRAM, old_chat_id, new_chat_id)
        self._kick.set()  # what waited for the old chat goes out to the new one

    # --- the room directory (core.ports.RoomDirectory) ----------------------------------------

    async def is_moderator(self, platform: Platform, chat_id: str, user_id: str) -> bool:
        """A group's creator or administrators; never anyone in a private chat."""
        if not chat_id.startswith("-"):
            return False
        return await self._member_status(chat_id, user_id) in MODERATOR_STATUSES

    async def is_member(self, platform: Platform, chat_id: str, user_id: str) -> bool:
        """In the chat now: getChatMember says creator, administrator, member, or restricted
        but still a member. A private chat holds only its own user."""
        if not chat_id.startswith("-"):
            return chat_id == user_id
        return await self._member_status(chat_id, user_id) in MEMBER_STATUSES

    async def _member_status(self, chat_id: str, user_id: str) -> str | None:
        if not user_id.lstrip("-").isdigit():
            return None
        try:
            member = await self.bot.get_chat_member(int(chat_id), int(user_id))
        except TelegramError as exc:
            log.warning("telegram: getChatMember %s/%s failed: %s", chat_id, user_id, exc)
            return None
        if member.status == "restricted" and getattr(member, "is_member", False):
            return "member"
        return member.status

    async def _poll_answer(self, update: Update) -> None:
        """A vote on a native poll: counted once per update, in the update's transaction."""
        answer = update.poll_answer
        if answer.user is None:
            return  # a vote on behalf of a chat (anonymous admin): no person to count
        await self.app.router.vote(
            _vote(
                update.update_id,
                answer.user,
                # Telegram does not say in which chat (a forwarded copy counts too): the core
                # asks whether the voter is in one of the poll's chats.
                Place(Platform.TELEGRAM, None, True, str(answer.user.id)),
                choices=tuple(answer.option_ids),
                external_poll_id=answer.poll_id,
            )
        )

    async def _vote_button(self, update: Update) -> None:
        """A vote button under one of our polls; the answer is a short notice, no message.

        The data comes from the client: it only names a poll and an option, which anybody may
        vote for with ``/abstimmen`` as well; the core checks both.
        """
        query = update.callback_query
        match = VOTE_DATA.fullmatch(query.data or "")
        poll_id, toggle, option = int(match.group(1)), match.group(2), int(match.group(3))
        chat = query.message.chat if query.message is not None else None
        place = Place(
            Platform.TELEGRAM,
            str(chat.id) if chat else None,
            chat is None or chat.type == "private",
            str(query.from_user.id),
        )
        text = await self.app.router.vote(
            _vote(
                update.update_id,
                query.from_user,
                place,
                poll_id=poll_id,
                choices=() if toggle else (option,),
                toggle=option if toggle else None,
            )
        )
        with contextlib.suppress(TelegramError):
            await query.answer(text[:200] if text else None)

    def _from_message(self, update: Update) -> IncomingMessage | None:
        msg = update.message
        if msg is None or msg.text is None or msg.from_user is None:
            return None
        head = msg.text.split(maxsplit=1)[0] if msg.text.strip() else ""
        # An anonymous group administrator writes as the group (sender_chat), the sender is
        # Telegram's GroupAnonymousBot: a command gets an explanation, other text nothing.
        anonymous = msg.sender_chat is not None and msg.sender_chat.id == msg.chat.id
        if (msg.from_user.is_bot and not anonymous) or (anonymous and not head.startswith("/")):
            return None
        if head.startswith("/") and "@" in head:
            addressed = head.split("@", 1)[1]
            if addressed.lower() != self.username.lower():
                return None  # a command for another bot in the group
        text, addressed = msg.text, False
        if msg.chat.type != "private" and not head.startswith("/"):
            mention = re.compile(rf"@{re.escape(self.username)}\b", re.IGNORECASE)
            replied = msg.reply_to_message and msg.reply_to_message.from_user
            addressed = bool(self.username and mention.search(text)) or bool(
                replied and replied.id == self.bot.id
            )
            text = " ".join(mention.sub(" ", text).split()) if self.username else text
        return IncomingMessage(
            Platform.TELEGRAM,
            sender_id=str(msg.from_user.id),
            text=text,
            sender_name=msg.from_user.full_name,
            chat_id=str(msg.chat.id),
            is_private=msg.chat.type == "private",
            message_id=str(update.update_id),
            reply_to_id=str(msg.message_id),
            addressed=addressed,
            anonymous=anonymous,
        )

    async def _from_button(self, update: Update) -> IncomingMessage | None:
        """A button press becomes the command it stands for, if the presser may press it."""
        query = update.callback_query
        command = await self._button_command(query.data or "", query)
        with contextlib.suppress(TelegramError):
            if command is None:
                language = self.app.translator.language(query.from_user.language_code)
                text = plain_text(self.app.translator.t(language, "telegram.button_invalid"))
                await query.answer(text, show_alert=True)
            else:
                await query.answer()
        if command is None or query.message is None:
            return None
        return IncomingMessage(
            Platform.TELEGRAM,
            sender_id=str(query.from_user.id),
            text=command,
            sender_name=query.from_user.full_name,
            chat_id=str(query.message.chat.id),
            is_private=query.message.chat.type == "private",
            message_id=str(update.update_id),
            reply_to_id="",  # the update id is no message id: the answer quotes nothing
        )

    async def _button_command(self, data: str, query: CallbackQuery) -> str | None:
        match = BUTTON_DATA.fullmatch(data)
        if match is None or query.message is None:
            return None
        async with self.app.uow() as uow:
            sent = await uow.outbox.get(int(match.group(1)))
        if sent is None or sent.platform != Platform.TELEGRAM.value:
            return None
        reply = Reply.from_dict(sent.payload["reply"])
        buttons = [button for row in reply.buttons for button in row]
        index = int(match.group(2))
        owner = sent.payload.get("sender_id")
        chat = str(query.message.chat.id)
        if index >= len(buttons) or chat not in (sent.chat_id, owner):
            return None
        if reply.private and str(query.from_user.id) != owner:
            return None  # someone else's personal buttons
        return buttons[index].command

    # --- sending ----------------------------------------------------------------------------

    async def _deliver(self) -> None:
        delivery = Retrying("telegram: delivery", longest=DATABASE_PAUSE)
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), timeout=DELIVERY_TICK)
            self._kick.clear()
            try:
                await self.dispatcher.dispatch(
                    Platform.TELEGRAM.value, self.send, concurrency=32, wake=self._kick
                )
            except Exception as exc:
                await asyncio.sleep(delivery.failed(exc))
                self._kick.set()  # try again after the pause, not only at the next tick
            else:
                delivery.worked()

    def kick(self) -> None:
        """Wake the delivery loop (after something was put into the outbox)."""
        self._kick.set()

    async def send(self, message: OutgoingMessage) -> None:
        """Deliver one outbox message: text in chunks, buttons, file, group note.

        Progress through the parts is stored, so a retry does not repeat what went out.
        """
        payload = message.payload
        made = await with_made_file(self.app, Reply.from_dict(payload["reply"]))
        if made is None:
            return
        reply = made
        if await poll_closed_meanwhile(self.app.uow(), self.app.clock, reply, message):
            return
        owner = str(payload.get("sender_id") or "")
        personal = bool(reply.private and not payload["chat_is_private"] and owner)
        target = owner if personal else message.chat_id
        chunks = split_html(str(reply.text))
        steps: list[Callable[[], Awaitable[None]]] = []
        for number, chunk in enumerate(chunks):
            markup = _keyboard(message.id, reply) if number == len(chunks) - 1 else None
            reply_to = payload.get("reply_to") if number == 0 and not personal else None
            steps.append(partial(self._send_text, target, chunk, markup, reply_to))
        if reply.attachment is not None:
            steps.append(partial(self._send_file, target, reply.attachment))
        if personal:
            steps.append(partial(self._send_note, message.chat_id, payload, delivered=True))
        if reply.poll is not None:
            steps = self._poll_steps(target, reply, reply.poll, steps)
        if reply.retract_command and not payload["chat_is_private"]:
            steps.append(partial(self._retract, message.chat_id, payload.get("reply_to")))
        key = PROGRESS_KEY.format(tx_id=message.tx_id)
        done = await self._progress(key) if len(steps) > 1 else 0
        for number, step in enumerate(steps[done:], start=done):
            try:
                await _translated_errors(step)
            except ChatMigrated as exc:  # the group became a supergroup: resend there
                await self._chat_moved(message.chat_id, str(exc.new_chat_id))
                raise RetryLater(timedelta(0)) from None
            except PermanentDeliveryError as exc:
                if not (personal and isinstance(exc.__cause__, Forbidden)):
                    raise
                # The person never opened a private chat with the bot: say so in the group.
                await _translated_errors(
                    partial(self._send_note, message.chat_id, payload, delivered=False)
                )
                break
            if len(steps) > 1 and number + 1 < len(steps):
                await self._set_progress(key, number + 1)
        if len(steps) > 1:
            await self.app.transport_state.delete(key)

    def _poll_steps(
        self,
        chat_id: str,
        reply: Reply,
        spec: PollSpec,
        steps: list[Callable[[], Awaitable[None]]],
    ) -> list[Callable[[], Awaitable[None]]]:
        """A new poll is posted instead of the text; a closed one is stopped before the
        result is sent."""
        if spec.closed:
            return [partial(self._stop_poll, chat_id, spec), *steps]
        return [partial(self._post_poll, chat_id, reply, spec)]

    async def _post_poll(self, chat_id: str, reply: Reply, spec: PollSpec) -> None:
        """Natively where Telegram's poll can express ours (named, results shown, no partial
        limit on choices); otherwise our text with vote buttons (our own anonymity)."""
        await self._limit(chat_id)
        if _native(spec):
            close_date = None
            if spec.closes_at:
                closes = datetime.fromisoformat(spec.closes_at)
                if closes - self.app.clock.now() <= NATIVE_CLOSE:
                    close_date = closes
            sent = await self.bot.send_poll(
                int(chat_id),
                spec.question,
                list(spec.options),
                is_anonymous=False,
                allows_multiple_answers=spec.max_choices > 1,
                close_date=close_date,
            )
            external = sent.poll.id if sent.poll else None
        else:
            sent = await self.bot.send_message(
                int(chat_id),
                str(reply.text),
                parse_mode=ParseMode.HTML,
                reply_markup=_vote_keyboard(spec),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            external = None
        await record_posted(
            self.app.uow(),
            poll_id=spec.poll_id,
            room=Room(Platform.TELEGRAM, chat_id),
            external_poll_id=external,
            message_id=str(sent.message_id),
        )

    async def _stop_poll(self, chat_id: str, spec: PollSpec) -> None:
        """Close the posted native poll (``stopPoll``) or take the vote buttons away."""
        async with self.app.uow() as uow:
            rooms = await uow.polls.rooms(spec.poll_id)
        posted = next(
            (r for r in rooms if r.platform is Platform.TELEGRAM and r.chat_id == chat_id), None
        )
        if posted is None or posted.message_id is None:
            return
        await self._limit(chat_id)
        try:
            if posted.external_poll_id:
                await self.bot.stop_poll(int(chat_id), int(posted.message_id))
            else:
                await self.bot.edit_message_reply_markup(
                    int(chat_id), int(posted.message_id), reply_markup=None
                )
        except BadRequest as exc:  # Telegram closed it at close_date, or it was deleted
            log.info("telegram: poll %s in %s not stopped: %s", spec.poll_id, chat_id, exc)

    async def _retract(self, chat_id: str, message_id: str | None) -> None:
        """Delete the member's message (an anonymous vote typed into the group), where the
        bot may delete messages there; otherwise the hint alone has to do."""
        if not message_id or not message_id.isdigit():
            return
        try:
            await self.bot.delete_message(int(chat_id), int(message_id))
        except TelegramError as exc:
            log.info("telegram: could not delete message %s in %s: %s", message_id, chat_id, exc)

    async def _send_file(self, chat_id: str, file: Attachment) -> None:
        await self._limit(chat_id)
        await self.bot.send_document(int(chat_id), InputFile(file.content, filename=file.filename))

    async def _send_note(self, chat_id: str, payload: dict[str, Any], *, delivered: bool) -> None:
        """The short note in the group about a personal answer, in the person's language."""
        language = self.app.settings.default_language
        async with self.app.uow() as uow:
            identity = await uow.identities.get(Platform.TELEGRAM, str(payload["sender_id"]))
            person = await uow.persons.get(identity.person_id) if identity else None
        if person is not None:
            language = self.app.translator.language(person.language)
        key = "adapter.private_note" if delivered else "adapter.private_unreachable"
        note = self.app.translator.t(language, key, name=payload.get("sender_name") or "")
        await self._send_text(chat_id, str(note))

    async def _send_text(
        self,
        chat_id: str,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        reply_to: str | None = None,
    ) -> None:
        await self._limit(chat_id)
        reply_parameters = None
        if reply_to and reply_to.isdigit():
            reply_parameters = ReplyParameters(int(reply_to), allow_sending_without_reply=True)
        await self.bot.send_message(
            int(chat_id),
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            reply_parameters=reply_parameters,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    async def _limit(self, chat_id: str) -> None:
        """About one message per second in a private chat (groups: PTB's limiter)."""
        if chat_id.startswith("-"):
            return
        limiter = self._private_limits.get(chat_id)
        if limiter is None:
            if len(self._private_limits) > 10_000:
                self._private_limits.clear()
            limiter = AsyncLimiter(self.limits.private_burst, self.limits.private_period)
            self._private_limits[chat_id] = limiter
        await limiter.acquire()

    async def _progress(self, key: str) -> int:
        value = await self.app.transport_state.get(key)
        return int(value) if value else 0

    async def _set_progress(self, key: str, done: int) -> None:
        await self.app.transport_state.put(key, str(done))


def _native(spec: PollSpec) -> bool:
    """Telegram's own poll fits a named poll with visible results and one or all choices."""
    unlimited = spec.max_choices in (1, len(spec.options))
    return not spec.anonymous and not spec.hidden_results and unlimited


def _vote_keyboard(spec: PollSpec) -> InlineKeyboardMarkup:
    switch = "+" if spec.max_choices > 1 else ""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    f"{n + 1}. {o[:60]}", callback_data=f"v:{spec.poll_id}:{switch}{n}"
                )
            ]
            for n, o in enumerate(spec.options)
        ]
    )


def _keyboard(outbox_id: int | None, reply: Reply) -> InlineKeyboardMarkup | None:
    """Buttons carry only a reference to the stored reply: ``b:<outbox id>:<index>``."""
    if not reply.buttons or outbox_id is None:
        return None
    rows, index = [], 0
    for row in reply.buttons:
        keys = []
        for button in row:
            keys.append(InlineKeyboardButton(button.label, callback_data=f"b:{outbox_id}:{index}"))
            index += 1
        rows.append(keys)
    return InlineKeyboardMarkup(rows)


async def _translated_errors(step: Callable[[], Awaitable[None]]) -> None:
    """PTB's errors in the dispatcher's terms: wait, give up, or (anything else) retry."""
    try:
        await step()
    except RetryAfter as exc:  # PTB waited and resent already; now the outbox waits
        raise RetryLater(timedelta(seconds=_seconds(exc.retry_after))) from None
    except (BadRequest, Forbidden) as exc:
        raise PermanentDeliveryError(str(exc)) from exc


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _vote(update_id: int, user: Any, place: Place, **vote: Any) -> IncomingVote:
    """The neutral vote of a Telegram ``user`` (counted once per update)."""
    return IncomingVote(
        Platform.TELEGRAM,
        str(update_id),
        str(user.id),
        user.full_name,
        place,
        language=user.language_code,
        **vote,
    )
