"""Sending what the outbox holds: each message once, retried with backoff, given up visibly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.reply import Attachment, MadeFile, Reply
from core.domain.outbox import MAX_ATTEMPTS, OutgoingMessage, retry_delay
from core.domain.people import Platform
from core.polls import still_open
from core.ports import Clock, UnitOfWork

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

Send = Callable[[OutgoingMessage], Awaitable[None]]
LEASE = timedelta(minutes=2)
BATCH = 100
#: While chats are being served, look for newly due messages at least this often (seconds).
RECHECK = 1.0


class PermanentDeliveryError(Exception):
    """Retrying cannot help (the chat is gone, the bot was blocked)."""


#: Why something was not delivered, as the office reads it: a code of
#: ``delivery.reason.*``, recognised in the stored error (platforms answer in English).
REASONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("declined", ("declined:",)),
    ("mail_refused", ("mailbox refused",)),
    ("rejected", ("mail rejected",)),
    ("unreachable", ("unreachable", "no chat on a platform")),
    ("erased", ("erased",)),
    ("blocked", ("forbidden", "blocked", "deactivated", "kicked")),
    ("chat_not_found", ("chat not found", "peer_id_invalid", "not in the room", "m_forbidden")),
    ("invite", ("cannot invite",)),
    ("rejected", ("bad request", "badrequest", "can't parse", "too long")),
    ("waiting", ("retry after", "retrylater", "flood")),
    ("network", ("timed out", "timeout", "network", "connect", "unreachable host")),
)


def reason(error: str) -> str:
    """The ``delivery.reason.*`` code for a stored delivery error (``other`` if unknown)."""
    lowered = error.lower()
    return next((code for code, marks in REASONS if any(m in lowered for m in marks)), "other")


#: While a platform's server is away, its messages are looked at again this often.
OUTAGE_RETRY = timedelta(seconds=30)


class ServerUnavailable(Exception):
    """The platform's server cannot be reached or refuses the bot itself (its login, its
    sender), nothing about this message: it is tried again after ``delay`` without using up
    its attempts, so that an outage of any length loses nothing."""

    def __init__(self, reason: str, delay: timedelta = OUTAGE_RETRY) -> None:
        super().__init__(reason)
        self.delay = delay


class RetryLater(Exception):
    """The platform asked us to wait (flood control); try again after ``delay``."""

    def __init__(self, delay: timedelta) -> None:
        super().__init__(f"retry after {delay.total_seconds():.0f} s")
        self.delay = delay


class OutboxDispatcher:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        *,
        lease: timedelta = LEASE,
        owner: str | None = None,
    ) -> None:
        """``owner`` names this process on the leases it takes (``App.instance``)."""
        self._uow_factory = uow_factory
        self._clock = clock
        self._lease = lease
        self._owner = owner

    async def dispatch(
        self,
        platform: str,
        send: Send,
        *,
        concurrency: int = 1,
        wake: asyncio.Event | None = None,
    ) -> int:
        """Send every due message of ``platform``; returns how many went out.

        Messages to one chat go out one after another, in order, by that chat's own worker;
        chats never wait for each other (a private chat paced at one message a second, or a
        flood of replies to one account, holds up only that chat). Up to ``concurrency``
        sends run at once. While workers run, new messages are claimed when ``wake`` is set,
        when a worker ends, and every :data:`RECHECK` seconds. Returns when no worker runs
        and nothing is due.
        """
        delivered = 0
        slots = asyncio.Semaphore(concurrency)
        workers: dict[str, asyncio.Task[int]] = {}
        try:
            while True:
                async with self._uow_factory() as uow:
                    batch = await uow.outbox.claim_due(
                        platform,
                        self._clock.now(),
                        BATCH,
                        self._lease,
                        owner=self._owner,
                        skip_chats=list(workers),
                    )
                    await uow.commit()
                by_chat: dict[str, list[OutgoingMessage]] = {}
                for message in batch:
                    by_chat.setdefault(message.chat_id, []).append(message)
                for chat_id, messages in by_chat.items():
                    workers[chat_id] = asyncio.create_task(self._serve(messages, send, slots))
                if not workers:
                    return delivered
                if len(batch) < BATCH:  # all claimed: wait for a worker, new work or a tick
                    await self._wait(workers.values(), wake)
                for chat_id, task in list(workers.items()):
                    if task.done():
                        delivered += task.result()
                        del workers[chat_id]
        finally:
            for task in workers.values():
                task.cancel()

    async def _serve(
        self, messages: list[OutgoingMessage], send: Send, slots: asyncio.Semaphore
    ) -> int:
        sent = 0
        for message in messages:
            async with slots:
                sent += await self._send_one(message, send)
        return sent

    @staticmethod
    async def _wait(workers: Iterable[asyncio.Task[int]], wake: asyncio.Event | None) -> None:
        waiting: set[asyncio.Future[Any]] = set(workers)
        woken = asyncio.ensure_future(wake.wait()) if wake is not None else None
        if woken is not None:
            waiting.add(woken)
        try:
            await asyncio.wait(waiting, timeout=RECHECK, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if woken is not None:
                woken.cancel()
        if wake is not None:
            wake.clear()

    async def _send_one(self, message: OutgoingMessage, send: Send) -> int:
        try:
            await send(message)
        except Exception as exc:
            await self._failed(message, exc)
            return 0
        async with self._uow_factory() as uow:
            if message.payload.get("reply", {}).get("ephemeral"):
                await uow.outbox.forget(message.id)
            else:
                await uow.outbox.mark_sent(message.id, self._clock.now())
            await uow.commit()
        return 1

    async def _failed(self, message: OutgoingMessage, exc: Exception) -> None:
        if isinstance(exc, ServerUnavailable):  # the transport logs the outage once
            log.debug("%s message %s waits for its server: %s", message.platform, message.id, exc)
            async with self._uow_factory() as uow:
                retry_at = self._clock.now() + exc.delay
                await uow.outbox.postpone(message.id, repr(exc), retry_at)
                await uow.commit()
            return
        attempts = message.attempts + 1
        give_up = isinstance(exc, PermanentDeliveryError) or attempts >= MAX_ATTEMPTS
        now = self._clock.now()
        delay = retry_delay(attempts)
        if isinstance(exc, RetryLater):
            delay = max(delay, exc.delay)
        retry_at = None if give_up else now + delay
        log.log(
            logging.ERROR if give_up else logging.WARNING,
            "%s message %s to %s failed (attempt %d)%s: %r",
            message.platform,
            message.id,
            # An e-mail address is a person's: in the log only at DEBUG (bot.adapters.mail).
            "(address)" if message.platform == Platform.EMAIL.value else message.chat_id,
            attempts,
            "; giving up" if give_up else "",
            exc,
        )
        async with self._uow_factory() as uow:
            await uow.outbox.mark_failed(message.id, repr(exc), retry_at, now)
            await uow.commit()


async def poll_closed_meanwhile(
    uow: UnitOfWork, clock: Clock, reply: Reply, message: OutgoingMessage
) -> bool:
    """Whether ``reply`` presents a poll for voting that has closed since it was queued (a
    retry after errors): then nothing of it may go out, the result is announced instead."""
    spec = reply.poll
    if spec is None or spec.closed:
        return False
    if await still_open(uow, poll_id=spec.poll_id, now=clock.now()):
        return False
    log.info("outbox %s: poll %s closed before it went out; not posted", message.id, spec.poll_id)
    return True


FileMaker = Callable[["App", dict[str, Any]], Awaitable[Attachment | None]]


def _makers() -> dict[str, FileMaker]:
    from bot.certificate import KIND, certificate_file  # fpdf2 loads only when needed

    return {KIND: certificate_file}


async def with_made_file(app: App, reply: Reply) -> Reply | None:
    """``reply`` with its :class:`~bot.reply.MadeFile` made into the attachment, just
    before an adapter sends it (the bytes live only in memory). ``None``: the file can no
    longer be made (the check-in was undone, the person erased) and nothing is sent."""
    if reply.made_file is None:
        return reply
    file = await make_file(app, reply.made_file)
    return None if file is None else replace(reply, attachment=file, made_file=None)


async def make_file(app: App, made: MadeFile) -> Attachment | None:
    """The file ``made`` stands for, made now; ``None`` when it can no longer be made."""
    maker = _makers().get(made.kind)
    file = await maker(app, made.params) if maker is not None else None
    if file is None:
        log.info("made file %s: nothing to make any more; not sent", made.kind)
    return file
