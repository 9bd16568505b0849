"""The pages behind the links in mails in a real browser (Debian's Chromium through
Playwright), each checked with axe-core: confirm an address, sign up for an event, see the
withdrawal and the unsubscribe pages."""

from __future__ import annotations

import shutil

import pytest

from bot.mail_compose import link_key
from bot.web import create_web_app
from core.domain.registrations import RegistrationStatus
from core.mail import request_address, sign_link
from tests.support import factories
from tests.support.axe import serious_violations
from tests.support.web_server import serving

CHROMIUM = shutil.which("chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]

playwright = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


async def test_confirm_an_address_and_sign_up_from_a_mail(app, notifier):
    anna = await factories.person(app, "Anna Amt")
    now = app.clock.now()
    await request_address(
        app.uow(), actor_id=None, person_id=anna.id, address="anna@kreis-beispiel.de", now=now
    )
    [confirm] = [n.params["token"] for n in notifier.sent if n.key == "email_confirm"]
    event = await factories.event(app, title="Netzwerktreffen Köln", capacity=20)
    key = link_key(app.database.pepper)
    signup = sign_link(key, "anmelden", (anna.id, event.id), event.ends_at)
    unsubscribe = sign_link(key, "abbestellen", (anna.id,), None)
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

            await page.goto(f"{base}/e/bestaetigen/{confirm}")
            await check("Bestätigen")
            await page.get_by_role("button", name="Adresse bestätigen").click()
            await playwright.expect(page.locator("h1")).to_have_text("Adresse bestätigt")
            assert "anna@kreis-beispiel.de ist bestätigt" in await page.locator("main").inner_text()
            await check("Bestätigt")

            await page.goto(f"{base}/e/anmelden/{signup}")
            assert "20 von 20 frei" in await page.locator("main").inner_text()
            await check("Anmelden")
            await page.get_by_role("button", name="Verbindlich anmelden").click()
            await playwright.expect(page.locator("h1")).to_have_text("Angemeldet")
            assert "verbindlich angemeldet" in await page.locator("main").inner_text()
            await check("Angemeldet")
            await page.get_by_role("link", name="Zur Abmeldung").click()
            await playwright.expect(page.locator("h1")).to_have_text(
                "Abmelden: Netzwerktreffen Köln"
            )
            await check("Abmelden")
            await page.goto(f"{base}/e/abbestellen/{unsubscribe}")  # two buttons, no click
            await check("Abbestellen")
        finally:
            await browser.close()
    assert visited == {name: [] for name in visited}, visited
    async with app.uow() as uow:
        [view] = await uow.registrations.for_person(anna.id, active_only=True)
    assert view.registration.status is RegistrationStatus.CONFIRMED
