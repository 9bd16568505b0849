"""The live results page in a real browser: headless Chromium (Debian's ``chromium``)."""

from __future__ import annotations

import shutil

import pytest

from bot.web import create_web_app
from core.domain.people import Role
from core.polls import cast_vote, start_poll
from tests.support import factories
from tests.support.web_server import serving

CHROMIUM = shutil.which("chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


async def test_the_page_shows_bars_and_follows_a_vote(app):
    sara = await factories.person(app, "Sara", roles={Role.SPEAKER})
    anna, bernd = await factories.person(app, "Anna"), await factories.person(app, "Bernd")
    poll = await start_poll(
        app.uow(),
        actor_id=sara.id,
        question="Wie soll das nächste Treffen stattfinden?",
        options=["In Präsenz", "Online"],
        now=app.clock.now(),
    )
    await cast_vote(app.uow(), poll_id=poll.id, person_id=anna.id, choices=[0], now=app.clock.now())
    async with (
        serving(create_web_app(app)) as base,
        playwright.async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1600, "height": 900})
            await page.goto(f"{base}/live/poll/{poll.token}")
            assert await page.locator("h1").inner_text() == poll.question
            bars = page.locator("#bars svg .option")
            assert await bars.count() == 2
            assert (
                await page.locator('#bars .option[data-index="0"]').get_attribute("data-count")
                == "1"
            )
            width = await page.locator('#bars .option[data-index="0"] .fill').bounding_box()
            assert width["width"] > 500  # a large bar: 100 % of the row on a wide screen
            assert await page.locator("aside svg").count() == 1  # the QR code

            await cast_vote(
                app.uow(), poll_id=poll.id, person_id=bernd.id, choices=[1], now=app.clock.now()
            )
            online = page.locator('#bars .option[data-index="1"]')
            await online.locator("text=50 % (1)").wait_for(timeout=3000)
            assert await page.locator("#status").get_attribute("data-participants") == "2"
            assert "50 % (1)" in await page.locator('#bars .option[data-index="0"]').text_content()
        finally:
            await browser.close()
