"""The web desk in a real browser (Debian's Chromium through Playwright), checked with
axe-core on every page: sign in with the link from the chat, see the events, open one,
change it (a mistake first), send an announcement after its preview, see municipalities
and persons and invite one, sign out."""

from __future__ import annotations

import re
import shutil

import pytest

from bot.notifications import NotificationHub
from bot.web import create_web_app
from core.domain.people import Role
from tests.support import factories
from tests.support.axe import serious_violations
from tests.support.chat import say_text
from tests.support.web_server import serving

CHROMIUM = shutil.which("chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]

playwright = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


async def test_sign_in_from_the_chat_see_the_events_and_sign_out(app):
    await factories.event(app, title="Strategieworkshop Engagementförderung", capacity=25)
    app.settings = app.settings.model_copy(update={"telegram_bot_username": "engagiert_bot"})
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    await factories.person(app, "Anna Amt", member=await factories.member(app, "Stadt Auenburg"))
    link = re.search(r"(/admin/anmelden/\S+)", await say_text(app, olga, "/webzugang"))[1]
    async with (
        serving(create_web_app(app)) as base,
        playwright.async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = await browser.new_context(bypass_csp=True, locale="de-DE")
            page = await context.new_page()
            visited: dict[str, list[str]] = {}

            async def check(name: str) -> None:
                visited[name] = await serious_violations(page)

            await page.goto(base + link)
            await check("Anmelden")
            await page.get_by_role("button", name="Jetzt anmelden").click()
            await page.wait_for_url(f"{base}/admin")
            assert await page.locator("h1").inner_text() == "Übersicht"
            row = page.get_by_role("row", name=re.compile("Strategieworkshop"))
            assert "0 von 25" in await row.inner_text()
            await check("Übersicht")
            await page.get_by_role("link", name="Strategieworkshop Engagementförderung").click()
            assert "Angemeldet (0)" in await page.locator("main").inner_text()
            await check("Veranstaltung")
            await page.get_by_role("link", name="Bearbeiten oder verschieben").click()
            await check("Bearbeiten")
            await page.get_by_label("Titel").fill("")
            await page.get_by_role("button", name="Speichern").click()
            error = page.locator("#title-fehler")
            assert await error.inner_text() == "Bitte geben Sie einen Titel an."
            await check("Bearbeiten mit Fehlern")
            await page.get_by_label("Titel").fill("Strategieworkshop 2027")
            await page.get_by_label("Plätze").fill("30")
            await page.get_by_role("button", name="Speichern").click()
            assert await page.locator("h1").inner_text() == "Strategieworkshop 2027"
            await page.get_by_role("link", name="Ankündigungen").click()
            await check("Ankündigung schreiben")
            await page.get_by_label("Text der Ankündigung").fill("Bitte an die Anmeldung denken!")
            await page.get_by_role("button", name="Vorschau").click()
            assert "geht an 1 Person" in await page.locator("main").inner_text()
            await check("Vorschau")
            await page.get_by_role("button", name="Jetzt senden").click()
            status = page.locator("#fortschritt")
            assert await status.inner_text() == "0 von 1 zugestellt – läuft noch."
            await check("Zustellung")
            # Handed to the channels (Anna has no chat account): the line follows by itself.
            await NotificationHub(app.uow, app.translator, app.clock).deliver_due()
            await playwright.expect(status).to_have_text(
                "0 von 1 zugestellt, 1 nicht zustellbar – fertig.", timeout=15_000
            )
            await page.get_by_role("link", name="Kommunen").click()
            assert "Stadt Auenburg" in await page.locator("table").inner_text()
            await check("Kommunen")
            await page.get_by_role("link", name="Personen", exact=True).click()
            await check("Personen")
            await page.get_by_role("link", name="Anna Amt").click()
            await check("Person")
            await page.get_by_role("button", name="Persönliche Einladung erzeugen").click()
            assert await page.get_by_role("img", name="QR-Code").count() == 1
            await check("Einladung")
            await page.get_by_role("link", name="Übersicht").click()
            await page.get_by_role("button", name="Abmelden").click()
            await page.wait_for_url(f"{base}/admin/abgemeldet")
            await check("Abgemeldet")
            await page.goto(base + link)  # the link again: used up
            await page.get_by_role("button", name="Jetzt anmelden").click()
            assert "schon benutzt" in await page.locator("main").inner_text()
            await check("Link benutzt")
            await page.goto(f"{base}/admin")
            assert "Bitte melden Sie sich an" in await page.locator("h1").inner_text()
            await check("Nicht angemeldet")
        finally:
            await browser.close()
    assert visited == {name: [] for name in visited}, visited
