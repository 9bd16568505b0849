"""The whole service as a process: ``engagiert-bot serve`` against the Telegram stand-in."""

from __future__ import annotations

import asyncio
import signal

from tests.support.process import clean_env, cli, free_port, serve
from tests.support.telegram_api import TelegramApi

ANNA = {"id": 801, "first_name": "Anna"}
BERND = {"id": 802, "first_name": "Bernd"}
OLGA = {"id": 803, "first_name": "Olga"}


async def invited(env: dict[str, str], name: str, *options: str) -> str:
    """``person add`` and ``invite --person``, as the office does: the deep-link payload."""
    person_id = await cli(env, "person", "add", "--name", name, *options)
    return "p_" + await cli(env, "invite", "--person", person_id)


async def test_signup_cancel_and_promotion_through_serve(tmp_path):
    """Two members and an organizer of the office join with their personal invitations
    (``/start p_CODE`` from the deep link); the members sign up and cancel, the waiting
    member is promoted, and the organizer sees the attendees in her Telegram chat."""
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
        await cli(env, "member", "add", "--name", "Stadt Auenburg", "--kind", "stadt")
        codes = {
            "anna": await invited(env, "Anna Amt", "--member", "Stadt Auenburg"),
            "bernd": await invited(env, "Bernd Bau", "--member", "Stadt Auenburg"),
            "olga": await invited(env, "Olga Office", "--role", "organizer"),
        }
        server = await serve(env)
        try:
            for user, name in ((ANNA, "anna"), (BERND, "bernd"), (OLGA, "olga")):
                api.inject_message(user["id"], user, f"/start {codes[name]}")
                await api.wait_for_sent(user["id"], timeout=30)
            api.inject_message(ANNA["id"], ANNA, f"/anmelden {event_id}")
            await api.wait_for_sent(ANNA["id"], 2, timeout=10)
            api.inject_message(BERND["id"], BERND, f"/anmelden {event_id}")
            await api.wait_for_sent(BERND["id"], 2, timeout=10)
            api.inject_message(ANNA["id"], ANNA, f"/abmelden {event_id}")
            await api.wait_for_sent(BERND["id"], 3, timeout=10)
            await api.wait_for_sent(ANNA["id"], 3, timeout=10)
            api.inject_message(OLGA["id"], OLGA, f"/teilnehmende {event_id}")
            await api.wait_for_sent(OLGA["id"], 2, timeout=10)
        finally:
            server.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(server.communicate(), 30)
        anna, bernd = api.texts_to(ANNA["id"]), api.texts_to(BERND["id"])
        olga = api.texts_to(OLGA["id"])
        assert "Willkommen, Anna Amt!" in anna[0]
        assert "Willkommen, Olga Office!" in olga[0] and "Netzwerkbüro" in olga[0]
        assert "Sie sind angemeldet für <b>Kurzformat Kultur</b>" in anna[1]
        assert "Sie sind von <b>Kurzformat Kultur</b> abgemeldet" in anna[2]
        assert "Platz 1 der Warteliste" in bernd[1]
        assert "ein Platz frei geworden" in bernd[2]
        assert "Bernd Bau" in olga[1] and "Stadt Auenburg" in olga[1]
        assert server.returncode == 0, output.decode()
        assert "Traceback" not in output.decode()
