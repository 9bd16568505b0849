"""/ankuendigung: the network office writes to all members, a group, or an event's people."""

from __future__ import annotations

from bot.arguments import normalize, quoted_prefix
from bot.context import Context
from bot.delivery import reason
from bot.handlers.render import lines
from bot.reply import Reply
from core.announcements import (
    Audience,
    announce,
    delivery_problems,
    member_audience_at_start,
    progress,
    resolve_audience,
)
from core.domain.errors import InvalidInput
from core.domain.notifications import AudienceKind
from core.domain.people import unquote
from core.mail import undeliverable_addresses

WHOLE = {"alle": AudienceKind.ALL, "all": AudienceKind.ALL}
PROBLEMS_SHOWN = 10
PREFIXED = {
    "termin": AudienceKind.EVENT,
    "event": AudienceKind.EVENT,
    "mitglied": AudienceKind.MEMBER,
    "member": AudienceKind.MEMBER,
    "art": AudienceKind.MEMBER_KIND,
    "kind": AudienceKind.MEMBER_KIND,
    "nicht_angemeldet": AudienceKind.NOT_REGISTERED,
    "not_registered": AudienceKind.NOT_REGISTERED,
}


def parse_target(word: str) -> tuple[AudienceKind, str | None]:
    """One word naming the audience: ``alle``, ``termin:3``, ``mitglied:Auenburg``,
    ``art:kreis`` or ``nicht_angemeldet:3`` (English words too). Raises InvalidInput
    ``announce_usage``."""
    word = unquote(normalize(word))
    if word.lower() in WHOLE:
        return WHOLE[word.lower()], None
    prefix, colon, ref = word.partition(":")
    kind = PREFIXED.get(prefix.lower())
    ref = unquote(ref)
    if kind is None or not colon or not ref:
        raise InvalidInput("announce_usage")
    return kind, ref.lower() if kind is AudienceKind.MEMBER_KIND else ref


async def ankuendigung(ctx: Context, args: str) -> Reply:
    """``/ankuendigung alle|termin:3|mitglied:NAME|art:kreis|nicht_angemeldet:3 Text``;
    ``status N``.

    A member's name may have spaces, quoted („Stadt Auenburg“) or not (the longest name that
    fits is taken)."""
    text = normalize(args).strip()
    head, _, body = text.partition(" ")
    if head.lower() == "status":
        return await _status(ctx, body)
    audience, body = await _audience(ctx, text)
    if not body.strip():
        raise InvalidInput("announce_usage")
    stored = await announce(
        ctx.uow(), actor_id=ctx.person.id, text=body.strip(), audience=audience, now=ctx.now
    )
    return Reply(ctx.t("announce.queued", id=stored.id, total=stored.recipients), private=True)


async def _audience(ctx: Context, text: str) -> tuple[Audience, str]:
    """The audience at the start of ``text`` and the rest. A member's name may have spaces
    (quoted, or the longest name that fits); every other target is one word."""
    prefix, colon, after = text.partition(":")
    if colon and PREFIXED.get(prefix.strip().lower()) is AudienceKind.MEMBER and after.strip():
        quoted = quoted_prefix(after)
        if quoted is None:
            return await member_audience_at_start(ctx.uow(), after)
        ref, body = quoted
        return await resolve_audience(ctx.uow(), AudienceKind.MEMBER, ref), body
    head, _, body = text.partition(" ")
    kind, ref = parse_target(head)
    return await resolve_audience(ctx.uow(), kind, ref), body


async def _status(ctx: Context, args: str) -> Reply:
    item, state = await progress(
        ctx.uow(),
        actor_id=ctx.person.id,
        announcement_id=ctx.id_arg(args, missing="announcement_id_missing", sub="status"),
    )
    return Reply(
        ctx.t(
            "announce.progress",
            id=item.id,
            delivered=state.delivered,
            total=state.total,
            failed=state.failed,
            pending=state.pending,
        ),
        private=True,
    )


async def zustellung(ctx: Context, args: str) -> Reply:
    """The newest notifications that could not be delivered, with the reason."""
    problems = await delivery_problems(ctx.uow(), actor_id=ctx.person.id, limit=PROBLEMS_SHOWN)
    refused = await undeliverable_addresses(ctx.uow(), actor_id=ctx.person.id)
    if not problems and not refused:
        return Reply(ctx.t("delivery.none"), private=True)
    parts = [ctx.t("delivery.header")] if problems else []
    for item in problems:
        parts.append(
            ctx.t(
                "delivery.entry",
                name=item.person_name,
                at=item.at,
                error=ctx.t(f"delivery.reason.{reason(item.error)}"),
            )
        )
    if refused:
        parts.append(ctx.t("delivery.mail_header"))
        parts += [
            ctx.t(
                "delivery.mail_entry_pending" if item.pending else "delivery.mail_entry",
                name=item.name,
                address=item.address,
                problem=item.problem,
                at=item.since,
            )
            for item in refused[:PROBLEMS_SHOWN]
        ]
    return Reply(lines(*parts), private=True)
