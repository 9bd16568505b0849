"""Answering a survey in the console chat: /befragung, plain answers, a button's command,
pausing and resuming, and the results for the office."""

from __future__ import annotations

from datetime import timedelta

from core.domain.people import Role
from core.domain.surveys import QuestionKind, question
from core.surveys import add_survey, run_due_surveys
from tests.conftest import snapshot
from tests.integration.test_surveys import ended_event_with
from tests.support import factories
from tests.support.chat import say, say_text


async def test_a_survey_answered_in_the_chat(app):
    office = await factories.person(app, "Erika Büro", roles={Role.ORGANIZER})
    people = [await factories.person(app, f"Teilnehmer {n}") for n in range(3)]
    event = await ended_event_with(app, people)
    questions = [
        question(QuestionKind.LIKERT, "Wie zufrieden sind Sie?"),
        question(QuestionKind.SINGLE, "Empfehlen?", ["ja", "nein"]),
        question(QuestionKind.TEXT, "Was noch?", optional=True),
    ]
    survey, _ = await add_survey(
        app.uow(), actor_id=None, event_id=event.id, now=app.clock.now(), questions=questions
    )
    await run_due_surveys(app.uow, now=app.clock.now())
    anna = people[0]

    first = await say_text(app, anna, f"/befragung {survey.id}")
    assert "Frage 1 von 3" in first and "Wie zufrieden" in first
    assert f"/befragung {survey.id} 1 5" in first  # the buttons, as the console shows them
    before = await snapshot(app.database)
    (refused,) = await say(app, anna, "sieben")
    assert refused.is_error and "1 bis 5" in refused.plain
    assert await snapshot(app.database) == before
    (second,) = await say(app, anna, "4")
    assert "Frage 2 von 3" in second.plain and "4" not in second.plain.split("Frage 2")[0]
    (paused,) = await say(app, anna, "abbrechen")
    assert f"/befragung {survey.id}" in paused.plain
    assert "Frage 2 von 3" in await say_text(app, anna, f"/befragung {survey.id}")  # resumed
    assert "Frage 3 von 3" in await say_text(app, anna, f"/befragung {survey.id} 2 1")  # button
    (thanks,) = await say(app, anna, "Mehr Zeit für Austausch, bitte")
    assert "Vielen Dank" in thanks.plain and "Austausch" not in thanks.plain
    again = await say_text(app, anna, f"/befragung {survey.id}")
    assert "schon beantwortet" in again

    for person in people[1:]:
        for text in (f"/befragung {survey.id}", "5", "2", "überspringen"):
            await say(app, person, text)
    results = await say_text(app, office, f"/befragung_auswertung {survey.id}")
    assert "3 von 3 Personen haben geantwortet" in results
    assert "67 % (2) 5 stimme voll zu" in results and "33 % (1) 4 stimme eher zu" in results
    assert "Mittelwert: 4,7" in results
    assert "– Mehr Zeit für Austausch, bitte" in results
    refused_member = await say_text(app, people[1], f"/befragung_auswertung {survey.id}")
    assert "Netzwerkbüro" in refused_member and "Austausch" not in refused_member
    app.clock.advance(timedelta(days=15))
    await run_due_surveys(app.uow, now=app.clock.now())
    assert "beendet" in await say_text(app, people[1], f"/befragung {survey.id}")
