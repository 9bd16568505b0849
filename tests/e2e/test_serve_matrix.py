"""The whole service as a process: ``engagiert-bot serve`` with the Matrix settings against a
real Synapse; a human invites the bot, asks for the events and signs up."""

from __future__ import annotations

import asyncio
import secrets
import signal

import httpx

from tests.integration.test_matrix_adapter import humans
from tests.support.process import clean_env, cli, free_port, serve
from tests.support.synapse import SynapseServer

__all__ = ["humans"]


async def until_healthy(port: int, server: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as client, asyncio.timeout(30):
        while True:  # waiting for a process to come up, bounded
            assert server.returncode is None, "serve exited early"
            try:
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                await asyncio.sleep(0.1)


async def test_a_human_invites_the_bot_and_signs_up(synapse: SynapseServer, humans, tmp_path):
    bot = synapse.register_user(f"engagiert-{secrets.token_hex(3)}")
    human = await humans(bot)
    port = free_port()
    env = clean_env(
        tmp_path / "data",
        ENGAGIERT_HTTP_PORT=str(port),
        ENGAGIERT_MATRIX_HOMESERVER=synapse.url,
        ENGAGIERT_MATRIX_USER_ID=bot.user_id,
        ENGAGIERT_MATRIX_PASSWORD=bot.password,
    )
    event_id = await cli(
        env,
        "event",
        "add",
        "--title",
        "3. Netzwerktreffen",
        "--kind",
        "netzwerktreffen",
        "--start",
        "2099-12-03T14:00",
        "--capacity",
        "60",
        "--place",
        "Köln",
    )
    # The office creates the person with a role and a personal invitation.
    person_id = await cli(env, "person", "add", "--name", "Olga Office", "--role", "organizer")
    code = await cli(env, "invite", "--person", person_id)
    server = await serve(env)
    try:
        await until_healthy(port, server)
        room = await human.create_room(bot.user_id)
        greeting = (await human.wait(lambda: human.notices(room)))[0]
        assert "!termine" in greeting.body
        linked = await human.command(room, f"!start p_{code}")
        assert "Willkommen, Olga Office!" in linked.body and "Netzwerkbüro" in linked.body
        events = await human.command(room, "!termine")
        assert "3. Netzwerktreffen" in events.body
        assert "<b>" in events.source["content"]["formatted_body"]
        signed_up = await human.command(room, f"!anmelden {event_id}")
        assert "Sie sind angemeldet für 3. Netzwerktreffen" in signed_up.body
        attendees = await human.command(room, f"!teilnehmende {event_id}")
        assert "Olga Office" in attendees.body
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(server.communicate(), 30)
    assert server.returncode == 0, output.decode()
    assert "Traceback" not in output.decode()
