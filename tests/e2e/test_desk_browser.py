"""The web desk in a real browser (Debian's Chromium through Playwright), checked with
axe-core on every page: sign in with the link from the chat, see the events, open one,
change it (a mistake first), send an announcement after its preview, see municipalities
and persons and invite one, sign out."""

from __future__ import annotations

import re
import shutil

import pytest
from pydantic import SecretStr

from bot.notifications import NotificationHub
from bot.web import create_web_app
from core.domain.people import Role
from core.domain.questions import QuestionKind
from core.kb import answer_question, ask, forward_question, import_entries
from core.mail import confirm_address, mark_undeliverable, request_address
from core.polls import cast_vote, start_poll
from core.questions import add_question
from core.signup import sign_up
from tests.integration.test_desk_knowledge import KNOWN
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
            await page.goto(base + link)  # the link again: used up, said before any button
            assert "schon benutzt" in await page.locator("main").inner_text()
            assert await page.get_by_role("button", name="Jetzt anmelden").count() == 0
            await check("Link benutzt")
            await page.goto(f"{base}/admin")
            assert "Bitte melden Sie sich an" in await page.locator("h1").inner_text()
            await check("Nicht angemeldet")
        finally:
            await browser.close()
    assert visited == {name: [] for name in visited}, visited


async def test_every_other_page_passes_axe_with_data_in_it(app):
    """The pages the office's day does not pass through, each filled as in use."""
    app.settings.smtp_url = SecretStr("smtp://127.0.0.1:2525")
    app.settings.mail_from = "Netzwerk <n@example.org>"
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    sam = await factories.person(app, "Sam Support", roles={Role.SUPPORTER})
    auen = await factories.member(app, "Stadt Auenburg")
    anna = await factories.person(app, "Anna Amt", member=auen)
    bea = await factories.person(app, "Bea Bürgerschaft", member=auen)
    now = app.clock.now()
    event = await factories.event(app, title="Netzwerktreffen Herbst", capacity=1)
    await add_question(
        app.uow(),
        actor_id=None,
        event_id=event.id,
        kind=QuestionKind.YES_NO,
        prompt="Nehmen Sie am Mittagessen teil?",
        now=now,
    )
    for person in (anna, bea):
        await sign_up(app.uow(), event_id=event.id, person_id=person.id, now=now)
    poll = await start_poll(
        app.uow(), actor_id=olga.id, question="Wie weiter?", options=["Ja", "Nein"], now=now
    )
    await cast_vote(app.uow(), poll_id=poll.id, person_id=anna.id, choices=[0], now=now)
    await import_entries(app.uow(), app.faq, [KNOWN], replace_all=False, now=now)
    await ask(app.uow(), app.faq, query="Parkplätze am Tagungsort?", now=now)
    await forward_question(app.uow(), app.faq, person_id=anna.id, text="Gilt sie im Zoo?", now=now)
    done = await forward_question(
        app.uow(), app.faq, person_id=anna.id, text="Gilt sie in Bussen?", now=now
    )
    await answer_question(
        app.uow(), actor_id=sam.id, question_id=done.question.id, text="Nein.", now=now
    )
    # E-mail: Anna's address confirmed and a new one waiting, Bea's refused by the server.
    for person, address in ((anna, "anna@auenburg.de"), (bea, "bea@auenburg.de")):
        await request_address(
            app.uow(), actor_id=None, person_id=person.id, address=address, now=now
        )
        token = app.notifier.sent[-1].params["token"]
        await confirm_address(app.uow(), token=token, now=now)
    await request_address(
        app.uow(), actor_id=None, person_id=anna.id, address="anna@kreis.de", now=now
    )
    await mark_undeliverable(app.uow(), address="bea@auenburg.de", problem="550 unknown", now=now)
    link = re.search(r"(/admin/anmelden/\S+)", await say_text(app, olga, "/webzugang"))[1]
    paths = [
        "/admin/veranstaltungen/vergangen",
        f"/admin/veranstaltungen/{event.id}",
        f"/admin/veranstaltungen/{event.id}/erinnerungen",
        f"/admin/veranstaltungen/{event.id}/anwesenheit",
        f"/admin/veranstaltungen/{event.id}/bearbeiten",
        f"/admin/veranstaltungen/{event.id}/absagen",
        f"/admin/veranstaltungen/{event.id}/teilnehmende/{anna.id}/entfernen",
        "/admin/kommunen",
        f"/admin/kommunen/{auen.id}",
        "/admin/personen",
        f"/admin/personen/{bea.id}",
        f"/admin/personen/{anna.id}/email/loeschen",
        "/admin/email",
        "/admin/ankuendigungen",
        "/admin/umfragen",
        f"/admin/umfragen/{poll.id}",
        "/admin/teilnahme",
        "/admin/wissen",
        "/admin/wissen?suche=Ehrenamtskarte",
        f"/admin/wissen/eintrag/{KNOWN.id}",
        f"/admin/wissen/eintrag/{KNOWN.id}/loeschen",
        "/admin/wissen/themen",
        "/admin/wissen/fragen",
        "/admin/wissen/luecken",
        "/admin/gibt-es-nicht",
    ]
    async with (
        serving(create_web_app(app)) as base,
        playwright.async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await (await browser.new_context(bypass_csp=True, locale="de-DE")).new_page()
            await page.goto(base + link)
            await page.get_by_role("button", name="Jetzt anmelden").click()
            await page.wait_for_url(f"{base}/admin")
            found = {}
            for path in paths:
                await page.goto(base + path)
                found[path] = await serious_violations(page)
            await page.goto(f"{base}/admin/wissen/luecken")
            await page.get_by_role("link", name=re.compile("Als Eintrag anlegen")).first.click()
            assert "Parkplätze" in await page.get_by_label("Frage", exact=True).input_value()
            found["gap as entry"] = await serious_violations(page)
            await page.goto(f"{base}/admin/personen/{anna.id}")
            await page.get_by_label("Neue E-Mail-Adresse").fill("anna-at-kreis.de")
            await page.get_by_role("button", name="Bestätigungslink schicken").click()
            assert "keine gültige" in await page.locator("#email-fehler").inner_text()
            found["person with an e-mail error"] = await serious_violations(page)
        finally:
            await browser.close()
    assert found == {path: [] for path in found}, found
