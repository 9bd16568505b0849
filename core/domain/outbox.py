"""Messages on their way out: stored first, sent after the commit, retried until delivered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

MAX_ATTEMPTS = 8


@dataclass(slots=True)
class OutgoingMessage:
    platform: str
    chat_id: str
    payload: dict[str, Any]  # the rendered reply, see bot.reply
    tx_id: str  # our own idempotency key (Matrix uses it as the transaction id)
    created_at: datetime
    attempts: int = 0
    id: int | None = None


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 2 s, 4 s, 8 s … capped at ten minutes."""
    return timedelta(seconds=min(2**attempts, 600))
