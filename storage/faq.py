"""Repositories of the knowledge base: entries, forwarded questions, gap counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.faq import FaqEntry
from core.faq.records import FaqGap, ForwardedQuestion
from storage import upsert
from storage.tables import faq_entries, faq_feedback, faq_gaps, faq_questions


class _Repository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn


def _entry(row: Any) -> FaqEntry:
    return FaqEntry(
        id=row.id,
        question=row.question,
        answer=row.answer,
        variants=tuple(row.variants),
        tags=tuple(row.tags),
        links=tuple(row.links),
        topic=row.topic,
        updated=row.updated_at,
    )


def _entry_values(entry: FaqEntry) -> dict[str, Any]:
    return {
        "question": entry.question,
        "answer": entry.answer,
        "variants": list(entry.variants),
        "tags": list(entry.tags),
        "links": list(entry.links),
        "topic": entry.topic,
        "updated_at": entry.updated,
    }


class FaqEntryRepository(_Repository):
    async def list(self) -> list[FaqEntry]:
        query = faq_entries.select().order_by(faq_entries.c.position, faq_entries.c.id)
        return [_entry(r) for r in await self.conn.execute(query)]

    async def add(self, entry: FaqEntry, position: int) -> None:
        values = {"id": entry.id, "position": position, **_entry_values(entry)}
        await self.conn.execute(faq_entries.insert().values(values))

    async def update(self, entry: FaqEntry, position: int) -> None:
        await self.conn.execute(
            faq_entries.update()
            .where(faq_entries.c.id == entry.id)
            .values(position=position, **_entry_values(entry))
        )

    async def delete(self, entry_id: str) -> None:
        await self.conn.execute(faq_entries.delete().where(faq_entries.c.id == entry_id))


def _question(row: Any) -> ForwardedQuestion:
    return ForwardedQuestion(
        row.asker_id,
        row.text,
        row.topic,
        row.created_at,
        row.answered_by,
        row.answered_at,
        row.answer,
        row.id,
    )


class FaqQuestionRepository(_Repository):
    async def add(self, question: ForwardedQuestion) -> ForwardedQuestion:
        result = await self.conn.execute(
            faq_questions.insert()
            .values(
                asker_id=question.asker_id,
                text=question.text,
                topic=question.topic,
                created_at=question.created_at,
            )
            .returning(faq_questions.c.id)
        )
        question.id = result.scalar_one()
        return question

    async def get(self, question_id: int) -> ForwardedQuestion | None:
        query = faq_questions.select().where(faq_questions.c.id == question_id)
        row = (await self.conn.execute(query)).first()
        return _question(row) if row else None

    async def answer(
        self, question_id: int, *, answered_by: int, answer: str, now: datetime
    ) -> bool:
        result = await self.conn.execute(
            faq_questions.update()
            .where(faq_questions.c.id == question_id, faq_questions.c.answered_at.is_(None))
            .values(answered_by=answered_by, answer=answer, answered_at=now)
        )
        return result.rowcount == 1

    async def unanswered(self, limit: int | None = None) -> list[ForwardedQuestion]:
        query = (
            faq_questions.select()
            .where(faq_questions.c.answered_at.is_(None))
            .order_by(faq_questions.c.created_at, faq_questions.c.id)
        )
        if limit is not None:
            query = query.limit(limit)
        return [_question(r) for r in await self.conn.execute(query)]

    async def asked_by(self, person_id: int) -> list[ForwardedQuestion]:
        return await self._where(faq_questions.c.asker_id == person_id)

    async def answered(self, limit: int) -> list[ForwardedQuestion]:
        query = (
            faq_questions.select()
            .where(faq_questions.c.answered_at.is_not(None))
            .order_by(faq_questions.c.answered_at.desc(), faq_questions.c.id.desc())
            .limit(limit)
        )
        return [_question(r) for r in await self.conn.execute(query)]

    async def _where(self, condition: sa.ColumnElement[bool]) -> list[ForwardedQuestion]:
        query = faq_questions.select().where(condition).order_by(faq_questions.c.id)
        return [_question(r) for r in await self.conn.execute(query)]


class FaqGapRepository(_Repository):
    async def record(self, query: str, now: datetime) -> None:
        # One atomic upsert, so that concurrent askers never lose a count.
        insert = upsert.insert(self.conn.dialect.name, faq_gaps).values(
            query=query, count=1, first_seen=now, last_seen=now
        )
        await self.conn.execute(
            insert.on_conflict_do_update(
                index_elements=[faq_gaps.c.query],
                set_={"count": faq_gaps.c.count + 1, "last_seen": insert.excluded.last_seen},
            )
        )

    async def top(self, limit: int) -> list[FaqGap]:
        query = (
            faq_gaps.select()
            .order_by(faq_gaps.c.count.desc(), faq_gaps.c.last_seen.desc(), faq_gaps.c.query)
            .limit(limit)
        )
        return [
            FaqGap(r.query, r.count, r.first_seen, r.last_seen)
            for r in await self.conn.execute(query)
        ]


class FaqFeedbackRepository(_Repository):
    """ "Hat das geholfen?" counted per entry, without names."""

    async def count(self, entry_id: str, *, helpful: bool) -> None:
        column = "helpful" if helpful else "unhelpful"
        statement = upsert.insert(self.conn.dialect.name, faq_feedback).values(
            entry_id=entry_id, helpful=int(helpful), unhelpful=int(not helpful)
        )
        statement = statement.on_conflict_do_update(
            index_elements=[faq_feedback.c.entry_id],
            set_={column: faq_feedback.c[column] + 1},
        )
        await self.conn.execute(statement)

    async def unhelpful_first(self, limit: int) -> list[tuple[str, int, int]]:
        """(entry id, helpful, unhelpful) of entries somebody found unhelpful, most first."""
        query = (
            sa.select(faq_feedback.c.entry_id, faq_feedback.c.helpful, faq_feedback.c.unhelpful)
            .where(faq_feedback.c.unhelpful > 0)
            .order_by(faq_feedback.c.unhelpful.desc(), faq_feedback.c.entry_id)
            .limit(limit)
        )
        return [tuple(row) for row in await self.conn.execute(query)]
