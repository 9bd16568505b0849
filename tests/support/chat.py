"""Talking to the real router the way an adapter does."""

from __future__ import annotations

import io

from bot.adapters.console import ConsoleChat
from bot.app import App
from bot.messages import IncomingMessage
from bot.reply import Reply
from core.domain.people import Person, Platform


async def say(app: App, who: Person, text: str, *, private: bool = True) -> list[Reply]:
    message = IncomingMessage(
        Platform.CONSOLE,
        f"person:{who.id}",
        text,
        who.display_name,
        person_id=who.id,
        is_private=private,
    )
    return await app.router.handle(message)


async def say_text(app: App, who: Person, text: str) -> str:
    """All replies to one message as the console shows them (buttons included)."""
    console = ConsoleChat(app, who, out=io.StringIO())
    return "\n".join(console.render(r) for r in await say(app, who, text))
