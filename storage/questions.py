"""Registration questions of events and the answers people gave."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.questions import EventQuestion, QuestionKind
from storage import upsert
from storage.tables import event_questions, events, registration_answers


class QuestionRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, question: EventQuestion) -> EventQuestion:
        """Store ``question`` as the event's last one (its position is set here)."""
        last = await self.conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(event_questions.c.position), 0)).where(
                event_questions.c.event_id == question.event_id
            )
        )
        question.position = last.scalar_one() + 1
        result = await self.conn.execute(
            event_questions.insert().values(
                event_id=question.event_id,
                position=question.position,
                kind=question.kind.value,
                prompt=question.prompt,
                options=list(question.options),
                required=question.required,
            )
        )
        question.id = result.inserted_primary_key[0]
        return question

    async def of_event(self, event_id: int) -> list[EventQuestion]:
        query = (
            event_questions.select()
            .where(event_questions.c.event_id == event_id)
            .order_by(event_questions.c.position)
        )
        return [_question(r) for r in await self.conn.execute(query)]

    async def remove(self, question: EventQuestion) -> None:
        """Delete ``question`` (its answers go with it); those after it move up one."""
        await self.conn.execute(event_questions.delete().where(event_questions.c.id == question.id))
        later = (
            event_questions.select()
            .where(
                event_questions.c.event_id == question.event_id,
                event_questions.c.position > question.position,
            )
            .order_by(event_questions.c.position)
        )
        for row in list(await self.conn.execute(later)):
            await self.conn.execute(
                event_questions.update()
                .where(event_questions.c.id == row.id)
                .values(position=row.position - 1)
            )

    async def save_answer(self, question_id: int, person_id: int, value: str | None) -> None:
        """Keep ``value`` as the person's answer (``None``: no answer, an earlier one goes)."""
        if value is None:
            await self.conn.execute(
                registration_answers.delete().where(
                    registration_answers.c.question_id == question_id,
                    registration_answers.c.person_id == person_id,
                )
            )
            return
        statement = upsert.insert(self.conn.dialect.name, registration_answers).values(
            question_id=question_id, person_id=person_id, value=value
        )
        await self.conn.execute(
            statement.on_conflict_do_update(
                index_elements=[
                    registration_answers.c.question_id,
                    registration_answers.c.person_id,
                ],
                set_={"value": value},
            )
        )

    async def answers(
        self, event_id: int, person_id: int | None = None
    ) -> dict[int, dict[int, str]]:
        """person id → {question id → value} of the event's answers (of one person, if given)."""
        query = (
            sa.select(
                registration_answers.c.person_id,
                registration_answers.c.question_id,
                registration_answers.c.value,
            )
            .join(event_questions, event_questions.c.id == registration_answers.c.question_id)
            .where(event_questions.c.event_id == event_id)
        )
        if person_id is not None:
            query = query.where(registration_answers.c.person_id == person_id)
        found: dict[int, dict[int, str]] = {}
        for person, question, value in await self.conn.execute(query):
            found.setdefault(person, {})[question] = value
        return found

    async def forget_answers(self, event_id: int, person_id: int) -> None:
        """The person's answers to the event's questions (their registration ended)."""
        mine = sa.select(event_questions.c.id).where(event_questions.c.event_id == event_id)
        await self.conn.execute(
            registration_answers.delete().where(
                registration_answers.c.person_id == person_id,
                registration_answers.c.question_id.in_(mine),
            )
        )

    async def purge_answers(self, ended_before: datetime) -> int:
        """Answers to questions of events that ended before ``ended_before``; how many."""
        ended = (
            sa.select(event_questions.c.id)
            .join(events, events.c.id == event_questions.c.event_id)
            .where(events.c.ends_at < ended_before)
        )
        result = await self.conn.execute(
            registration_answers.delete().where(registration_answers.c.question_id.in_(ended))
        )
        return result.rowcount


def _question(row: Any) -> EventQuestion:
    return EventQuestion(
        row.event_id,
        row.position,
        QuestionKind(row.kind),
        row.prompt,
        tuple(row.options),
        row.required,
        row.id,
    )
