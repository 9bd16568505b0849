"""Series of events: their rules, and the events that are their dates (ordered by id)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.events import Event
from core.domain.series import Frequency, Series
from storage.repositories import _event
from storage.tables import events, series


def _series(row: Any) -> Series:
    return Series(
        frequency=Frequency(row.frequency),
        first_start=row.first_start,
        duration=timedelta(seconds=row.duration_seconds),
        count=row.count,
        until=row.until,
        timezone=row.timezone,
        created_at=row.created_at,
        id=row.id,
    )


class SeriesRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, rule: Series) -> Series:
        values = {
            "frequency": rule.frequency.value,
            "first_start": rule.first_start,
            "duration_seconds": int(rule.duration.total_seconds()),
            "count": rule.count,
            "until": rule.until,
            "timezone": rule.timezone,
            "created_at": rule.created_at,
        }
        result = await self.conn.execute(series.insert().values(values).returning(series.c.id))
        rule.id = result.scalar_one()
        return rule

    async def many(self, series_ids: Collection[int]) -> dict[int, Series]:
        if not series_ids:
            return {}
        query = sa.select(series).where(series.c.id.in_(sorted(series_ids)))
        return {row.id: _series(row) for row in await self.conn.execute(query)}

    async def dates(self, series_id: int) -> list[Event]:
        """The series' events in the order of its rule (they are stored in that order)."""
        query = sa.select(events).where(events.c.series_id == series_id).order_by(events.c.id)
        return [_event(row) for row in await self.conn.execute(query)]
