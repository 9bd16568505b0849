"""Sending what the outbox holds: each message once, retried with backoff, given up visibly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from core.domain.outbox import MAX_ATTEMPTS, OutgoingMessage, retry_delay
from core.ports import Clock, UnitOfWork

log = logging.getLogger(__name__)

Send = Callable[[OutgoingMessage], Awaitable[None]]
LEASE = timedelta(minutes=2)
BATCH = 100


class PermanentDeliveryError(Exception):
    """Retrying cannot help (the chat is gone, the bot was blocked)."""


class RetryLater(Exception):
    """The platform asked us to wait (flood control); try again after ``delay``."""

    def __init__(self, delay: timedelta) -> None:
        super().__init__(f"retry after {delay.total_seconds():.0f} s")
        self.delay = delay


class OutboxDispatcher:
    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], clock: Clock, *, lease: timedelta = LEASE
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._lease = lease

    async def dispatch(self, platform: str, send: Send, *, concurrency: int = 1) -> int:
        """Send every due message of ``platform``; returns how many went out.

        Messages to one chat go out one after another, in order; up to ``concurrency``
        chats are served at the same time (the platform's rate limiter paces them).
        """
        delivered = 0
        slots = asyncio.Semaphore(concurrency)
        while True:
            async with self._uow_factory() as uow:
                batch = await uow.outbox.claim_due(platform, self._clock.now(), BATCH, self._lease)
                await uow.commit()
            if not batch:
                return delivered
            by_chat: dict[str, list[OutgoingMessage]] = {}
            for message in batch:
                by_chat.setdefault(message.chat_id, []).append(message)

            async def serve_chat(messages: list[OutgoingMessage]) -> int:
                sent = 0
                for message in messages:
                    async with slots:
                        sent += await self._send_one(message, send)
                return sent

            counts = await asyncio.gather(*(serve_chat(m) for m in by_chat.values()))
            delivered += sum(counts)

    async def _send_one(self, message: OutgoingMessage, send: Send) -> int:
        try:
            await send(message)
        except Exception as exc:
            await self._failed(message, exc)
            return 0
        async with self._uow_factory() as uow:
            await uow.outbox.mark_sent(message.id, self._clock.now())
            await uow.commit()
        return 1

    async def _failed(self, message: OutgoingMessage, exc: Exception) -> None:
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
            message.chat_id,
            attempts,
            "; giving up" if give_up else "",
            exc,
        )
        async with self._uow_factory() as uow:
            await uow.outbox.mark_failed(message.id, repr(exc), retry_at, now)
            await uow.commit()
