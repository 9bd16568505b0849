"""/webzugang: a one-time link to the office's web desk, in the private chat."""

from __future__ import annotations

from bot.context import Context
from bot.reply import Reply
from bot.settings import Settings
from core.domain.web import LINK_LIFETIME
from core.web_access import issue_link

SIGN_IN_PATH = "/admin/anmelden/{token}"


def sign_in_url(settings: Settings, token: str) -> str:
    return settings.effective_public_url + SIGN_IN_PATH.format(token=token)


async def webzugang(ctx: Context, args: str) -> Reply:
    """The link goes to the private chat only (in a group, others would see it)."""
    token = await issue_link(
        ctx.uow(), actor_id=ctx.person.id, person_id=ctx.person.id, now=ctx.now
    )
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    text = ctx.t("desk.link", url=sign_in_url(ctx.app.settings, token), minutes=minutes)
    return Reply(text, private=True)
