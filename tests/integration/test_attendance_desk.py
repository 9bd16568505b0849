"""The desk's check-in list: the office checks people in and out with CSRF-protected forms,
a walk-in by name, the code with its QR code; the coverage view shows who was there."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import sqlalchemy as sa

from core.domain.people import Role
from core.signup import sign_up
from storage.tables import attendance
from tests.support import factories
from tests.support.desk import signed_in


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def present(app) -> set[int]:
    async with app.database.engine.connect() as conn:
        return {r.person_id for r in await conn.execute(sa.select(attendance))}


async def test_check_in_list_buttons_walk_in_undo_and_coverage(any_app, clock):
    any_app.settings.telegram_bot_username = "EngagiertBot"
    auen = await factories.member(any_app, "Stadt Auenburg")
    office = await factories.person(any_app, "Olga Office", roles={Role.ORGANIZER})
    chief = await factories.person(any_app, "Bürgermeisterin", roles={Role.LEADERSHIP})
    event = await factories.event(any_app, title="Netzwerktreffen Köln")
    anna = await factories.person(any_app, "Şahin Öztürk", member=auen)
    guest = await factories.person(any_app, "Walter Walk-in", member=auen)
    await sign_up(any_app.uow(), person_id=anna.id, event_id=event.id, now=clock.now())
    clock.advance(timedelta(days=7, minutes=10))
    page_url = f"/admin/veranstaltungen/{event.id}/anwesenheit"
    async with await signed_in(any_app, office) as web:
        overview = await web.get(f"/admin/veranstaltungen/{event.id}")
        assert page_url in overview.text
        page = await web.get(page_url)
        assert page.status_code == 200
        text = re.sub(r"\s+", " ", page.text)
        assert "Anwesend: 0 · fest angemeldet: 1" in text and "Şahin Öztürk" in text
        assert "https://t.me/EngagiertBot?start=a_" in text and "<svg" in text

        refused = await web.post(f"{page_url}/{anna.id}/eintragen", data={"csrf": "falsch"})
        assert refused.status_code == 403 and await present(any_app) == set()
        token = csrf(page.text)
        done = await web.post(f"{page_url}/{anna.id}/eintragen", data={"csrf": token})
        assert done.status_code == 303
        walk_in = await web.post(f"{page_url}/eintragen", data={"csrf": token, "person": "walk"})
        assert walk_in.status_code == 303
        assert await present(any_app) == {anna.id, guest.id}
        after = re.sub(r"\s+", " ", (await web.get(page_url)).text)
        assert "Anwesend: 2 · fest angemeldet: 1" in after and "Zurücknehmen" in after

        coverage = await web.get(f"/admin/teilnahme?jahr={clock.now().year}")
        assert "(2 anwesend)" in coverage.text
        table = await web.get(f"/admin/teilnahme.csv?jahr={clock.now().year}")
        rows = list(csv.reader(io.StringIO(table.text.lstrip("\ufeff")), delimiter=";"))
        column = rows[0].index(f"Netzwerktreffen Köln ({rows[0][2].split('(')[1]}: anwesend")
        assert rows[1][0] == "Stadt Auenburg" and rows[1][column] == "2"

        undone = await web.post(f"{page_url}/{guest.id}/zuruecknehmen", data={"csrf": token})
        assert undone.status_code == 303 and await present(any_app) == {anna.id}

    async with await signed_in(any_app, chief) as web:  # leadership: no names, no list
        assert (await web.get(page_url)).status_code == 403
