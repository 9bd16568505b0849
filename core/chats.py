"""Chats whose id changes: every link the service keeps follows the chat."""

from __future__ import annotations

import logging

from core.domain.people import Platform
from core.ports import UnitOfWork

log = logging.getLogger(__name__)


async def move_chat(
    uow: UnitOfWork, *, platform: Platform, old_chat_id: str, new_chat_id: str
) -> int:
    """Point event rooms, poll rooms, polls' origin chats and undelivered messages of
    ``old_chat_id`` at ``new_chat_id``; returns how many links moved (0 the second time).

    Telegram gives a basic group a new id when it becomes a supergroup (Bot API: Message
    ``migrate_to_chat_id``, and the error parameter of the same name on sending)."""
    if old_chat_id == new_chat_id:
        return 0
    async with uow:
        moved = await uow.chat_links.move(platform, old_chat_id, new_chat_id)
        await uow.commit()
    if moved:
        log.info(
            "%s chat %s is now %s: %d links moved", platform.value, old_chat_id, new_chat_id, moved
        )
    return moved
