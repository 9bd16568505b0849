"""The whole service as a process: ``engagiert-bot serve`` against the Telegram stand-in."""

from __future__ import annotations

import asyncio
import signal

from tests.support.process import clean_env, cli, free_port, serve
from tests.support.telegram_api import TelegramApi

ANNA = {"id": 801, "first_name": "Anna"}
BERND = {"id": 802, "first_name": "Bernd"}


async def test_signup_cancel_and_promotion_through_serve(tmp_path):
    async with TelegramApi() as api:
        env = clean_env(
            tmp_path,
            ENGAGIERT_HTTP_PORT=str(free_port()),
            ENGAGIERT_TELEGRAM_TOKEN=api.token,
            ENGAGIERT_TELEGRAM_API_URL=api.base_url,
        )
        event_id = await cli(
            env,
            "event",
            "add",
            "--title",
            "Kurzformat Kultur",
            "--kind",
            "kurzformat",
            "--start",
            "2099-03-03T10:00",
            "--capacity",
            "1",
        )
        server = await serve(env)
        try:
            api.inject_message(ANNA["id"], ANNA, f"/anmelden {event_id}")
            await api.wait_for_sent(ANNA["id"], timeout=30)
            api.inject_message(BERND["id"], BERND, f"/anmelden {event_id}")
            await api.wait_for_sent(BERND["id"], timeout=10)
            api.inject_message(ANNA["id"], ANNA, f"/abmelden {event_id}")
            await api.wait_for_sent(BERND["id"], 2, timeout=10)
            await api.wait_for_sent(ANNA["id"], 2, timeout=10)
        finally:
            server.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(server.communicate(), 30)
        anna, bernd = api.texts_to(ANNA["id"]), api.texts_to(BERND["id"])
        assert "Sie sind angemeldet für <b>Kurzformat Kultur</b>" in anna[0]
        assert "Sie sind von <b>Kurzformat Kultur</b> abgemeldet" in anna[1]
        assert "Platz 1 der Warteliste" in bernd[0]
        assert "ein Platz frei geworden" in bernd[1]
        assert server.returncode == 0, output.decode()
        assert "Traceback" not in output.decode()
