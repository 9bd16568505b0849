"""The terminal chat: one person talks to the bot; every notice is shown as it happens."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from typing import TextIO

from markupsafe import Markup

from bot.app import App
from bot.delivery import with_made_file
from bot.messages import IncomingMessage
from bot.notifications import NotificationHub
from bot.reply import Reply, plain_text
from core.domain.people import ChatIdentity, Person, Platform

PROMPT = "> "


class ConsoleChat:
    """The terminal as one chat account. With ``account`` (``engagiert-bot chat``: the
    operating-system user) it is an account like a Telegram one: ``/start CODE`` links it to
    a person, ``/daten_loeschen`` starts it over as a guest. Without (``--as PERSON``) it
    speaks as that person.

    ``everyone``: show every person's notices here (the demo, on its throwaway database).
    Otherwise only this person's notices reach the terminal; everybody else's stay due for
    the transports (``serve``), whichever process leads the scheduler."""

    def __init__(
        self,
        app: App,
        person: Person,
        out: TextIO = sys.stdout,
        *,
        everyone: bool = False,
        account: str | None = None,
    ) -> None:
        self.app = app
        self.person = person
        self.out = out
        self.account = account
        self.everyone = everyone
        #: The person's data was erased: the session is over (a note says so).
        self.ended = False
        if isinstance(app.notifier, NotificationHub):
            app.notifier.register(Platform.CONSOLE, self._send)
            app.notifier.fallback = self._show_notice
        self._follow(person)

    async def send(self, text: str) -> list[Reply]:
        """Handle one line as a message from the console's person and print the replies."""
        message = IncomingMessage(
            Platform.CONSOLE,
            sender_id=self.account or f"person:{self.person.id}",
            text=text,
            sender_name=self.account or self.person.display_name,
            person_id=None if self.account else self.person.id,
        )
        replies = await self.app.router.handle(message)
        for reply in replies:
            made = await with_made_file(self.app, reply)
            if made is not None:
                self._print(self.render(made))
        # Linked, merged or erased meanwhile: whose the account is now, if anybody's.
        async with self.app.uow() as uow:
            if self.account:
                identity = await uow.identities.get(Platform.CONSOLE, self.account)
                person = await uow.persons.get(identity.person_id) if identity else None
            else:
                person = await uow.persons.get(self.person.id)
        if person is None:
            self.ended = True
            self._print(plain_text(self.app.translator.t(self._language(), "console.erased")))
        else:
            self._follow(person)
        return replies

    def _follow(self, person: Person) -> None:
        self.person = person
        if isinstance(self.app.notifier, NotificationHub):
            self.app.notifier.only_person = None if self.everyone else person.id

    def render(self, reply: Reply) -> str:
        """A reply as terminal text: buttons become the commands they stand for."""
        parts = [reply.plain]
        for row in reply.buttons:
            parts.append("  ".join(f"[{b.label}: {b.command}]" for b in row))
        if reply.attachment is not None:
            file = reply.attachment
            heading = self.app.translator.t(
                self._language(), "console.file", filename=file.filename, size=len(file.content)
            )
            parts.append(plain_text(heading))
            if file.mime_type.startswith("text/") or file.mime_type == "application/json":
                parts.append(file.content.decode("utf-8", errors="replace"))
        return "\n".join(parts)

    async def run(self, lines: AsyncIterator[str]) -> None:
        async for line in lines:
            if line.strip():
                await self.send(line.rstrip("\n"))
            if self.ended:
                return

    def _language(self) -> str:
        return self.app.translator.language(self.person.language)

    def _print(self, text: str) -> None:
        self.out.write(text + "\n\n")
        self.out.flush()

    async def _send(self, identity: ChatIdentity, text: Markup) -> None:
        await self._show(identity.person_id, None, text)

    async def _show_notice(self, person: Person, text: Markup) -> None:
        await self._show(person.id, person.display_name, text)

    async def _show(self, person_id: int | None, name: str | None, text: Markup) -> None:
        if person_id == self.person.id or name is None:
            self._print(f"🔔 {plain_text(text)}")
        else:
            to = self.app.translator.t(self._language(), "notice.to", name=name)
            self._print(f"🔔 {plain_text(to)}: {plain_text(text)}")


async def stdin_lines(interactive: bool) -> AsyncIterator[str]:
    """Lines from standard input; with a prompt and line editing on a terminal."""
    if interactive:
        import readline  # noqa: F401 — enables history and editing for input()

    while True:
        try:
            if interactive:
                line = await asyncio.to_thread(input, PROMPT)
            else:
                line = await asyncio.to_thread(sys.stdin.readline)
                if not line:
                    return
        except EOFError:
            return
        yield line
