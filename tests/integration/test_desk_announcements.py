"""Announcements on the desk: compose, preview with the number of recipients, confirm once,
and follow the delivery with the reasons for what cannot be delivered."""

from __future__ import annotations

import re

import httpx

from bot.app import build
from bot.desk import COOKIE
from bot.notifications import NotificationHub
from bot.web import create_web_app
from core.domain.people import Role
from tests.support import factories
from tests.support.desk import signed_in


def hidden(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))


async def test_preview_counts_the_recipients_and_sending_twice_sends_once(app):
    auen = await factories.member(app, "Stadt Auenburg")
    berg = await factories.member(app, "Kreis Bergen")
    for name, town in (("Anna", auen), ("Aylin", auen), ("Bernd", berg)):
        await factories.person(app, name, member=town)
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, olga) as desk:
        page = await desk.get("/admin/ankuendigungen")
        assert page.status_code == 200 and "Stadt Auenburg" in page.text
        csrf = hidden(page.text)["csrf"]
        text = "Liebe Kolleginnen und Kollegen, das Netzwerktreffen beginnt um 10 Uhr."
        member = re.search(r'<option value="(member:\d+)">Stadt Auenburg', page.text)[1]
        preview = await desk.post(
            "/admin/ankuendigungen/vorschau",
            data={"csrf": csrf, "audience": member, "text": text},
        )
        assert preview.status_code == 200
        assert "geht an <strong>2 Personen</strong> (Stadt Auenburg)" in preview.text
        form = hidden(preview.text)
        for changed in ({"audience": "all"}, {"text": "Manipuliert"}, {"draft": "A" * 22}):
            refused = await desk.post("/admin/ankuendigungen/senden", data={**form, **changed})
            assert refused.status_code == 400, changed  # only what was previewed is sent
        first = await desk.post("/admin/ankuendigungen/senden", data=form)
        again = await desk.post("/admin/ankuendigungen/senden", data=form)  # a double click
        assert first.status_code == again.status_code == 303
        assert first.headers["location"] == again.headers["location"]
        # Another process (or the desk after a restart) knows the draft too.
        other = await build(
            app.settings,
            database=app.database,
            clock=app.clock,
            notifier=app.notifier,
            migrate=False,
        )
        transport = httpx.ASGITransport(app=create_web_app(other))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as restarted:
            restarted.cookies.set(COOKIE, desk.cookies[COOKIE])  # the same browser
            later = await restarted.post("/admin/ankuendigungen/senden", data=form)
            assert later.status_code == 303, later.text
            assert later.headers["location"] == first.headers["location"]
            without = {k: v for k, v in form.items() if k != "draft"}
            refused = await restarted.post("/admin/ankuendigungen/senden", data=without)
            assert refused.status_code == 400 and "Vorschau" in refused.text
        follow = await desk.get(first.headers["location"])
        assert follow.status_code == 200
        assert "0 von 2 zugestellt – läuft noch." in follow.text
        # Handed to the channels: nobody here has a chat account, and the page says why.
        await NotificationHub(app.uow, app.translator, app.clock).deliver_due()
        done = re.sub(r"\s+", " ", (await desk.get(first.headers["location"])).text)
        assert "0 von 2 zugestellt, 2 nicht zustellbar – fertig." in done
        assert "kein Chat-Konto auf Telegram oder Matrix" in done and "Aylin" in done
        assert 'data-pending="0"' in done  # the live update stops
        state = await desk.get(first.headers["location"] + "/stand")
        assert state.json() == {
            "text": "0 von 2 zugestellt, 2 nicht zustellbar – fertig.",
            "total": 2,
            "delivered": 0,
            "failed": 2,
            "pending": 0,
        }
    async with app.uow() as uow:
        assert len(await uow.announcements.unfinished()) == 1


async def test_a_bad_announcement_shows_what_is_wrong_and_sends_nothing(app):
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    await factories.member(app, "Gemeinde Leer")  # nobody of it is entered
    async with await signed_in(app, olga) as desk:
        page = await desk.get("/admin/ankuendigungen")
        csrf = hidden(page.text)["csrf"]
        member = re.search(r'<option value="(member:\d+)">Gemeinde Leer', page.text)[1]
        empty = await desk.post(
            "/admin/ankuendigungen/vorschau", data={"csrf": csrf, "audience": member, "text": " "}
        )
        assert empty.status_code == 422
        assert "Bitte schreiben Sie den Text" in empty.text
        assert "Damit erreichen Sie niemanden" in empty.text
        odd = await desk.post(
            "/admin/ankuendigungen/vorschau",
            data={"csrf": csrf, "audience": "alle-ausser-mir", "text": "Hallo"},
        )
        assert odd.status_code == 422 and "an wen die Ankündigung geht" in odd.text
        forged = await desk.post(
            "/admin/ankuendigungen/senden",
            data={"audience": "all", "text": "Hallo", "draft": "x"},
        )
        assert forged.status_code == 403
    async with app.uow() as uow:
        assert await uow.announcements.unfinished() == []


async def test_leadership_may_not_announce(app):
    lena = await factories.person(app, "Lena Landrätin", roles={Role.LEADERSHIP})
    async with await signed_in(app, lena) as desk:
        assert (await desk.get("/admin/ankuendigungen")).status_code == 403
