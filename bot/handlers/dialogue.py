"""A plain message in a private chat: the answer to a pending step, small talk, or a question.

In this order: a step the bot waits for (a number picking from the list it just offered),
then greetings and thanks (answered kindly, never counted as unanswered questions), then
the knowledge base (``/faq``).
"""

from __future__ import annotations

import re
import unicodedata

from bot.context import Context
from bot.handlers.faq import faq, faq_zeigen
from bot.handlers.steps import STEPS, answers
from bot.reply import Reply
from bot.small_talk import small_talk
from core.dialogues import finish_step, pending_step
from core.domain.authority import decide
from core.domain.dialogues import Dialogue, DialogueKind
from core.domain.errors import InvalidInput
from core.domain.text import without_markup
from core.faq.normalize import fold

#: A pick from a numbered list: ``2``, ``2.``, ``Nr. 2``, ``Nummer 2``, ``die 2``, ``zwei``.
_CHOICE = re.compile(
    r"(?:nr\.?|nummer|no\.?|number|die|den)?\s*(?P<n>\d{1,2}|[a-z]+)[.)]?(?:\s*bitte)?"
)
NUMBER_WORDS = {"eins": 1, "zwei": 2, "drei": 3, "vier": 4, "fuenf": 5}
NUMBER_WORDS |= {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def _pick(text: str) -> int | None:
    """The number a message picks, or ``None`` when it is no pick."""
    match = _CHOICE.fullmatch(fold(unicodedata.normalize("NFKC", text)).strip(" !"))
    if match is None:
        return None
    word = match.group("n")
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word)


@answers(DialogueKind.FAQ_CHOICE)
async def _faq_choice(ctx: Context, step: Dialogue, text: str) -> Reply | None:
    """A number picks from the entries just offered; the list stays open for another."""
    number = _pick(text)
    if number is None:
        return None
    entries = step.data.get("entries", [])
    if not 1 <= number <= len(entries):
        raise InvalidInput("choice_range", count=len(entries))
    return await faq_zeigen(ctx, entries[number - 1])


async def plain(ctx: Context, text: str) -> Reply:
    """Answer a message that is not a command (private chats only)."""
    text = without_markup(text) or text  # pasted markup is no part of what was said
    step = await pending_step(ctx.uow(), person_id=ctx.person.id, now=ctx.now)
    if step is not None and step.kind in STEPS:
        reply = await STEPS[step.kind](ctx, step, text)
        if reply is not None:
            return reply
        await finish_step(ctx.uow(), person_id=ctx.person.id)
    elif (number := _pick(text)) is not None:
        raise InvalidInput("choice_none_open", example=ctx.cmd("termin", str(number)))
    if talk := small_talk(text):
        return Reply(ctx.t(f"talk.{talk}", example=ctx.cmd("termine")))
    if meant := _command_inside(ctx, text):
        return Reply(ctx.t("error.command_not_first", suggestion=meant), is_error=True)
    return await faq(ctx, text)


def _command_inside(ctx: Context, text: str) -> str | None:
    """``anmelden 3`` (a command alone, without its slash) or ``<b>/anmelden 3</b>`` (one
    wrapped in something): the command as meant, ``/anmelden 3``. Questions are not commands:
    ``Termin für das Treffen?`` goes to the knowledge base."""
    text = text.strip().lower()
    bare = re.fullmatch(r"([a-z_]{3,})((?:\s+\d{1,9})*)[.!]?", text)
    found = [bare] if bare else list(re.finditer(r"/([a-z_]{3,})\b((?:\s+\d{1,9})*)", text))
    for match in found:
        command = ctx.app.router.lookup(match.group(1))
        usable = (
            command is not None
            and decide(ctx.person, command.action, ctx.place, any_object=True).allowed
        )
        if command is not None and command.listed and command.name != "faq" and usable:
            return ctx.cmd(command.name, *match.group(2).split())
    return None
