"""Knowledge-base use cases on SQLite and PostgreSQL: import, index, questions, gaps, DSGVO."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.starter import starter_faq
from core.domain.errors import DomainError, InvalidInput
from core.domain.faq import FaqEntry
from core.domain.people import Role
from core.kb import (
    answer_question,
    ask,
    forward_question,
    import_entries,
    list_entries,
    list_gaps,
    load_index,
    open_questions,
)
from core.privacy import erase_person, export_person_data
from tests.conftest import snapshot
from tests.support import factories

CARD = FaqEntry(
    "karte",
    "Was ist die Ehrenamtskarte?",
    "Eine Anerkennung für **Engagierte**.",
    variants=("Wer bekommt die Ehrenamtskarte?",),
    topic="Ehrenamtskarte",
)
FUNDS = FaqEntry(
    "foerderung",
    "Gibt es Fördermittel für Vereine?",
    "Ja, bei der Landesservicestelle.",
    topic="foerderung",
)


async def test_import_stores_entries_and_a_new_app_indexes_them(any_app):
    app = any_app
    report = await import_entries(
        app.uow(), app.faq, starter_faq(), replace_all=False, now=app.clock.now()
    )
    assert (report.added, report.updated, report.unchanged, report.removed) == (43, 0, 0, 0)
    assert app.faq.search("wie wird meine stadt mitglied").best.entry.id == "mitglied-werden"
    stored = await list_entries(app.uow())
    assert [e.id for e in stored] == [e.id for e in starter_faq()]
    assert all(e.updated == app.clock.now() for e in stored)
    rebuilt, _ = await load_index(app.uow())
    assert len(rebuilt) == 43
    assert rebuilt.get("mitglied-werden") == stored[[e.id for e in stored].index("mitglied-werden")]


async def test_reimport_updates_only_what_changed_and_replace_removes_the_rest(any_app):
    app = any_app
    start = app.clock.now()
    await import_entries(app.uow(), app.faq, [CARD, FUNDS], replace_all=False, now=start)
    app.clock.advance(timedelta(days=1))
    changed = replace(CARD, answer="Eine Anerkennung des Landes.")
    extra = FaqEntry("neu", "Wann ist das nächste Netzwerktreffen?", "Siehe /termine.")
    report = await import_entries(
        app.uow(), app.faq, [changed, extra], replace_all=False, now=app.clock.now()
    )
    assert (report.added, report.updated, report.unchanged, report.removed) == (1, 1, 0, 0)
    stored = {e.id: e for e in await list_entries(app.uow())}
    assert [*stored] == ["karte", "foerderung", "neu"]  # merge keeps the order, appends
    assert stored["karte"].updated == app.clock.now() and stored["foerderung"].updated == start
    assert app.faq.get("karte").answer == "Eine Anerkennung des Landes."

    report = await import_entries(
        app.uow(), app.faq, [extra, changed], replace_all=True, now=app.clock.now()
    )
    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 0, 2, 1)
    assert [e.id for e in await list_entries(app.uow())] == ["neu", "karte"]
    assert app.faq.get("foerderung") is None
    assert not app.faq.search("Fördermittel für Vereine").answered


async def test_a_rejected_import_changes_neither_database_nor_index(any_app):
    app = any_app
    await import_entries(app.uow(), app.faq, [CARD], replace_all=False, now=app.clock.now())
    before = await snapshot(app.database)
    too_long = FaqEntry("x" * 101, "Frage?", "Antwort.")
    for bad in ([FUNDS, FUNDS], [FUNDS, too_long], [replace(FUNDS, topic="t" * 101)]):
        with pytest.raises(DomainError) as caught:
            await import_entries(app.uow(), app.faq, bad, replace_all=True, now=app.clock.now())
        assert caught.value.params["entry"]
    assert await snapshot(app.database) == before
    assert [e.id for e in app.faq.entries()] == ["karte"]


async def test_unanswered_queries_are_counted_without_names(any_app):
    app = any_app
    await import_entries(app.uow(), app.faq, [CARD], replace_all=False, now=app.clock.now())
    office = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    for query in (
        "Wie buche ich ein Hotel?",
        "wie buche ich ein  HOTEL",
        "<b>Wie</b> buche ich ein <i>Hotel</i>?",  # pasted markup is no part of a question
        "Was ist die Ehrenamtskarte?",
    ):
        await ask(app.uow(), app.faq, query=query, now=app.clock.now())
    app.clock.advance(timedelta(hours=1))
    await ask(app.uow(), app.faq, query="Parkplätze am Tagungsort?", now=app.clock.now())
    gaps = await list_gaps(app.uow(), app.faq, actor_id=office.id)
    assert [(g.query, g.count) for g in gaps] == [
        ("wie buche ich ein hotel", 3),
        ("parkplätze am tagungsort", 1),
    ]
    with pytest.raises(InvalidInput):  # nothing but markup is no question
        await ask(app.uow(), app.faq, query="<script>alert(1)</script>", now=app.clock.now())
    rows = (await snapshot(app.database))["faq_gaps"]
    assert all("Olga" not in str(row) for row in rows) and len(rows[0]) == 4

    # An entry that answers a gap makes it disappear from the list.
    hotel = FaqEntry("hotel", "Wie buche ich ein Hotel für das Netzwerktreffen?", "Selbst.")
    await import_entries(app.uow(), app.faq, [hotel], replace_all=False, now=app.clock.now())
    gaps = await list_gaps(app.uow(), app.faq, actor_id=office.id)
    assert [g.query for g in gaps] == ["parkplätze am tagungsort"]


async def test_gaps_are_for_organizers_only(any_app):
    member = await factories.person(any_app, "Mia Mitglied")
    with pytest.raises(DomainError) as caught:
        await list_gaps(any_app.uow(), any_app.faq, actor_id=member.id)
    assert caught.value.code == "organizers_only"


async def test_forwarding_reaches_supporters_of_the_topic_else_organizers(any_app):
    app, notifier = any_app, any_app.notifier
    await import_entries(app.uow(), app.faq, [CARD, FUNDS], replace_all=False, now=app.clock.now())
    asker = await factories.person(app, "Mia Mitglied")
    card_helper = await factories.person(app, "Kai Karte", roles={Role.SUPPORTER})
    async with app.uow() as uow:  # topics are compared without case and umlaut spelling
        card_helper.supporter_topics = ("ehrenamtskarte",)
        await uow.persons.update(card_helper)
        await uow.commit()
    office = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})

    report = await forward_question(
        app.uow(),
        app.faq,
        person_id=asker.id,
        text="Gilt die <b>Ehrenamtskarte</b> auch im Zoo?",  # pasted markup: not kept
        now=app.clock.now(),
    )
    assert report.question.text == "Gilt die Ehrenamtskarte auch im Zoo?"
    assert report.to_supporters and report.recipients == 1
    assert report.question.topic == "Ehrenamtskarte"
    assert notifier.keys_for(card_helper.id) == ["faq_forwarded_topic"]
    assert notifier.keys_for(office.id) == []

    report = await forward_question(
        app.uow(),
        app.faq,
        person_id=asker.id,
        text="Wo parke ich in Düsseldorf?",
        now=app.clock.now(),
    )
    assert not report.to_supporters and report.recipients == 1
    assert notifier.keys_for(office.id) in (["faq_forwarded"], ["faq_forwarded_topic"])


async def test_answering_tells_the_asker_once(any_app):
    app, notifier = any_app, any_app.notifier
    asker = await factories.person(app, "Mia Mitglied")
    helper = await factories.person(app, "Kai Karte", roles={Role.SUPPORTER})
    office = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    report = await forward_question(
        app.uow(), app.faq, person_id=asker.id, text="Frage?", now=app.clock.now()
    )
    qid = report.question.id
    assert [q.id for q in await open_questions(app.uow(), actor_id=helper.id)] == [qid]

    with pytest.raises(DomainError) as caught:
        await answer_question(
            app.uow(), actor_id=asker.id, question_id=qid, text="x", now=app.clock.now()
        )
    assert caught.value.code == "faq_helpers_only"
    with pytest.raises(DomainError) as caught:
        await answer_question(
            app.uow(), actor_id=helper.id, question_id=999, text="x", now=app.clock.now()
        )
    assert caught.value.code == "faq_question_not_found"

    await answer_question(
        app.uow(), actor_id=helper.id, question_id=qid, text="Antwort.", now=app.clock.now()
    )
    answered = [n for n in notifier.sent if n.person_id == asker.id]
    assert [(n.key, n.params["answer"], n.params["name"]) for n in answered] == [
        ("faq_answered", "Antwort.", "Kai Karte")
    ]
    with pytest.raises(DomainError) as caught:
        await answer_question(
            app.uow(), actor_id=office.id, question_id=qid, text="Auch.", now=app.clock.now()
        )
    assert caught.value.code == "faq_already_answered"
    assert await open_questions(app.uow(), actor_id=office.id) == []


async def test_forwarded_questions_are_exported_and_erased(any_app):
    app = any_app
    asker = await factories.person(app, "Mia Mitglied")
    helper = await factories.person(app, "Kai Karte", roles={Role.SUPPORTER})
    report = await forward_question(
        app.uow(), app.faq, person_id=asker.id, text="Meine geheime Frage", now=app.clock.now()
    )
    await answer_question(
        app.uow(),
        actor_id=helper.id,
        question_id=report.question.id,
        text="Die Antwort",
        now=app.clock.now(),
    )
    mine = await export_person_data(app.uow(), person_id=asker.id, now=app.clock.now())
    (asked,) = mine["daten"]["faq_questions"]["eintraege"]
    assert asked["text"] == "Meine geheime Frage" and asked["answer"] == "Die Antwort"
    assert "answered_by" not in asked
    theirs = (await export_person_data(app.uow(), person_id=helper.id, now=app.clock.now()))[
        "daten"
    ]
    assert "faq_questions" not in theirs
    assert [a["answer"] for a in theirs["faq_questions_genannt"]["eintraege"]] == ["Die Antwort"]
    assert "Meine geheime Frage" not in str(theirs)

    erased = await erase_person(app.uow(), person_id=asker.id, now=app.clock.now())
    assert erased.questions_deleted == 1
    assert "Meine geheime Frage" not in str(await snapshot(app.database))

    await forward_question(
        app.uow(), app.faq, person_id=helper.id, text="Noch eine", now=app.clock.now()
    )
    await erase_person(app.uow(), person_id=helper.id, now=app.clock.now())
    assert (await snapshot(app.database))["faq_questions"] == []


async def test_another_process_follows_changes_without_a_restart(any_app):
    """Two applications on one database, as two processes: what one imports or adopts, the
    other's index has after its next sync — entry by entry, or rebuilt when many changed."""
    from bot.app import build
    from core.kb import REBUILD_AT, sync_index

    app = any_app
    other = await build(
        app.settings, database=app.database, notifier=app.notifier, clock=app.clock, migrate=False
    )
    entry = FaqEntry("parken", "Wo parke ich beim Netzwerktreffen?", "Im Hof des Rathauses.")
    await import_entries(app.uow(), app.faq, [entry], replace_all=False, now=app.clock.now())
    assert other.faq.get("parken") is None
    same_index = other.faq
    other.faq, other.faq_revision = await sync_index(
        other.uow(), other.faq, known=other.faq_revision
    )
    assert other.faq is same_index and other.faq.get("parken").answer == entry.answer
    assert other.faq.search("wo kann ich parken").best.entry.id == "parken"

    many = [FaqEntry(f"e{n}", f"Frage Nummer {n}?", f"Antwort {n}.") for n in range(REBUILD_AT + 1)]
    await import_entries(app.uow(), app.faq, many, replace_all=True, now=app.clock.now())
    rebuilt, revision = await sync_index(other.uow(), other.faq, known=other.faq_revision)
    assert rebuilt is not same_index and len(rebuilt) == REBUILD_AT + 1
    assert rebuilt.get("parken") is None
    assert await sync_index(other.uow(), rebuilt, known=revision) == (rebuilt, revision)
