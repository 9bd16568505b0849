"""What a handler gets: the person, their language, the app's services, the message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from bot.messages import IncomingMessage
from core.domain.authority import Place
from core.domain.errors import InvalidInput
from core.domain.people import Person
from core.ports import UnitOfWork

if TYPE_CHECKING:
    from bot.app import App


@dataclass(slots=True)
class Context:
    app: App
    person: Person
    message: IncomingMessage
    now: datetime
    #: Fresh units of work, or (for exactly-once messages) the message's own transaction.
    uow_factory: Callable[[], UnitOfWork]

    @property
    def language(self) -> str:
        return self.app.translator.language(self.person.language)

    def t(self, key: str, **params: Any) -> Markup:
        return self.app.translator.t(self.language, key, **params)

    def uow(self) -> UnitOfWork:
        return self.uow_factory()

    @property
    def place(self) -> Place:
        """Where the message came from, for the authority decision."""
        m = self.message
        return Place(m.platform, m.chat_id or None, m.is_private, m.sender_id)


def parse_id(args: str) -> int:
    """The numeric id a command needs, or a polite error saying what is missing."""
    word = args.split()[0] if args.split() else ""
    if not word:
        raise InvalidInput("id_missing")
    word = word.removeprefix("#")
    if not word.isdigit() or len(word) > 9:
        raise InvalidInput("id_not_number", value=word[:20])
    return int(word)
