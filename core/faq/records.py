"""What the knowledge base stores besides its entries: forwarded questions and gap counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["FaqGap", "ForwardedQuestion"]


@dataclass(slots=True)
class ForwardedQuestion:
    """A question the bot could not answer, sent on to people (personal data of the asker)."""

    asker_id: int
    text: str
    topic: str | None
    created_at: datetime
    answered_by: int | None = None
    answered_at: datetime | None = None
    answer: str | None = None
    id: int | None = None

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


@dataclass(frozen=True, slots=True)
class FaqGap:
    """An unanswered query, normalised, counted without names."""

    query: str
    count: int
    first_seen: datetime
    last_seen: datetime
