"""The nightly retention job: old personal data goes, counts are logged, twice is once."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa

from core.attendance import check_in
from core.domain.people import Role
from core.faq.records import ForwardedQuestion
from core.kb import answer_question
from core.polls import cast_vote, close_poll, live_results, start_poll
from core.retention import RetentionPeriods, apply_retention
from core.signup import sign_up
from storage.tables import attendance, faq_questions, registrations
from tests.conftest import snapshot
from tests.support import factories

PERIODS = RetentionPeriods()


async def test_retention_deletes_old_data_only_and_is_idempotent(any_app, caplog):
    app = any_app
    old = await factories.event(app, title="Vor langer Zeit", days=1)
    recent = await factories.event(app, title="Neulich", days=4)
    pia = await factories.person(app, "Pia")
    for event in (old, recent):
        await sign_up(app.uow(), person_id=pia.id, event_id=event.id, now=app.clock.now())
    async with app.uow() as uow:
        await uow.faq_questions.add(ForwardedQuestion(pia.id, "Alt?", None, app.clock.now()))
        await uow.commit()
    start = app.clock.now()
    for event in (old, recent):  # she was there: the check-ins go with the registrations
        app.clock.current = event.starts_at
        await check_in(
            app.uow(), actor_id=None, event_id=event.id, person_ref=str(pia.id), now=event.starts_at
        )
    app.clock.current = start

    app.clock.advance(timedelta(days=367, hours=4))  # "old" ended 12 months and a day ago
    async with app.uow() as uow:
        await uow.faq_questions.add(ForwardedQuestion(pia.id, "Neu?", None, app.clock.now()))
        await uow.commit()
    with caplog.at_level(logging.INFO, logger="core.retention"):
        first = await apply_retention(app.uow(), now=app.clock.now(), periods=PERIODS)
    assert first["registrations"] == 1 and first["forwarded_questions"] == 1
    async with app.database.engine.connect() as conn:
        kept = (await conn.execute(sa.select(registrations.c.event_id))).scalars().all()
        present = (await conn.execute(sa.select(attendance.c.event_id))).scalars().all()
        asked = (await conn.execute(sa.select(faq_questions.c.text))).scalars().all()
    assert kept == [recent.id] == present and asked == ["Neu?"]
    assert (
        "registrations 1" in caplog.text and "Alt?" not in caplog.text and "Pia" not in caplog.text
    )

    before = await snapshot(app.database)
    second = await apply_retention(app.uow(), now=app.clock.now(), periods=PERIODS)
    assert set(second.values()) == {0}
    assert await snapshot(app.database) == before


async def test_each_kind_of_data_has_its_own_period(any_app):
    """Answered questions go 90 days after the answer, counted searches 12 months after they
    were last asked, delivered messages after 30 days, named votes 12 months after the poll."""
    app = any_app
    pia = await factories.person(app, "Pia")
    office = await factories.person(app, "Olga", roles={Role.ORGANIZER})
    sara = await factories.person(app, "Sara", roles={Role.SPEAKER})
    async with app.uow() as uow:
        answered = await uow.faq_questions.add(
            ForwardedQuestion(pia.id, "Beantwortet?", None, app.clock.now())
        )
        await uow.faq_questions.add(ForwardedQuestion(pia.id, "Offen?", None, app.clock.now()))
        await uow.faq_gaps.record("alte suche", app.clock.now())
        await uow.commit()
    await answer_question(
        app.uow(), actor_id=office.id, question_id=answered.id, text="Ja.", now=app.clock.now()
    )
    poll = await start_poll(
        app.uow(), actor_id=sara.id, question="Q?", options=["A", "B"], now=app.clock.now()
    )
    await cast_vote(app.uow(), poll_id=poll.id, person_id=pia.id, choices=[0], now=app.clock.now())
    await close_poll(app.uow(), actor_id=sara.id, poll_id=poll.id, now=app.clock.now())

    app.clock.advance(timedelta(days=91))
    counts = await apply_retention(app.uow(), now=app.clock.now(), periods=PERIODS)
    assert counts["forwarded_questions"] == 1 and counts["gaps"] == 0 and counts["votes"] == 0
    async with app.database.engine.connect() as conn:
        asked = (await conn.execute(sa.select(faq_questions.c.text))).scalars().all()
    assert asked == ["Offen?"]

    app.clock.advance(timedelta(days=366 - 91))
    counts = await apply_retention(app.uow(), now=app.clock.now(), periods=PERIODS)
    assert counts["forwarded_questions"] == 1 and counts["gaps"] == 1 and counts["votes"] == 1
    results = await live_results(app.uow(), token=poll.token)
    assert results.tally.counts == (1, 0)  # the closed poll's totals stay
