"""The neutral envelope every adapter turns a platform's message into."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.domain.authority import Place
from core.domain.people import Platform
from core.domain.polls import Poll


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    platform: Platform
    sender_id: str  # the platform's stable id for the sender
    text: str
    sender_name: str = ""
    chat_id: str = ""
    is_private: bool = True
    #: The platform's id of this input (Telegram update id, Matrix event id): exactly once.
    message_id: str | None = None
    #: What a reply should refer to, when not ``message_id`` (Telegram's message id); ``""``:
    #: nothing (a button press, which is no message of the person's).
    reply_to_id: str | None = None
    #: Set when the sender is already known (the console's ``--as``).
    person_id: int | None = None
    #: A group message that names the bot (a mention, a reply to it): a plain question there is
    #: answered like one in a private chat. Adapters take the mention out of ``text``.
    addressed: bool = False
    #: Sent on behalf of the chat itself (Telegram's anonymous group administrators): no
    #: person to act as, so commands get an explanation instead.
    anonymous: bool = False
    #: The thread the message was written in (Matrix ``m.thread`` root): answers go there.
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class IncomingVote:
    """A vote cast with a platform's own means (a native poll, a button under a poll): the
    router counts it once per ``event_id`` and answers with a short confirmation."""

    platform: Platform
    #: The platform's id of this input (Telegram update id, Matrix event id): exactly once.
    event_id: str
    sender_id: str
    sender_name: str
    #: Where it was cast, as far as the platform says (core.domain.authority.Place).
    place: Place
    #: The poll by our id, or by the platform's id of the posted poll.
    poll_id: int | None = None
    external_poll_id: str | None = None
    #: Option indices from 0 (none: the vote is withdrawn) …
    choices: tuple[int, ...] = ()
    #: … or worked out from the poll (Matrix names answers, not positions).
    choices_for: Callable[[Poll], list[int]] | None = None
    #: One option switched in the current choice (multiple-choice buttons).
    toggle: int | None = None
    #: The language the client says it uses (``None``: the default).
    language: str | None = None
    #: When it was cast, if earlier than its arrival (a Matrix event's server time).
    cast_at: datetime | None = None
