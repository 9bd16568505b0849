"""The desk's knowledge base: what the office writes there is what the chat's /faq answers,
through the same core use cases and the application's own index."""

from __future__ import annotations

import html
import re
from dataclasses import replace

from bot.app import build
from core.audit import latest_entries
from core.domain.faq import FaqEntry
from core.domain.people import Role
from core.kb import (
    REVISION_KEY,
    answer_question,
    draft_entry,
    forward_question,
    import_entries,
    list_entries,
    sync_index,
)
from core.members import add_person
from tests.support import factories
from tests.support.chat import say_text
from tests.support.desk import signed_in

FEST = {
    "id": "ehrenamtsfest",
    "question": "Gibt es Fördermittel für ein Ehrenamtsfest?",
    "variants": "Wer bezahlt unser Ehrenamtsfest?\n\n",
    "topic": "foerderung",
    "answer": "Ja, die **Landesservicestelle** fördert Feste mit bis zu 500 Euro.",
}
KNOWN = FaqEntry("karte", "Was ist die Ehrenamtskarte?", "Eine Anerkennung.", topic="karte")


def csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page)[1]


def field_values(page: str) -> dict[str, str]:
    """The form's fields as the browser would send them back."""
    inputs = re.findall(r'<input id="(\w+)" name="\w+" type="text" value="([^"]*)"', page)
    areas = re.findall(r'<textarea id="(\w+)"[^>]*>([^<]*)</textarea>', page)
    return {name: html.unescape(value) for name, value in [*inputs, *areas]}


async def revision(app) -> int:
    async with app.uow() as uow:
        return int(await uow.state.get(REVISION_KEY) or 0)


async def test_an_entry_written_on_the_desk_is_what_the_chat_answers_and_edits_follow(any_app):
    app = any_app
    other = await build(  # a second process on the same database
        app.settings, database=app.database, notifier=app.notifier, clock=app.clock, migrate=False
    )
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    mia = await factories.person(app, "Mia Mitglied")
    assert "Landesservicestelle" not in await say_text(app, mia, "/faq Wer bezahlt unser Fest?")
    async with await signed_in(app, olga) as desk:
        form = await desk.get("/admin/wissen/neu")
        assert form.status_code == 200
        saved = await desk.post(
            "/admin/wissen/neu", data={"csrf": csrf(form.text), "aktion": "speichern", **FEST}
        )
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"] == "/admin/wissen/eintrag/ehrenamtsfest?gespeichert=1"
        assert "Gespeichert" in (await desk.get(saved.headers["location"])).text

        answer = await say_text(app, mia, "/faq Wer bezahlt unser Ehrenamtsfest?")
        assert "Landesservicestelle" in answer and "500 Euro" in answer

        page = await desk.get("/admin/wissen/eintrag/ehrenamtsfest")
        values = field_values(page.text)
        assert values["variants"] == "Wer bezahlt unser Ehrenamtsfest?" and "id" not in values
        values["answer"] = "Ja, bis zu 800 Euro über die Landesservicestelle."
        changed = await desk.post(
            "/admin/wissen/eintrag/ehrenamtsfest",
            data={"csrf": csrf(page.text), "aktion": "speichern", **values},
        )
        assert changed.status_code == 303, changed.text
        answer = await say_text(app, mia, "/faq Wer bezahlt unser Ehrenamtsfest?")
        assert "800 Euro" in answer and "500 Euro" not in answer

        found = await desk.get("/admin/wissen", params={"suche": "Geld für unser Ehrenamtsfest"})
        text = re.sub(r"\s+", " ", found.text)
        assert "Gibt es Fördermittel für ein Ehrenamtsfest?</a></td><td>" in text
        assert re.search(r"<td>1</td><td><a href=\"/admin/wissen/eintrag/ehrenamtsfest\"", text)
        markup = await desk.get("/admin/wissen", params={"suche": "<script>alert(1)</script>"})
        error = 'id="suche-fehler">Bitte geben Sie eine Frage ein, wie ein Mitglied sie stellen'
        assert error in markup.text  # the web's wording, no chat command
        log = await desk.get("/admin/protokoll")
        assert log.text.count("Wissenseintrag gespeichert") == 2
    [stored] = await list_entries(app.uow())
    assert stored.topic == "foerderung" and stored.variants == ("Wer bezahlt unser Ehrenamtsfest?",)
    other.faq, _ = await sync_index(other.uow(), other.faq, known=other.faq_revision)
    assert other.faq.get("ehrenamtsfest") == stored  # the other process caught up


async def test_the_preview_shows_the_chat_markdown_and_escapes_html(app):
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, olga) as desk:
        form = await desk.get("/admin/wissen/neu")
        answer = "**Ja** – siehe [Merkblatt](https://example.org/m).\n<script>alert(1)</script>"
        shown = await desk.post(
            "/admin/wissen/neu",
            data={"csrf": csrf(form.text), "aktion": "vorschau", **FEST, "answer": answer},
        )
    assert shown.status_code == 200
    assert "<b>Ja</b>" in shown.text
    assert '<a href="https://example.org/m">Merkblatt</a>' in shown.text
    assert "<script>" not in shown.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text
    assert field_values(shown.text)["answer"] == answer  # the form keeps what was written
    assert await list_entries(app.uow()) == []  # a preview saves nothing


async def test_a_bad_form_shows_errors_by_the_fields_and_saves_nothing(app):
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    await import_entries(app.uow(), app.faq, [KNOWN], replace_all=False, now=app.clock.now())
    async with await signed_in(app, olga) as desk:
        token = csrf((await desk.get("/admin/wissen/neu")).text)
        bad = {**FEST, "id": "Ehrenamts Fest", "question": " ", "csrf": token}
        refused = await desk.post("/admin/wissen/neu", data=bad)
        assert refused.status_code == 422
        text = refused.text
        assert 'id="id-fehler">Die Kennung besteht aus Kleinbuchstaben' in text
        assert 'id="question-fehler">Bitte geben Sie die Frage an.' in text
        assert 'id="answer-fehler"' not in text
        too_long = await desk.post(
            "/admin/wissen/neu", data={**FEST, "topic": "x" * 101, "csrf": token}
        )
        assert 'id="topic-fehler">Bitte höchstens 100 Zeichen.' in too_long.text
        assert field_values(text)["answer"] == FEST["answer"]  # nothing written is lost

        taken = await desk.post("/admin/wissen/neu", data={**FEST, "id": "karte", "csrf": token})
        assert taken.status_code == 422 and "„karte“ gibt es schon" in taken.text
        # An id like a page of the desk is an id like any other (entries have their own path).
        page = await desk.post("/admin/wissen/neu", data={**FEST, "id": "themen", "csrf": token})
        assert page.headers["location"] == "/admin/wissen/eintrag/themen?gespeichert=1"
        assert "Gespeichert" in (await desk.get(page.headers["location"])).text
        emptied = await desk.post(
            "/admin/wissen/eintrag/karte", data={**FEST, "id": "karte", "answer": "", "csrf": token}
        )
        assert emptied.status_code == 422
        assert 'id="answer-fehler">Bitte geben Sie eine Antwort an.' in emptied.text
    stored = await list_entries(app.uow())
    assert [e.id for e in stored] == ["karte", "themen"]  # only the complete form was saved
    assert stored[0] == replace(KNOWN, updated=app.clock.now())
    assert await revision(app) == 2  # the import's and the complete form's, no other


async def test_deleting_asks_first_and_then_the_chat_no_longer_finds_it(any_app):
    app = any_app
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    mia = await factories.person(app, "Mia Mitglied")
    await import_entries(app.uow(), app.faq, [KNOWN], replace_all=False, now=app.clock.now())
    assert "Eine Anerkennung" in await say_text(app, mia, "/faq Was ist die Ehrenamtskarte?")
    async with await signed_in(app, olga) as desk:
        asked = await desk.get("/admin/wissen/eintrag/karte/loeschen")
        assert asked.status_code == 200 and "Was ist die Ehrenamtskarte?" in asked.text
        assert await list_entries(app.uow()) != []  # asking deletes nothing
        gone = await desk.post(
            "/admin/wissen/eintrag/karte/loeschen", data={"csrf": csrf(asked.text)}
        )
        assert gone.status_code == 303 and gone.headers["location"] == "/admin/wissen"
        assert (await desk.get("/admin/wissen/eintrag/karte")).status_code == 404
    assert await list_entries(app.uow()) == []
    assert "Eine Anerkennung" not in await say_text(app, mia, "/faq Was ist die Ehrenamtskarte?")
    [logged, *_] = await latest_entries(app.uow(), actor_id=olga.id)
    assert (logged.action, logged.subject, logged.actor_id) == ("faq.deleted", "faq:karte", olga.id)
    assert logged.details == {}  # the log names what changed, never its content


async def test_a_gap_opens_the_new_entry_form_filled_in(app):
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    mia = await factories.person(app, "Mia Mitglied")
    await import_entries(app.uow(), app.faq, [KNOWN], replace_all=False, now=app.clock.now())
    await say_text(app, mia, "/faq Wo parke ich beim Netzwerktreffen?")
    gap = "wo parke ich beim netzwerktreffen"
    async with await signed_in(app, olga) as desk:
        gaps = await desk.get("/admin/wissen/luecken")
        assert gaps.status_code == 200
        link = re.search(
            r'<a href="(/admin/wissen/neu\?frage=[^"]+)">Als Eintrag anlegen', gaps.text
        )
        assert link and gap in gaps.text
        form = await desk.get(html.unescape(link[1]))
    assert form.status_code == 200
    draft = draft_entry(app.faq, gap)
    values = field_values(form.text)
    assert values["question"] == "Wo parke ich beim netzwerktreffen?" == draft.question
    assert values["id"] == draft.id and values["id"].startswith("parke")
    assert values["answer"] == ""


async def test_topics_with_their_supporters_and_forwarded_questions_with_answers(app):
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    mia = await factories.person(app, "Mia Mitglied")
    sam = await add_person(
        app.uow(),
        display_name="Sam Stütze",
        roles=frozenset({Role.SUPPORTER}),
        supporter_topics=("Karte",),
        now=app.clock.now(),
    )
    await add_person(
        app.uow(),
        display_name="Gina General",
        roles=frozenset({Role.SUPPORTER}),
        now=app.clock.now(),
    )
    await import_entries(app.uow(), app.faq, [KNOWN], replace_all=False, now=app.clock.now())
    now = app.clock.now()
    open_one = await forward_question(
        app.uow(), app.faq, person_id=mia.id, text="Gilt die Karte im Zoo?", now=now
    )
    done = await forward_question(
        app.uow(), app.faq, person_id=mia.id, text="Gilt die Karte in Bussen?", now=now
    )
    await answer_question(
        app.uow(),
        actor_id=sam.id,
        question_id=done.question.id,
        text="Nein, **leider** nicht.",
        now=now,
    )
    async with await signed_in(app, olga) as desk:
        topics = re.sub(r"\s+", " ", (await desk.get("/admin/wissen/themen")).text)
        assert (
            f'<td>Karte</td><td>1</td><td><a href="/admin/personen/{sam.id}">Sam Stütze</a>'
            in topics
        )
        assert "jede weitergeleitete Frage beantworten" in topics and "Gina General" in topics
        questions = (await desk.get("/admin/wissen/fragen")).text
    waiting, answered = questions.split("<h2>Beantwortet</h2>")
    assert "Gilt die Karte im Zoo?" in waiting and f"<td>{open_one.question.id}</td>" in waiting
    assert "Gilt die Karte in Bussen?" in answered and "Nein, <b>leider</b> nicht." in answered
    assert "Sam Stütze" in answered and "Gilt die Karte im Zoo?" not in answered


async def test_leadership_members_forged_forms_and_unknown_entries(app):
    await import_entries(app.uow(), app.faq, [KNOWN], replace_all=False, now=app.clock.now())
    lena = await factories.person(app, "Lena Landrätin", roles={Role.LEADERSHIP})
    pages = [
        "",
        "/neu",
        "/themen",
        "/fragen",
        "/luecken",
        "/eintrag/karte",
        "/eintrag/karte/loeschen",
    ]
    async with await signed_in(app, lena) as desk:
        for path in pages:
            refused = await desk.get(f"/admin/wissen{path}")
            assert refused.status_code == 403, path
            assert "Ehrenamtskarte" not in refused.text and "Netzwerkbüro" in refused.text
        token = csrf((await desk.get("/admin")).text)
        for path in ("/neu", "/eintrag/karte", "/eintrag/karte/loeschen"):
            posted = await desk.post(f"/admin/wissen{path}", data={**FEST, "csrf": token})
            assert posted.status_code == 403, path
        async with app.uow() as uow:  # the role is taken away: now a member
            lena.roles = frozenset()
            await uow.persons.update(lena)
            await uow.commit()
        assert (await desk.get("/admin/wissen")).status_code == 403
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, olga) as desk:
        forged = await desk.post("/admin/wissen/neu", data={**FEST, "aktion": "speichern"})
        assert forged.status_code == 403 and "Formular ist abgelaufen" in forged.text
        forged = await desk.post("/admin/wissen/eintrag/karte/loeschen", data={"csrf": "0" * 64})
        assert forged.status_code == 403
        token = csrf((await desk.get("/admin/wissen")).text)
        for path in ("/eintrag/gibt-es-nicht", "/eintrag/gibt-es-nicht/loeschen"):
            missing = await desk.get(f"/admin/wissen{path}")
            assert (
                missing.status_code == 404 and "gibt es in der Wissensbasis nicht" in missing.text
            )
        missing = await desk.post(
            "/admin/wissen/eintrag/gibt-es-nicht/loeschen", data={"csrf": token}
        )
        assert missing.status_code == 404
    assert [e.id for e in await list_entries(app.uow())] == ["karte"]
