"""A day of the network office on the web desk, in a real browser (Debian's Chromium through
Playwright, axe-core on every page), with a member on Telegram (the Bot API stand-in and
the real transport): sign in with the link the bot sent, add a municipality and a person
with a role, invite her (she redeems the code in Telegram), create an event (she signs up),
move it (she is told; her calendar file has SEQUENCE:1), export the attendees as CSV and
XLSX, write and correct a knowledge-base entry (she finds it with /faq), and announce
after the preview (she receives it).

With ``ENGAGIERT_SCREENSHOTS=DIR`` the main pages are saved there as PNG files (the README's
screenshots come from this run)."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.adapters.telegram import TelegramTransport
from bot.app import build
from bot.settings import Settings
from bot.web import create_web_app
from core.accounts import create_personal_invitation
from core.domain.people import Role
from tests.conftest import FakeClock
from tests.support import factories
from tests.support.axe import serious_violations
from tests.support.notices import scheduler_for
from tests.support.telegram_rig import FAST
from tests.support.web_server import serving

CHROMIUM = shutil.which("chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
OLGA = {"id": 701, "first_name": "Olga", "language_code": "de"}
ANNA = {"id": 702, "first_name": "Anna", "language_code": "de"}
LOCAL = "%Y-%m-%dT%H:%M"

playwright = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


async def test_a_day_of_the_office(telegram_api_factory, sqlite_database, tmp_path):
    api = await telegram_api_factory(global_limit=100)
    clock = FakeClock(datetime.now(UTC).replace(second=0, microsecond=0))
    settings = Settings(
        data_dir=tmp_path,
        telegram_token=api.token,
        telegram_api_url=api.base_url,
        telegram_bot_username="engagiert_bot",
    )
    app = await build(settings, database=sqlite_database, clock=clock, migrate=False)
    scheduler = scheduler_for(app, app.notifier)
    transport = TelegramTransport(app, limits=FAST, poll_timeout=1)
    await transport.start()
    tz = app.settings.tz

    async def telegram(user: dict, text: str, replies: int = 1, method: str = "sendMessage"):
        """What the bot answers ``user`` in Telegram to ``text`` (the newest replies)."""
        before = len(api.sent_to(user["id"], method))
        api.inject_message(user["id"], user, text)
        calls = await api.wait_for_sent(user["id"], before + replies, method=method)
        return calls[before:]

    async def told(user: dict, words: str) -> str:
        """The next message to ``user`` that holds ``words``, after the notices went out."""
        await scheduler.round()
        return await api.wait_for(
            lambda: next((t for t in api.texts_to(user["id"]) if words in t), None)
        )

    # The office's person links her Telegram account and asks for the desk.
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    code = (
        await create_personal_invitation(
            app.uow(), actor_id=None, person_ref=str(olga.id), now=clock.now()
        )
    ).code
    await telegram(OLGA, f"/start p_{code}")
    [link_message] = await telegram(OLGA, "/webzugang")
    link = re.search(r"(/admin/anmelden/[\w-]+)", link_message.params["text"])[1]

    shots = os.environ.get("ENGAGIERT_SCREENSHOTS")
    try:
        async with (
            serving(create_web_app(app)) as base,
            playwright.async_playwright() as pw,
        ):
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = await browser.new_context(
                bypass_csp=True, locale="de-DE", viewport={"width": 1280, "height": 900}
            )
            page = await context.new_page()
            visited: dict[str, list[str]] = {}

            async def check(name: str, shot: str = "") -> None:
                visited[name] = await serious_violations(page)
                if shots and shot:
                    Path(shots).mkdir(parents=True, exist_ok=True)
                    await page.screenshot(path=str(Path(shots) / f"{shot}.png"), full_page=True)

            main = page.locator("main")
            await page.goto(base + link)
            await check("Anmelden")
            await page.get_by_role("button", name="Jetzt anmelden").click()
            await page.wait_for_url(f"{base}/admin")
            await check("Übersicht")

            # A municipality, and a person of it with a role, invited to Telegram.
            await page.get_by_role("link", name="Kommunen").click()
            await page.get_by_label("Name").fill("Stadt Auenburg")
            await page.get_by_label("Art").select_option(label="Stadt")
            await page.get_by_label("Amtlicher Gemeindeschlüssel").fill("05999123")
            await page.get_by_role("button", name="Eintragen").click()
            assert "Stadt Auenburg" in await page.locator("table").inner_text()
            await check("Kommunen", "kommunen")
            await page.get_by_role("link", name="Personen", exact=True).click()
            await page.get_by_label("Name").fill("Anna Amt")
            await page.get_by_label("Kommune").select_option(label="Stadt Auenburg")
            await page.get_by_label("Aufgabe im Netzwerk").select_option(label="Unterstützung")
            await page.get_by_role("button", name="Eintragen").click()
            assert await page.locator("h1").inner_text() == "Anna Amt"
            await check("Person", "person")
            await page.get_by_role("button", name="Persönliche Einladung erzeugen").click()
            assert await page.get_by_role("img", name="QR-Code").count() == 1
            await check("Einladung", "einladung")
            anna_code = await page.locator("code").first.inner_text()
            [welcome] = await telegram(ANNA, f"/start p_{anna_code}")
            assert "Anna Amt" in welcome.params["text"]

            # A new event from the form, a mistake first; Anna signs up in Telegram.
            await page.get_by_role("link", name="Übersicht").click()
            await page.get_by_role("link", name="Neue Veranstaltung anlegen").click()
            await page.get_by_label("Titel").fill("Kurzformat Ehrenamtskarte")
            await page.get_by_role("button", name="Anlegen").click()
            assert "Bitte geben Sie Datum und Uhrzeit" in await main.inner_text()
            await check("Neue Veranstaltung mit Fehler")
            starts = (clock.now() + timedelta(days=10)).astimezone(tz).replace(hour=14, minute=0)
            await page.get_by_label("Beginn").fill(starts.strftime(LOCAL))
            await page.get_by_label("Plätze").fill("25")
            await page.get_by_label("Ort").fill("Rathaus Auenburg")
            await check("Neue Veranstaltung", "veranstaltung-neu")
            await page.get_by_role("button", name="Anlegen").click()
            assert await page.locator("h1").inner_text() == "Kurzformat Ehrenamtskarte"
            event_id = int(page.url.rsplit("/", 1)[1])
            [signed_up] = await telegram(ANNA, f"/anmelden {event_id}")
            assert "angemeldet" in signed_up.params["text"]
            await page.reload()
            assert "Stadt Auenburg (1)" in await main.inner_text()
            await check("Veranstaltung", "veranstaltung")

            # Moved by a day to another place: Anna is told, her calendar file updates.
            await page.get_by_role("link", name="Bearbeiten oder verschieben").click()
            await page.get_by_label("Beginn").fill((starts + timedelta(days=1)).strftime(LOCAL))
            await page.get_by_label("Ort").fill("Kreishaus Bergen, Saal 2")
            await check("Bearbeiten", "veranstaltung-bearbeiten")
            await page.get_by_role("button", name="Speichern").click()
            assert "Kreishaus Bergen" in await main.inner_text()
            assert "Änderung bei" in await told(ANNA, "Kurzformat Ehrenamtskarte</b>: Die")
            [calendar] = await telegram(ANNA, f"/kalender {event_id}", method="sendDocument")
            ics = calendar.params["document"].content
            assert b"SEQUENCE:1" in ics and b"Kreishaus Bergen" in ics

            # The sign-in sheet as CSV and XLSX, as the browser downloads them.
            async with page.expect_download() as csv_download:
                await page.get_by_role("link", name="CSV (Excel)").click()
            text = Path(await (await csv_download.value).path()).read_bytes().decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text), delimiter=";"))
            assert rows[1][1:4] == ["Anna Amt", "Stadt Auenburg", "angemeldet"]
            async with page.expect_download() as xlsx_download:
                await page.get_by_role("link", name="XLSX").click()
            saved = Path(await (await xlsx_download.value).path())
            sheet = load_workbook(io.BytesIO(saved.read_bytes())).active
            assert sheet["B3"].value == "Anna Amt"

            # A knowledge-base entry, previewed, saved, corrected; Anna finds it.
            await page.get_by_role("link", name="Wissen").click()
            await check("Wissen", "wissen")
            await page.get_by_role("link", name="Neuer Eintrag").click()
            await page.get_by_label("Kennung").fill("ehrenamtskarte-beantragen")
            await page.get_by_label("Frage", exact=True).fill(
                "Wie beantragt man die Ehrenamtskarte?"
            )
            await page.get_by_label("Antwort").fill("Die **Ehrenamtskarte** gibt das Bürgerbüro.")
            await page.get_by_role("button", name="Vorschau").click()
            bold = page.locator(".preview b", has_text=re.compile("^Ehrenamtskarte$"))
            assert await bold.count() == 1
            await check("Wissen Vorschau", "wissen-eintrag")
            await page.get_by_role("button", name="Speichern").click()
            assert "Gespeichert" in await main.inner_text()
            await page.get_by_label("Antwort").fill(
                "Die **Ehrenamtskarte** gibt das Bürgerbüro im Rathaus, Zimmer 12."
            )
            await page.get_by_role("button", name="Speichern").click()
            [answer] = await telegram(ANNA, "/faq Ehrenamtskarte beantragen")
            assert "Zimmer 12" in answer.params["text"]

            # An announcement, sent after its preview; Anna receives it.
            await page.get_by_role("link", name="Ankündigungen").click()
            await page.get_by_label("Text der Ankündigung").fill(
                "Neu: das Kurzformat zur Ehrenamtskarte – jetzt anmelden!"
            )
            await page.get_by_role("button", name="Vorschau").click()
            assert "geht an 1 Person" in await main.inner_text()
            await check("Ankündigung Vorschau", "ankuendigung-vorschau")
            await page.get_by_role("button", name="Jetzt senden").click()
            assert "jetzt anmelden!" in await told(ANNA, "Ehrenamtskarte – jetzt")

            for name, path, shot in (
                ("Teilnahme", "/admin/teilnahme", "teilnahme"),
                ("Umfragen", "/admin/umfragen", ""),
                ("Protokoll", "/admin/protokoll", "protokoll"),
            ):
                await page.goto(base + path)
                await check(name, shot)
            assert "Veranstaltung geändert" in await main.inner_text()
            await browser.close()
    finally:
        await transport.stop()
    assert visited == {name: [] for name in visited}, visited
