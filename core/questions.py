"""Registration questions: an organizer attaches them to an event; everyone holding a place
is asked them in the chat, one at a time (a pending dialogue step); answers are exported
with the attendee list, shown in sum to organizers, and deleted some days after the event.

People waiting are asked only once a place is given or offered to them and taken."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.audit import record
from core.authority import require
from core.domain.authority import Action
from core.domain.dialogues import PENDING_FOR, Dialogue, DialogueKind
from core.domain.errors import InvalidInput, NotFound, NotRegistered
from core.domain.questions import QUESTIONS_MAX, EventQuestion, QuestionKind
from core.domain.registrations import RegistrationStatus
from core.ports import UnitOfWork
from core.retention import RetentionPeriods, retention_purge


@dataclass(frozen=True, slots=True)
class Asking:
    """The question the person is asked now: the ``number``-th of ``total``."""

    event_id: int
    title: str
    question: EventQuestion
    number: int
    total: int


async def add_question(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    event_id: int,
    kind: QuestionKind,
    prompt: str,
    options: tuple[str, ...] = (),
    required: bool = False,
    now: datetime,
) -> EventQuestion:
    """Attach a question to the event (office only), asked after the ones it has. Raises
    NotFound, NotAllowed, InvalidInput (``question_…``, ``questions_max``, and
    ``cancelled_unchangeable``)."""
    question = EventQuestion(event_id, 0, kind, prompt.strip(), tuple(o.strip() for o in options))
    question.required = required
    question.validate()
    async with uow:
        await require(uow, actor_id, Action.MANAGE_EVENTS)
        info = await uow.events.lock(event_id)
        if info is None:
            raise NotFound("event_not_found", id=event_id)
        info.event.check_changeable()
        if len(await uow.questions.of_event(event_id)) >= QUESTIONS_MAX:
            raise InvalidInput("questions_max", max=QUESTIONS_MAX)
        stored = await uow.questions.add(question)
        subject = f"event:{event_id}"
        await record(
            uow, actor_id=actor_id, action="event.question_added", subject=subject, now=now
        )
        await uow.commit()
    return stored


async def remove_question(
    uow: UnitOfWork, *, actor_id: int | None, event_id: int, position: int, now: datetime
) -> EventQuestion:
    """Take the ``position``-th question off the event, with its answers (office only).
    Raises NotFound (``question_not_found``), NotAllowed."""
    async with uow:
        await require(uow, actor_id, Action.MANAGE_EVENTS)
        if await uow.events.lock(event_id) is None:
            raise NotFound("event_not_found", id=event_id)
        found = [q for q in await uow.questions.of_event(event_id) if q.position == position]
        if not found:
            raise NotFound("question_not_found", number=position)
        await uow.questions.remove(found[0])
        subject = f"event:{event_id}"
        await record(
            uow, actor_id=actor_id, action="event.question_removed", subject=subject, now=now
        )
        await uow.commit()
    return found[0]


async def event_questions(uow: UnitOfWork, *, event_id: int) -> list[EventQuestion]:
    async with uow:
        return await uow.questions.of_event(event_id)


async def ask(
    uow: UnitOfWork, *, person_id: int, event_id: int, now: datetime, again: bool = False
) -> Asking | None:
    """Start asking the person the event's questions: the first one not yet answered (or,
    ``again``, the first one), kept as their pending step. ``None``: nothing to ask (no
    questions, all answered, or the person holds no place). Raises nothing for a person
    who is not registered (``None``), so it can follow any signup."""
    async with uow:
        info = await uow.events.get(event_id, person_id=person_id)
        if info is None or info.own_status is not RegistrationStatus.CONFIRMED:
            return None
        questions = await uow.questions.of_event(event_id)
        given = (await uow.questions.answers(event_id, person_id)).get(person_id, {})
        start = (
            0
            if again
            else next((n for n, q in enumerate(questions) if q.id not in given), len(questions))
        )
        if start >= len(questions) or info.event.ends_at <= now:
            return None
        asking = Asking(event_id, info.event.title, questions[start], start + 1, len(questions))
        await _pend(uow, person_id, asking, now)
        await uow.commit()
    return asking


async def answer(
    uow: UnitOfWork, *, person_id: int, step: Dialogue, text: str, now: datetime
) -> Asking | None:
    """``text`` answers the question of the pending ``step``: stored (or skipped), and the
    next question becomes the step; ``None`` when it was the last. Raises InvalidInput
    (``answer_…``: the step stays), NotRegistered (the place is gone: the step ends)."""
    event_id = int(step.data["event_id"])
    async with uow:
        info = await uow.events.get(event_id, person_id=person_id)
        questions = await uow.questions.of_event(event_id)
        current = next((q for q in questions if q.id == step.data.get("question_id")), None)
        if info is None or info.own_status is not RegistrationStatus.CONFIRMED:
            await uow.dialogues.delete(person_id)
            await uow.commit()
            raise NotRegistered(title=info.event.title if info else "?")
        given = (await uow.questions.answers(event_id, person_id)).get(person_id, {})
        if current is None:  # the office took the question away meanwhile: the next open one
            later = [q for q in questions if q.id not in given]
        else:
            value = current.read(text)
            if value is not None or current.id not in given:  # skipping keeps an answer
                await uow.questions.save_answer(current.id, person_id, value)
            later = [q for q in questions if q.position > current.position]
        if not later:
            await uow.dialogues.delete(person_id)
            await uow.commit()
            return None
        asking = Asking(event_id, info.event.title, later[0], later[0].position, len(questions))
        await _pend(uow, person_id, asking, now)
        await uow.commit()
    return asking


async def ask_any(uow: UnitOfWork, *, person_id: int, now: datetime) -> Asking | None:
    """The first open question of any coming event the person holds a place for (after one
    event's questions are done, another's may still wait), kept as their pending step."""
    async with uow:
        views = await uow.registrations.for_person(person_id, active_only=True)
    for view in views:
        if (
            view.event.ends_at <= now
            or view.registration.status is not RegistrationStatus.CONFIRMED
        ):
            continue
        assert view.event.id is not None
        asking = await ask(uow, person_id=person_id, event_id=view.event.id, now=now)
        if asking is not None:
            return asking
    return None


async def _pend(uow: UnitOfWork, person_id: int, asking: Asking, now: datetime) -> None:
    data = {"event_id": asking.event_id, "question_id": asking.question.id}
    step = Dialogue(person_id, DialogueKind.REGISTRATION_QUESTION, data, now + PENDING_FOR)
    await uow.dialogues.put(step)


async def my_answers(
    uow: UnitOfWork, *, person_id: int, event_id: int
) -> list[tuple[EventQuestion, str | None]]:
    """The event's questions with the person's answers (``None``: not answered)."""
    async with uow:
        questions = await uow.questions.of_event(event_id)
        given = (await uow.questions.answers(event_id, person_id)).get(person_id, {})
    return [(q, given.get(q.id)) for q in questions]


@dataclass(frozen=True, slots=True)
class QuestionSummary:
    question: EventQuestion
    counts: list[tuple[str, int]]  # per option / ja, nein: how many (not for free text)
    texts: list[str]  # the free-text answers
    unanswered: int  # confirmed participants without an answer


async def summary(uow: UnitOfWork, *, actor_id: int | None, event_id: int) -> list[QuestionSummary]:
    """Per question of the event: the answers of those registered (confirmed) in sum, for
    organizers (catering numbers, accessibility needs). Raises NotFound, NotAllowed."""
    async with uow:
        await require(uow, actor_id, Action.VIEW_ATTENDEES)
        if await uow.events.get(event_id) is None:
            raise NotFound("event_not_found", id=event_id)
        questions = await uow.questions.of_event(event_id)
        answers = await uow.questions.answers(event_id)
        views = await uow.registrations.for_event(event_id)
    confirmed = {
        v.registration.person_id
        for v in views
        if v.registration.status is RegistrationStatus.CONFIRMED
    }
    out = []
    for question in questions:
        values = [a[question.id] for p, a in answers.items() if p in confirmed and question.id in a]
        counted = Counter(values)
        if question.kind is QuestionKind.YES_NO:
            counts = [(v, counted[v]) for v in ("ja", "nein")]
        elif question.kind is QuestionKind.CHOICE:
            counts = [(o, counted[o]) for o in question.options]
        else:
            counts = []
        texts = sorted(values) if question.kind is QuestionKind.TEXT else []
        out.append(QuestionSummary(question, counts, texts, len(confirmed) - len(values)))
    return out


@retention_purge("registration_answers")
async def _answers(uow: UnitOfWork, now: datetime, periods: RetentionPeriods) -> int:
    """Answers to registration questions, some days after their event (data minimisation,
    DSGVO Art. 5(1)(c) and (e)): catering and travel details are needed only for it."""
    return await uow.questions.purge_answers(now - timedelta(days=periods.answers_days))
