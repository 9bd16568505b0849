"""Signing in to the web desk: a one-time link from the private chat, a session cookie with
the right flags, CSRF on every form, and who may come in at all."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from bot.desk import COOKIE
from bot.web import create_web_app
from core.domain.people import Role
from tests.support import factories
from tests.support.chat import say_text

LINK = re.compile(r"https?://\S+/admin/anmelden/(\S+)")


def client(app) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_web_app(app))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def link_for(app, person) -> str:
    """``/webzugang`` in the private chat: the path of the link in the answer."""
    text = await say_text(app, person, "/webzugang")
    match = LINK.search(text)
    assert match, text
    return f"/admin/anmelden/{match[1]}"


async def test_an_organizer_signs_in_once_through_the_chat_link_and_out_again(app):
    await factories.event(app, title="Netzwerktreffen Köln", capacity=40)
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    path = await link_for(app, olga)
    async with client(app) as web:
        shown = await web.get(path)  # a link preview: only a button, nothing used up
        assert shown.status_code == 200 and "Jetzt anmelden" in shown.text
        assert COOKIE not in shown.cookies
        signed = await web.post(path)
        assert signed.status_code == 303 and signed.headers["location"] == "/admin"
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/admin" in cookie
        assert "Secure" not in cookie  # served over http here
        assert "Max-Age=36000" in cookie  # a working day
        home = await web.get("/admin")
        assert home.status_code == 200 and "Netzwerktreffen Köln" in home.text
        assert "0 von 40" in home.text and "Angemeldet: Olga Office" in home.text
        assert "frame-ancestors 'none'" in home.headers["content-security-policy"]
        assert home.headers["referrer-policy"] == "no-referrer"

        again = await web.post(path)  # the link works once
        assert again.status_code == 410 and "schon benutzt" in again.text
        shown_again = await web.get(path)  # the page before the button says so at once
        assert shown_again.status_code == 410 and "Jetzt anmelden" not in shown_again.text

        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', home.text)[1]
        forged = await web.post("/admin/abmelden", data={"csrf": "0" * 64})
        assert forged.status_code == 403
        assert (await web.get("/admin")).status_code == 200  # still signed in
        out = await web.post("/admin/abmelden", data={"csrf": csrf})
        assert out.status_code == 303
    async with client(app) as again:  # the old cookie, kept by someone, opens nothing
        again.cookies.set(COOKIE, signed.cookies[COOKIE])
        after = await again.get("/admin")
        assert after.status_code == 401 and "Sitzung abgelaufen" in after.text


async def test_a_link_older_than_ten_minutes_and_an_old_session_are_refused(app, clock):
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    late = await link_for(app, olga)
    clock.advance(timedelta(minutes=10, seconds=1))
    async with client(app) as web:
        refused = await web.post(late)
        assert refused.status_code == 410 and "abgelaufen" in refused.text
        assert (await web.get(late)).status_code == 410
        assert "/webzugang" in refused.text
        assert (await web.post("/admin/anmelden/erfunden")).status_code == 404
        assert (await web.post(await link_for(app, olga))).status_code == 303
        clock.advance(timedelta(hours=10, seconds=1))
        expired = await web.get("/admin")
        assert expired.status_code == 401 and "/webzugang" in expired.text


@pytest.mark.parametrize("roles", [set(), {Role.SPEAKER}, {Role.SUPPORTER}])
async def test_members_get_no_link(app, roles):
    mia = await factories.person(app, "Mia Mitglied", roles=roles)
    text = await say_text(app, mia, "/webzugang")
    assert "Netzwerkbüro und die Verwaltungsspitzen" in text and "/admin/" not in text


async def test_a_role_taken_away_ends_the_session_at_once(app):
    lena = await factories.person(app, "Lena Landrätin", roles={Role.LEADERSHIP})
    path = await link_for(app, lena)  # leadership may come in (aggregate pages)
    async with client(app) as web:
        assert (await web.post(path)).status_code == 303
        assert (await web.get("/admin")).status_code == 200
        async with app.uow() as uow:
            person = await uow.persons.get(lena.id)
            person.roles = frozenset()
            await uow.persons.update(person)
            await uow.commit()
        gone = await web.get("/admin")
        assert gone.status_code == 403 and "Netzwerkbüro" in gone.text


async def test_unknown_pages_and_no_session_answer_in_german(app):
    async with client(app) as web:
        missing = await web.get("/admin/gibt-es-nicht")
        assert missing.status_code == 404 and "Diese Seite gibt es nicht" in missing.text
        anonymous = await web.get("/admin")
        assert anonymous.status_code == 401 and "Bitte melden Sie sich an" in anonymous.text
        assert '<html lang="de">' in anonymous.text
        assert (await web.post("/admin/abmelden")).status_code == 401
