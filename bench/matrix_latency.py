"""Latency of a Matrix command through Synapse: our whole stack next to a plain echo bot.

    PYTHONPATH=. python bench/matrix_latency.py [--rounds 200] [--command '!termine']

Starts a throwaway Synapse (fast profile), then one human talks to two bots in two rooms,
alternating: ``MatrixTransport`` (router, SQLite, outbox) answering ``--command``, and a
minimal matrix-nio echo bot without a database. Each sample is the time from the human's send
to the reply showing up in the human's sync. Prints p50/p99 and the ratio of the two.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from nio import AsyncClient, MatrixRoom, RoomCreateResponse, RoomMessageText, SyncResponse

from bot.adapters.matrix import MatrixTransport
from bot.app import build
from bot.settings import Settings
from core.domain.events import Event, EventKind
from core.events import create_event
from tests.support.synapse import RegisteredUser, SynapseServer

WARMUP = 10
FILTER = {"room": {"timeline": {"limit": 100}}}


class EchoBot:
    """The baseline: answer every text with an ``m.notice`` reply, nothing stored."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        client.add_event_callback(self._echo, RoomMessageText)

    async def _echo(self, room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender == self.client.user_id:
            return
        content = {
            "msgtype": "m.notice",
            "body": event.body,
            "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}},
        }
        await self.client.room_send(room.room_id, "m.room.message", content)

    async def run(self) -> None:
        await self.client.sync(timeout=0, sync_filter=FILTER)  # skip what came before
        while True:
            response = await self.client.sync(timeout=30_000, sync_filter=FILTER)
            if isinstance(response, SyncResponse):
                for room_id in response.rooms.invite:
                    await self.client.join(room_id)


class Human:
    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.replied: set[str] = set()
        self.invites: set[str] = set()

    async def room_with(self, bot_id: str) -> str:
        created = await self.client.room_create(invite=[bot_id])
        assert isinstance(created, RoomCreateResponse), created
        await self._sync_until(lambda: self._bot_joined(created.room_id, bot_id))
        return created.room_id

    def _bot_joined(self, room_id: str, bot_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return room is not None and bot_id in room.users and not room.users[bot_id].invited

    async def round_trip(self, room_id: str, text: str) -> float:
        """Seconds from sending ``text`` to seeing the reply to it."""
        start = time.perf_counter()
        sent = await self.client.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": text}
        )
        await self._sync_until(lambda: sent.event_id in self.replied)
        return time.perf_counter() - start

    async def _sync_until(self, done: Any, timeout: float = 30) -> None:
        async with asyncio.timeout(timeout):
            while not done():
                response = await self.client.sync(timeout=30_000, sync_filter=FILTER)
                assert isinstance(response, SyncResponse), response
                for info in response.rooms.join.values():
                    for event in info.timeline.events:
                        relation = event.source.get("content", {}).get("m.relates_to") or {}
                        if reply_to := relation.get("m.in_reply_to", {}).get("event_id"):
                            self.replied.add(reply_to)


@contextlib.asynccontextmanager
async def our_bot(hs: SynapseServer, user: RegisteredUser, data_dir: Path) -> AsyncIterator[None]:
    settings = Settings(
        data_dir=data_dir,
        matrix_homeserver=hs.url,
        matrix_user_id=user.user_id,
        matrix_password=user.password,
    )
    app = await build(settings)
    starts = app.clock.now() + timedelta(days=14)
    await create_event(
        app.uow(),
        actor_id=None,
        event=Event(
            kind=EventKind.NETZWERKTREFFEN,
            title="Netzwerktreffen Köln",
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            capacity=60,
        ),
    )
    transport = MatrixTransport(app)
    await transport.start()
    try:
        yield
    finally:
        await transport.stop()
        await app.close()


def percentile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1] * 1000


async def measure(hs: SynapseServer, rounds: int, command: str) -> dict[str, list[float]]:
    ours, echo, person = (hs.register_user(name) for name in ("engagiert", "echo", "miriam"))
    for user in (ours, echo, person):
        hs.override_ratelimit(user.user_id)
    echo_bot = EchoBot(await hs.client_for(echo))
    human = Human(await hs.client_for(person))
    with tempfile.TemporaryDirectory(prefix="matrix-bench-") as tmp:
        async with our_bot(hs, ours, Path(tmp)):
            echo_task = asyncio.create_task(echo_bot.run())
            rooms = {
                "engagiert-bot": await human.room_with(ours.user_id),
                "nio echo bot": await human.room_with(echo.user_id),
            }
            samples: dict[str, list[float]] = {name: [] for name in rooms}
            for n in range(WARMUP + rounds):
                for name, room_id in rooms.items():
                    seconds = await human.round_trip(room_id, command)
                    if n >= WARMUP:
                        samples[name].append(seconds)
            echo_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await echo_task
    await echo_bot.client.close()
    await human.client.close()
    return samples


def table(samples: dict[str, list[float]], command: str) -> str:
    rows = [f"command {command!r}, {len(next(iter(samples.values())))} rounds each, alternating"]
    rows.append(f"{'bot':<16}{'p50 ms':>10}{'p99 ms':>10}")
    for name, values in samples.items():
        rows.append(f"{name:<16}{percentile(values, 50):>10.1f}{percentile(values, 99):>10.1f}")
    ours, echo = samples["engagiert-bot"], samples["nio echo bot"]
    rows.append(
        f"{'ratio':<16}{percentile(ours, 50) / percentile(echo, 50):>10.2f}"
        f"{percentile(ours, 99) / percentile(echo, 99):>10.2f}"
    )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--command", default="!termine")
    args = parser.parse_args()
    with SynapseServer("fast") as hs:
        samples = asyncio.run(measure(hs, args.rounds, args.command))
    print(table(samples, args.command))


if __name__ == "__main__":
    main()
