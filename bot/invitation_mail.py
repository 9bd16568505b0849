"""A personal invitation by e-mail: what its mail says (``invite --email``, the desk)."""

from __future__ import annotations

from bot.handlers.general import start_payload
from bot.settings import Settings
from core.accounts import NewInvitation


def invitation_params(
    settings: Settings, created: NewInvitation, username: str
) -> dict[str, object]:
    """The parameters of a personal invitation's mail (notice ``invitation_mail``): the code,
    its end, the Telegram deep link (``username``: the bot's, or ``""``), the Matrix text."""
    assert created.person is not None
    payload = start_payload("p", created.code)
    return {
        "name": created.person.display_name,
        "code": created.code,
        "expires_at": created.invitation.expires_at,
        "telegram_url": f"https://t.me/{username}?start={payload}" if username else "",
        "mxid": settings.matrix_user_id or "",
        "matrix_command": f"{settings.matrix_command_prefix}start {payload}",
        "start_command": f"/start {payload}",
    }
