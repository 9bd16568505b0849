"""The command table and the router that turns an incoming message into replies."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from markupsafe import Markup
from rapidfuzz import process

from bot.context import Context
from bot.flood import Admission, FloodGuard
from bot.handlers import polls
from bot.messages import IncomingMessage, IncomingVote
from bot.notifications import NotificationHub
from bot.outages import is_outage
from bot.reply import Reply, plain_text
from core.audit import VIA
from core.authority import authorize, load_person
from core.chats import move_chat
from core.domain.authority import Action
from core.domain.errors import DomainError, InvalidInput, NotFound
from core.domain.outbox import OutgoingMessage
from core.domain.people import Platform
from core.domain.text import has_control_characters, without_invisible
from core.members import resolve_identity
from core.polls import cast_platform_vote
from core.ports import UnitOfWork
from storage.uow import JoinedUnitOfWork

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

MAX_MESSAGE_LENGTH = 4000

Handler = Callable[[Context, str], Awaitable[Reply | Sequence[Reply]]]


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # German, without slash
    aliases: tuple[str, ...]  # English and other spellings
    handler: Handler
    #: What the command does, for the authority decision. Actions that need no object are
    #: checked here, before the handler; the others (polls, an event's rooms) by the core
    #: use case, which knows the object.
    action: Action = Action.READ
    #: Shown in the help? (``/start`` is not, it is the entry point.)
    listed: bool = True
    #: Does it read words after its name? Words after one that does not are refused, so
    #: that nobody believes ``/termine morgen`` filtered anything.
    arguments: bool = True

    @property
    def checked_by_router(self) -> bool:
        return self.action not in OBJECT_ACTIONS

    @property
    def help_key(self) -> str:
        return f"help.{self.name}"

    @property
    def english(self) -> str:
        """The English name: the last alias (or the name where it is the same)."""
        return self.aliases[-1] if self.aliases else self.name

    def spelled(self, language: str) -> str:
        return self.english if language == "en" else self.name


#: Decided by the core use case, which has the poll or event at hand.
OBJECT_ACTIONS = frozenset(
    {
        Action.START_POLL,
        Action.START_EVENT_POLL,
        Action.LINK_EVENT_ROOM,
        Action.POST_POLL,
        Action.CONTROL_POLL,
        Action.CHECK_IN,
    }
)


class Router:
    def __init__(
        self, app: App, commands: Sequence[Command], plain_text: Command | None = None
    ) -> None:
        self.app = app
        #: What a message without a command means in a private chat (``None``: not understood).
        self.plain_text = plain_text
        self.flood = FloodGuard(app.settings.flood_messages, app.settings.flood_seconds)
        self.commands = list(commands)
        self._table: dict[str, Command] = {}
        for command in self.commands:
            for name in (command.name, *command.aliases):
                if name in self._table:
                    raise ValueError(f"command name {name!r} used twice")
                self._table[name] = command

    def lookup(self, name: str) -> Command | None:
        return self._table.get(name.lower())

    def spelling(self, name: str, language: str) -> str:
        """How a person writing ``language`` types the command ``name``: its German name, or
        in English its English alias (the last one)."""
        return self._table[name].spelled(language)

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        """Every reply for ``message``; nothing (an empty list) for group chatter.

        A message with a platform id is handled exactly once: the record that it was
        processed, its effect and its replies (in the outbox) commit in one transaction, and a
        redelivery returns nothing. Adapters then send the replies from the outbox.
        """
        where = VIA.set(message.platform.value)  # the audit log: where the person acted
        try:
            return await self._handle(message)
        finally:
            VIA.reset(where)

    async def _handle(self, message: IncomingMessage) -> list[Reply]:
        admission = Admission.ADMIT
        if message.platform is not Platform.CONSOLE:  # the terminal cannot flood anyone
            admission = await self.flood.admit(message.platform, message.sender_id)
            if admission is Admission.DROP:
                log.info("flood: dropped a message of %s/%s", message.platform, message.sender_id)
                return []
        if message.message_id is None:
            if admission is Admission.WARN:
                return [await self._flood_notice(message, self.app.uow)]
            return await self._respond(message, self.app.uow, None)
        now = self.app.clock.now()
        async with self.app.uow() as uow:
            if not await uow.inbound.claim(message.platform, message.message_id, now):
                log.info("ignoring redelivered %s message %s", message.platform, message.message_id)
                return []
            joined = JoinedUnitOfWork(uow)
            if admission is Admission.WARN:
                log.warning("flood: %s/%s paused", message.platform, message.sender_id)
                replies = [await self._flood_notice(message, lambda: joined)]
            else:
                replies = await self._respond(message, lambda: joined, uow.savepoint)
            for reply in replies:
                await uow.outbox.add(outgoing(message, reply, now))
            await uow.commit()
        others = uow.outbox.platforms - {message.platform.value}
        if others and isinstance(self.app.notifier, NotificationHub):
            self.app.notifier.wake(others)  # e.g. a poll posted into the event's other chats
        return replies

    async def vote(self, vote: IncomingVote) -> str | None:
        """Count ``vote`` exactly once (its event id is claimed in the vote's transaction);
        returns the confirmation, or why it did not count, as plain text; ``None`` for a
        redelivery or an account paused for flooding."""
        if await self.flood.admit(vote.platform, vote.sender_id) is not Admission.ADMIT:
            return None
        translator = self.app.translator
        language = translator.language(vote.language)
        now = self.app.clock.now()
        async with self.app.uow() as uow:
            if not await uow.inbound.claim(vote.platform.value, vote.event_id, now):
                log.info("ignoring redelivered %s vote %s", vote.platform, vote.event_id)
                return None
            joined = JoinedUnitOfWork(uow)
            try:
                async with uow.savepoint():
                    result = await cast_platform_vote(
                        joined,
                        platform=vote.platform,
                        external_user_id=vote.sender_id,
                        display_name=vote.sender_name,
                        language=language,
                        now=min(now, vote.cast_at) if vote.cast_at else now,
                        place=vote.place,
                        rooms=self.app.rooms,
                        poll_id=vote.poll_id,
                        external_poll_id=vote.external_poll_id,
                        choices=await _choices(joined, vote),
                        toggle=vote.toggle,
                    )
                text = polls.vote_text(polls.translate(translator, language), result)
            except DomainError as exc:
                log.info("%s vote %s not counted (%s)", vote.platform, vote.event_id, exc.code)
                text = self.error_reply(language, exc).text
            await uow.commit()
        return plain_text(text)

    async def chat_moved(self, platform: Platform, old_chat_id: str, new_chat_id: str) -> int:
        """A chat got a new id (a Telegram group became a supergroup, a Matrix room was
        upgraded): its links and undelivered messages follow (idempotent; how many moved)."""
        moved = await move_chat(
            self.app.uow(), platform=platform, old_chat_id=old_chat_id, new_chat_id=new_chat_id
        )
        if moved and isinstance(self.app.notifier, NotificationHub):
            self.app.notifier.wake({platform.value})  # what waited goes out to the new chat
        return moved

    async def _respond(
        self,
        message: IncomingMessage,
        uow_factory: Callable[[], UnitOfWork],
        savepoint: Callable[[], AbstractAsyncContextManager[object]] | None,
    ) -> list[Reply]:
        message = replace(message, text=without_invisible(message.text))
        parsed = _parse(message.text)
        if parsed is None and not (message.is_private or message.addressed):
            return []  # group chatter
        if parsed is None and message.text.strip() == "/":
            command, args = None, ""
        elif parsed is None:  # a plain message in a private chat: a dialogue step or a question
            command, args = self.plain_text, message.text.strip()
        else:
            command, args = self.lookup(parsed[0]), parsed[1]
        if command is None and parsed is not None and not message.is_private:
            return []  # in groups, commands meant for other bots are none of our business
        problem = _check_text(message.text)
        if problem or command is None or (not args and parsed is None):
            language = await self._language_of(message, uow_factory)
            if problem:
                return [self._error(language, problem)]
            if parsed is None:
                return [self._error(language, "not_understood")]
            return [self._unknown(language, parsed[0])]
        language = self.app.settings.default_language
        if message.anonymous:  # the bot acts for persons: an anonymous admin is none
            return [self._error(language, "anonymous_sender")]
        try:
            # A failure here must not spoil the transaction the apology is written in.
            async with (savepoint or nullcontext)():
                ctx = await self._context(message, uow_factory)
        except NotFound as exc:  # ``--as`` a person erased meanwhile
            if exc.code != "person_not_found":
                raise
            return [self._error(language, "person_gone")]
        except Exception as exc:
            if _comes_again(message, exc):
                raise
            log.exception("could not resolve sender %s/%s", message.platform, message.sender_id)
            return [self._error(language, "internal")]
        replies = await self._run(ctx, command, args, savepoint or nullcontext)
        return await self._with_privacy_notice(ctx, replies)

    async def _language_of(
        self, message: IncomingMessage, uow_factory: Callable[[], UnitOfWork]
    ) -> str:
        """The sender's language for an answer given before (or without) a context; a
        sender not yet known is not recorded for that (the default language)."""
        try:
            async with uow_factory() as uow:
                person_id = message.person_id
                if person_id is None:
                    identity = await uow.identities.get(message.platform, message.sender_id)
                    person_id = identity.person_id if identity else None
                person = await uow.persons.get(person_id) if person_id is not None else None
        except Exception:
            log.exception("could not look up the language of %s", message.platform)
            person = None
        return self.app.translator.language(person.language if person else None)

    async def _context(
        self, message: IncomingMessage, uow_factory: Callable[[], UnitOfWork]
    ) -> Context:
        now = self.app.clock.now()
        if message.person_id is not None:
            async with uow_factory() as uow:
                person = await load_person(uow, message.person_id)
        else:
            person = await resolve_identity(
                uow_factory(),
                platform=message.platform,
                external_id=message.sender_id,
                display_name=message.sender_name,
                language=self.app.settings.default_language,
                now=now,
            )
        return Context(self.app, person, message, now, uow_factory)

    async def _run(
        self,
        ctx: Context,
        command: Command,
        args: str,
        savepoint: Callable[[], AbstractAsyncContextManager[object]],
    ) -> list[Reply]:
        ctx.command = command.name
        try:
            if command.checked_by_router:
                await authorize(ctx.person, command.action, ctx.place, self.app.rooms)
            if args and not command.arguments:
                raise InvalidInput(
                    "extra_arguments", extra=args[:40], example=ctx.cmd(command.name)
                )
            async with savepoint():  # a failing command leaves no partial effect behind
                result = await command.handler(ctx, args)
        except NotFound as exc:
            if exc.code == "person_not_found":
                return [self._error(ctx.language, "person_gone")]
            return [self.error_reply(ctx.language, exc)]
        except DomainError as exc:
            return [self.error_reply(ctx.language, exc)]
        except Exception as exc:
            if _comes_again(ctx.message, exc):
                raise
            log.exception(
                "command /%s failed (platform=%s sender=%s person=%s message=%s)",
                command.name,
                ctx.message.platform,
                ctx.message.sender_id,
                ctx.person.id,
                ctx.message.message_id,
            )
            return [self._error(ctx.language, "internal")]
        return [result] if isinstance(result, Reply) else list(result)

    async def _with_privacy_notice(self, ctx: Context, replies: list[Reply]) -> list[Reply]:
        """The first answer a person gets says, briefly, what the bot stores and where the
        full text is (DSGVO Art. 13); when it was shown is stored with the person. It follows
        the answer in the same message, so the answer is not delayed; in a group too, where a
        private message may not reach someone who never wrote to the bot.

        It comes with the first answer that is not an error (bad input changes nothing). Only
        for someone not yet told, the person is looked up again: ``/start CODE`` may have
        linked the account to another person, ``/daten_loeschen`` erased it (then nothing is
        said).
        """
        message = ctx.message
        if ctx.person.privacy_notice_at is not None:  # the usual case: no further query
            return replies
        if not replies or any(reply.is_error for reply in replies):
            return replies  # bad input changes nothing; the notice comes with a real answer
        async with ctx.uow() as uow:
            if message.person_id is not None:
                person = await uow.persons.get(message.person_id)
            else:
                identity = await uow.identities.get(message.platform, message.sender_id)
                person = await uow.persons.get(identity.person_id) if identity else None
            if person is None or person.privacy_notice_at is not None:
                return replies
            person.privacy_notice_at = ctx.now
            await uow.persons.update(person)
            await uow.commit()
        t, language = self.app.translator.t, self.app.translator.language(person.language)
        notice = t(language, "privacy.notice", months=self.app.settings.retention_months)
        if self.app.settings.privacy_url:
            notice = Markup("{} {}").format(
                notice, t(language, "privacy.notice_link", url=self.app.settings.privacy_url)
            )
        first = replies[0]  # in a group too: a private message may not reach the person yet
        return [replace(first, text=Markup("\n\n").join([first.text, notice])), *replies[1:]]

    def error_reply(self, language: str, error: DomainError) -> Reply:
        return Reply(self.app.translator.error(language, error), is_error=True)

    async def _flood_notice(
        self, message: IncomingMessage, uow_factory: Callable[[], UnitOfWork]
    ) -> Reply:
        language = await self._language_of(message, uow_factory)
        text = self.app.translator.t(language, "error.flood", seconds=self.flood.pause_seconds())
        return Reply(text, private=True, is_error=True)

    def _error(self, language: str, code: str) -> Reply:
        return Reply(self.app.translator.t(language, f"error.{code}"), is_error=True)

    def _unknown(self, language: str, name: str) -> Reply:
        t = self.app.translator.t
        match = process.extractOne(name.lower(), list(self._table), score_cutoff=75)
        if match:
            suggestion = "/" + self._table[match[0]].name
            return Reply(
                t(language, "error.unknown_command_suggest", command=name, suggestion=suggestion),
                is_error=True,
            )
        return Reply(t(language, "error.unknown_command", command=name[:40]), is_error=True)


def outgoing(message: IncomingMessage, reply: Reply, now: datetime) -> OutgoingMessage:
    """The outbox row for one reply, with what the adapter needs to route it."""
    payload = {
        "reply": reply.to_dict(),
        "reply_to": message.message_id if message.reply_to_id is None else message.reply_to_id,
        "sender_id": message.sender_id,
        "sender_name": "" if reply.ephemeral else message.sender_name,
        "chat_is_private": message.is_private,
    }
    if message.thread_id:
        payload["thread"] = message.thread_id
    return OutgoingMessage(message.platform, message.chat_id, payload, uuid.uuid4().hex, now)


def _check_text(text: str) -> str | None:
    if len(text) > MAX_MESSAGE_LENGTH:
        return "too_long"
    return "control_characters" if has_control_characters(text) else None


def _parse(text: str) -> tuple[str, str] | None:
    """``/anmelden@EngagiertBot 3`` → ``("anmelden", "3")``; ``None`` when not a command."""
    text = text.strip()
    if not text.startswith("/") or len(text) < 2:
        return None
    head, *rest = text[1:].split(maxsplit=1)  # a space, a tab or a line break ends the name
    name = head.split("@", 1)[0]
    return name, rest[0].strip() if rest else ""


def _comes_again(message: IncomingMessage, error: Exception) -> bool:
    """The database went away while ``message`` was handled, and the platform delivers it
    again (it has an id, and nothing was committed): handle it then instead of apologising
    now for a command that would be lost."""
    return message.message_id is not None and is_outage(error)


async def _choices(uow: UnitOfWork, vote: IncomingVote) -> list[int]:
    """The option indices of ``vote``; worked out from its poll where the platform names
    answers instead (raises NotFound ``poll_not_found`` for a poll that is not ours)."""
    if vote.choices_for is None:
        return list(vote.choices)
    async with uow:
        poll_id = vote.poll_id
        if poll_id is None:
            posted = await uow.polls.room_for(vote.platform, vote.external_poll_id or "")
            poll_id = posted.poll_id if posted else None
        poll = await uow.polls.get(poll_id) if poll_id is not None else None
    if poll is None:
        raise NotFound("poll_not_found", id=vote.external_poll_id)
    return vote.choices_for(poll)
