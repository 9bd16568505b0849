"""The deadline job: close due polls and post their results in every room of the poll."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.handlers.polls import closed_reply, post_to_rooms, translate
from bot.i18n import Translator
from core.polls import close_due_poll, due_polls
from storage.uow import JoinedUnitOfWork, SqlUnitOfWork


async def close_due_polls(
    uow_factory: Callable[[], SqlUnitOfWork], now: datetime, translator: Translator
) -> int:
    """Close every open poll whose deadline has passed, also those missed during downtime.

    Idempotent: each poll is closed and its result queued in one transaction, guarded by
    ``UPDATE … WHERE closed_at IS NULL``; running twice (or in two processes) posts once.
    Returns how many polls this call closed.
    """
    language = translator.default_language
    t = translate(translator, language)
    closed = 0
    for poll_id in await due_polls(uow_factory(), now=now):
        async with uow_factory() as uow:
            result = await close_due_poll(JoinedUnitOfWork(uow), poll_id=poll_id, now=now)
            if result is None:
                continue
            intro = t("poll.closed_deadline", id=poll_id)
            reply = closed_reply(t, result, translator, language, intro)
            await post_to_rooms(uow, result.rooms, reply, now)
            await uow.commit()
            closed += 1
    return closed
