"""Invitations to an event's Matrix room (``/termin_raum ID einladen``) and the outbox
payloads that ask the Matrix adapter to invite or remove someone."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.domain.people import Platform


class InviteState(StrEnum):
    """Where the bot's invitation stands, as its outbox row says."""

    PENDING = "pending"  # not sent yet: nothing is decided about the person
    SENT = "sent"  # the bot invited them: it removes them when they leave the event
    FAILED = "failed"  # not sent (already in the room, or refused): never removed by the bot


@dataclass(frozen=True, slots=True)
class InvitingRoom:
    """An event room in which the bot invites the event's confirmed participants."""

    event_id: int
    platform: Platform
    chat_id: str
    title: str  # the event's, for the polite reason of a removal


@dataclass(frozen=True, slots=True)
class Invitee:
    """A confirmed participant with a linked account on the room's platform."""

    person_id: int
    user_id: str
    language: str


@dataclass(frozen=True, slots=True)
class RoomInvite:
    """The bot's invitation of one account to one event room."""

    person_id: int
    user_id: str
    language: str
    state: InviteState
    id: int


#: ``OutgoingMessage.payload["membership"]``: what the adapter is asked to do.
INVITE, REMOVE = "invite", "remove"
#: The i18n key of the reason a removal gives (parameter ``title``).
REMOVE_REASON = "event_room.kick_reason"


def invite_payload(user_id: str) -> dict[str, Any]:
    return {"membership": INVITE, "user_id": user_id}


def remove_payload(user_id: str, title: str, language: str) -> dict[str, Any]:
    return {
        "membership": REMOVE,
        "user_id": user_id,
        "reason": {"key": REMOVE_REASON, "params": {"title": title}, "language": language},
    }
