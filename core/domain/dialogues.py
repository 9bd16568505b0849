"""A dialogue step the bot waits for: what a plain message from the person answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

#: How long a pending step waits for its answer.
PENDING_FOR = timedelta(minutes=30)


class DialogueKind(StrEnum):
    #: The bot offered a numbered list of knowledge-base entries; a number picks one.
    FAQ_CHOICE = "faq_choice"
    #: The bot asked a question of an evaluation survey; the message answers it.
    SURVEY_STEP = "survey_step"
    #: The bot asked one of an event's registration questions; the message answers it.
    REGISTRATION_QUESTION = "registration_question"
    #: The bot asked how to take part in a hybrid event; "vor Ort", "online" or 1/2 answers.
    SIGNUP_MODE = "signup_mode"


@dataclass(slots=True)
class Dialogue:
    person_id: int
    kind: DialogueKind
    data: dict[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None

    def pending(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at
