"""Answers a plain message gives to a pending dialogue step (``core.dialogues``): step kind
→ handler. A handler returns its reply, or ``None`` when the message is no answer to the
step (the step is then forgotten and the message taken as small talk or a question). Handler
modules register their kinds with :func:`answers`; ``bot.handlers.dialogue`` asks them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.context import Context
from bot.reply import Reply
from core.domain.dialogues import Dialogue, DialogueKind

StepHandler = Callable[[Context, Dialogue, str], Awaitable[Reply | None]]
STEPS: dict[DialogueKind, StepHandler] = {}


def answers(kind: DialogueKind) -> Callable[[StepHandler], StepHandler]:
    """Register the handler of plain messages that answer a pending step of ``kind``."""

    def register(handler: StepHandler) -> StepHandler:
        STEPS[kind] = handler
        return handler

    return register
