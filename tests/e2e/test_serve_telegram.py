"""The whole service as a process: ``engagiert-bot serve`` against the Telegram stand-in."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
from pathlib import Path

from tests.support.process import clean_env, cli, free_port, serve
from tests.support.telegram_api import TelegramApi

ANNA = {"id": 801, "first_name": "Anna"}
BERND = {"id": 802, "first_name": "Bernd"}
OLGA = {"id": 803, "first_name": "Olga"}


async def invited(env: dict[str, str], name: str, *options: str) -> str:
    """``person add`` and ``invite --person``, as the office does: the deep-link payload."""
    person_id = await cli(env, "person", "add", "--name", name, *options)
    return "p_" + await cli(env, "invite", "--person", person_id)


def telegram_env(tmp_path: Path, api: TelegramApi, **settings: str) -> dict[str, str]:
    """``serve`` on a fresh data directory against the stand-in ``api``."""
    return clean_env(
        tmp_path,
        ENGAGIERT_HTTP_PORT=str(free_port()),
        ENGAGIERT_TELEGRAM_TOKEN=api.token,
        ENGAGIERT_TELEGRAM_API_URL=api.base_url,
        **settings,
    )


async def test_signup_cancel_and_promotion_through_serve(tmp_path):
    """Two members and an organizer of the office join with their personal invitations
    (``/start p_CODE`` from the deep link); the members sign up and cancel, the waiting
    member is promoted, and the organizer sees the attendees in her Telegram chat."""
    async with TelegramApi() as api:
        env = telegram_env(tmp_path, api)
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


async def test_a_restart_after_kill_sends_what_the_killed_process_had_in_hand(tmp_path):
    """``kill -9`` while a reply is being sent (its lease runs two minutes): the restarted
    process takes its own lease back and sends the reply at once."""
    async with TelegramApi() as api:
        env = telegram_env(tmp_path, api, ENGAGIERT_INSTANCE="bot-1")
        code = await invited(env, "Anna Amt")
        server = await serve(env)
        try:
            api.inject_message(ANNA["id"], ANNA, f"/start {code}")
            await api.wait_for_sent(ANNA["id"], timeout=30)
            database = tmp_path / "engagiert.db"
            await asyncio.wait_for(_until(database, "sent_at IS NULL", present=False), 30)
            api.fail_next("sendMessage", delay=20)  # the reply hangs in flight
            api.inject_message(ANNA["id"], ANNA, "/termine")
            await asyncio.wait_for(_until(database, "claimed_by = 'bot-1'"), 30)
        finally:
            server.kill()
            await server.wait()
        server = await serve(env)
        try:
            await api.wait_for_sent(ANNA["id"], 2, timeout=30)
        finally:
            server.send_signal(signal.SIGTERM)
            await asyncio.wait_for(server.communicate(), 30)
        assert "Veranstaltung" in api.texts_to(ANNA["id"])[1]


async def _until(database: Path, condition: str, *, present: bool = True) -> None:
    """Until the outbox holds (or no longer holds) a message meeting ``condition``."""
    query = f"SELECT 1 FROM outbox WHERE {condition}"
    while True:
        with contextlib.closing(sqlite3.connect(database)) as conn:
            if bool(conn.execute(query).fetchone()) is present:
                return
        await asyncio.sleep(0.05)
