"""Personal calendar feeds: an unguessable, revocable token per person; only its hash is kept."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from core.ports import RegistrationView, UnitOfWork

#: Past events stay in the feed this long, so that calendars do not lose them at once.
FEED_HISTORY = timedelta(days=90)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def subscribe_calendar(uow: UnitOfWork, *, person_id: int) -> str:
    """A new feed token for the person; an earlier one stops working."""
    token = secrets.token_urlsafe(32)
    async with uow:
        prefs = await uow.preferences.get(person_id)
        prefs.calendar_token_hash = token_hash(token)
        await uow.preferences.save(prefs)
        await uow.commit()
    return token


async def revoke_calendar(uow: UnitOfWork, *, person_id: int) -> bool:
    """Switch the feed off; ``False`` if there was none."""
    async with uow:
        prefs = await uow.preferences.get(person_id)
        if prefs.calendar_token_hash is None:
            return False
        prefs.calendar_token_hash = None
        await uow.preferences.save(prefs)
        await uow.commit()
    return True


async def calendar_feed(
    uow: UnitOfWork, *, token: str, now: datetime
) -> list[RegistrationView] | None:
    """The person's active registrations (cancelled events included), or ``None`` for a
    token that is unknown or revoked."""
    async with uow:
        prefs = await uow.preferences.by_token_hash(token_hash(token))
        if prefs is None:
            return None
        views = await uow.registrations.for_person(prefs.person_id, active_only=True)
    return [v for v in views if v.event.ends_at > now - FEED_HISTORY]
