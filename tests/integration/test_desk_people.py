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
        assert "Stadt Auenburg (neu)" in listed.text and "05999123" in listed.text
        bad = await desk.post(
            "/admin/kommunen", data={"csrf": token, "name": "Stadt X", "kind": "stadt", "key": "12"}
        )
        assert bad.status_code == 422 and "Gemeindeschlüssel" in bad.text
        twice = await desk.post(
            "/admin/kommunen", data={"csrf": token, "name": "Stadt Auenburg", "kind": "stadt"}
        )
        assert twice.status_code == 422

        persons = await desk.get("/admin/personen")
        member = re.search(r'<option value="(\d+)">Stadt Auenburg', persons.text)[1]
        created = await desk.post(
            "/admin/personen",
            data={"csrf": token, "name": "Eva Engagiert", "member": member, "role": "speaker"},
        )
        assert created.status_code == 303
        person_page = await desk.get(created.headers["location"])
        assert "Sprecher/in" in person_page.text and "Mitglied" in person_page.text
        assert "noch keines verbunden" in person_page.text
        odd = await desk.post(
            "/admin/personen", data={"csrf": token, "name": "Max", "role": "admin"}
        )
        assert odd.status_code == 422 and "Diese Aufgabe gibt es nicht" in odd.text

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
