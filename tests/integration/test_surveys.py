"""Evaluation surveys through the core on SQLite and PostgreSQL: who receives them, sending
by the scheduler's job, one reminder, answering one question at a time, the distributions,
and that a database dump taken while a survey runs links no answer to a person."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from core.attendance import check_in
from core.domain.errors import InvalidInput, NotAllowed, NotFound
from core.domain.people import Role
from core.domain.surveys import QuestionKind, question
from core.signup import sign_up
from core.surveys import (
    add_survey,
    answer,
    begin,
    export_survey,
    run_due_surveys,
    send_survey,
    survey_results,
)
from tests.conftest import snapshot
from tests.integration.test_anonymity import candidate_keys
from tests.support import factories

FIVE = [
    question(QuestionKind.LIKERT, "Wie zufrieden sind Sie?"),
    question(QuestionKind.LIKERT, "War es nützlich?"),
    question(QuestionKind.SINGLE, "Empfehlen?", ["ja", "vielleicht", "nein"]),
    question(QuestionKind.MULTI, "Formate?", ["vor Ort", "online", "Workshop"], optional=True),
    question(QuestionKind.TEXT, "Noch etwas?", optional=True),
]


def typed(n: int) -> list[str]:
    """What respondent ``n`` types for the five questions (a spread of answers and skips)."""
    multi = ["1", "2, 3", "1 3", "überspringen"][n % 4]
    text = f"Anmerkung Nummer {n} zum Treffen" if n % 3 == 0 else "überspringen"
    return [str(n % 5 + 1), str((n * 2) % 5 + 1), str(n % 3 + 1), multi, text]


async def ended_event_with(app, people, *, check_in_some: list | None = None):
    event = await factories.event(app, title="Netzwerktreffen Köln", days=1)
    for person in people:
        await sign_up(app.uow(), person_id=person.id, event_id=event.id, now=app.clock.now())
    app.clock.advance(timedelta(days=1, minutes=1))
    for person in check_in_some or []:
        await check_in(
            app.uow(), actor_id=None, event_id=event.id, person_ref=str(person.id),
            now=app.clock.now(),
        )  # fmt: skip
    app.clock.advance(timedelta(hours=2))  # the event is over
    return event


async def test_thirty_answers_give_the_right_distributions_and_a_dump_links_none(any_app):
    app = any_app
    people = [await factories.person(app, f"Teilnehmerin {n}") for n in range(30)]
    event = await ended_event_with(app, people)
    survey, _ = await add_survey(
        app.uow(), actor_id=None, event_id=event.id, now=app.clock.now(), questions=FIVE
    )
    assert await run_due_surveys(app.uow, now=app.clock.now()) == 1  # due at the event's end
    invited = [n.person_id for n in app.notifier.sent if n.key == "survey_invitation"]
    assert sorted(invited) == sorted(p.id for p in people)

    for n, person in enumerate(people):
        step = await begin(app.uow(), person_id=person.id, survey_id=survey.id, now=app.clock.now())
        answers = typed(n) if n < 29 else typed(n)[:2]  # the last one stops half way
        for text in answers:
            step = await answer(
                app.uow(), person_id=person.id, survey_id=survey.id, text=text,
                now=app.clock.now(),
            )  # fmt: skip
        assert step.done is (n < 29)
        app.clock.advance(timedelta(seconds=11))

    dump = await snapshot(app.database)
    from storage.tables import metadata

    columns = {t.name: [c.name for c in t.columns] for t in metadata.sorted_tables}
    (row,) = [dict(zip(columns["surveys"], r, strict=True)) for r in dump["surveys"]]
    responses = row["responses"]
    assert len(responses) == 29
    # No order: the responses lie under random keys, sorted; each is only the answers.
    assert list(responses) == sorted(responses)
    assert all(len(r) == 5 for r in responses.values())
    # No pseudonym of "has answered" can be made from anything in the dump.
    keys = {k for _, k in dump["survey_answered"]}
    assert len(keys) == 29
    values = {v for rows in dump.values() for r in rows for v in r if isinstance(v, str | bytes)}
    for person in people:
        for value in values:
            assert not candidate_keys(value, person.id) & keys
    # A person row holds answers only while answering: the one still half way.
    drafts = [r for r in dump["survey_recipients"] if r[2]]
    assert drafts == [(survey.id, people[29].id, [int(typed(29)[0]), int(typed(29)[1])])]
    # The free texts are nowhere but among the anonymous responses.
    free = {t for n in range(29) if (t := typed(n)[4]) != "überspringen"}
    elsewhere = [
        (table, r) for table, rows in dump.items() if table != "surveys" for r in rows
        if any(text in repr(r) for text in free)
    ]  # fmt: skip
    assert elsewhere == []

    for text in typed(29)[2:]:
        await answer(
            app.uow(), person_id=people[29].id, survey_id=survey.id, text=text, now=app.clock.now()
        )
    found = await survey_results(app.uow(), actor_id=None, survey_id=survey.id)
    assert found.survey.answered == 30 and found.shown
    given = [typed(n) for n in range(30)]
    for index in (0, 1):  # Likert
        expected = Counter(int(g[index]) for g in given)
        assert found.results[index].counts == tuple(expected[p] for p in range(1, 6))
        mean = sum(int(g[index]) for g in given) / 30
        assert found.results[index].mean == pytest.approx(mean, abs=0.005)
    single = Counter(int(g[2]) for g in given)
    assert found.results[2].counts == tuple(single[p] for p in range(1, 4))
    multi = Counter(
        int(x) for g in given if g[3] != "überspringen" for x in g[3].replace(",", " ").split()
    )
    assert found.results[3].counts == tuple(multi[p] for p in range(1, 4))
    assert found.results[3].answered == sum(1 for g in given if g[3] != "überspringen")
    assert set(found.results[4].texts) == {g[4] for g in given if g[4] != "überspringen"}
    assert found.results[4].percent(1) == round(100 / found.results[4].answered)


async def test_checked_in_people_receive_it_if_anyone_was_checked_in(any_app):
    app = any_app
    came, stayed_away = [await factories.person(app) for _ in range(2)]
    event = await ended_event_with(app, [came, stayed_away], check_in_some=[came])
    survey, _ = await add_survey(app.uow(), actor_id=None, event_id=event.id, now=app.clock.now())
    await run_due_surveys(app.uow, now=app.clock.now())
    assert app.notifier.keys_for(came.id).count("survey_invitation") == 1
    assert "survey_invitation" not in app.notifier.keys_for(stayed_away.id)
    with pytest.raises(NotFound):  # not sent to them: it does not exist for them
        await begin(app.uow(), person_id=stayed_away.id, survey_id=survey.id, now=app.clock.now())

    # Checked in afterwards from the list at the door: asked too, once.
    for _ in range(2):
        await check_in(
            app.uow(),
            actor_id=None,
            event_id=event.id,
            person_ref=str(stayed_away.id),
            now=app.clock.now(),
        )
    assert app.notifier.keys_for(stayed_away.id).count("survey_invitation") == 1
    step = await begin(
        app.uow(), person_id=stayed_away.id, survey_id=survey.id, now=app.clock.now()
    )
    assert step is not None
    async with app.uow() as uow:
        assert (await uow.surveys.get(survey.id)).invited == 2


async def test_one_reminder_to_those_who_have_not_answered_then_it_closes(any_app):
    app = any_app
    quick, slow = [await factories.person(app) for _ in range(2)]
    event = await ended_event_with(app, [quick, slow])
    one = [question(QuestionKind.LIKERT, "Gut?")]
    survey, _ = await add_survey(
        app.uow(), actor_id=None, event_id=event.id, now=app.clock.now(), questions=one
    )
    await run_due_surveys(app.uow, now=app.clock.now())
    await begin(app.uow(), person_id=quick.id, survey_id=survey.id, now=app.clock.now())
    await answer(app.uow(), person_id=quick.id, survey_id=survey.id, text="4", now=app.clock.now())
    await begin(app.uow(), person_id=slow.id, survey_id=survey.id, now=app.clock.now())
    app.clock.advance(timedelta(days=3))
    await run_due_surveys(app.uow, now=app.clock.now())
    await run_due_surveys(app.uow, now=app.clock.now())  # a second round reminds nobody again
    assert app.notifier.keys_for(slow.id).count("survey_reminder") == 1
    assert "survey_reminder" not in app.notifier.keys_for(quick.id)
    app.clock.advance(timedelta(days=11))
    await run_due_surveys(app.uow, now=app.clock.now())
    dump = await snapshot(app.database)
    assert dump["survey_recipients"] == [] and dump["survey_answered"] == []
    assert dump["surveys"][0][columns_index("salt")] is None
    with pytest.raises(InvalidInput, match="survey_closed"):
        await answer(
            app.uow(), person_id=slow.id, survey_id=survey.id, text="2", now=app.clock.now()
        )


def columns_index(name: str) -> int:
    from storage.tables import surveys

    return [c.name for c in surveys.columns].index(name)


async def test_bad_answers_change_nothing_and_nobody_answers_twice(any_app):
    app = any_app
    person = await factories.person(app)
    event = await ended_event_with(app, [person])
    survey, _ = await add_survey(
        app.uow(), actor_id=None, event_id=event.id, now=app.clock.now(), questions=FIVE
    )
    await run_due_surveys(app.uow, now=app.clock.now())
    await begin(app.uow(), person_id=person.id, survey_id=survey.id, now=app.clock.now())
    before = await snapshot(app.database)
    for text, code in (
        ("6", "survey_likert_answer"),
        ("sehr", "survey_likert_answer"),
        ("überspringen", "survey_required"),
    ):
        with pytest.raises(InvalidInput, match=code):
            await answer(
                app.uow(), person_id=person.id, survey_id=survey.id, text=text, now=app.clock.now()
            )
    with pytest.raises(InvalidInput, match="survey_question_passed"):  # an old button
        await answer(
            app.uow(), person_id=person.id, survey_id=survey.id, text="3", now=app.clock.now(),
            question_no=2,
        )  # fmt: skip
    assert await snapshot(app.database) == before
    for text in ("stimme voll zu", "2", "1", "1,2", "-"):
        await answer(
            app.uow(), person_id=person.id, survey_id=survey.id, text=text, now=app.clock.now()
        )
    with pytest.raises(InvalidInput, match="survey_already_answered"):
        await begin(app.uow(), person_id=person.id, survey_id=survey.id, now=app.clock.now())
    found = await survey_results(app.uow(), actor_id=None, survey_id=survey.id)
    assert not found.shown and found.results == []  # one answer: nothing that could identify
    with pytest.raises(InvalidInput, match="survey_too_few"):
        await export_survey(
            app.uow(), actor_id=None, survey_id=survey.id, form="csv", now=app.clock.now()
        )


async def test_who_may_send_and_see_results(app):
    speaker = await factories.person(app, "Sprecherin", roles={Role.SPEAKER})
    member = await factories.person(app, "Mitglied")
    event = await factories.event(app, days=1, speaker=speaker)
    await sign_up(app.uow(), person_id=member.id, event_id=event.id, now=app.clock.now())
    survey, _ = await add_survey(app.uow(), actor_id=None, event_id=event.id, now=app.clock.now())
    with pytest.raises(NotAllowed):
        await add_survey(app.uow(), actor_id=speaker.id, event_id=event.id, now=app.clock.now())
    with pytest.raises(InvalidInput, match="survey_event_not_started"):
        await send_survey(app.uow(), actor_id=speaker.id, survey_id=survey.id, now=app.clock.now())
    app.clock.advance(timedelta(days=1, hours=1))
    with pytest.raises(NotAllowed):
        await send_survey(app.uow(), actor_id=member.id, survey_id=survey.id, now=app.clock.now())
    sent, _ = await send_survey(
        app.uow(), actor_id=speaker.id, survey_id=survey.id, now=app.clock.now()
    )
    assert sent.invited == 1
    with pytest.raises(InvalidInput, match="survey_already_sent"):
        await send_survey(app.uow(), actor_id=speaker.id, survey_id=survey.id, now=app.clock.now())
    assert await run_due_surveys(app.uow, now=app.clock.now()) == 0  # not sent a second time
    for actor in (speaker, member):
        with pytest.raises(NotAllowed):
            await survey_results(app.uow(), actor_id=actor.id, survey_id=survey.id)
