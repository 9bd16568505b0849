"""/email: one's e-mail address (double opt-in), the channel for notices, information mails."""

from __future__ import annotations

import re

from markupsafe import Markup

from bot.context import Context
from bot.reply import Reply
from core.domain.mail import Channel
from core.domain.people import QUOTES
from core.mail import (
    address_of,
    remove_address,
    request_address,
    resubscribe,
    set_channel,
    unsubscribe,
)

REMOVE = frozenset({"löschen", "loeschen", "entfernen", "delete", "remove"})
CHANNEL = frozenset({"kanal", "channel"})
CHANNELS = {
    "chat": Channel.CHAT,
    "email": Channel.EMAIL,
    "e-mail": Channel.EMAIL,
    "mail": Channel.EMAIL,
    "beides": Channel.BOTH,
    "beide": Channel.BOTH,
    "both": Channel.BOTH,
}
NEWSLETTER = frozenset({"infomails", "infomail", "newsletter"})
ON = frozenset({"an", "ein", "on"})
_AROUND_AT = re.compile(r"\s*@\s*")
OFF = frozenset({"aus", "ab", "off"})


def typed_address(text: str) -> str | None:
    """What people type for an address on a phone, as one address: ``anna @ kreis.de``,
    ``„anna@kreis.de“``, ``<anna@kreis.de>``, ``mailto:anna@kreis.de``, ``anna@kreis.de.``;
    ``None`` when it is not one word with one ``@`` (two addresses, a sentence)."""
    joined = _AROUND_AT.sub("@", text.strip())
    joined = joined.strip(QUOTES + "<>()[] ").rstrip(".,;:!?")
    if joined.lower().startswith("mailto:"):
        joined = joined[len("mailto:") :]
    joined = joined.strip(QUOTES + "<> ")
    if not joined or any(c.isspace() for c in joined) or joined.count("@") != 1:
        return None
    return joined


async def email(ctx: Context, args: str) -> Reply:
    words = args.lower().split()
    person_id = ctx.person.id
    if ctx.app.settings.smtp_url is None:
        return Reply(ctx.t("email.off"), private=True)
    if not words:
        return await _status(ctx)
    if len(words) == 1 and words[0] in REMOVE:
        removed = await remove_address(
            ctx.uow(), actor_id=person_id, person_id=person_id, now=ctx.now
        )
        return Reply(ctx.t("email.removed" if removed else "email.none"), private=True)
    if len(words) == 2 and words[0] in CHANNEL and words[1] in CHANNELS:
        channel = CHANNELS[words[1]]
        await set_channel(
            ctx.uow(), actor_id=person_id, person_id=person_id, channel=channel, now=ctx.now
        )
        current = await address_of(ctx.uow(), person_id=person_id)
        key = f"email.channel_{channel.value}"
        if channel is not Channel.CHAT and (current is None or current.usable is None):
            key += "_later"
        return Reply(ctx.t(key), private=True)
    if len(words) == 2 and words[0] in NEWSLETTER and words[1] in ON | OFF:
        if words[1] in OFF:
            await unsubscribe(ctx.uow(), person_id=person_id)
        else:
            await resubscribe(ctx.uow(), person_id=person_id)
        return Reply(ctx.t("email.newsletter_" + ("on" if words[1] in ON else "off")), private=True)
    if "@" in args:
        given = typed_address(args)
        if given is None:
            return Reply(ctx.t("error.email_one"), is_error=True)
        stored = await request_address(
            ctx.uow(), actor_id=person_id, person_id=person_id, address=given, now=ctx.now
        )
        if stored.pending_address is None:  # the confirmed address, given again
            return Reply(ctx.t("email.already", address=stored.address), private=True)
        return Reply(ctx.t("email.sent", address=stored.pending_address), private=True)
    return Reply(ctx.t("error.email_usage", example=ctx.example("name@kommune.de")), is_error=True)


async def _status(ctx: Context) -> Reply:
    async with ctx.uow() as uow:
        current = await uow.emails.get(ctx.person.id)
        channel = (await uow.preferences.get(ctx.person.id)).channel
    lines = []
    if current is None or (current.address is None and current.pending_address is None):
        lines.append(ctx.t("email.status_none"))
    else:
        if current.address and current.undeliverable_at is not None:
            lines.append(ctx.t("email.status_undeliverable", address=current.address))
        elif current.address:
            lines.append(ctx.t("email.status_confirmed", address=current.address))
        if current.pending_address and current.pending_problem:
            lines.append(ctx.t("email.status_pending_refused", address=current.pending_address))
        elif current.pending_address:
            lines.append(ctx.t("email.status_pending", address=current.pending_address))
        if current.address and not current.announcements:
            lines.append(ctx.t("email.status_no_newsletter"))
    lines.append(ctx.t("email.status_channel", channel=ctx.t(f"email.word_{channel.value}")))
    lines.append(ctx.t("email.usage"))
    return Reply(ctx.t("email.status", lines=Markup("\n").join(lines)), private=True)
