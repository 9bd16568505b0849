"""What a handler gets: the person, their language, the app's services, the message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from bot.arguments import number, split_words
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
    #: The command being run (its German name), for examples in replies.
    command: str = ""

    @property
    def language(self) -> str:
        return self.app.translator.language(self.person.language)

    def t(self, key: str, **params: Any) -> Markup:
        return self.app.translator.t(self.language, key, **params)

    def uow(self) -> UnitOfWork:
        return self.uow_factory()

    def cmd(self, name: str, *args: object) -> str:
        """The command ``name`` (German) as this person writes it: ``/anmelden 3`` in German,
        ``/signup 3`` in English."""
        spelled = self.app.router.spelling(name, self.language)
        return " ".join(["/" + spelled, *map(str, args)])

    def example(self, *args: object) -> str:
        """The running command with example arguments (``/kalender 3``)."""
        return self.cmd(self.command, *(args or (3,)))

    def id_arg(
        self, args: str, *, missing: str = "id_missing", rest: bool = False, sub: str = ""
    ) -> int:
        """The one number the command needs, e.g. ``3`` of ``/anmelden 3`` (``#3``, ``Nr. 3``
        too); ``sub`` is a word before it in examples (``/ankuendigung status 3``).

        Raises InvalidInput: ``missing`` (no number), ``id_not_number``, and
        ``extra_arguments`` for words after it (unless ``rest``: the caller reads them)."""
        given = split_words(args)
        if given and given[0].lower() in ("nr.", "nr", "no.", "no"):
            given = given[1:]
        before = (sub,) if sub else ()
        if not given:
            raise InvalidInput(missing, example=self.example(*before, 3))
        found = number(given[0])
        if found is None:
            raise InvalidInput(
                "id_not_number", value=given[0][:20], example=self.example(*before, 3)
            )
        if len(given) > 1 and not rest:
            extra = " ".join(given[1:])[:40]
            raise InvalidInput("extra_arguments", extra=extra, example=self.example(*before, found))
        return found

    @property
    def place(self) -> Place:
        """Where the message came from, for the authority decision."""
        m = self.message
        return Place(m.platform, m.chat_id or None, m.is_private, m.sender_id)
