"""Evaluation surveys ("Befragungen") after an event: defining, sending, answering one
question at a time, reminding once, closing, and the results.

- The office defines a survey for an event (:func:`add_survey`: the network's standard
  evaluation or its own questions). It goes out by itself at ``send_at`` (the event's end
  unless set otherwise; :func:`run_due_surveys` from the scheduler), or when an organizer or
  the event's speaker sends it (:func:`send_survey`), to the event's attendees: everyone
  checked in if anyone was, otherwise everyone with a confirmed registration.
- Answering (:func:`begin`, :func:`answer`): the answers so far are held with the person
  (the recipient's draft) until the last question; then, in one transaction, the answers go
  into the survey's responses (no person, no time, no order) and a pseudonym of the person
  into "has answered", and the draft is deleted.
- One reminder, to those who have not answered (after ``reminder_after``); at closing
  (``open_for`` after sending) the recipients, their drafts, the pseudonyms and the salt that
  made them are deleted. Only the responses stay, for ``ENGAGIERT_RETENTION_MONTHS``.

Who may do what comes from :mod:`core.authority`: :data:`Action.MANAGE_SURVEYS` (organizers),
:data:`Action.SEND_SURVEY` (organizers and the event's speaker),
:data:`Action.SEE_SURVEY_RESULTS` (organizers: a speaker often knows who took part and could
guess who wrote what). The office's acts are audited with ids only (``survey.added``,
``survey.sent``, ``survey.exported``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.audit import record
from core.authority import NO_ROOMS, require
from core.domain.authority import TERMINAL, Action, Place
from core.domain.dialogues import Dialogue, DialogueKind
from core.domain.errors import InvalidInput, NotFound
from core.domain.events import Event
from core.domain.notices import Notice
from core.domain.polls import voter_key
from core.domain.registrations import RegistrationStatus
from core.domain.surveys import (
    MAX_TITLE_LENGTH,
    OPEN_FOR,
    REMINDER_AFTER,
    Answer,
    Question,
    QuestionResult,
    Survey,
    check_questions,
    parse_answer,
    standard_evaluation,
    summarize,
)
from core.ports import RoomDirectory, UnitOfWork, UnitOfWorkFactory
from core.retention import RetentionPeriods, months_before, retention_purge

log = logging.getLogger(__name__)

#: Results (distributions, free texts, exports) are shown from this many responses on: with
#: fewer, whoever knows who took part could tell who answered what.
MIN_SHOWN = 3


@dataclass(frozen=True, slots=True)
class Step:
    """Where a person stands in a survey: the next question (``index`` from 0), or done."""

    survey: Survey
    event: Event
    index: int

    @property
    def done(self) -> bool:
        return self.index >= len(self.survey.questions)

    @property
    def question(self) -> Question:
        return self.survey.questions[self.index]


@dataclass(frozen=True, slots=True)
class SurveyResults:
    survey: Survey
    event: Event
    #: Empty while fewer than :data:`MIN_SHOWN` answered.
    results: list[QuestionResult]
    #: The responses, one list per respondent in no order of answering (for the export).
    responses: list[list[Answer]]

    @property
    def shown(self) -> bool:
        return self.survey.answered >= MIN_SHOWN


async def _event(uow: UnitOfWork, event_id: int) -> Event:
    info = await uow.events.get(event_id)
    if info is None:
        raise NotFound("event_not_found", id=event_id)
    return info.event


async def _survey(uow: UnitOfWork, survey_id: int, *, lock: bool = False) -> Survey:
    survey = await uow.surveys.get(survey_id, lock=lock)
    if survey is None:
        raise NotFound("survey_not_found", id=survey_id)
    return survey


async def add_survey(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    event_id: int,
    now: datetime,
    questions: Sequence[Question] | None = None,
    title: str | None = None,
    send_at: datetime | None = None,
    reminder_after: timedelta = REMINDER_AFTER,
    open_for: timedelta = OPEN_FOR,
) -> tuple[Survey, Event]:
    """Define the survey of an event: ``questions`` or the standard evaluation
    (:func:`core.domain.surveys.standard_evaluation`), sent at ``send_at`` (default: the
    event's end), reminded once after ``reminder_after`` (must be shorter than
    ``open_for``), open for ``open_for`` after sending. Raises NotAllowed, NotFound
    ``event_not_found``, InvalidInput ``survey_exists``, ``survey_event_cancelled``,
    ``survey_send_past``, ``survey_periods``, ``survey_title_long`` and the question
    checks."""
    async with uow:
        await require(uow, actor_id, Action.MANAGE_SURVEYS)
        event = await _event(uow, event_id)
        if event.cancelled:
            raise InvalidInput("survey_event_cancelled", title=event.title)
        if await uow.surveys.for_event(event_id) is not None:
            raise InvalidInput("survey_exists", title=event.title)
        checked = check_questions(standard_evaluation() if questions is None else questions)
        title = " ".join((title or event.title).split())
        if len(title) > MAX_TITLE_LENGTH:
            raise InvalidInput("survey_title_long", limit=MAX_TITLE_LENGTH)
        moment = send_at or event.ends_at
        if send_at is not None and send_at < now:
            raise InvalidInput("survey_send_past")
        if not timedelta(0) < reminder_after < open_for:
            raise InvalidInput("survey_periods")
        survey = await uow.surveys.add(
            Survey(event_id, title, checked, now, moment, reminder_after, open_for)
        )
        await record(
            uow,
            actor_id=actor_id,
            action="survey.added",
            subject=f"survey:{survey.id}",
            now=now,
            event=event_id,
        )
        await uow.commit()
    return survey, event


async def list_surveys(uow: UnitOfWork, *, actor_id: int | None) -> list[tuple[Survey, Event]]:
    """Every survey with its event, newest first (organizers). Raises NotAllowed."""
    async with uow:
        await require(uow, actor_id, Action.MANAGE_SURVEYS)
        return [(s, await _event(uow, s.event_id)) for s in await uow.surveys.list()]


async def send_survey(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    survey_id: int,
    now: datetime,
    place: Place = TERMINAL,
    rooms: RoomDirectory = NO_ROOMS,
) -> tuple[Survey, Event]:
    """Send the survey now (organizers, the event's speaker), once the event has begun.
    Raises NotFound, NotAllowed, InvalidInput ``survey_already_sent``,
    ``survey_event_not_started``, ``survey_event_cancelled``, ``survey_nobody``."""
    async with uow:
        survey = await _survey(uow, survey_id, lock=True)
        await require(uow, actor_id, Action.SEND_SURVEY, place, rooms, event_id=survey.event_id)
        event = await _event(uow, survey.event_id)
        if survey.sent_at is not None:
            raise InvalidInput("survey_already_sent", id=survey_id, sent_at=survey.sent_at)
        if event.cancelled:
            raise InvalidInput("survey_event_cancelled", title=event.title)
        if now < event.starts_at:
            raise InvalidInput("survey_event_not_started", title=event.title)
        if not await _send(uow, survey, event, now):
            raise InvalidInput("survey_nobody", title=event.title)
        await record(
            uow,
            actor_id=actor_id,
            action="survey.sent",
            subject=f"survey:{survey_id}",
            now=now,
            count=survey.invited,
        )
        await uow.commit()
    return survey, event


async def attendees(uow: UnitOfWork, event_id: int) -> list[int]:
    """Who a survey of the event goes to: the people checked in, if anyone was; otherwise
    those with a confirmed registration (an erased person's registration has nobody)."""
    present = [entry.person_id for entry, _, _ in await uow.attendance.for_event(event_id)]
    if present:
        return sorted(set(present))
    return sorted(
        {
            view.registration.person_id
            for view in await uow.registrations.for_event(event_id)
            if view.registration.person_id is not None
            and view.registration.status is RegistrationStatus.CONFIRMED
        }
    )


async def _send(uow: UnitOfWork, survey: Survey, event: Event, now: datetime) -> int:
    """Record the recipients and tell each; returns how many. Nobody: nothing changes."""
    assert survey.id is not None
    people = await attendees(uow, survey.event_id)
    if not people:
        return 0
    closes_at = now + survey.open_for
    if not await uow.surveys.mark_sent(
        survey.id,
        now=now,
        remind_at=now + survey.reminder_after,
        closes_at=closes_at,
        invited=len(people),
    ):
        return 0
    await uow.surveys.add_recipients(survey.id, people)
    survey.sent_at, survey.closes_at, survey.invited = now, closes_at, len(people)
    for person_id in people:
        uow.notify(Notice(person_id, "survey_invitation", _params(survey, event)))
    return len(people)


async def invite_late(uow: UnitOfWork, *, event: Event, person_id: int, now: datetime) -> bool:
    """Someone checked in after the event's survey went out (from the list at the door) is
    asked too, while it is open; call in the check-in's transaction. Whether they were."""
    assert event.id is not None
    survey = await uow.surveys.for_event(event.id)
    if survey is None or survey.id is None or not survey.is_open(now):
        return False
    if person_id in await uow.surveys.recipients(survey.id):
        return False
    await uow.surveys.add_recipients(survey.id, [person_id])
    survey.invited = await uow.surveys.invite_one_more(survey.id)
    uow.notify(Notice(person_id, "survey_invitation", _params(survey, event)))
    return True


def _params(survey: Survey, event: Event) -> dict[str, object]:
    return {
        "survey_id": survey.id,
        "event_id": event.id,
        "title": survey.title,
        "count": len(survey.questions),
        "closes_at": survey.closes_at,
    }


async def run_due_surveys(uow_factory: UnitOfWorkFactory, *, now: datetime) -> int:
    """The scheduler's part: send the surveys due (an event cancelled meanwhile or without
    attendees: the survey is closed unsent), remind once, close — each survey in its own
    transaction, each step at most once. Returns how many surveys were handled."""
    async with uow_factory() as uow:
        sending = await uow.surveys.due_to_send(now)
        reminding = await uow.surveys.due_to_remind(now)
        closing = await uow.surveys.due_to_close(now)
    for survey_id in sending:
        async with uow_factory() as uow:
            survey = await uow.surveys.get(survey_id, lock=True)
            if survey is None or survey.sent_at is not None:
                continue
            event = await _event(uow, survey.event_id)
            if event.cancelled or not await _send(uow, survey, event, now):
                # Nobody to ask: it ends here (closed, sent to nobody), never to go out later.
                await uow.surveys.mark_sent(
                    survey_id, now=now, remind_at=now, closes_at=now, invited=0
                )
                await uow.surveys.close(survey_id, now)
                log.info("survey %s: nobody to send it to; closed", survey_id)
            await uow.commit()
    for survey_id in reminding:
        async with uow_factory() as uow:
            survey = await uow.surveys.get(survey_id, lock=True)
            if survey is None or survey.key is None:
                continue
            if not await uow.surveys.mark_reminded(survey_id, now):
                continue
            event = await _event(uow, survey.event_id)
            answered = await uow.surveys.answered_keys(survey_id)
            for person_id in await uow.surveys.recipients(survey_id):
                if voter_key(survey.key, person_id) not in answered:
                    uow.notify(Notice(person_id, "survey_reminder", _params(survey, event)))
            await uow.commit()
    for survey_id in closing:
        async with uow_factory() as uow:
            await uow.surveys.get(survey_id, lock=True)
            await uow.surveys.close(survey_id, now)
            await uow.commit()
    return len(sending) + len(reminding) + len(closing)


async def next_survey_due(uow: UnitOfWork) -> datetime | None:
    """When the scheduler should wake up next for a survey."""
    async with uow:
        return await uow.surveys.next_due()


async def _standing(
    uow: UnitOfWork, survey_id: int, person_id: int, now: datetime
) -> tuple[Survey, list[Answer]]:
    """The open survey sent to the person, and their answers so far. Raises NotFound
    ``survey_not_found`` (not sent to them), InvalidInput ``survey_closed``,
    ``survey_already_answered``."""
    survey = await _survey(uow, survey_id, lock=True)
    if survey.sent_at is not None and not survey.is_open(now):
        raise InvalidInput("survey_closed", title=survey.title)
    draft = await uow.surveys.draft(survey_id, person_id)
    if draft is None or survey.key is None:
        raise NotFound("survey_not_found", id=survey_id)
    if await uow.surveys.has_answered(survey_id, voter_key(survey.key, person_id)):
        raise InvalidInput("survey_already_answered", title=survey.title)
    return survey, draft


async def begin(uow: UnitOfWork, *, person_id: int, survey_id: int, now: datetime) -> Step:
    """Start or resume answering: the next question, and the dialogue step that takes a
    plain message as its answer (until the survey closes). Raises as :func:`_standing`."""
    async with uow:
        survey, draft = await _standing(uow, survey_id, person_id, now)
        await _expect(uow, survey, person_id)
        event = await _event(uow, survey.event_id)
        await uow.commit()
    return Step(survey, event, len(draft))


async def _expect(uow: UnitOfWork, survey: Survey, person_id: int) -> None:
    step = Dialogue(person_id, DialogueKind.SURVEY_STEP, {"survey": survey.id}, survey.closes_at)
    await uow.dialogues.put(step)


async def answer(
    uow: UnitOfWork,
    *,
    person_id: int,
    survey_id: int,
    text: str,
    now: datetime,
    question_no: int | None = None,
) -> Step:
    """Take ``text`` as the answer to the person's next question (``question_no``, from 1,
    names the question a button answered: an older button raises ``survey_question_passed``).
    After the last question the answers are stored in one step, without the person, and the
    dialogue ends. Raises as :func:`_standing` and :func:`core.domain.surveys.parse_answer`.
    """
    async with uow:
        survey, draft = await _standing(uow, survey_id, person_id, now)
        index = len(draft)
        if question_no is not None and question_no != index + 1:
            raise InvalidInput("survey_question_passed", number=question_no, next=index + 1)
        draft.append(parse_answer(survey.questions[index], text))
        if len(draft) < len(survey.questions):
            await uow.surveys.set_draft(survey_id, person_id, draft)
            await _expect(uow, survey, person_id)
        else:
            assert survey.key is not None
            await uow.surveys.store_response(survey_id, voter_key(survey.key, person_id), draft)
            await uow.surveys.set_draft(survey_id, person_id, None)
            await uow.dialogues.delete(person_id)
            survey.answered += 1
        event = await _event(uow, survey.event_id)
        await uow.commit()
    return Step(survey, event, len(draft))


async def survey_results(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    survey_id: int,
    place: Place = TERMINAL,
    rooms: RoomDirectory = NO_ROOMS,
) -> SurveyResults:
    """Distributions, Likert means and free texts (organizers); from
    :data:`MIN_SHOWN` responses on, before that only the counts. Raises NotFound,
    NotAllowed."""
    async with uow:
        survey = await _survey(uow, survey_id)
        await require(uow, actor_id, Action.SEE_SURVEY_RESULTS, place, rooms)
        event = await _event(uow, survey.event_id)
        responses = await uow.surveys.responses(survey_id)
    survey.answered = len(responses)
    if survey.answered < MIN_SHOWN:
        return SurveyResults(survey, event, [], [])
    return SurveyResults(survey, event, summarize(survey.questions, responses), responses)


async def export_survey(
    uow: UnitOfWork, *, actor_id: int | None, survey_id: int, form: str, now: datetime
) -> SurveyResults:
    """:func:`survey_results` for a file (``form``: csv, xlsx); audited. Raises as it,
    and InvalidInput ``survey_too_few`` while fewer than :data:`MIN_SHOWN` answered."""
    found = await survey_results(uow, actor_id=actor_id, survey_id=survey_id)
    if not found.shown:
        raise InvalidInput("survey_too_few", count=found.survey.answered, least=MIN_SHOWN)
    async with uow:
        await record(
            uow,
            actor_id=actor_id,
            action="survey.exported",
            subject=f"survey:{survey_id}",
            now=now,
            form=form,
        )
        await uow.commit()
    return found


@retention_purge("surveys")
async def _old_surveys(uow: UnitOfWork, now: datetime, periods: RetentionPeriods) -> int:
    """Surveys closed longer ago than the period go with their responses: free texts may
    name people."""
    old = await uow.surveys.closed_before(months_before(now, periods.months))
    for survey_id in old:
        await uow.surveys.delete(survey_id)
    return len(old)
