"""Municipalities and persons on the desk: lists, new entries through the same core use
cases as the command line, personal invitations with their QR code; never for leadership."""

from __future__ import annotations

import re

from bot.messages import IncomingMessage
from core.domain.people import Platform, Role
from tests.support import factories
from tests.support.desk import signed_in


def csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page)[1]


def text_of(page: str) -> str:
    """The page's text without tags, spaces tidied."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


async def test_the_office_adds_a_municipality_and_a_person_and_invites_her(app):
    app.settings = app.settings.model_copy(update={"telegram_bot_username": "engagiert_bot"})
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, olga) as desk:
        page = await desk.get("/admin/kommunen")
        token = csrf(page.text)
        added = await desk.post(
            "/admin/kommunen",
            data={
                "csrf": token,
                "name": "Stadt Auenburg",
                "kind": "stadt",
                "key": "05999123",
                "joined": "2026-11-01",
            },
        )
        assert added.status_code == 303
        listed = await desk.get("/admin/kommunen")
        assert "Stadt Auenburg (neu)" in text_of(listed.text) and "05999123" in listed.text
        bad = await desk.post(
            "/admin/kommunen", data={"csrf": token, "name": "Stadt X", "kind": "stadt", "key": "12"}
        )
        assert bad.status_code == 422 and 'id="key-fehler"' in bad.text
        twice = await desk.post(
            "/admin/kommunen", data={"csrf": token, "name": "Stadt Auenburg", "kind": "stadt"}
        )
        assert twice.status_code == 422 and 'id="name-fehler"' in twice.text

        persons = await desk.get("/admin/personen")
        member = re.search(r'<option value="(\d+)">Stadt Auenburg', persons.text)[1]
        created = await desk.post(
            "/admin/personen",
            data={"csrf": token, "name": "Eva Engagiert", "member": member, "roles": "speaker"},
        )
        assert created.status_code == 303
        person_page = await desk.get(created.headers["location"])
        assert "Sprecherteam" in person_page.text and "Stadt Auenburg" in person_page.text
        assert "noch keines verbunden" in person_page.text
        odd = await desk.post(
            "/admin/personen", data={"csrf": token, "name": "Max", "roles": "admin"}
        )
        assert odd.status_code == 422 and "Diese Aufgabe gibt es nicht" in odd.text
        assert 'id="roles-fehler"' in odd.text

        invited = await desk.post(created.headers["location"] + "/einladung", data={"csrf": token})
        assert invited.status_code == 200
        code = re.search(r"<code>([A-Z0-9]{10})</code>", invited.text)[1]
        assert f"https://t.me/engagiert_bot?start=p_{code}" in invited.text
        assert '<svg role="img" aria-label="QR-Code"' in invited.text
    # Redeemed from a chat account, as the deep link does.
    start = IncomingMessage(
        Platform.TELEGRAM, "4242", f"/start p_{code}", "Eva", chat_id="4242", message_id="1"
    )
    [welcome] = await app.router.handle(start)
    assert "Willkommen, Eva Engagiert!" in welcome.text


async def test_leadership_and_forged_forms_get_nothing(app):
    lena = await factories.person(app, "Lena Landrätin", roles={Role.LEADERSHIP})
    anna = await factories.person(app, "Anna Amt")
    async with await signed_in(app, lena) as desk:
        for path in ("/admin/kommunen", "/admin/personen", f"/admin/personen/{anna.id}"):
            refused = await desk.get(path)
            assert refused.status_code == 403, path
            assert "Anna" not in refused.text
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, olga) as desk:
        forged = await desk.post("/admin/personen", data={"name": "Mallory"})
        assert forged.status_code == 403
        assert (await desk.get("/admin/personen/9999")).status_code == 404
    async with app.uow() as uow:
        assert "Mallory" not in {p.display_name for p in await uow.persons.list()}


async def test_the_office_corrects_a_municipality_and_a_person(app):
    app.settings = app.settings.model_copy(update={"telegram_bot_username": "engagiert_bot"})
    auen = await factories.member(app, "Stadt Auenburg")
    await factories.member(app, "Kreis Bergen")
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    eva = await factories.person(app, "Eva Engagiert", member=auen)
    async with await signed_in(app, olga) as desk:
        page = await desk.get(f"/admin/kommunen/{auen.id}")
        assert "Eva Engagiert" in page.text and page.status_code == 200
        token = csrf(page.text)
        form = {"csrf": token, "name": "Stadt Auenburg", "kind": "stadt", "key": "", "joined": ""}
        taken = await desk.post(f"/admin/kommunen/{auen.id}", data={**form, "name": "Kreis Bergen"})
        assert taken.status_code == 422 and 'id="name-fehler"' in taken.text
        assert 'value="Kreis Bergen"' in taken.text  # what was typed stays
        bad_day = await desk.post(f"/admin/kommunen/{auen.id}", data={**form, "joined": "1.3."})
        assert bad_day.status_code == 422 and 'id="joined-fehler"' in bad_day.text
        fixed = {**form, "name": "Stadt  Auenburg-Nord", "kind": "kreisfreie_stadt"}
        saved = await desk.post(f"/admin/kommunen/{auen.id}", data=fixed)
        assert saved.status_code == 303 and "gespeichert" in saved.headers["location"]
        listed = text_of((await desk.get("/admin/kommunen")).text)
        assert "Stadt Auenburg-Nord Kreisfreie Stadt" in listed

        invited = await desk.post(f"/admin/kommunen/{auen.id}/einladung", data={"csrf": token})
        assert "Einladung für Stadt Auenburg-Nord" in invited.text
        code = re.search(r"<code>([A-Z0-9]{10})</code>", invited.text)[1]
        assert f"start=m_{code}" in invited.text and 'aria-label="QR-Code"' in invited.text

        person = {"csrf": token, "name": "Eva Engagiert", "member": str(auen.id), "topics": ""}
        given = await desk.post(
            f"/admin/personen/{eva.id}",
            data={**person, "roles": ["supporter", "speaker"], "topics": "Ehrenamtskarte; ,Recht"},
        )
        assert given.status_code == 303
        async with app.uow() as uow:
            stored = await uow.persons.get(eva.id)
        assert stored.roles == {Role.SUPPORTER, Role.SPEAKER, Role.MEMBER}
        assert stored.supporter_topics == ("Ehrenamtskarte", "Recht")
        moved = await desk.post(f"/admin/personen/{eva.id}", data={**person, "member": ""})
        assert moved.status_code == 303
        async with app.uow() as uow:
            stored = await uow.persons.get(eva.id)
        assert stored.member_id is None and stored.roles == frozenset()
        long = await desk.post(f"/admin/personen/{eva.id}", data={**person, "topics": "x" * 101})
        assert long.status_code == 422 and 'id="topics-fehler"' in long.text
        own = {"csrf": token, "name": "Olga Office", "member": "", "roles": "speaker"}
        refused = await desk.post(f"/admin/personen/{olga.id}", data=own)
        assert refused.status_code == 422 and 'id="roles-fehler"' in refused.text
        assert "nicht selbst nehmen" in refused.text
    async with app.uow() as uow:
        assert (await uow.persons.get(olga.id)).roles == {Role.ORGANIZER}
    # Someone joins with the municipality's code from a chat account.
    start = IncomingMessage(
        Platform.TELEGRAM, "5151", f"/start m_{code}", "Rolf Rat", chat_id="5151", message_id="1"
    )
    [welcome] = await app.router.handle(start)
    assert "Stadt Auenburg-Nord" in welcome.text


async def test_a_municipality_entry_is_checked_as_the_state_keeps_them(app):
    """The official key is NRW's (05…) and one municipality's only; a date of joining is a
    date that has been, typed German or ISO; the name is unique in any case."""
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, olga) as desk:
        page = await desk.get("/admin/kommunen")
        today = app.clock.now().astimezone(app.settings.tz).date().isoformat()
        assert f'value="{today}"' in page.text  # a new member joins today unless told
        form = {"csrf": csrf(page.text), "kind": "stadt", "joined": ""}
        first = {**form, "name": "Stadt Auenburg", "key": "05999123"}
        assert (await desk.post("/admin/kommunen", data=first)).status_code == 303
        for field, bad in (
            ("key", {"name": "Stadt Bergen", "key": "05 999 123"}),  # Auenburg's key
            ("key", {"name": "Stadt Bergen", "key": "12345678"}),  # not in NRW
            ("name", {"name": "stadt auenburg"}),
            ("joined", {"name": "Stadt Bergen", "joined": "2099-01-01"}),
            ("joined", {"name": "Stadt Bergen", "joined": "1.1.1066"}),
        ):
            refused = await desk.post("/admin/kommunen", data={**form, **bad})
            assert refused.status_code == 422, bad
            assert f'id="{field}-fehler"' in refused.text, bad
        typed = {**form, "name": "Stadt Aue", "joined": "01.03.2025"}  # a part of Auenburg
        assert (await desk.post("/admin/kommunen", data=typed)).status_code == 303
    async with app.uow() as uow:
        members = {m.name: m for m in await uow.members.list()}
    assert set(members) == {"Stadt Auenburg", "Stadt Aue"}
    assert members["Stadt Aue"].joined_on.isoformat() == "2025-03-01"
