"""/start, /hilfe, /sprache."""

from __future__ import annotations

from markupsafe import Markup

from bot.arguments import split_words
from bot.context import Context
from bot.handlers import attendance
from bot.handlers.render import lines
from bot.reply import Button, Reply
from bot.router import Command
from core.accounts import redeem_invitation
from core.domain.authority import decide
from core.domain.errors import InvalidInput
from core.domain.people import unquote
from core.events import speaks_at_any
from core.members import set_language

LANGUAGE_WORDS = {
    "de": "de",
    "deutsch": "de",
    "german": "de",
    "en": "en",
    "englisch": "en",
    "english": "en",
}


#: ``/start`` payloads are ``<prefix>_<value>`` within Telegram's deep-link limit (64
#: characters of ``[A-Za-z0-9_-]``): ``p_`` a personal invitation, ``m_`` a municipality's
#: (both redeemed alike: the code says which it is). A payload without a known prefix is an
#: invitation code typed by hand. ``a_`` is an event's attendance code (check-in while the
#: event runs). Poll joins will add their prefix.
START_PREFIXES = frozenset({"p", "m", "a"})


def start_payload(prefix: str, value: str) -> str:
    """The ``/start`` payload (and Telegram deep-link parameter) for ``value``."""
    assert prefix in START_PREFIXES
    return f"{prefix}_{value}"


def _invitation_code(payload: str) -> str:
    head, separator, rest = payload.partition("_")
    return rest if separator and head.lower() in START_PREFIXES else payload


async def start(ctx: Context, args: str) -> Reply:
    payload = "".join(unquote(args).split())[:64]
    head, separator, rest = payload.partition("_")
    if separator and head.lower() == "a":
        return await attendance.start_code(ctx, rest)
    if payload:
        redeemed = await redeem_invitation(
            ctx.uow(), person_id=ctx.person.id, code=_invitation_code(payload), now=ctx.now
        )
        if redeemed.personal:
            person = redeemed.person
            text = ctx.t("start.person_linked", name=person.display_name)
            roles = sorted(ctx.t(f"role.{r.value}") for r in person.roles)
            if roles:
                text = lines(text, ctx.t("start.roles", roles=", ".join(roles)))
        else:
            member = redeemed.member.name if redeemed.member else "?"
            text = ctx.t("start.linked", member=member)
        return Reply(
            lines(text, "", ctx.t("start.next")), buttons=_start_buttons(ctx), private=True
        )
    greeting = ctx.t("start.hello", name=ctx.person.display_name)
    if ctx.person.is_guest:
        greeting = lines(greeting, "", ctx.t("start.guest"))
    return Reply(lines(greeting, "", ctx.t("start.next")), buttons=_start_buttons(ctx))


def _start_buttons(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(ctx.t("button.events"), ctx.cmd("termine")),
            Button(ctx.t("button.help"), ctx.cmd("hilfe")),
        ),
    )


async def hilfe(ctx: Context, args: str) -> Reply:
    """``/hilfe``: every command this person may use here; ``/hilfe anmelden``: that one."""
    router = ctx.app.router
    assigned = await speaks_at_any(ctx.uow(), person_id=ctx.person.id, now=ctx.now)
    speaker_id = ctx.person.id if assigned else None

    def usable(command: Command) -> bool:
        decision = decide(
            ctx.person, command.action, ctx.place, event_speaker_id=speaker_id, any_object=True
        )
        return command.listed and decision.allowed

    asked = split_words(args)
    if asked:
        command = router.lookup(asked[0].lstrip("/").split("@")[0])
        if len(asked) > 1 or command is None or not usable(command):
            raise InvalidInput("help_unknown", command=asked[0][:30], help=ctx.cmd("hilfe"))
        return Reply(_entry(ctx, command))
    parts = [ctx.t("help.header"), ""]
    parts += [_entry(ctx, command) for command in router.commands if usable(command)]
    parts += [
        "",
        ctx.t("help.footer"),
        ctx.t(
            "help.more", example=ctx.cmd("hilfe", ctx.app.router.spelling("anmelden", ctx.language))
        ),
    ]
    return Reply(lines(*parts))


def _entry(ctx: Context, command: Command) -> Markup:
    """``/anmelden (/signup)`` and what it does; in English the English name first."""
    first = ctx.app.router.spelling(command.name, ctx.language)
    others = [n for n in (command.name, *command.aliases) if n != first]
    names = "/" + first + (" (" + ", ".join("/" + n for n in others) + ")" if others else "")
    return lines(ctx.t("help.entry", names=names), ctx.t(command.help_key))


async def sprache(ctx: Context, args: str) -> Reply:
    word = args.strip().lower()
    if not word:
        return Reply(ctx.t("language.current"))
    language = LANGUAGE_WORDS.get(word)
    if language is None:
        return Reply(ctx.t("error.language", value=word[:20]), is_error=True)
    await set_language(ctx.uow(), person_id=ctx.person.id, language=language)
    return Reply(ctx.app.translator.t(language, "language.set"), private=True)
