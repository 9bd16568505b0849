"""Repositories for notifications, preferences, reminder offsets, announcements, retention."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.events import Event
from core.domain.mail import Channel
from core.domain.notifications import (
    Announcement,
    AudienceKind,
    DeliveryProgress,
    GivenUp,
    Notification,
    Preferences,
)
from core.domain.registrations import Mode, RegistrationStatus
from storage import upsert
from storage.repositories import _event
from storage.tables import (
    announcements,
    attendance,
    event_reminders,
    events,
    faq_gaps,
    faq_questions,
    mail_calendar,
    members,
    notifications,
    outbox,
    person_preferences,
    persons,
    poll_votes,
    polls,
    registrations,
)

_DATETIME = "$datetime"


def encode_params(params: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready parameters: datetimes become ``{"$datetime": iso}``."""
    return {
        k: {_DATETIME: v.isoformat()} if isinstance(v, datetime) else v for k, v in params.items()
    }


def decode_params(params: dict[str, Any]) -> dict[str, Any]:
    return {
        k: datetime.fromisoformat(v[_DATETIME]) if isinstance(v, dict) and _DATETIME in v else v
        for k, v in params.items()
    }


def _notification(row: Any) -> Notification:
    return Notification(
        row.person_id,
        row.key,
        decode_params(row.params),
        row.due_at,
        row.dedupe_key,
        row.event_id,
        row.announcement_id,
        row.id,
    )


class NotificationRepository:
    def __init__(self, conn: AsyncConnection, *, row_locks: bool = True) -> None:
        self.conn = conn
        self.row_locks = row_locks
        self.added = 0  # rows inserted through this repository

    async def add_many(
        self, items: list[Notification], *, dropped_at: datetime | None = None, reason: str = ""
    ) -> int:
        """Insert, skipping any whose ``dedupe_key`` exists; returns how many were new.

        With ``dropped_at`` the rows are recorded as given up (``reason``), never sent.
        """
        if not items:
            return 0
        rows = [
            {
                "person_id": n.person_id,
                "key": n.key,
                "params": encode_params(n.params),
                "due_at": n.due_at,
                "dedupe_key": n.dedupe_key,
                "event_id": n.event_id,
                "announcement_id": n.announcement_id,
                "failed_at": dropped_at,
                "last_error": reason if dropped_at else None,
            }
            for n in items
        ]
        statement = upsert.insert(self.conn.dialect.name, notifications).on_conflict_do_nothing()
        result = await self.conn.execute(statement.returning(notifications.c.id), rows)
        added = len(result.all())
        self.added += added
        return added

    async def claim_due(
        self, now: datetime, limit: int, *, person_id: int | None = None
    ) -> list[Notification]:
        """Due, unhandled rows (of one person, if given), locked until the transaction ends
        (other processes skip them)."""
        query = (
            notifications.select()
            .where(
                notifications.c.sent_at.is_(None),
                notifications.c.failed_at.is_(None),
                notifications.c.due_at <= now,
            )
            .order_by(notifications.c.due_at, notifications.c.id)
            .limit(limit)
        )
        if person_id is not None:
            query = query.where(notifications.c.person_id == person_id)
        if self.row_locks:
            query = query.with_for_update(skip_locked=True)
        return [_notification(r) for r in await self.conn.execute(query)]

    async def by_dedupe_key(self, dedupe_key: str) -> Notification | None:
        query = notifications.select().where(notifications.c.dedupe_key == dedupe_key)
        row = (await self.conn.execute(query)).first()
        return _notification(row) if row else None

    async def mark_sent(
        self, notification_id: int, now: datetime, platform: str, outbox_id: int | None
    ) -> bool:
        result = await self.conn.execute(
            notifications.update()
            .where(notifications.c.id == notification_id, notifications.c.sent_at.is_(None))
            .values(sent_at=now, platform=platform, outbox_id=outbox_id)
        )
        return result.rowcount == 1

    async def mark_failed(self, notification_id: int, now: datetime, error: str) -> None:
        await self.conn.execute(
            notifications.update()
            .where(notifications.c.id == notification_id)
            .values(failed_at=now, last_error=error[:2000])
        )

    async def dedupe_keys(self, prefix: str, event_ids: list[int]) -> set[str]:
        query = sa.select(notifications.c.dedupe_key).where(
            notifications.c.event_id.in_(event_ids),
            notifications.c.dedupe_key.startswith(prefix),
        )
        return set((await self.conn.execute(query)).scalars())

    async def next_due(self, now: datetime) -> datetime | None:
        query = sa.select(sa.func.min(notifications.c.due_at)).where(
            notifications.c.sent_at.is_(None),
            notifications.c.failed_at.is_(None),
            notifications.c.due_at > now,
        )
        return (await self.conn.execute(query)).scalar_one_or_none()

    async def progress(self, announcement_id: int, platform: str | None = None) -> DeliveryProgress:
        """Delivered: sent by the platform (or shown on the console); failed: given up."""
        joined = notifications.outerjoin(outbox, outbox.c.id == notifications.c.outbox_id)
        handed_over = notifications.c.sent_at.is_not(None)
        delivered = sa.and_(
            handed_over, sa.or_(notifications.c.outbox_id.is_(None), outbox.c.sent_at.is_not(None))
        )
        failed = sa.or_(notifications.c.failed_at.is_not(None), outbox.c.failed_at.is_not(None))
        query = (
            sa.select(
                sa.func.count(),
                sa.func.count().filter(delivered),
                sa.func.count().filter(failed),
            )
            .select_from(joined)
            .where(notifications.c.announcement_id == announcement_id)
        )
        if platform is not None:
            query = query.where(notifications.c.platform == platform)
        total, done, gone = (await self.conn.execute(query)).one()
        return DeliveryProgress(total, done, gone)

    async def given_up(self, limit: int, announcement_id: int | None = None) -> list[GivenUp]:
        """Notifications that will not arrive (no chat, or the platform refused), newest first;
        those of one announcement if given."""
        joined = notifications.join(persons, persons.c.id == notifications.c.person_id).outerjoin(
            outbox, outbox.c.id == notifications.c.outbox_id
        )
        when = sa.func.coalesce(outbox.c.failed_at, notifications.c.failed_at)
        query = (
            sa.select(
                persons.c.display_name,
                notifications.c.key,
                when.label("at"),
                sa.func.coalesce(outbox.c.last_error, notifications.c.last_error).label("error"),
            )
            .select_from(joined)
            .where(when.is_not(None))
            .order_by(when.desc(), notifications.c.id.desc())
            .limit(limit)
        )
        if announcement_id is not None:
            query = query.where(notifications.c.announcement_id == announcement_id)
        return [GivenUp(*row) for row in await self.conn.execute(query)]

    async def for_person(self, person_id: int) -> list[dict[str, Any]]:
        query = (
            notifications.select()
            .where(notifications.c.person_id == person_id)
            .order_by(notifications.c.id)
        )
        return [
            {
                "key": r.key,
                "params": decode_params(r.params),
                "due_at": r.due_at,
                "sent_at": r.sent_at,
                "platform": r.platform,
            }
            for r in await self.conn.execute(query)
        ]


def _preferences(row: Any) -> Preferences:
    return Preferences(
        row.person_id,
        row.reminders,
        row.deadline_reminders,
        row.preferred_platform,
        row.calendar_token_hash,
        Channel(row.channel),
    )


class PreferencesRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, person_id: int) -> Preferences:
        query = person_preferences.select().where(person_preferences.c.person_id == person_id)
        row = (await self.conn.execute(query)).first()
        return _preferences(row) if row else Preferences(person_id)

    async def many(self, person_ids: list[int]) -> dict[int, Preferences]:
        query = person_preferences.select().where(person_preferences.c.person_id.in_(person_ids))
        found = {r.person_id: _preferences(r) for r in await self.conn.execute(query)}
        return {p: found.get(p) or Preferences(p) for p in person_ids}

    async def by_token_hash(self, token_hash: str) -> Preferences | None:
        query = person_preferences.select().where(
            person_preferences.c.calendar_token_hash == token_hash
        )
        row = (await self.conn.execute(query)).first()
        return _preferences(row) if row else None

    async def deadline_subscribers(self) -> list[int]:
        query = sa.select(person_preferences.c.person_id).where(
            person_preferences.c.deadline_reminders.is_(True)
        )
        return list((await self.conn.execute(query)).scalars())

    async def save(self, prefs: Preferences) -> None:
        values = {
            "reminders": prefs.reminders,
            "deadline_reminders": prefs.deadline_reminders,
            "preferred_platform": prefs.preferred_platform,
            "calendar_token_hash": prefs.calendar_token_hash,
            "channel": prefs.channel.value,
        }
        statement = upsert.insert(self.conn.dialect.name, person_preferences).values(
            person_id=prefs.person_id, **values
        )
        await self.conn.execute(
            statement.on_conflict_do_update(
                index_elements=[person_preferences.c.person_id], set_=values
            )
        )


class ReminderRepository:
    """What reminder planning reads: events in a window, their offsets, who is confirmed."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def events_starting(self, after: datetime, until: datetime) -> list[Event]:
        query = (
            events.select()
            .where(
                events.c.cancelled.is_(False),
                events.c.starts_at > after,
                events.c.starts_at <= until,
            )
            .order_by(events.c.starts_at, events.c.id)
        )
        return [_event(r) for r in await self.conn.execute(query)]

    async def events_with_deadline(self, after: datetime, until: datetime) -> list[Event]:
        query = events.select().where(
            events.c.cancelled.is_(False),
            events.c.registration_deadline > after,
            events.c.registration_deadline <= until,
        )
        return [_event(r) for r in await self.conn.execute(query)]

    async def offsets(self, event_ids: list[int]) -> dict[int, tuple[timedelta, ...]]:
        """Offsets of events that have their own; the others use the defaults."""
        query = event_reminders.select().where(event_reminders.c.event_id.in_(event_ids))
        return {
            r.event_id: tuple(timedelta(minutes=m) for m in r.minutes_before)
            for r in await self.conn.execute(query)
        }

    async def set_offsets(self, event_id: int, offsets: tuple[timedelta, ...]) -> None:
        minutes = [int(o.total_seconds() // 60) for o in offsets]
        statement = upsert.insert(self.conn.dialect.name, event_reminders).values(
            event_id=event_id, minutes_before=minutes
        )
        await self.conn.execute(
            statement.on_conflict_do_update(
                index_elements=[event_reminders.c.event_id], set_={"minutes_before": minutes}
            )
        )

    async def confirmed(self, event_ids: list[int]) -> list[tuple[int, int, datetime, Mode]]:
        """``(event id, person id, confirmed since, mode)`` of confirmed registrations."""
        query = sa.select(
            registrations.c.event_id,
            registrations.c.person_id,
            registrations.c.updated_at,
            registrations.c.mode,
        ).where(
            registrations.c.event_id.in_(event_ids),
            registrations.c.status == RegistrationStatus.CONFIRMED.value,
            registrations.c.person_id.is_not(None),
        )
        return [(r[0], r[1], r[2], Mode(r[3])) for r in await self.conn.execute(query)]

    async def active_person_ids(self, event_id: int) -> set[int]:
        query = sa.select(registrations.c.person_id).where(
            registrations.c.event_id == event_id,
            registrations.c.status.in_(
                [RegistrationStatus.CONFIRMED.value, RegistrationStatus.WAITLISTED.value]
            ),
        )
        return set((await self.conn.execute(query)).scalars())


def _announcement(row: Any) -> Announcement:
    return Announcement(
        row.text,
        AudienceKind(row.audience),
        row.audience_ref,
        row.author_id,
        row.created_at,
        row.recipients,
        row.completed_at,
        row.id,
        row.subject,
        row.event_id,
    )


class AnnouncementRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(
        self, announcement: Announcement, draft: str | None = None
    ) -> Announcement | None:
        """Store it; ``None`` when an announcement of the same ``draft`` exists (it waits
        for another transaction that is storing one)."""
        statement = (
            upsert.insert(self.conn.dialect.name, announcements)
            .values(
                text=announcement.text,
                audience=announcement.audience.value,
                audience_ref=announcement.audience_ref,
                author_id=announcement.author_id,
                created_at=announcement.created_at,
                recipients=announcement.recipients,
                draft=draft,
                subject=announcement.subject,
                event_id=announcement.event_id,
            )
            .on_conflict_do_nothing(index_elements=[announcements.c.draft])
            .returning(announcements.c.id)
        )
        found = (await self.conn.execute(statement)).scalar_one_or_none()
        if found is None:
            return None
        announcement.id = found
        return announcement

    async def by_draft(self, draft: str) -> Announcement | None:
        query = announcements.select().where(announcements.c.draft == draft)
        row = (await self.conn.execute(query)).first()
        return _announcement(row) if row else None

    async def get(self, announcement_id: int) -> Announcement | None:
        query = announcements.select().where(announcements.c.id == announcement_id)
        row = (await self.conn.execute(query)).first()
        return _announcement(row) if row else None

    async def set_recipients(self, announcement_id: int, count: int) -> None:
        await self.conn.execute(
            announcements.update()
            .where(announcements.c.id == announcement_id)
            .values(recipients=count)
        )

    async def unfinished(self) -> list[Announcement]:
        query = announcements.select().where(announcements.c.completed_at.is_(None))
        return [_announcement(r) for r in await self.conn.execute(query)]

    async def complete(self, announcement_id: int, now: datetime) -> bool:
        """Mark it finished unless that happened already; ``True`` for the one that did it."""
        result = await self.conn.execute(
            announcements.update()
            .where(announcements.c.id == announcement_id, announcements.c.completed_at.is_(None))
            .values(completed_at=now)
        )
        return result.rowcount == 1

    async def recipients(self, audience: AudienceKind, ref: str | None) -> list[int]:
        """Person ids of the audience, in id order."""
        if audience is AudienceKind.EVENT:
            query = sa.select(registrations.c.person_id).where(
                registrations.c.event_id == int(ref or 0),
                registrations.c.status == RegistrationStatus.CONFIRMED.value,
                registrations.c.person_id.is_not(None),
            )
        else:
            query = sa.select(persons.c.id).where(persons.c.member_id.is_not(None))
            if audience is AudienceKind.MEMBER:
                query = query.where(persons.c.member_id == int(ref or 0))
            elif audience is AudienceKind.MEMBER_KIND:
                kind = sa.select(members.c.id).where(members.c.kind == ref)
                query = query.where(persons.c.member_id.in_(kind))
        return sorted(set((await self.conn.execute(query)).scalars()))


class RetentionRepository:
    """Deletions for the retention job; each returns how many rows went."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def _delete(self, table: sa.Table, *conditions: Any) -> int:
        return (await self.conn.execute(table.delete().where(*conditions))).rowcount

    async def registrations(self, cutoff: datetime) -> int:
        """Registrations (and mailed calendar entries, check-ins) of events that ended before
        ``cutoff``."""
        ended = sa.select(events.c.id).where(events.c.ends_at < cutoff)
        await self._delete(mail_calendar, mail_calendar.c.event_id.in_(ended))
        await self._delete(attendance, attendance.c.event_id.in_(ended))
        return await self._delete(registrations, registrations.c.event_id.in_(ended))

    async def forwarded_questions(self, answered_before: datetime, asked_before: datetime) -> int:
        answered = faq_questions.c.answered_at
        return await self._delete(
            faq_questions,
            sa.or_(
                answered < answered_before,
                sa.and_(answered.is_(None), faq_questions.c.created_at < asked_before),
            ),
        )

    async def named_votes(self, closed_before: datetime) -> int:
        closed = sa.select(polls.c.id).where(polls.c.closed_at < closed_before)
        return await self._delete(
            poll_votes, poll_votes.c.person_id.is_not(None), poll_votes.c.poll_id.in_(closed)
        )

    async def gaps(self, last_seen_before: datetime) -> int:
        return await self._delete(faq_gaps, faq_gaps.c.last_seen < last_seen_before)

    async def notifications(self, cutoff: datetime) -> int:
        done = sa.or_(notifications.c.sent_at.is_not(None), notifications.c.failed_at.is_not(None))
        count = await self._delete(notifications, done, notifications.c.due_at < cutoff)
        return count + await self._delete(announcements, announcements.c.created_at < cutoff)

    async def outbox(self, cutoff: datetime) -> int:
        done = sa.or_(outbox.c.sent_at.is_not(None), outbox.c.failed_at.is_not(None))
        return await self._delete(outbox, done, outbox.c.created_at < cutoff)
