"""/start, /hilfe, /sprache."""

from __future__ import annotations

from bot.context import Context
from bot.handlers.render import lines
from bot.reply import Button, Reply
from core.members import redeem_invitation, set_language

LANGUAGE_WORDS = {
    "de": "de",
    "deutsch": "de",
    "german": "de",
    "en": "en",
    "englisch": "en",
    "english": "en",
}


async def start(ctx: Context, args: str) -> Reply:
    code = args.split()[0] if args.split() else ""
    if code:
        member = await redeem_invitation(ctx.uow(), person_id=ctx.person.id, code=code, now=ctx.now)
        return Reply(
            lines(ctx.t("start.linked", member=member.name), "", ctx.t("start.next")),
            buttons=_start_buttons(ctx),
            private=True,
        )
    greeting = ctx.t("start.hello", name=ctx.person.display_name)
    if ctx.person.is_guest:
        greeting = lines(greeting, "", ctx.t("start.guest"))
    return Reply(lines(greeting, "", ctx.t("start.next")), buttons=_start_buttons(ctx))


def _start_buttons(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    return ((Button(ctx.t("button.events"), "/termine"), Button(ctx.t("button.help"), "/hilfe")),)


async def hilfe(ctx: Context, args: str) -> Reply:
    router = ctx.app.router
    parts = [ctx.t("help.header"), ""]
    for command in router.commands:
        if not command.listed or (command.organizers_only and not ctx.person.is_organizer):
            continue
        names = "/" + command.name
        if command.aliases:
            names += " (" + ", ".join("/" + a for a in command.aliases) + ")"
        parts.append(lines(ctx.t("help.entry", names=names), ctx.t(command.help_key)))
    parts += ["", ctx.t("help.footer")]
    return Reply(lines(*parts))


async def sprache(ctx: Context, args: str) -> Reply:
    word = args.strip().lower()
    if not word:
        return Reply(ctx.t("language.current"))
    language = LANGUAGE_WORDS.get(word)
    if language is None:
        return Reply(ctx.t("error.language", value=word[:20]), is_error=True)
    await set_language(ctx.uow(), person_id=ctx.person.id, language=language)
    return Reply(ctx.app.translator.t(language, "language.set"), private=True)
