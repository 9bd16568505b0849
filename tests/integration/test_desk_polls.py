"""The desk's poll pages: the list, one poll's results with the live page's bars and the
turnout by municipality, CSV and XLSX — numbers for the office and leadership, never who
voted."""

from __future__ import annotations

import csv
import io
import re

import httpx
from openpyxl import load_workbook

from core.audit import latest_entries
from core.domain.people import Role
from core.polls import cast_vote, close_poll, start_poll
from tests.support import factories
from tests.support.desk import signed_in

VOTERS = ("Anna Amt", "Björn Bürgerschaft", "Cem Çelik")


async def voted_poll(app, **options):
    """Sara's poll "Wie geht es weiter?" with votes Ja, Ja, Nein: Anna and Cem from Stadt
    Auenburg, Björn from Kreis Bergen; Gemeinde Cappeln has nobody voting."""
    auen, bergen = (
        await factories.member(app, "Stadt Auenburg"),
        await factories.member(app, "Kreis Bergen"),
    )
    await factories.member(app, "Gemeinde Cappeln")
    sara = await factories.person(app, "Sara Sprecherin", roles={Role.SPEAKER})
    poll = await start_poll(
        app.uow(),
        actor_id=sara.id,
        question="Wie geht es weiter?",
        options=["Ja", "Nein", "Vertagen"],
        now=app.clock.now(),
        **options,
    )
    anna, bjoern, cem = [
        await factories.person(app, name, member=member)
        for name, member in zip(VOTERS, (auen, bergen, auen), strict=True)
    ]
    for person, choice in ((anna, 0), (bjoern, 0), (cem, 1)):
        await cast_vote(
            app.uow(), poll_id=poll.id, person_id=person.id, choices=[choice], now=app.clock.now()
        )
    return sara, poll


def text_of(page: httpx.Response) -> str:
    return re.sub(r"\s+", " ", page.text)


def csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def xlsx_rows(response: httpx.Response) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


async def test_the_office_sees_the_list_the_bars_and_the_turnout(any_app):
    app = any_app
    sara, poll = await voted_poll(app)
    newer = await start_poll(
        app.uow(), actor_id=sara.id, question="Und danach?", options=["A", "B"], now=app.clock.now()
    )
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, olga) as web:
        listing = await web.get("/admin/umfragen")
        assert listing.status_code == 200
        text = text_of(listing)
        assert text.index("Und danach?") < text.index("Wie geht es weiter?")  # newest first
        assert f'href="/admin/umfragen/{poll.id}"' in listing.text
        assert f"<td>{newer.id}</td>" in text and "<td>3</td>" in text  # participants

        page = await web.get(f"/admin/umfragen/{poll.id}")
        assert page.status_code == 200
        text = text_of(page)
        # the live page's bars: width 1000 is 100 % of the participants
        assert 'data-index="0" data-count="2"' in page.text and "67 % (2)" in page.text
        assert 'width="667"' in page.text and 'width="333"' in page.text
        assert "<td>Nein</td><td>1</td><td>33 %</td>" in text
        assert "<td>Kreis Bergen</td><td>1</td>" in text
        assert "<td>Stadt Auenburg</td><td>2</td>" in text
        assert "Noch ohne Stimme (1): Gemeinde Cappeln" in text
        assert not any(name in page.text for name in (*VOTERS, "Sara Sprecherin"))


async def test_the_results_as_csv_and_xlsx_read_back_and_are_in_the_audit_log(any_app):
    app = any_app
    sara, poll = await voted_poll(app)
    await close_poll(app.uow(), actor_id=sara.id, poll_id=poll.id, now=app.clock.now())
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, olga) as web:
        exported = await web.get(f"/admin/umfragen/{poll.id}/ergebnis.csv")
        assert exported.status_code == 200
        assert exported.headers["content-disposition"] == (
            f'attachment; filename="umfrage-{poll.id}.csv"'
        )
        assert csv_rows(exported) == [
            ["Antwort", "Stimmen", "Anteil in %"],
            ["Ja", "2", "67"],
            ["Nein", "1", "33"],
            ["Vertagen", "0", "0"],
            ["Teilgenommen", "3", ""],
            [],
            ["Kommune", "Abstimmende", ""],
            ["Kreis Bergen", "1", ""],
            ["Stadt Auenburg", "2", ""],
            ["Gemeinde Cappeln", "0", ""],
        ]

        workbook = await web.get(f"/admin/umfragen/{poll.id}/ergebnis.xlsx")
        assert workbook.status_code == 200
        values = xlsx_rows(workbook)
        assert values[0][0].startswith(f"Umfrage Nr. {poll.id}: Wie geht es weiter? (beendet am")
        assert values[1] == ["Antwort", "Stimmen", "Anteil in %"]
        assert values[2:6] == [
            ["Ja", 2, 67],
            ["Nein", 1, 33],
            ["Vertagen", 0, 0],
            ["Teilgenommen", 3, None],
        ]
        assert ["Stadt Auenburg", 2, None] in values

        assert (await web.get(f"/admin/umfragen/{poll.id}/ergebnis.pdf")).status_code == 404
        log = text_of(await web.get("/admin/protokoll"))
        assert "Umfrageergebnis exportiert" in log and f"Umfrage {poll.id}" in log
    entries = await latest_entries(app.uow(), actor_id=olga.id)
    assert [(e.action, e.details["form"]) for e in entries[:2]] == [
        ("poll_results.exported", "xlsx"),
        ("poll_results.exported", "csv"),
    ]


async def test_leadership_sees_the_numbers_but_nobody_who_voted(app):
    _, poll = await voted_poll(app)
    lena = await factories.person(app, "Lena Landrätin", roles={Role.LEADERSHIP})
    async with await signed_in(app, lena) as web:
        assert "Wie geht es weiter?" in (await web.get("/admin/umfragen")).text
        page = await web.get(f"/admin/umfragen/{poll.id}")
        assert page.status_code == 200 and "67 % (2)" in page.text
        exported = await web.get(f"/admin/umfragen/{poll.id}/ergebnis.csv")
        assert ["Ja", "2", "67"] in csv_rows(exported)
        for response in (page, exported):
            assert not any(name in response.text for name in (*VOTERS, "Sara Sprecherin"))


async def test_hidden_results_stay_hidden_from_leadership_until_the_end(app):
    sara, poll = await voted_poll(app, hidden_results=True)
    lena = await factories.person(app, "Lena Landrätin", roles={Role.LEADERSHIP})
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, lena) as web:
        page = await web.get(f"/admin/umfragen/{poll.id}")
        assert page.status_code == 200
        assert "erst nach dem Ende der Umfrage gezeigt" in page.text
        assert "data-count" not in page.text and "67 %" not in page.text
        assert "Stadt Auenburg" not in page.text  # no turnout either
        assert re.search(r"<dt>Teilgenommen</dt><dd>3</dd>", page.text)
        refused = await web.get(f"/admin/umfragen/{poll.id}/ergebnis.csv")
        assert refused.status_code == 403 and "erst nach ihrem Ende" in refused.text
    async with await signed_in(app, olga) as web:  # the office runs every poll
        assert "67 % (2)" in (await web.get(f"/admin/umfragen/{poll.id}")).text
    await close_poll(app.uow(), actor_id=sara.id, poll_id=poll.id, now=app.clock.now())
    async with await signed_in(app, lena) as web:
        assert "67 % (2)" in (await web.get(f"/admin/umfragen/{poll.id}")).text


async def test_an_anonymous_poll_shows_no_voter_anywhere(any_app):
    app = any_app
    _, poll = await voted_poll(app, anonymous=True)
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, olga) as web:
        page = await web.get(f"/admin/umfragen/{poll.id}")
        assert page.status_code == 200 and "67 % (2)" in page.text
        exported = await web.get(f"/admin/umfragen/{poll.id}/ergebnis.csv")
        workbook = await web.get(f"/admin/umfragen/{poll.id}/ergebnis.xlsx")
        files = [exported.content.decode("utf-8-sig"), str(xlsx_rows(workbook))]
        assert csv_rows(exported)[-1] == ["Teilgenommen", "3", ""]  # no turnout rows
        for text in (page.text, (await web.get("/admin/umfragen")).text, *files):
            assert not any(name in text for name in (*VOTERS, "Auenburg", "Bergen"))


async def test_members_are_refused_and_unknown_polls_not_found(app):
    _, poll = await voted_poll(app)
    lena = await factories.person(app, "Lena Landrätin", roles={Role.LEADERSHIP})
    async with await signed_in(app, lena) as web:
        missing = await web.get("/admin/umfragen/999")
        assert missing.status_code == 404 and "Nummer 999 gibt es nicht" in missing.text
        assert (await web.get("/admin/umfragen/999/ergebnis.csv")).status_code == 404
        assert (await web.get("/admin/umfragen/keine")).status_code == 404
        async with app.uow() as uow:  # Lena is a member now, no longer leadership
            person = await uow.persons.get(lena.id)
            person.roles = frozenset()
            await uow.persons.update(person)
            await uow.commit()
        for path in ("", f"/{poll.id}", f"/{poll.id}/ergebnis.csv", f"/{poll.id}/ergebnis.xlsx"):
            refused = await web.get(f"/admin/umfragen{path}")
            assert refused.status_code == 403, path
            assert "Netzwerkbüro" in refused.text and "Wie geht es weiter?" not in refused.text


async def test_an_option_like_a_formula_stays_text_in_both_files(app):
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    poll = await start_poll(
        app.uow(), actor_id=olga.id, question="Rechnen?", options=["=1+1", "2"], now=app.clock.now()
    )
    async with await signed_in(app, olga) as web:
        workbook = await web.get(f"/admin/umfragen/{poll.id}/ergebnis.xlsx")
        exported = await web.get(f"/admin/umfragen/{poll.id}/ergebnis.csv")
    cell = load_workbook(io.BytesIO(workbook.content)).active["A3"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][0] == "'=1+1" and rows[2][0] == "2"  # Excel shows it, never runs it
