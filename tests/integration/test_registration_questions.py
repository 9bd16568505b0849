"""Registration questions: asked in the chat after a signup, one at a time; people waiting
are asked once they hold a place; answers are exported, summed up for organizers, gone with
a cancellation and some days after the event."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.domain.errors import InvalidInput, NotAllowed
from core.domain.people import Role
from core.domain.questions import QuestionKind
from core.questions import add_question
from core.retention import RetentionPeriods, apply_retention
from core.signup import cancel_signup, sign_up
from storage.tables import registration_answers
from tests.conftest import snapshot
from tests.support import factories
from tests.support.chat import say_text
from tests.support.desk import signed_in

LUNCH = "Nehmen Sie am Mittagessen teil?"
FOOD = "Welches Essen?"
NEEDS = "Brauchen Sie Unterstützung vor Ort (Barrierefreiheit)?"


async def with_questions(app, *, capacity=None):
    event = await factories.event(app, title="Strategieworkshop", capacity=capacity)
    for kind, prompt, options, required in (
        (QuestionKind.YES_NO, LUNCH, (), True),
        (QuestionKind.CHOICE, FOOD, ("vegetarisch", "vegan", "mit Fleisch"), False),
        (QuestionKind.TEXT, NEEDS, (), False),
    ):
        await add_question(
            app.uow(),
            actor_id=None,
            event_id=event.id,
            kind=kind,
            prompt=prompt,
            options=options,
            required=required,
            now=app.clock.now(),
        )
    return event


async def stored_answers(app) -> list[tuple]:
    async with app.database.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(registration_answers.c.person_id, registration_answers.c.value)
        )
        return sorted(tuple(r) for r in rows)


async def test_the_questions_follow_the_signup_one_at_a_time(app):
    event = await with_questions(app)
    anna = await factories.person(app, "Anna Amt")
    signed = await say_text(app, anna, f"/anmelden {event.id}")
    assert "Sie sind angemeldet" in signed and "Frage 1 von 3" in signed and LUNCH in signed
    assert f"[Ja: /angaben {event.id} ja]  [Nein: /angaben {event.id} nein]" in signed

    before = await snapshot(app.database)
    wrong = await say_text(app, anna, "vielleicht")
    assert "mit „ja“ oder „nein“" in wrong
    skipped = await say_text(app, anna, "überspringen")  # required: cannot be skipped
    assert "braucht das Netzwerkbüro" in skipped
    assert await snapshot(app.database) == before

    second = await say_text(app, anna, "Ja!")
    assert "Danke." in second and "Frage 2 von 3" in second and "2. vegan" in second
    third = await say_text(app, anna, f"/angaben {event.id} 2")  # what its button sends
    assert "Frage 3 von 3" in third and NEEDS in third
    greeted = await say_text(app, anna, "Hallo")  # a greeting is no answer to a free text
    assert "nach einer Begrüßung aus" in greeted
    done = await say_text(app, anna, "Ich komme mit dem Rollstuhl.")
    assert "Ihre Angaben sind notiert" in done
    assert "Rollstuhl" not in done  # answers are never echoed into the chat's history
    assert await stored_answers(app) == [
        (anna.id, "Ich komme mit dem Rollstuhl."),
        (anna.id, "ja"),
        (anna.id, "vegan"),
    ]
    after = await say_text(app, anna, "Hallo")  # no step pending any more: small talk
    assert "Frage 1" not in after

    shown = await say_text(app, anna, f"/angaben {event.id}")  # all answered: just shown
    assert f"2. {FOOD} – vegan" in shown and "Frage 1" not in shown
    assert f"/angaben {event.id} neu" in shown
    again = await say_text(app, anna, f"/angaben {event.id} neu")
    assert "Frage 1 von 3" in again
    await say_text(app, anna, "ja")
    asked = await say_text(app, anna, "Wo ist der Tagungsort?")  # a question of her own
    assert "noch offen" in asked
    await say_text(app, anna, "überspringen")  # skipping keeps the earlier answer
    await say_text(app, anna, "überspringen")
    assert await stored_answers(app) == [
        (anna.id, "Ich komme mit dem Rollstuhl."),
        (anna.id, "ja"),
        (anna.id, "vegan"),
    ]
    unknown = await say_text(app, anna, f"/angaben {event.id + 1} ja")
    assert f"Nummer {event.id + 1} gibt es nicht" in unknown
    not_asked = await say_text(app, anna, f"/angaben {event.id} ja")
    assert "gerade nicht gestellt" in not_asked


async def test_people_waiting_are_asked_once_they_hold_a_place(app, notifier):
    event = await with_questions(app, capacity=1)
    first = await factories.person(app, "Erste")
    ben = await factories.person(app, "Ben")
    await sign_up(app.uow(), person_id=first.id, event_id=event.id, now=app.clock.now())
    waiting = await say_text(app, ben, f"/anmelden {event.id}")
    assert "Warteliste" in waiting and "Frage 1" not in waiting
    not_yet = await say_text(app, ben, f"/angaben {event.id}")
    assert "sobald Sie einen festen Platz haben" in not_yet
    await cancel_signup(app.uow(), person_id=first.id, event_id=event.id, now=app.clock.now())
    (promoted,) = [n for n in notifier.sent if n.key == "promoted"]
    assert promoted.person_id == ben.id and promoted.params["questions"] == 3
    asked = await say_text(app, ben, f"/angaben {event.id}")
    assert "Frage 1 von 3" in asked


async def test_organizers_see_the_sum_and_the_export_and_cancelling_forgets(app):
    event = await with_questions(app)
    office = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    anna = await factories.person(app, "Anna Amt")
    ben = await factories.person(app, "Ben Bau")
    for person, lunch in ((anna, "ja"), (ben, "nein")):
        await say_text(app, person, f"/anmelden {event.id}")
        await say_text(app, person, lunch)
        await say_text(app, person, "1")
    listed = await say_text(app, office, f"/teilnehmende {event.id}")
    assert f"1. {LUNCH}: ja 1, nein 1" in listed
    assert f"2. {FOOD}: vegetarisch 2, vegan 0, mit Fleisch 0" in listed
    assert f"3. {NEEDS}: 0 Antworten (2 ohne Angabe)" in listed
    async with await signed_in(app, office) as web:
        exported = await web.get(f"/admin/veranstaltungen/{event.id}/teilnehmende.csv")
        page = await web.get(f"/admin/veranstaltungen/{event.id}")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][-3:] == [LUNCH, FOOD, NEEDS]
    assert sorted(r[-3:-1] for r in rows[1:]) == [["ja", "vegetarisch"], ["nein", "vegetarisch"]]
    assert "Angaben zur Anmeldung" in page.text and "vegetarisch: 2" in page.text

    await cancel_signup(app.uow(), person_id=ben.id, event_id=event.id, now=app.clock.now())
    assert {p for p, _ in await stored_answers(app)} == {anna.id}


async def test_answers_are_gone_from_every_table_days_after_the_event(any_app):
    app = any_app
    event = await with_questions(app)
    anna = await factories.person(app, "Anna Amt")
    await say_text(app, anna, f"/anmelden {event.id}")
    await say_text(app, anna, "ja")
    await say_text(app, anna, "vegan")
    await say_text(app, anna, "Induktionsschleife im Saal")
    periods = RetentionPeriods(answers_days=30)
    app.clock.current = event.ends_at + timedelta(days=29)
    await apply_retention(app.uow(), now=app.clock.now(), periods=periods)
    assert len(await stored_answers(app)) == 3
    app.clock.current = event.ends_at + timedelta(days=30, minutes=1)
    counts = await apply_retention(app.uow(), now=app.clock.now(), periods=periods)
    assert counts["registration_answers"] == 3
    dump = await snapshot(app.database)
    found = [table for table, rows in dump.items() if "Induktionsschleife" in repr(rows)]
    assert found == []
    assert "vegan" not in repr(dump["registration_answers"])


async def test_only_the_office_attaches_questions_and_bad_ones_are_refused(any_app):
    app = any_app
    event = await factories.event(app)
    member = await factories.person(app, "Mia Mitglied", member=await factories.member(app))
    before = await snapshot(app.database)
    with pytest.raises(NotAllowed):
        await add_question(
            app.uow(),
            actor_id=member.id,
            event_id=event.id,
            kind=QuestionKind.TEXT,
            prompt="Anreise?",
            now=app.clock.now(),
        )
    for kind, prompt, options, code in (
        (QuestionKind.CHOICE, "Essen?", ("vegan",), "question_options"),
        (QuestionKind.CHOICE, "Essen?", ("vegan", "Vegan"), "question_options"),
        (QuestionKind.TEXT, "  ", (), "question_prompt"),
        (QuestionKind.TEXT, "Zwei\nZeilen", (), "question_prompt"),
        (QuestionKind.YES_NO, "Parken?", ("ja", "nein"), "question_options_kind"),
    ):
        with pytest.raises(InvalidInput) as refused:
            await add_question(
                app.uow(),
                actor_id=None,
                event_id=event.id,
                kind=kind,
                prompt=prompt,
                options=options,
                now=app.clock.now(),
            )
        assert refused.value.code == code
    assert await snapshot(app.database) == before


async def test_open_questions_of_another_event_follow_and_a_pause_is_said(app):
    first = await with_questions(app)
    second = await with_questions(app)
    anna = await factories.person(app, "Anna Amt")
    await say_text(app, anna, f"/anmelden {first.id}")
    await say_text(app, anna, f"/anmelden {second.id}")  # the second event's questions now
    await say_text(app, anna, "ja")
    await say_text(app, anna, "1")
    done = await say_text(app, anna, "-")
    assert "Ihre Angaben sind notiert" in done
    assert "Frage 1 von 3" in done and f"/angaben {first.id} ja" in done  # the first's wait
    paused = await say_text(app, anna, "abbrechen")
    assert f"Weiter geht es mit /angaben {first.id}" in paused
    later = await say_text(app, anna, f"/angaben {first.id}")
    assert "Frage 1 von 3" in later
