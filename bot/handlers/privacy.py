"""/meine_daten and /daten_loeschen (DSGVO Art. 15 and 17)."""

from __future__ import annotations

import json

from bot.arguments import split_words
from bot.context import Context
from bot.handlers.render import lines
from bot.reply import Attachment, Button, Reply
from core.privacy import erase_person, export_person_data

CONFIRM_WORDS = {"ja", "yes", "bestätigen", "bestaetigen", "confirm"}
DECLINE_WORDS = {"nein", "no", "abbrechen", "cancel", "stop"}


async def meine_daten(ctx: Context, args: str) -> Reply:
    data = await export_person_data(ctx.uow(), person_id=ctx.person.id, now=ctx.now)
    content = json.dumps(data, ensure_ascii=False, indent=2).encode()
    parts = data["daten"]
    summary = ctx.t(
        "mydata.summary",
        name=ctx.person.display_name,
        identities=len(parts.get("chat_identities", {}).get("eintraege", [])),
        registrations=len(parts.get("registrations", {}).get("eintraege", [])),
    )
    return Reply(
        lines(ctx.t("mydata.header"), summary, "", ctx.t("mydata.delete_hint")),
        attachment=Attachment(str(ctx.t("mydata.filename")), content, "application/json"),
        private=True,
    )


async def datenschutz(ctx: Context, args: str) -> Reply:
    settings = ctx.app.settings
    text = ctx.t(
        "privacy.full",
        months=settings.retention_months,
        answered=settings.retention_answered_days,
        delivered=settings.retention_delivered_days,
        gaps=settings.retention_gaps_months,
    )
    if settings.privacy_url:
        text = lines(text, "", ctx.t("privacy.notice_link", url=settings.privacy_url))
    return Reply(text, private=True)


async def daten_loeschen(ctx: Context, args: str) -> Reply:
    """``/daten_loeschen`` asks back; ``ja`` erases (Art. 17 DSGVO), ``nein`` keeps all."""
    word = " ".join(split_words(args)).lower().strip(".!")
    if word in DECLINE_WORDS:
        return Reply(ctx.t("delete.kept"), private=True)
    if word not in CONFIRM_WORDS:
        yes = ctx.cmd(ctx.command, ctx.t("word.yes"))
        button = Button(ctx.t("button.confirm_delete"), yes)
        text = ctx.t("delete.confirm", confirm=yes)
        if word:
            text = lines(ctx.t("error.delete_word", value=word[:20]), "", text)
        return Reply(text, buttons=((button,),), private=True)
    report = await erase_person(ctx.uow(), person_id=ctx.person.id, now=ctx.now)
    text = ctx.t("delete.done", count=report.registrations_withdrawn)
    return Reply(text, private=True, ephemeral=True)
