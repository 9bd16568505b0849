"""One account floods the bot; how long do the other members wait for their replies?

    PYTHONPATH=. python bench/flood.py [--flood 200] [--seconds 10] [--members 100]

Against the local Bot API stand-in with Telegram's real limits (30 messages/s overall, about
one per second in a private chat). One account sends ``--flood`` ``/termine`` spread evenly
over ``--seconds``; meanwhile ``--members`` other accounts (linked members, one message
each, at evenly spaced moments of the same window) send ``/termine`` too. Printed: the
members' update → reply latency (p50, p99, max), and what the flooding account got. The row
"guard off" raises the per-account limit out of reach, to show what the guard is for; the
per-chat delivery is the same in both rows.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bot.adapters.telegram import TelegramTransport
from bot.app import build
from bot.flood import FloodGuard
from bot.settings import Settings
from core.domain.people import ChatIdentity, Platform
from core.members import add_person
from storage.database import Database
from storage.tables import outbox
from tests.support.telegram_api import TelegramApi

FLOODER = {"id": 4_000_000, "first_name": "Flut"}


async def run(flood: int, seconds: float, members: int, guard: bool) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        async with TelegramApi(auto_chats=True) as api:
            settings = Settings(
                data_dir=Path(tmp), telegram_token=api.token, telegram_api_url=api.base_url
            )
            app = await build(settings, database=Database(settings.effective_database_url))
            if not guard:
                app.router.flood = FloodGuard(1_000_000, 1)
            users = [{"id": 5_000_000 + i, "first_name": f"M{i}"} for i in range(members)]
            for user in users:
                person = await add_person(
                    app.uow(), display_name=user["first_name"], now=app.clock.now()
                )
                async with app.uow() as uow:
                    await uow.identities.add(
                        ChatIdentity(
                            Platform.TELEGRAM, str(user["id"]), person.id, None, app.clock.now()
                        )
                    )
                    await uow.commit()
            transport = TelegramTransport(app, poll_timeout=10)
            await transport.start()
            try:
                latencies = await _measure(api, flood, seconds, users)
                async with app.database.engine.connect() as conn:
                    rows = await conn.execute(
                        sa.select(outbox.c.payload).where(outbox.c.chat_id == str(FLOODER["id"]))
                    )
                    flooder = [r.payload["reply"]["text"] for r in rows]
            finally:
                await transport.stop()
                await app.close()
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
    notices = sum("sehr schnell" in t for t in flooder)
    return (
        f"| guard {'on ' if guard else 'off'} | {flood} in {seconds:.0f} s | {members} members "
        f"| p50 {p50:.0f} ms | p99 {p99:.0f} ms | max {latencies[-1]:.0f} ms "
        f"| flooder: {len(flooder) - notices} of {flood} answered, {notices} notice |"
    )


async def _measure(api: TelegramApi, flood: int, seconds: float, users: list[dict]) -> list[float]:
    latencies: list[float] = []

    async def flooding() -> None:
        for _ in range(flood):
            api.inject_message(FLOODER["id"], FLOODER, "/termine")
            await asyncio.sleep(seconds / flood)

    async def member(user: dict, delay: float) -> None:
        await asyncio.sleep(delay)
        start = time.perf_counter()
        api.inject_message(user["id"], user, "/termine")
        await api.wait_for_sent(user["id"], 1, timeout=120)
        latencies.append((time.perf_counter() - start) * 1000)

    spacing = seconds / len(users)
    await asyncio.gather(flooding(), *(member(user, i * spacing) for i, user in enumerate(users)))
    return latencies


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flood", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--members", type=int, default=100)
    args = parser.parse_args()
    rows = [await run(args.flood, args.seconds, args.members, guard) for guard in (True, False)]
    print("One account floods, the other members' replies (Telegram's limits in the stand-in)\n")
    print("\n".join(rows))


if __name__ == "__main__":
    asyncio.run(main())
