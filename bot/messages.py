"""The neutral envelope every adapter turns a platform's message into."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.people import Platform


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    platform: Platform
    sender_id: str  # the platform's stable id for the sender
    text: str
    sender_name: str = ""
    chat_id: str = ""
    is_private: bool = True
    message_id: str | None = None
    #: Set when the sender is already known (the console's ``--as``).
    person_id: int | None = None
