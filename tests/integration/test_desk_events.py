"""The desk's event pages: attendees by municipality, CSV and XLSX for the sign-in sheet,
and the form that changes or moves an event (through the same core use case as the chat)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import httpx
from openpyxl import load_workbook

from bot.desk import COOKIE
from bot.web import create_web_app
from core.domain.people import Role
from core.events import event_details
from core.signup import sign_up
from core.web_access import issue_link, redeem_link
from tests.support import factories


async def signed_in(app, person) -> httpx.AsyncClient:
    """A browser-like client with a session of ``person`` (as after the chat's link)."""
    token = await issue_link(app.uow(), actor_id=None, person_id=person.id, now=app.clock.now())
    session = await redeem_link(app.uow(), token=token, now=app.clock.now())
    transport = httpx.ASGITransport(app=create_web_app(app))
    client = httpx.AsyncClient(transport=transport, base_url="http://test")
    client.cookies.set(COOKIE, session.token)
    return client


async def kurzformat_with_people(app):
    event = await factories.event(app, title="Kurzformat Kultur", capacity=2)
    auen, bergen = (
        await factories.member(app, "Stadt Auenburg"),
        await factories.member(app, "Kreis Bergen"),
    )
    people = [
        await factories.person(app, "Anna Amt", member=auen),
        await factories.person(app, "Björn Bürgerschaft", member=bergen),
        await factories.person(app, "Cem Çelik", member=auen),
    ]
    for person in people:
        await sign_up(app.uow(), event_id=event.id, person_id=person.id, now=app.clock.now())
    return event, people


async def test_attendees_by_municipality_and_the_exports_read_back(app):
    event, _ = await kurzformat_with_people(app)
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, olga) as web:
        page = await web.get(f"/admin/veranstaltungen/{event.id}")
        assert page.status_code == 200
        text = re.sub(r"\s+", " ", page.text)
        assert "Angemeldet (2)" in text and "Warteliste (1)" in text
        assert "Kreis Bergen (1)" in text and "Stadt Auenburg (1)" in text
        assert text.index("Kreis Bergen") < text.index("Stadt Auenburg")  # alphabetical

        exported = await web.get(f"/admin/veranstaltungen/{event.id}/teilnehmende.csv")
        assert exported.status_code == 200
        assert exported.headers["content-disposition"].startswith("attachment")
        assert exported.content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
        assert rows[0] == ["Nr.", "Name", "Kommune", "Status", "Angemeldet am"]
        assert [r[1:4] for r in rows[1:]] == [
            ["Anna Amt", "Stadt Auenburg", "angemeldet"],
            ["Björn Bürgerschaft", "Kreis Bergen", "angemeldet"],
            ["Cem Çelik", "Stadt Auenburg", "Warteliste 1"],
        ]

        workbook = await web.get(f"/admin/veranstaltungen/{event.id}/teilnehmende.xlsx")
        sheet = load_workbook(io.BytesIO(workbook.content)).active
        values = [[c.value for c in row] for row in sheet.iter_rows()]
        assert values[0][0] == "Kurzformat Kultur"
        assert values[2][:4] == [1, "Anna Amt", "Stadt Auenburg", "angemeldet"]
        assert values[4][:4] == [3, "Cem Çelik", "Stadt Auenburg", "Warteliste 1"]
        pdf = await web.get(f"/admin/veranstaltungen/{event.id}/teilnehmende.pdf")
        assert pdf.status_code == 404
        assert (await web.get("/admin/veranstaltungen/999")).status_code == 404


async def test_leadership_sees_no_attendee_list(app):
    event, _ = await kurzformat_with_people(app)
    lena = await factories.person(app, "Lena Landrätin", roles={Role.LEADERSHIP})
    async with await signed_in(app, lena) as web:
        assert (await web.get("/admin")).status_code == 200  # the overview, without persons
        for path in ("", "/teilnehmende.csv", "/teilnehmende.xlsx", "/bearbeiten"):
            refused = await web.get(f"/admin/veranstaltungen/{event.id}{path}")
            assert refused.status_code == 403, path
            assert "Anna Amt" not in refused.text


async def test_moving_an_event_in_the_form_tells_the_attendees(app, notifier):
    event, (anna, *_) = await kurzformat_with_people(app)
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, olga) as web:
        form = await web.get(f"/admin/veranstaltungen/{event.id}/bearbeiten")
        fields = dict(re.findall(r'name="(\w+)"[^>]*?value="([^"]*)"', form.text))
        start = event.starts_at + timedelta(days=2)
        fields["starts_at"] = start.astimezone(app.settings.tz).strftime("%Y-%m-%dT%H:%M")
        fields["place"] = "Rathaus Köln, Raum 2"
        fields["description"] = ""
        moved = await web.post(f"/admin/veranstaltungen/{event.id}/bearbeiten", data=fields)
        assert moved.status_code == 303, moved.text
    details = await event_details(app.uow(), event_id=event.id, person_id=None, now=app.clock.now())
    changed = details.info.event
    assert changed.starts_at == start and changed.ends_at - changed.starts_at == (
        event.ends_at - event.starts_at
    )
    assert changed.place == "Rathaus Köln, Raum 2" and changed.sequence == 1
    assert notifier.keys_for(anna.id)[-1] == "event_changed"


async def test_a_bad_form_shows_the_errors_by_the_fields_and_saves_nothing(app):
    event, _ = await kurzformat_with_people(app)
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, olga) as web:
        form = await web.get(f"/admin/veranstaltungen/{event.id}/bearbeiten")
        fields = dict(re.findall(r'name="(\w+)"[^>]*?value="([^"]*)"', form.text))
        bad = {**fields, "title": "  ", "capacity": "zwölf", "video_url": "javascript:alert(1)"}
        refused = await web.post(f"/admin/veranstaltungen/{event.id}/bearbeiten", data=bad)
        assert refused.status_code == 422
        assert "Bitte geben Sie einen Titel an." in refused.text
        assert "ganze Zahl ab 1" in refused.text and "https://" in refused.text
        assert 'value="zwölf"' in refused.text  # what was typed stays in the form
        past = {**fields, "starts_at": "2020-01-01T10:00", "ends_at": "2020-01-01T12:00"}
        too_early = await web.post(f"/admin/veranstaltungen/{event.id}/bearbeiten", data=past)
        assert too_early.status_code == 422 and 'id="starts_at-fehler"' in too_early.text
        no_token = {k: v for k, v in fields.items() if k != "csrf"}
        forged = await web.post(f"/admin/veranstaltungen/{event.id}/bearbeiten", data=no_token)
        assert forged.status_code == 403
    details = await event_details(app.uow(), event_id=event.id, person_id=None, now=app.clock.now())
    assert details.info.event == event  # nothing saved
