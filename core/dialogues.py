"""Pending dialogue steps: one per person, kept in the database so a restart loses none."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.domain.dialogues import PENDING_FOR, Dialogue, DialogueKind
from core.ports import UnitOfWork


async def offer_faq_choice(
    uow: UnitOfWork, *, person_id: int, entry_ids: Sequence[str], now: datetime
) -> None:
    """Remember the numbered entries just offered: a plain ``2`` then picks the second
    (within :data:`PENDING_FOR`); any other step the person had pending is replaced."""
    async with uow:
        await uow.dialogues.put(
            Dialogue(
                person_id, DialogueKind.FAQ_CHOICE, {"entries": list(entry_ids)}, now + PENDING_FOR
            )
        )
        await uow.commit()


async def pending_step(uow: UnitOfWork, *, person_id: int, now: datetime) -> Dialogue | None:
    """The person's pending step, if it is still open."""
    async with uow:
        found = await uow.dialogues.get(person_id)
    return found if found is not None and found.pending(now) else None


async def finish_step(uow: UnitOfWork, *, person_id: int) -> None:
    """The pending step is answered (or passed over by something else): forget it."""
    async with uow:
        await uow.dialogues.delete(person_id)
        await uow.commit()
