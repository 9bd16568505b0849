"""/ankuendigung: the network office writes to all members, a group, or an event's people."""

from __future__ import annotations

from bot.context import Context, parse_id
from bot.handlers.render import lines
from bot.reply import Reply
from core.announcements import announce, delivery_problems, progress, resolve_audience
from core.domain.errors import InvalidInput
from core.domain.notifications import AudienceKind

WHOLE = {"alle": AudienceKind.ALL, "all": AudienceKind.ALL}
PROBLEMS_SHOWN = 10
PREFIXED = {
    "termin": AudienceKind.EVENT,
    "event": AudienceKind.EVENT,
    "mitglied": AudienceKind.MEMBER,
    "member": AudienceKind.MEMBER,
    "art": AudienceKind.MEMBER_KIND,
    "kind": AudienceKind.MEMBER_KIND,
}


def parse_target(word: str) -> tuple[AudienceKind, str | None]:
    """``alle``, ``termin:3``, ``mitglied:Auenburg`` or ``art:kreis`` (English words too)."""
    word = word.strip()
    if word.lower() in WHOLE:
        return WHOLE[word.lower()], None
    prefix, colon, ref = word.partition(":")
    kind = PREFIXED.get(prefix.lower())
    if kind is None or not colon or not ref:
        raise InvalidInput("announce_usage")
    return kind, ref.lower() if kind is AudienceKind.MEMBER_KIND else ref


async def ankuendigung(ctx: Context, args: str) -> Reply:
    parts = args.split(maxsplit=1)
    if parts and parts[0].lower() == "status":
        return await _status(ctx, parts[1] if len(parts) > 1 else "")
    if len(parts) < 2:
        raise InvalidInput("announce_usage")
    kind, ref = parse_target(parts[0])
    audience = await resolve_audience(ctx.uow(), kind, ref)
    stored = await announce(
        ctx.uow(), actor_id=ctx.person.id, text=parts[1], audience=audience, now=ctx.now
    )
    return Reply(ctx.t("announce.queued", id=stored.id, total=stored.recipients), private=True)


async def _status(ctx: Context, args: str) -> Reply:
    item, state = await progress(ctx.uow(), actor_id=ctx.person.id, announcement_id=parse_id(args))
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
    if not problems:
        return Reply(ctx.t("delivery.none"), private=True)
    parts = [ctx.t("delivery.header")]
    for item in problems:
        parts.append(
            ctx.t("delivery.entry", name=item.person_name, at=item.at, error=item.error[:120])
        )
    return Reply(lines(*parts), private=True)
