"""The desk's coverage view: which member municipalities took part in the year's events
and named polls, which were not reached — aggregates that leadership may see, never a
person, and anonymous polls never counted."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from core.coverage import coverage
from core.domain.errors import NotAllowed
from core.domain.members import MemberKind
from core.domain.people import Role
from core.events import cancel_event
from core.members import add_member
from core.polls import cast_vote, start_poll
from core.signup import sign_up
from tests.support import factories
from tests.support.desk import signed_in


async def network_year(app):
    """Auenburg went to the held meeting; Bergen only waited for it and voted anonymously;
    Calden voted in a named poll; Dorf went to the cancelled and the coming events only."""
    auen = await factories.member(app, "Stadt Auenburg")
    bergen = await add_member(app.uow(), name="Kreis Bergen", kind=MemberKind.KREIS)
    calden = await add_member(app.uow(), name="Gemeinde Calden", kind=MemberKind.GEMEINDE)
    dorf = await add_member(app.uow(), name="Gemeinde Dorf", kind=MemberKind.GEMEINDE)
    await add_member(app.uow(), name="Stiftung Partner", kind=MemberKind.KOOPERATIONSPARTNER)
    anna = await factories.person(app, "Anna Amt", member=auen)
    arne = await factories.person(app, "Arne Amt", member=auen)
    bea = await factories.person(app, "Bea Bergen", member=bergen)
    cem = await factories.person(app, "Cem Calden", member=calden)
    dora = await factories.person(app, "Dora Dorf", member=dorf)
    now = app.clock.now
    held = await factories.event(app, title="Netzwerktreffen Herbst", capacity=2, days=1)
    for person in (anna, arne, bea):  # Bea only on the waiting list
        await sign_up(app.uow(), event_id=held.id, person_id=person.id, now=now())
    dropped = await factories.event(app, title="Abgesagtes Treffen", days=2)
    await sign_up(app.uow(), event_id=dropped.id, person_id=dora.id, now=now())
    await cancel_event(app.uow(), actor_id=None, event_id=dropped.id, now=now())
    coming = await factories.event(app, title="Kommendes Treffen", days=20)
    await sign_up(app.uow(), event_id=coming.id, person_id=dora.id, now=now())
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    named = await start_poll(
        app.uow(), actor_id=olga.id, question="Termin?", options=["Mo", "Di"], now=now()
    )
    await cast_vote(app.uow(), poll_id=named.id, person_id=cem.id, choices=[0], now=now())
    secret = await start_poll(
        app.uow(),
        actor_id=olga.id,
        question="Zufrieden?",
        options=["Ja", "Nein"],
        anonymous=True,
        now=now(),
    )
    await cast_vote(app.uow(), poll_id=secret.id, person_id=bea.id, choices=[1], now=now())
    app.clock.advance(timedelta(days=3))  # the meeting is over
    return olga


async def test_coverage_counts_what_was_held_and_names_who_was_not_reached(app):
    olga = await network_year(app)
    async with await signed_in(app, olga) as web:
        page = await web.get("/admin/teilnahme")
        assert page.status_code == 200
        text = re.sub(r"<[^>]+>", " ", page.text)
        text = re.sub(r"\s+", " ", text)
        assert (
            "2 von 4 Mitgliedskommunen" in text
            and "(1 Veranstaltung, 1 namentliche Umfrage bisher)" in text
        )
        unreached = page.text[
            page.text.index("noch nicht erreicht") : page.text.index("uebersicht")
        ]
        assert "Kreis Bergen" in unreached and "Gemeinde Dorf" in unreached
        assert "Stadt Auenburg" not in unreached and "Gemeinde Calden" not in unreached
        assert "Stiftung Partner" not in page.text  # partners are not municipalities
        assert "Kommendes Treffen" not in page.text and "Abgesagtes" not in page.text
        assert "Anna Amt" not in page.text and "Bea Bergen" not in page.text

        exported = await web.get("/admin/teilnahme.csv?jahr=2026")
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
        assert rows[0][0] == "Kommune" and rows[0][2].startswith("Netzwerktreffen Herbst (")
        by_name = {row[0]: row[1:] for row in rows[1:]}
        assert by_name["Stadt Auenburg"] == ["2", "2", "0", "ja"]
        assert by_name["Kreis Bergen"] == ["1", "0", "0", "nein"]  # waited, voted anonymously
        assert by_name["Gemeinde Calden"] == ["1", "0", "1", "ja"]
        assert by_name["Gemeinde Dorf"] == ["1", "0", "0", "nein"]
        workbook = await web.get("/admin/teilnahme.xlsx")
        sheet = load_workbook(io.BytesIO(workbook.content)).active
        assert sheet["A1"].value == "Teilnahme 2026" and sheet["A3"].value == "Gemeinde Calden"

        last_year = await web.get("/admin/teilnahme?jahr=2025")
        assert last_year.status_code == 200 and "0 von 4" in re.sub(r"\s+", " ", last_year.text)
        assert (await web.get("/admin/teilnahme?jahr=1999")).status_code == 404
        assert (await web.get("/admin/teilnahme?jahr=zwei")).status_code == 404


async def test_leadership_sees_coverage_and_a_member_does_not(app):
    await network_year(app)
    lena = await factories.person(app, "Lena Landrätin", roles={Role.LEADERSHIP})
    async with await signed_in(app, lena) as web:
        page = await web.get("/admin/teilnahme")
        assert page.status_code == 200 and "Kreis Bergen" in page.text
        assert "Anna Amt" not in page.text
    mia = await factories.person(app, "Mia Mitglied", member=await factories.member(app))
    with pytest.raises(NotAllowed):  # (a member gets no desk session in the first place)
        await coverage(
            app.uow(), actor_id=mia.id, year=2026, now=app.clock.now(), tz=app.settings.tz
        )
