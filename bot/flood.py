"""Flood control per chat account: one account's flood slows that account only.

A leaky bucket per (platform, account) from aiolimiter: a burst of ``messages`` passes, then
one message per ``seconds / messages``. The first message over the limit gets one polite
notice; for the next ``seconds`` the account gets no further notice: what fits into the
bucket is answered, the rest of the flood is dropped unread (nothing is stored for it).
Buckets live in this process only; past :data:`MAX_BUCKETS` accounts all are forgotten at
once, so memory stays bounded.
"""

from __future__ import annotations

import time
from enum import Enum

from aiolimiter import AsyncLimiter

from core.domain.people import Platform

#: Forget buckets once there are this many (all of them: the limit is a courtesy, not a quota).
MAX_BUCKETS = 50_000


class Admission(Enum):
    ADMIT = "admit"
    WARN = "warn"  # over the limit: answer once that we pause
    DROP = "drop"  # over the limit, already told


class FloodGuard:
    def __init__(self, messages: int, seconds: float) -> None:
        self.messages = messages
        self.seconds = seconds
        self._buckets: dict[tuple[Platform, str], AsyncLimiter] = {}
        self._warned: dict[tuple[Platform, str], float] = {}  # key → notice time

    async def admit(self, platform: Platform, account: str) -> Admission:
        """Take one message of ``account`` on ``platform`` into its bucket, if it fits."""
        key = (platform, account)
        if self.has_room(platform, account):
            await self.take(platform, account)
            return Admission.ADMIT
        now = time.monotonic()
        if now - self._warned.get(key, -self.seconds) < self.seconds:
            return Admission.DROP
        if len(self._warned) >= MAX_BUCKETS:
            self._warned.clear()
        self._warned[key] = now
        return Admission.WARN

    def has_room(self, platform: Platform, account: str) -> bool:
        """Whether one more message of the account fits now (takes nothing)."""
        return self._bucket((platform, account)).has_capacity()

    async def take(self, platform: Platform, account: str) -> None:
        """Count one message of the account (waits if the bucket is full)."""
        await self._bucket((platform, account)).acquire()

    def _bucket(self, key: tuple[Platform, str]) -> AsyncLimiter:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._buckets.clear()
            bucket = self._buckets[key] = AsyncLimiter(self.messages, self.seconds)
        return bucket

    def pause_seconds(self) -> int:
        """How long, at most, until the next message fits again (for the notice)."""
        return max(1, round(self.seconds / self.messages))
