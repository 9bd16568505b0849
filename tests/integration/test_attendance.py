"""Attendance and certificates through the real router and core, on SQLite and PostgreSQL:
check-in by the office, the speaker and the event's code, undo, the window, who may, the
audit log, erasure and export, coverage counts, and the certificate PDF read back by pypdf."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from bot.adapters.console import ConsoleChat
from bot.certificate import certificate_file
from bot.delivery import with_made_file
from bot.reply import Reply
from core.attendance import attendance_code
from core.coverage import coverage
from core.domain.people import Role
from core.privacy import erase_person, export_person_data
from core.signup import sign_up
from storage.tables import attendance, audit_log
from tests.conftest import snapshot
from tests.support import factories
from tests.support.chat import say


async def setup(app, *, title="Netzwerktreffen Köln"):
    """An event in 7 days (2 hours), the office, its speaker, two registered members of
    two municipalities, one registered person on the waiting list, and an outsider."""
    auenburg = await factories.member(app, "Stadt Auenburg")
    bergen = await factories.member(app, "Kreis Bergen")
    office = await factories.person(app, "Erika Büro", roles={Role.ORGANIZER})
    speaker = await factories.person(app, "Sina Sprecherin", member=auenburg)
    event = await factories.event(app, title=title, capacity=2, speaker=speaker)
    sahin = await factories.person(app, "Şahin Öztürk", member=auenburg)
    lukasz = await factories.person(app, "Łukasz Nowak", member=bergen)
    waiting = await factories.person(app, "Jürgen Groß", member=bergen)
    outsider = await factories.person(app, "Otto Außen", member=bergen)
    for person in (sahin, lukasz, waiting):
        await sign_up(app.uow(), person_id=person.id, event_id=event.id, now=app.clock.now())
    return event, office, speaker, sahin, lukasz, waiting, outsider


def text(replies: list[Reply]) -> str:
    return "\n".join(r.plain for r in replies)


async def rows(app, table) -> list[tuple]:
    async with app.database.engine.connect() as conn:
        return list(await conn.execute(sa.select(table)))


async def code_of(app, event) -> str:
    _, code = await attendance_code(
        app.uow(), actor_id=None, event_id=event.id, now=app.clock.now()
    )
    return code


async def test_office_checks_in_by_number_and_name_once_and_can_undo(any_app, clock):
    event, office, _, sahin, lukasz, _, outsider = await setup(any_app)
    early = await say(any_app, office, f"/anwesend {event.id} {sahin.id}")
    assert early[0].is_error and "erst ab" in early[0].plain
    assert await rows(any_app, attendance) == []

    clock.advance(timedelta(days=7) - timedelta(minutes=30))  # the window opens
    done = await say(any_app, office, f"/anwesend {event.id} {sahin.id}")
    assert "Şahin Öztürk (Nr." in done[0].plain and "als anwesend eingetragen" in done[0].plain
    assert done[0].buttons[0][0].command == f"/abwesend {event.id} {sahin.id}"
    again = await say(any_app, office, f"/checkin {event.id} {sahin.id}")
    assert "schon seit" in again[0].plain and not again[0].is_error
    assert len(await rows(any_app, attendance)) == 1

    by_name = await say(any_app, office, f"/anwesend {event.id} łukasz")
    assert "Łukasz Nowak" in by_name[0].plain
    walk_in = await say(any_app, office, f"/anwesend {event.id} „Otto Außen“")
    assert "nicht fest angemeldet" in walk_in[0].plain
    assert {r.person_id for r in await rows(any_app, attendance)} == {
        sahin.id,
        lukasz.id,
        outsider.id,
    }

    undone = await say(any_app, office, f"/abwesend {event.id} {outsider.id}")
    assert "zurückgenommen" in undone[0].plain
    twice = await say(any_app, office, f"/abwesend {event.id} {outsider.id}")
    assert twice[0].is_error and "nichts zurückzunehmen" in twice[0].plain
    audit = [(r.action, r.details) for r in await rows(any_app, audit_log)]
    assert ("attendance.checked_in", {"person": sahin.id}) in audit
    assert ("attendance.undone", {"person": outsider.id}) in audit
    assert [a for a, _ in audit].count("attendance.checked_in") == 3  # not the repeat


async def test_a_name_that_fits_several_people_offers_a_choice_and_changes_nothing(any_app, clock):
    event, office, *_ = await setup(any_app)
    await factories.person(any_app, "Anna Amt")
    await factories.person(any_app, "Anna Berg")
    clock.advance(timedelta(days=7))
    before = await snapshot(any_app.database)
    (choice,) = await say(any_app, office, f"/anwesend {event.id} Anna")
    assert "mehrere Personen" in choice.plain
    labels = [row[0].label for row in choice.buttons]
    assert any("Anna Amt" in label for label in labels) and len(labels) == 2
    assert choice.buttons[0][0].command.startswith(f"/anwesend {event.id} ")
    nobody = await say(any_app, office, f"/anwesend {event.id} Niemand Hier")
    assert nobody[0].is_error and "finde ich niemanden" in nobody[0].plain
    assert await snapshot(any_app.database) == before


async def test_who_may_check_in(any_app, clock):
    event, _, speaker, sahin, lukasz, *_ = await setup(any_app)
    other_speaker = await factories.person(any_app, "Sven Sprecher", roles={Role.SPEAKER})
    clock.advance(timedelta(days=7))
    by_speaker = await say(any_app, speaker, f"/anwesend {event.id} {sahin.id}")
    assert not by_speaker[0].is_error
    for who in (other_speaker, lukasz):
        refused = await say(any_app, who, f"/anwesend {event.id} {sahin.id}")
        assert refused[0].is_error and "Sprecher" in refused[0].plain
        code = await say(any_app, who, f"/anwesenheitscode {event.id}")
        assert code[0].is_error
    sent = await say(any_app, speaker, f"/bescheinigung {event.id} alle")
    assert sent[0].is_error and "Netzwerkbüro" in sent[0].plain
    help_member = text(await say(any_app, lukasz, "/hilfe"))
    assert "/anwesend" not in help_member and "/bescheinigung" in help_member
    assert "/anwesend" in text(await say(any_app, speaker, "/hilfe"))


async def test_members_check_in_with_the_code_within_the_window_only(any_app, clock):
    event, office, _, sahin, lukasz, waiting, outsider = await setup(any_app)
    overview = await say(any_app, office, f"/anwesend {event.id}")
    assert (
        "Anwesend: 0 · fest angemeldet: 2" in overview[0].plain and "/start a_" in overview[0].plain
    )
    code = await code_of(any_app, event)
    assert f"/start a_{code}" in overview[0].plain

    early = await say(any_app, sahin, f"/start a_{code}")
    assert early[0].is_error and "erst ab" in early[0].plain
    clock.advance(timedelta(days=7) - timedelta(minutes=30))
    (welcome,) = await say(any_app, sahin, f"/start a_{code}")
    assert "Sie sind bei Netzwerktreffen Köln als anwesend eingetragen" in welcome.plain
    assert welcome.buttons[0][0].command == f"/bescheinigung {event.id}"
    again = await say(any_app, sahin, f"/start a_{code}")
    assert "bereits als anwesend" in again[0].plain
    waits = await say(any_app, waiting, f"/start a_{code}")
    assert waits[0].is_error and "Warteliste" in waits[0].plain
    stranger = await say(any_app, outsider, f"/start a_{code}")
    assert stranger[0].is_error and "nicht angemeldet" in stranger[0].plain
    wrong = await say(any_app, lukasz, "/start a_NichtDerCode")
    assert wrong[0].is_error and "kenne ich nicht" in wrong[0].plain

    renewed = await say(any_app, office, f"/anwesenheitscode {event.id} neu")
    assert "Der bisherige gilt nicht mehr" in renewed[0].plain
    old = await say(any_app, lukasz, f"/start a_{code}")
    assert old[0].is_error
    clock.advance(timedelta(hours=2, minutes=30))  # over
    late = await say(any_app, lukasz, f"/start a_{await code_of(any_app, event)}")
    assert late[0].is_error and "vorbei" in late[0].plain
    present = [r.person_id for r in await rows(any_app, attendance)]
    assert present == [sahin.id]
    assert [r.method for r in await rows(any_app, attendance)] == ["code"]


async def test_the_certificate_pdf_names_person_event_date_and_is_not_stored(any_app, clock):
    event, office, _, sahin, lukasz, *_ = await setup(any_app, title="3. Netzwerktreffen")
    before = await say(any_app, sahin, f"/bescheinigung {event.id}")
    assert before[0].is_error and "sobald Sie dort als anwesend" in before[0].plain
    clock.advance(timedelta(days=7, minutes=5))
    await say(any_app, office, f"/anwesend {event.id} {sahin.id}")

    (reply,) = await say(any_app, sahin, f"/bescheinigung {event.id}")
    assert reply.attachment is None and reply.made_file is not None  # made when sent
    made = await with_made_file(any_app, reply)
    assert made is not None and made.attachment is not None
    assert made.attachment.mime_type == "application/pdf"
    pdf = PdfReader(io.BytesIO(made.attachment.content))
    words = " ".join(pdf.pages[0].extract_text().split())
    day = any_app.translator.date("de", event.starts_at)
    for expected in (
        "Teilnahmebescheinigung",
        "Kommunen-Netzwerk engagiert in NRW",
        "Şahin Öztürk",
        "Stadt Auenburg",
        "3. Netzwerktreffen",
        day,
        "Dauer: 2 Stunden",
    ):
        assert expected in words, (expected, words)

    # The office sends everyone theirs: notices carry only what makes the file again.
    await say(any_app, office, f"/anwesend {event.id} {lukasz.id}")
    (sent,) = await say(any_app, office, f"/bescheinigung {event.id} alle")
    assert "an 2 anwesende Personen" in sent.plain
    before = await snapshot(any_app.database)
    (again,) = await say(any_app, office, f"/bescheinigung {event.id} alle")
    assert again.is_error and "schon an alle 2 anwesenden Personen verschickt" in again.plain
    assert await snapshot(any_app.database) == before
    notices = [n for n in any_app.notifier.sent if n.key == "certificate"]
    assert sorted(n.person_id for n in notices) == sorted([sahin.id, lukasz.id])
    file = await certificate_file(
        any_app, {"event_id": event.id, "person_id": lukasz.id, "language": "en"}
    )
    assert file is not None
    english = " ".join(PdfReader(io.BytesIO(file.content)).pages[0].extract_text().split())
    assert "Certificate of attendance" in english and "Łukasz Nowak" in english
    dump = repr(await snapshot(any_app.database))
    assert "%PDF" not in dump and "JVBERi" not in dump  # no PDF, raw or in base64

    # Undone: nothing can be made any more.
    await say(any_app, office, f"/abwesend {event.id} {lukasz.id}")
    gone = await certificate_file(any_app, {"event_id": event.id, "person_id": lukasz.id})
    assert gone is None


@pytest.mark.parametrize("name", ["Jürgen Groß", "Łukasz Nowak", "Şahin Öztürk"])
async def test_names_with_every_letter_come_out_as_written(app, clock, name):
    member = await factories.member(app, "Gemeinde Ölbronn-Dürrn")
    person = await factories.person(app, name, member=member)
    event = await factories.event(app, title="Kurzformat „Ehrenamt & Recht“", days=0.01)
    await sign_up(app.uow(), person_id=person.id, event_id=event.id, now=clock.now())
    clock.advance(timedelta(minutes=20))
    code = await code_of(app, event)
    await say(app, person, f"/start a_{code}")
    file = await certificate_file(app, {"event_id": event.id, "person_id": person.id})
    assert file is not None
    words = " ".join(PdfReader(io.BytesIO(file.content)).pages[0].extract_text().split())
    assert name in words and "Gemeinde Ölbronn-Dürrn" in words
    assert "„Kurzformat „Ehrenamt & Recht““" in words


async def test_the_console_shows_the_certificate_as_a_file(app, clock):
    event, office, _, sahin, *_ = await setup(app)
    clock.advance(timedelta(days=7))
    await say(app, office, f"/anwesend {event.id} {sahin.id}")
    out = io.StringIO()
    console = ConsoleChat(app, sahin, out=out)
    await console.send(f"/bescheinigung {event.id}")
    shown = out.getvalue()
    assert "Ihre Teilnahmebescheinigung" in shown and "teilnahmebescheinigung-" in shown
    assert "%PDF" not in shown  # a binary file is named, not printed


async def test_bad_input_is_refused_politely_and_changes_nothing(any_app, clock):
    event, office, *_ = await setup(any_app)
    clock.advance(timedelta(days=7))
    before = await snapshot(any_app.database)
    for command, expected in (
        ("/anwesend", "Nummer"),
        (f"/anwesend x{event.id}", "keine Nummer"),
        ("/anwesend 999 1", "gibt es nicht"),
        (f"/abwesend {event.id} Şahin", "Personennummer"),
        (f"/anwesenheitscode {event.id} bitte", "verstehe ich hier nicht"),
        (f"/bescheinigung {event.id} jetzt", "verstehe ich hier nicht"),
        (f"/bescheinigung {event.id} alle", "noch niemand als anwesend"),
    ):
        (reply,) = await say(any_app, office, command)
        assert reply.is_error and expected in reply.plain, (command, reply.plain)
    assert await snapshot(any_app.database) == before


async def test_attendance_is_exported_erased_and_counted_per_municipality(any_app, clock):
    event, office, _, sahin, lukasz, *_ = await setup(any_app)
    clock.advance(timedelta(days=7, hours=1))
    for person in (sahin, lukasz):
        await say(any_app, office, f"/anwesend {event.id} {person.id}")
    found = await coverage(
        any_app.uow(),
        actor_id=office.id,
        year=clock.now().year,
        now=clock.now(),
        tz=any_app.settings.tz,
    )
    by_name = {m.member.name: m for m in found.members}
    assert by_name["Stadt Auenburg"].attended == {event.id: 1}
    assert by_name["Kreis Bergen"].attended == {event.id: 1}
    assert by_name["Kreis Bergen"].events == {event.id: 1}  # Jürgen waits: not counted

    export = await export_person_data(any_app.uow(), person_id=sahin.id, now=clock.now())
    (entry,) = export["daten"]["attendance"]["eintraege"]
    assert entry["event_id"] == event.id and entry["method"] == "office"
    await erase_person(any_app.uow(), person_id=sahin.id, now=clock.now())
    assert [r.person_id for r in await rows(any_app, attendance)] == [lukasz.id]


async def test_the_speaker_finds_only_registered_people_and_names_say_their_municipality(
    any_app, clock
):
    event, office, speaker, sahin, _, _, outsider = await setup(any_app)
    clock.advance(timedelta(days=7))
    before = await snapshot(any_app.database)
    (refused,) = await say(any_app, speaker, f"/anwesend {event.id} Otto")
    assert refused.is_error and "Otto" in refused.plain
    (refused,) = await say(any_app, speaker, f"/anwesend {event.id} {outsider.id}")
    assert refused.is_error
    assert await snapshot(any_app.database) == before
    (taken,) = await say(any_app, speaker, f"/anwesend {event.id} Nr. {sahin.id}")
    assert "Şahin Öztürk" in taken.plain and not taken.is_error
    (walk_in,) = await say(any_app, office, f"/anwesend {event.id} #{outsider.id}")
    assert "Otto Außen" in walk_in.plain and not walk_in.is_error

    twin = await factories.person(any_app, "Łukasz Nowak", member=await factories.member(any_app))
    (choice,) = await say(any_app, office, f"/anwesend {event.id} Łukasz")
    assert "Łukasz Nowak, Kreis Bergen" in choice.plain and f"{twin.id}: Łukasz Nowak, " in (
        choice.plain
    )
    (gone,) = await say(any_app, office, f"/abwesend {event.id} 99999")
    assert gone.is_error and "Person Nr. 99999 gibt es nicht" in gone.plain
