"""The nightly retention job: old personal data goes, counts are logged, twice is once."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa

from core.faq.records import ForwardedQuestion
from core.retention import apply_retention
from core.signup import sign_up
from storage.tables import faq_questions, registrations
from tests.conftest import snapshot
from tests.support import factories


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

    app.clock.advance(timedelta(days=367, hours=4))  # "old" ended 12 months and a day ago
    async with app.uow() as uow:
        await uow.faq_questions.add(ForwardedQuestion(pia.id, "Neu?", None, app.clock.now()))
        await uow.commit()
    with caplog.at_level(logging.INFO, logger="core.retention"):
        first = await apply_retention(app.uow(), now=app.clock.now(), months=12)
    assert first["registrations"] == 1 and first["forwarded_questions"] == 1
    async with app.database.engine.connect() as conn:
        kept = (await conn.execute(sa.select(registrations.c.event_id))).scalars().all()
        asked = (await conn.execute(sa.select(faq_questions.c.text))).scalars().all()
    assert kept == [recent.id] and asked == ["Neu?"]
    assert (
        "registrations 1" in caplog.text and "Alt?" not in caplog.text and "Pia" not in caplog.text
    )

    before = await snapshot(app.database)
    second = await apply_retention(app.uow(), now=app.clock.now(), months=12)
    assert set(second.values()) == {0}
    assert await snapshot(app.database) == before
