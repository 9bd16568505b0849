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
