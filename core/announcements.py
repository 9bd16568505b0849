"""Announcements: the network office's information mails, now one notice per person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.audit import record
from core.authority import require
from core.domain.authority import Action
from core.domain.errors import InvalidInput, NotFound
from core.domain.members import MemberKind
from core.domain.notices import Notice
from core.domain.notifications import (
    Announcement,
    AudienceKind,
    DeliveryProgress,
    GivenUp,
    Notification,
)
from core.domain.text import has_control_characters
from core.outreach import recipients as outreach_recipients
from core.ports import UnitOfWork

TEXT_MAX = 3500
SUBJECT_MAX = 150


@dataclass(frozen=True, slots=True)
class Audience:
    kind: AudienceKind
    ref: str | None = None


async def resolve_audience(uow: UnitOfWork, kind: AudienceKind, ref: str | None) -> Audience:
    """Check the target and pin it down (a member by name becomes its id)."""
    async with uow:
        if kind is AudienceKind.MEMBER:
            member = await uow.members.find(ref or "")
            if member is None:
                raise NotFound("member_not_found", ref=ref or "")
            return Audience(kind, str(member.id))
        if kind is AudienceKind.MEMBER_KIND:
            if ref not in {k.value for k in MemberKind}:
                raise InvalidInput("member_kind", kinds=", ".join(k.value for k in MemberKind))
            return Audience(kind, ref)
        if kind in (AudienceKind.EVENT, AudienceKind.NOT_REGISTERED):
            if not (ref or "").isdigit() or await uow.events.get(int(ref)) is None:
                raise NotFound("event_not_found", id=ref or "")
            return Audience(kind, ref)
        return Audience(kind)


async def _recipients(uow: UnitOfWork, audience: Audience, now: datetime) -> list[int]:
    """Person ids of ``audience`` now, in id order, inside the caller's unit of work."""
    if audience.kind is AudienceKind.NOT_REGISTERED:
        return await outreach_recipients(uow, int(audience.ref or 0), now)
    return await uow.announcements.recipients(audience.kind, audience.ref)


#: How many words a member's name may have when it is not quoted.
NAME_WORDS = 6


async def member_audience_at_start(uow: UnitOfWork, text: str) -> tuple[Audience, str]:
    """``Stadt Auenburg Liebe Kolleginnen …`` → the member Stadt Auenburg and the rest.

    The longest run of leading words (up to ``NAME_WORDS``) that names one member wins, so a
    name with spaces needs no quotes. Raises NotFound ``member_not_found`` naming the first
    word when no run does."""
    words = text.split()
    async with uow:
        for length in range(min(len(words), NAME_WORDS), 0, -1):
            member = await uow.members.find(" ".join(words[:length]))
            if member is not None:
                return Audience(AudienceKind.MEMBER, str(member.id)), " ".join(words[length:])
    raise NotFound("member_not_found", ref=words[0] if words else "")


async def count_recipients(
    uow: UnitOfWork, *, actor_id: int | None, audience: Audience, now: datetime
) -> int:
    """How many persons an announcement to ``audience`` would reach at ``now`` (the preview).
    Raises NotAllowed, NotFound ``event_not_found``."""
    async with uow:
        await require(uow, actor_id, Action.ANNOUNCE)
        return len(await _recipients(uow, audience, now))


async def announce(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    text: str,
    audience: Audience,
    now: datetime,
    draft: str | None = None,
    subject: str | None = None,
    event_id: int | None = None,
) -> Announcement:
    """Store the announcement and one notification per recipient, in one transaction. With
    ``draft`` (the desk's preview key) it is sent once: sending the same draft again returns
    the announcement sent first and sends nothing.

    ``subject`` makes it an information mail for those who get mail (one line, at most
    :data:`SUBJECT_MAX` characters; the text is its Markdown body); ``event_id`` names the
    event it invites to: each mail then carries a personal "Anmelden" link. To the
    municipalities not registered for an event (``nicht_angemeldet:ID``) it invites to that
    event unless ``event_id`` says otherwise; its recipients are counted now.
    Raises InvalidInput, NotAllowed, NotFound (``event_not_found``)."""
    if audience.kind is AudienceKind.NOT_REGISTERED and event_id is None:
        event_id = int(audience.ref or 0)
    text = text.strip()
    subject = " ".join(subject.split()) if subject is not None else None
    if subject is not None and (len(subject) > SUBJECT_MAX or has_control_characters(subject)):
        raise InvalidInput("announcement_subject", max=SUBJECT_MAX)
    if not text:
        raise InvalidInput("announcement_text", max=TEXT_MAX)
    if len(text) > TEXT_MAX:
        raise InvalidInput("announcement_too_long", max=TEXT_MAX, length=len(text))
    if has_control_characters(text):
        raise InvalidInput("control_characters")
    async with uow:
        await require(uow, actor_id, Action.ANNOUNCE)
        earlier = await uow.announcements.by_draft(draft) if draft else None
        if earlier is not None:
            return earlier
        if event_id is not None:
            found = await uow.events.get(event_id)
            if found is None:
                raise NotFound("event_not_found", id=event_id)
            if found.event.cancelled or found.event.starts_at <= now:
                raise InvalidInput("announcement_event_closed", title=found.event.title)
        people = await _recipients(uow, audience, now)
        if not people:
            raise InvalidInput("announcement_nobody")
        stored = await uow.announcements.add(
            Announcement(
                text,
                audience.kind,
                audience.ref,
                actor_id,
                now,
                len(people),
                subject=subject or None,
                event_id=event_id,
            ),
            draft,
        )
        if stored is None:  # the same draft, sent at the same moment elsewhere
            assert draft is not None
            earlier = await uow.announcements.by_draft(draft)
            assert earlier is not None
            return earlier
        await uow.notifications.add_many(
            [
                Notification(
                    person_id,
                    "announcement",
                    {"id": stored.id, "text": text},
                    now,
                    f"announcement:{stored.id}:{person_id}",
                    announcement_id=stored.id,
                )
                for person_id in people
            ]
        )
        await record(
            uow,
            actor_id=actor_id,
            action="announcement.sent",
            subject=f"announcement:{stored.id}",
            now=now,
            recipients=len(people),
        )
        await uow.commit()
    return stored


async def progress(
    uow: UnitOfWork, *, actor_id: int | None, announcement_id: int, platform: str | None = None
) -> tuple[Announcement, DeliveryProgress]:
    """How far the announcement got: every message, or those of one ``platform`` (``email``:
    the information mails, counted once handed to the outbox)."""
    async with uow:
        await require(uow, actor_id, Action.ANNOUNCE)
        found = await uow.announcements.get(announcement_id)
        if found is None:
            raise NotFound("announcement_not_found", id=announcement_id)
        return found, await uow.notifications.progress(announcement_id, platform)


async def delivery_problems(
    uow: UnitOfWork, *, actor_id: int | None, limit: int, announcement_id: int | None = None
) -> list[GivenUp]:
    """What the bot gave up delivering, newest first (organizers); of one announcement if
    given."""
    async with uow:
        await require(uow, actor_id, Action.VIEW_DELIVERY)
        return await uow.notifications.given_up(limit, announcement_id)


async def finish_announcements(uow: UnitOfWork, *, now: datetime) -> int:
    """Tell each author once that their announcement went out (or how far it got)."""
    finished = 0
    async with uow:
        for item in await uow.announcements.unfinished():
            state = await uow.notifications.progress(item.id)
            if state.pending or not await uow.announcements.complete(item.id, now):
                continue
            finished += 1
            if item.author_id is not None:
                params = {
                    "id": item.id,
                    "delivered": state.delivered,
                    "total": state.total,
                    "failed": state.failed,
                }
                uow.notify(Notice(item.author_id, "announcement_done", params))
        await uow.commit()
    return finished
