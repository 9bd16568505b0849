"""/termin_kommunen: the member municipalities nobody has registered from for an event."""

from __future__ import annotations

from bot.context import Context
from bot.handlers.render import lines
from bot.reply import Reply
from core.outreach import not_registered


async def termin_kommunen(ctx: Context, args: str) -> Reply:
    """``/termin_kommunen ID``: which municipalities are still missing, and how to write to
    them (``/ankuendigung nicht_angemeldet:ID``). Sent privately: a list for the office."""
    event_id = ctx.id_arg(args)
    found = await not_registered(ctx.uow(), actor_id=ctx.person.id, event_id=event_id, now=ctx.now)
    event = found.event
    if not found.counted:
        return Reply(ctx.t("outreach.none_counted", id=event.id, title=event.title), private=True)
    if not found.missing:
        text = ctx.t("outreach.all_registered", id=event.id, title=event.title, count=found.counted)
        return Reply(text, private=True)
    names = ", ".join(m.name for m in found.missing)
    return Reply(
        lines(
            ctx.t(
                "outreach.missing",
                id=event.id,
                title=event.title,
                count=len(found.missing),
                counted=found.counted,
            ),
            names,
            "",
            ctx.t("outreach.announce_hint", command=ctx.cmd("ankuendigung"), id=event.id),
        ),
        private=True,
    )
