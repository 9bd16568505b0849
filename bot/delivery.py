"""Sending what the outbox holds: each message once, retried with backoff, given up visibly."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from core.domain.outbox import MAX_ATTEMPTS, OutgoingMessage, retry_delay
from core.ports import Clock, UnitOfWork

log = logging.getLogger(__name__)

Send = Callable[[OutgoingMessage], Awaitable[None]]
LEASE = timedelta(minutes=2)
BATCH = 50


class PermanentDeliveryError(Exception):
    """Retrying cannot help (the chat is gone, the bot was blocked)."""


class OutboxDispatcher:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def dispatch(self, platform: str, send: Send) -> int:
        """Send every due message of ``platform``; returns how many went out."""
        delivered = 0
        while True:
            async with self._uow_factory() as uow:
                batch = await uow.outbox.claim_due(platform, self._clock.now(), BATCH, LEASE)
                await uow.commit()
            if not batch:
                return delivered
            for message in batch:
                delivered += await self._send_one(message, send)

    async def _send_one(self, message: OutgoingMessage, send: Send) -> int:
        try:
            await send(message)
        except Exception as exc:
            attempts = message.attempts + 1
            give_up = isinstance(exc, PermanentDeliveryError) or attempts >= MAX_ATTEMPTS
            now = self._clock.now()
            retry_at = None if give_up else now + retry_delay(attempts)
            log.log(
                logging.ERROR if give_up else logging.WARNING,
                "%s message %s to %s failed (attempt %d)%s: %s",
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
            return 0
        async with self._uow_factory() as uow:
            await uow.outbox.mark_sent(message.id, self._clock.now())
            await uow.commit()
        return 1
