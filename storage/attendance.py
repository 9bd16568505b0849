"""Check-ins and the events' attendance codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.attendance import Attendance, CheckInMethod
from storage.tables import attendance, attendance_codes, events, members, persons
from storage.upsert import insert


class AttendanceRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, entry: Attendance) -> bool:
        """Insert unless the person is checked in already; whether this call did (a second
        check-in, also a concurrent one, changes nothing)."""
        statement = (
            insert(self.conn.dialect.name, attendance)
            .values(
                event_id=entry.event_id,
                person_id=entry.person_id,
                checked_in_at=entry.checked_in_at,
                method=entry.method.value,
            )
            .on_conflict_do_nothing(index_elements=["event_id", "person_id"])
        )
        return (await self.conn.execute(statement)).rowcount == 1

    async def get(self, event_id: int, person_id: int) -> Attendance | None:
        query = attendance.select().where(
            attendance.c.event_id == event_id, attendance.c.person_id == person_id
        )
        row = (await self.conn.execute(query)).first()
        return _attendance(row) if row is not None else None

    async def remove(self, event_id: int, person_id: int) -> bool:
        result = await self.conn.execute(
            attendance.delete().where(
                attendance.c.event_id == event_id, attendance.c.person_id == person_id
            )
        )
        return result.rowcount > 0

    async def for_event(self, event_id: int) -> list[tuple[Attendance, str, str | None]]:
        """The event's check-ins with each person's name and municipality, earliest first."""
        query = (
            sa.select(attendance, persons.c.display_name, members.c.name.label("member_name"))
            .join(persons, persons.c.id == attendance.c.person_id)
            .outerjoin(members, members.c.id == persons.c.member_id)
            .where(attendance.c.event_id == event_id)
            .order_by(attendance.c.checked_in_at, attendance.c.id)
        )
        rows = await self.conn.execute(query)
        return [(_attendance(r), r.display_name, r.member_name) for r in rows]

    async def certificates_sent(self, event_id: int, person_ids: list[int], now: datetime) -> None:
        await self.conn.execute(
            attendance.update()
            .where(attendance.c.event_id == event_id, attendance.c.person_id.in_(person_ids))
            .values(certificate_sent_at=now)
        )

    async def counts(self, since: datetime, until: datetime) -> list[tuple[int, int, int]]:
        """(event id, member id, persons checked in) per event that is not cancelled and
        starts in [``since``, ``until``), per municipality of the persons."""
        query = (
            sa.select(events.c.id, persons.c.member_id, sa.func.count())
            .select_from(
                attendance.join(events, events.c.id == attendance.c.event_id).join(
                    persons, persons.c.id == attendance.c.person_id
                )
            )
            .where(
                events.c.starts_at >= since,
                events.c.starts_at < until,
                events.c.cancelled.is_(False),
                persons.c.member_id.is_not(None),
            )
            .group_by(events.c.id, persons.c.member_id)
        )
        return [(r[0], r[1], int(r[2])) for r in await self.conn.execute(query)]

    async def code(self, event_id: int) -> str | None:
        query = sa.select(attendance_codes.c.code).where(attendance_codes.c.event_id == event_id)
        return (await self.conn.execute(query)).scalar_one_or_none()

    async def set_code(self, event_id: int, code: str, now: datetime) -> None:
        """The event's code from now on (an earlier one stops working)."""
        await self.conn.execute(
            attendance_codes.delete().where(attendance_codes.c.event_id == event_id)
        )
        await self.conn.execute(
            attendance_codes.insert().values(event_id=event_id, code=code, created_at=now)
        )

    async def event_of_code(self, code: str) -> int | None:
        query = sa.select(attendance_codes.c.event_id).where(attendance_codes.c.code == code)
        return (await self.conn.execute(query)).scalar_one_or_none()


def _attendance(row: Any) -> Attendance:
    return Attendance(
        row.event_id,
        row.person_id,
        row.checked_in_at,
        CheckInMethod(row.method),
        row.id,
        row.certificate_sent_at,
    )
