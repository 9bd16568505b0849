"""Evaluation surveys: the survey, its recipients with their drafts, the "has answered"
pseudonyms, and the anonymous responses — rows in, domain objects out.

A response is stored under a random key in the survey's ``responses`` map: no person, no
time, no row of its own, and (PostgreSQL ``jsonb`` orders keys by length and bytes; SQLite's
text is rewritten sorted) no order of answering.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.surveys import Answer, Question, QuestionKind, Survey
from storage.polls import pseudonym_key
from storage.tables import survey_answered, survey_recipients, surveys
from storage.upsert import insert

#: Bytes of a survey's salt and of a response's random key.
SALT_BYTES = 32
RESPONSE_KEY_BYTES = 16
#: PostgreSQL: one response added in place (the jsonb value is rewritten by the server).
_ADD_RESPONSE = sa.text(
    "UPDATE surveys SET responses = responses || jsonb_build_object(CAST(:key AS text), "
    "CAST(:answers AS jsonb)) WHERE id = :survey_id"
)


def _questions(data: list[dict[str, Any]]) -> tuple[Question, ...]:
    return tuple(
        Question(QuestionKind(q["kind"]), q["text"], tuple(q.get("options", ())), q["optional"])
        for q in data
    )


def _stored(questions: tuple[Question, ...]) -> list[dict[str, Any]]:
    return [
        {"kind": q.kind.value, "text": q.text, "options": list(q.options), "optional": q.optional}
        for q in questions
    ]


class SurveyRepository:
    def __init__(self, conn: AsyncConnection, *, pepper: bytes, row_locks: bool = True) -> None:
        self.conn = conn
        self._pepper = pepper
        self._row_locks = row_locks
        self._postgresql = conn.dialect.name == "postgresql"

    def _survey(self, row: Any, answered: int) -> Survey:
        return Survey(
            row.event_id,
            row.title,
            _questions(row.questions),
            row.created_at,
            row.send_at,
            timedelta(seconds=row.reminder_after_s),
            timedelta(seconds=row.open_for_s),
            row.sent_at,
            row.remind_at,
            row.reminded_at,
            row.closes_at,
            row.closed_at,
            row.invited,
            answered,
            pseudonym_key(self._pepper, row.salt) if row.salt else None,
            row.id,
        )

    async def add(self, survey: Survey) -> Survey:
        result = await self.conn.execute(
            surveys.insert().returning(surveys.c.id),
            {
                "event_id": survey.event_id,
                "title": survey.title,
                "questions": _stored(survey.questions),
                "created_at": survey.created_at,
                "send_at": survey.send_at,
                "reminder_after_s": int(survey.reminder_after.total_seconds()),
                "open_for_s": int(survey.open_for.total_seconds()),
                "salt": secrets.token_bytes(SALT_BYTES),
                "responses": {},
            },
        )
        survey.id = result.scalar_one()
        return survey

    async def get(self, survey_id: int, *, lock: bool = False) -> Survey | None:
        """``lock``: the survey's row until the transaction ends (PostgreSQL), so that
        responses and closing queue up."""
        query = surveys.select().where(surveys.c.id == survey_id)
        if lock and self._row_locks and self._postgresql:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return self._survey(row, len(row.responses)) if row else None

    async def for_event(self, event_id: int) -> Survey | None:
        query = surveys.select().where(surveys.c.event_id == event_id)
        row = (await self.conn.execute(query)).first()
        return self._survey(row, len(row.responses)) if row else None

    async def list(self) -> list[Survey]:
        """Every survey, newest first."""
        query = surveys.select().order_by(surveys.c.id.desc())
        return [self._survey(r, len(r.responses)) for r in await self.conn.execute(query)]

    async def responses(self, survey_id: int) -> list[list[Answer]]:
        """The survey's responses in the order of their random keys (not of answering)."""
        query = sa.select(surveys.c.responses).where(surveys.c.id == survey_id)
        stored = (await self.conn.execute(query)).scalar_one_or_none() or {}
        return [list(stored[key]) for key in sorted(stored)]

    async def mark_sent(
        self,
        survey_id: int,
        *,
        now: datetime,
        remind_at: datetime,
        closes_at: datetime,
        invited: int,
    ) -> bool:
        """Sent now, unless it was sent already (then nothing changes and ``False``)."""
        result = await self.conn.execute(
            surveys.update()
            .where(surveys.c.id == survey_id, surveys.c.sent_at.is_(None))
            .values(sent_at=now, remind_at=remind_at, closes_at=closes_at, invited=invited)
        )
        return result.rowcount == 1

    async def invite_one_more(self, survey_id: int) -> int:
        """One more recipient (a late check-in); returns how many there are now."""
        await self.conn.execute(
            surveys.update().where(surveys.c.id == survey_id).values(invited=surveys.c.invited + 1)
        )
        query = sa.select(surveys.c.invited).where(surveys.c.id == survey_id)
        return (await self.conn.execute(query)).scalar_one()

    async def mark_reminded(self, survey_id: int, now: datetime) -> bool:
        result = await self.conn.execute(
            surveys.update()
            .where(surveys.c.id == survey_id, surveys.c.reminded_at.is_(None))
            .values(reminded_at=now)
        )
        return result.rowcount == 1

    async def close(self, survey_id: int, now: datetime) -> bool:
        """Closed now: the salt, the recipients with their drafts and the "has answered"
        pseudonyms go; the responses stay. ``False`` if it was closed already."""
        result = await self.conn.execute(
            surveys.update()
            .where(surveys.c.id == survey_id, surveys.c.closed_at.is_(None))
            .values(closed_at=now, salt=None)
        )
        if result.rowcount != 1:
            return False
        for table in (survey_recipients, survey_answered):
            await self.conn.execute(table.delete().where(table.c.survey_id == survey_id))
        return True

    async def delete(self, survey_id: int) -> None:
        await self.conn.execute(surveys.delete().where(surveys.c.id == survey_id))

    async def due_to_send(self, now: datetime) -> list[int]:
        query = (
            sa.select(surveys.c.id)
            .where(surveys.c.sent_at.is_(None), surveys.c.send_at <= now)
            .order_by(surveys.c.send_at)
        )
        return list((await self.conn.execute(query)).scalars())

    async def due_to_remind(self, now: datetime) -> list[int]:
        query = sa.select(surveys.c.id).where(
            surveys.c.reminded_at.is_(None),
            surveys.c.closed_at.is_(None),
            surveys.c.remind_at <= now,
        )
        return list((await self.conn.execute(query)).scalars())

    async def due_to_close(self, now: datetime) -> list[int]:
        query = sa.select(surveys.c.id).where(
            surveys.c.closed_at.is_(None), surveys.c.closes_at <= now
        )
        return list((await self.conn.execute(query)).scalars())

    async def next_due(self) -> datetime | None:
        """The earliest moment something is to be sent, reminded of or closed."""
        moments = [
            sa.select(sa.func.min(surveys.c.send_at)).where(surveys.c.sent_at.is_(None)),
            sa.select(sa.func.min(surveys.c.remind_at)).where(
                surveys.c.reminded_at.is_(None), surveys.c.closed_at.is_(None)
            ),
            sa.select(sa.func.min(surveys.c.closes_at)).where(surveys.c.closed_at.is_(None)),
        ]
        found = [(await self.conn.execute(q)).scalar_one_or_none() for q in moments]
        return min((m for m in found if m is not None), default=None)

    async def closed_before(self, moment: datetime) -> list[int]:
        query = sa.select(surveys.c.id).where(surveys.c.closed_at < moment)
        return list((await self.conn.execute(query)).scalars())

    # --- recipients -----------------------------------------------------------------------

    async def add_recipients(self, survey_id: int, person_ids: list[int]) -> None:
        if person_ids:
            statement = insert(self.conn.dialect.name, survey_recipients).on_conflict_do_nothing()
            await self.conn.execute(
                statement, [{"survey_id": survey_id, "person_id": p} for p in person_ids]
            )

    async def recipients(self, survey_id: int) -> list[int]:
        query = (
            sa.select(survey_recipients.c.person_id)
            .where(survey_recipients.c.survey_id == survey_id)
            .order_by(survey_recipients.c.person_id)
        )
        return list((await self.conn.execute(query)).scalars())

    async def draft(self, survey_id: int, person_id: int) -> list[Answer] | None:
        """The person's answers so far (``[]`` before the first), or ``None`` when the
        survey was not sent to them."""
        query = sa.select(survey_recipients.c.draft).where(
            survey_recipients.c.survey_id == survey_id,
            survey_recipients.c.person_id == person_id,
        )
        row = (await self.conn.execute(query)).first()
        return None if row is None else list(row.draft or [])

    async def set_draft(self, survey_id: int, person_id: int, draft: list[Answer] | None) -> None:
        await self.conn.execute(
            survey_recipients.update()
            .where(
                survey_recipients.c.survey_id == survey_id,
                survey_recipients.c.person_id == person_id,
            )
            .values(draft=draft)
        )

    # --- answered -------------------------------------------------------------------------

    async def has_answered(self, survey_id: int, voter_key: str) -> bool:
        query = sa.select(sa.func.count()).where(
            survey_answered.c.survey_id == survey_id, survey_answered.c.voter_key == voter_key
        )
        return (await self.conn.execute(query)).scalar_one() > 0

    async def answered_keys(self, survey_id: int) -> set[str]:
        query = sa.select(survey_answered.c.voter_key).where(
            survey_answered.c.survey_id == survey_id
        )
        return set((await self.conn.execute(query)).scalars())

    async def store_response(self, survey_id: int, voter_key: str, answers: list[Answer]) -> bool:
        """Mark the respondent as having answered and add their answers under a random key,
        in the caller's transaction; ``False`` (nothing stored) if they had answered."""
        marked = insert(self.conn.dialect.name, survey_answered).on_conflict_do_nothing()
        result = await self.conn.execute(marked, {"survey_id": survey_id, "voter_key": voter_key})
        if result.rowcount != 1:
            return False
        key = secrets.token_hex(RESPONSE_KEY_BYTES)
        if self._postgresql:
            params = {"survey_id": survey_id, "key": key, "answers": json.dumps(answers)}
            await self.conn.execute(_ADD_RESPONSE, params)
            return True
        query = sa.select(surveys.c.responses).where(surveys.c.id == survey_id)
        stored = dict((await self.conn.execute(query)).scalar_one())
        stored[key] = answers
        ordered = dict(sorted(stored.items()))  # the order of answering is not kept
        await self.conn.execute(
            surveys.update().where(surveys.c.id == survey_id).values(responses=ordered)
        )
        return True
