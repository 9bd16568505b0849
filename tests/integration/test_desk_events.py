"""The desk's event pages: attendees by municipality, CSV and XLSX for the sign-in sheet,
and the form that changes or moves an event (through the same core use case as the chat)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from openpyxl import load_workbook

from core.audit import latest_entries
from core.domain.people import Role
from core.events import event_details
from core.signup import attendees, sign_up
from tests.support import factories
from tests.support.desk import signed_in


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
        assert "Cem Çelik (Stadt Auenburg)" in text  # waiting, with the municipality

        exported = await web.get(f"/admin/veranstaltungen/{event.id}/teilnehmende.csv")
        assert exported.status_code == 200
        assert exported.headers["content-disposition"].startswith("attachment")
        assert exported.content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
        assert rows[0] == ["Nr.", "Name", "Kommune", "Status", "Teilnahme", "Angemeldet am"]
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
        missing = await web.get("/admin/veranstaltungen/999")
        assert missing.status_code == 404 and "Nummer 999 gibt es nicht" in missing.text
        assert "/termine" not in missing.text  # the web's wording: no chat command in it


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


def _form_values(html: str) -> dict[str, str]:
    """The inputs' names and values of a form page, selects with their chosen option."""
    values = dict(re.findall(r'<input[^>]*?name="(\w+)"[^>]*?value="([^"]*)"', html))
    for name, options in re.findall(r'<select[^>]*name="(\w+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        values[name] = chosen.group(1) if chosen else ""
    return values


async def test_a_new_event_from_the_form_validates_then_appears_in_the_lists(app):
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, olga) as web:
        form = await web.get("/admin/veranstaltungen/neu")
        assert form.status_code == 200 and 'name="kind"' in form.text
        fields = _form_values(form.text)
        assert fields["kind"] == "kurzformat" and fields["audience"] == "network"
        bad = {**fields, "title": "Kurzformat Ehrenamtskarte", "starts_at": "31.2. 14 Uhr"}
        refused = await web.post("/admin/veranstaltungen/neu", data=bad)
        assert refused.status_code == 422 and 'id="starts_at-fehler"' in refused.text
        far = {**fields, "title": "x", "starts_at": "9999-12-31T23:00"}  # no arithmetic overflow
        refused = await web.post("/admin/veranstaltungen/neu", data=far)
        assert refused.status_code == 422 and "zu weit in der Zukunft" in refused.text
        two_lines = {**fields, "title": "Zwei\nZeilen", "starts_at": "3.12. 14 Uhr"}
        refused = await web.post("/admin/veranstaltungen/neu", data=two_lines)
        assert refused.status_code == 422 and 'id="title-fehler"' in refused.text
        bad = {**fields, "title": "x", "starts_at": "3.12. 14 Uhr", "kind": "party"}
        refused = await web.post("/admin/veranstaltungen/neu", data=bad)
        assert refused.status_code == 422 and 'id="kind-fehler"' in refused.text
        assert "keine Veranstaltungen geplant" in (await web.get("/admin/veranstaltungen")).text

        typed = {
            **fields,
            "title": "Kurzformat Ehrenamtskarte",
            "starts_at": "3.12. 14 Uhr",  # typed as on a phone, where no date picker is
            "ends_at": "15:30",
            "capacity": "25",
            "audience": "members",
        }
        created = await web.post("/admin/veranstaltungen/neu", data=typed)
        assert created.status_code == 303, created.text
        page = await web.get(created.headers["location"])
        assert "Kurzformat Ehrenamtskarte" in page.text
        assert "nur für Mitgliedskommunen" in page.text
        listed = await web.get("/admin/veranstaltungen")
        assert "Kurzformat Ehrenamtskarte" in listed.text and "0 von 25" in listed.text
        assert (
            "Kurzformat Ehrenamtskarte"
            not in (await web.get("/admin/veranstaltungen/vergangen")).text
        )
    event_id = int(created.headers["location"].rsplit("/", 1)[1])
    details = await event_details(app.uow(), event_id=event_id, person_id=None, now=app.clock.now())
    event = details.info.event
    local = event.starts_at.astimezone(app.settings.tz)
    assert (local.day, local.month, local.hour) == (3, 12, 14)
    assert event.ends_at - event.starts_at == timedelta(hours=1, minutes=30)
    assert event.capacity == 25


async def test_leadership_sees_the_lists_but_not_the_new_event_form(app):
    event, _ = await kurzformat_with_people(app)
    lena = await factories.person(app, "Lena Landrätin", roles={Role.LEADERSHIP})
    async with await signed_in(app, lena) as web:
        listed = await web.get("/admin/veranstaltungen")
        assert listed.status_code == 200 and "Kurzformat Kultur" in listed.text
        assert f'href="/admin/veranstaltungen/{event.id}"' not in listed.text
        assert (await web.get("/admin/veranstaltungen/neu")).status_code == 403
        token = re.search(r'name="csrf" value="([^"]+)"', listed.text).group(1)
        data = {"csrf": token, "title": "Spitzentreffen", "starts_at": "3.12. 14 Uhr"}
        assert (await web.post("/admin/veranstaltungen/neu", data=data)).status_code == 403
        for path in ("/erinnerungen", "/absagen", "/teilnehmende/1/entfernen"):
            assert (await web.get(f"/admin/veranstaltungen/{event.id}{path}")).status_code == 403


async def test_cancelling_asks_first_then_tells_everyone(app, notifier):
    event, (anna, bjoern, cem) = await kurzformat_with_people(app)
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, olga) as web:
        asked = await web.get(f"/admin/veranstaltungen/{event.id}/absagen")
        assert "2 angemeldete und 1 wartende" in re.sub(r"\s+", " ", asked.text)
        token = _form_values(asked.text)["csrf"]
        done = await web.post(f"/admin/veranstaltungen/{event.id}/absagen", data={"csrf": token})
        assert done.status_code == 303
        page = await web.get(f"/admin/veranstaltungen/{event.id}")
        assert "abgesagt" in page.text and "/absagen" not in page.text
        again = await web.post(f"/admin/veranstaltungen/{event.id}/absagen", data={"csrf": token})
        assert again.status_code == 400 and "abgesagt" in again.text
        for path in ("/absagen", "/bearbeiten", "/erinnerungen"):  # it stays as announced
            refused = await web.get(f"/admin/veranstaltungen/{event.id}{path}")
            assert refused.status_code == 400 and "abgesagt" in refused.text, path
            assert 'type="submit" class="primary"' not in refused.text
    for person in (anna, bjoern, cem):
        assert notifier.keys_for(person.id)[-1] == "event_cancelled"


async def test_reminders_read_as_typed_and_bad_ones_change_nothing(app):
    event, _ = await kurzformat_with_people(app)
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    path = f"/admin/veranstaltungen/{event.id}/erinnerungen"
    async with await signed_in(app, olga) as web:
        page = await web.get(path)
        assert 'value="1 Tag, 1 Stunde"' in page.text  # the defaults
        token = _form_values(page.text)["csrf"]
        refused = await web.post(path, data={"csrf": token, "offsets": "2 Tage, bald"})
        assert refused.status_code == 422 and "„1 Tag, 2 Stunden“" in refused.text
        assert 'value="2 Tage, bald"' in refused.text
        too_far = await web.post(path, data={"csrf": token, "offsets": "6 Wochen"})
        assert too_far.status_code == 422 and "30 Tagen" in too_far.text
        assert 'value="1 Tag, 1 Stunde"' in (await web.get(path)).text  # unchanged
        saved = await web.post(path, data={"csrf": token, "offsets": "2 Tage; 90 min"})
        assert saved.status_code == 303
        assert 'value="2 Tage, 90 Minuten"' in (await web.get(path)).text
        decimal = await web.post(path, data={"csrf": token, "offsets": "1,5 Stunden, 1 Tag"})
        assert decimal.status_code == 303  # the comma of 1,5 belongs to the number
        assert 'value="1 Tag, 90 Minuten"' in (await web.get(path)).text
        for unclear in ("24", "1, 5 Stunden", "1h 2h 3h 4h 5h 6h"):
            refused = await web.post(path, data={"csrf": token, "offsets": unclear})
            assert refused.status_code == 422, unclear
        await web.post(path, data={"csrf": token, "offsets": ""})
        assert 'value=""' in (await web.get(path)).text  # no reminders


async def test_remove_and_move_up_through_the_desk(app, notifier):
    event, (anna, bjoern, cem) = await kurzformat_with_people(app)
    dora = await factories.person(app, "Dora Dorf")
    await sign_up(app.uow(), event_id=event.id, person_id=dora.id, now=app.clock.now())
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    base = f"/admin/veranstaltungen/{event.id}/teilnehmende"
    async with await signed_in(app, olga) as web:
        page = await web.get(f"/admin/veranstaltungen/{event.id}")
        token = _form_values(page.text)["csrf"]
        assert f"{base}/{dora.id}/nachruecken" in page.text
        # Dora moves up ahead of Cem, beyond the two places.
        moved = await web.post(f"{base}/{dora.id}/nachruecken", data={"csrf": token})
        assert moved.status_code == 303
        assert notifier.keys_for(dora.id)[-1] == "promoted"
        again = await web.post(f"{base}/{dora.id}/nachruecken", data={"csrf": token})
        assert again.status_code == 400 and "nicht auf der Warteliste" in again.text
        # Removing Anna asks first, then frees no place (three are confirmed for two).
        asked = await web.get(f"{base}/{anna.id}/entfernen")
        assert "Anna Amt" in asked.text and "Kurzformat Kultur" in asked.text
        removed = await web.post(f"{base}/{anna.id}/entfernen", data={"csrf": token})
        assert removed.status_code == 303
        assert notifier.keys_for(anna.id)[-1] == "registration_removed"
        assert (await web.get(f"{base}/{anna.id}/entfernen")).status_code == 404
        # Removing Björn frees a place: Cem comes in from the waiting list.
        await web.post(f"{base}/{bjoern.id}/entfernen", data={"csrf": token})
        forged = await web.post(f"{base}/{cem.id}/entfernen", data={})
        assert forged.status_code == 403
    listing = await attendees(app.uow(), actor_id=olga.id, event_id=event.id)
    assert {v.registration.person_id for v in listing.confirmed} == {dora.id, cem.id}
    assert notifier.keys_for(cem.id)[-1] == "promoted"
    entries = await latest_entries(app.uow(), actor_id=olga.id)
    assert [e.action for e in entries][:3] == [
        "registration.removed",
        "registration.removed",
        "registration.moved_up",
    ]


async def test_addresses_the_desk_does_not_know_get_its_german_page(app):
    """Ids longer than any id, words where an id belongs, any method: the German 404 page."""
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, olga) as web:
        token = re.search(r'name="csrf" value="([^"]+)"', (await web.get("/admin")).text)[1]
        for method, path in (
            ("GET", "/admin/veranstaltungen/99999999999999999999999"),
            ("GET", "/admin/personen/99999999999999999999999"),
            ("GET", "/admin/umfragen/1234567890"),
            ("GET", "/admin/ankuendigungen/abc"),
            ("POST", "/admin/veranstaltungen/99999999999999999999/absagen"),
            ("POST", "/admin/veranstaltungen/abc/bearbeiten"),
            ("POST", "/admin/kommunen/abc/einladung"),
            ("POST", "/admin/veranstaltungen/5/teilnehmende/abc/nachruecken"),
            ("DELETE", "/admin/veranstaltungen/5"),
        ):
            answer = await web.request(method, path, data={"csrf": token})
            assert answer.status_code == 404, (method, path)
            assert "Diese Seite gibt es nicht." in answer.text, (method, path)
        slash = await web.get("/admin/")
        assert slash.status_code == 303 and slash.headers["location"] == "/admin"


async def test_a_change_made_meanwhile_is_not_overwritten(app, notifier):
    """Two office members open the same event; the second to save gets the current values
    back instead of silently undoing the first one's change."""
    event, (anna, *_) = await kurzformat_with_people(app)
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    ole = await factories.person(app, "Ole Office", roles={Role.ORGANIZER})
    path = f"/admin/veranstaltungen/{event.id}/bearbeiten"
    async with await signed_in(app, olga) as first, await signed_in(app, ole) as second:
        form_a = _form_values((await first.get(path)).text)
        form_b = _form_values((await second.get(path)).text)
        saved = await first.post(path, data={**form_a, "place": "Bonn, Rathaus"})
        assert saved.status_code == 303
        stale = await second.post(path, data={**form_b, "title": "Kurzformat Kultur 2027"})
        assert stale.status_code == 409 and "inzwischen geändert" in stale.text
        assert 'value="Bonn, Rathaus"' in stale.text  # the current values, to change again
        again = await second.post(
            path, data={**_form_values(stale.text), "title": "Kurzformat Kultur 2027"}
        )
        assert again.status_code == 303
    details = await event_details(app.uow(), event_id=event.id, person_id=None, now=app.clock.now())
    assert (details.info.event.title, details.info.event.place) == (
        "Kurzformat Kultur 2027",
        "Bonn, Rathaus",
    )
    assert notifier.keys_for(anna.id).count("event_changed") == 1  # told once, of Bonn
