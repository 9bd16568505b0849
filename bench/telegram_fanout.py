"""Telegram delivery against the local Bot API stand-in (Telegram's real flood limits).

    PYTHONPATH=. python bench/telegram_fanout.py [--messages 600] [--samples 200]

1. Fan-out: N messages to N distinct private chats, put into the outbox at once and delivered
   by the adapter; total time as a ratio to the rate-limit floor N / 30 s; lost, doubled and
   early-retried requests counted.
2. Round trip: an update injected into the stand-in → the bot's reply arriving there, p50/p99,
   one fresh chat per sample (so the per-chat pacing does not count), 20 updates per second.
   The stand-in answers a waiting long poll at once, so this is the time beyond its return.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from bot.adapters.telegram import TelegramTransport
from bot.app import build
from bot.settings import Settings
from core.domain.events import Event, EventKind
from core.domain.outbox import OutgoingMessage
from core.events import create_event
from storage.database import Database
from tests.support.telegram_api import TelegramApi

OVERALL_LIMIT = 30


def payload(text: str, chat: int) -> dict:
    reply = {"text": text, "buttons": [], "private": False, "is_error": False}
    return {"reply": reply, "reply_to": None, "sender_id": str(chat), "chat_is_private": True}


async def fan_out(app, api: TelegramApi, transport: TelegramTransport, n: int) -> list[str]:
    chats = [1_000_000 + i for i in range(n)]
    async with app.uow() as uow:
        for i, chat in enumerate(chats):
            await uow.outbox.add(
                OutgoingMessage(
                    "telegram",
                    str(chat),
                    payload(f"Nachricht {i}", chat),
                    f"bench-{i}",
                    app.clock.now(),
                )
            )
        await uow.commit()
    start = time.perf_counter()
    transport.kick()
    await api.wait_for(lambda: sum(1 for c in chats if api.sent.get(c)) == n, timeout=n)
    elapsed = time.perf_counter() - start
    texts = Counter(t for c in chats for t in api.texts_to(c))
    floor = n / OVERALL_LIMIT
    flood = sum(1 for c in api.calls if c.status == 429)
    return [
        f"| fan-out, {n} chats | {elapsed:.2f} s | floor {floor:.1f} s | "
        f"ratio {elapsed / floor:.3f} | lost {n - len(texts)} | "
        f"doubled {sum(v - 1 for v in texts.values())} | 429s {flood} | "
        f"early retries {api.early_retries} |"
    ]


async def round_trip(app, api: TelegramApi, samples: int) -> list[str]:
    now = app.clock.now()
    from datetime import timedelta

    event = await create_event(
        app.uow(),
        actor_id=None,
        event=Event(
            kind=EventKind.KURZFORMAT,
            title="Bench",
            starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=3, hours=1),
        ),
    )
    times = []
    for i in range(samples):
        await asyncio.sleep(0.05)  # a realistic load of 20 commands per second, not a flood
        user = {"id": 5_000_000 + i, "first_name": f"U{i}"}
        text = "/termine" if i % 2 else f"/anmelden {event.id}"
        start = time.perf_counter()
        api.inject_message(user["id"], user, text)
        await api.wait_for_sent(user["id"], 1, timeout=10)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p50, p99 = statistics.median(times), times[int(len(times) * 0.99) - 1]
    return [f"| update → reply, {samples} samples | p50 {p50:.1f} ms | p99 {p99:.1f} ms |"]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async with TelegramApi(auto_chats=True) as api:  # Telegram's limits: 30/s, 20/min/group
            settings = Settings(
                data_dir=Path(tmp), telegram_token=api.token, telegram_api_url=api.base_url
            )
            database = Database(settings.effective_database_url)
            app = await build(settings, database=database)
            transport = TelegramTransport(app, poll_timeout=10)
            await transport.start()
            try:
                rows = await fan_out(app, api, transport, args.messages)
                rows += await round_trip(app, api, args.samples)
            finally:
                await transport.stop()
                await app.close()
    print("Telegram delivery against the Bot API stand-in (30 messages/s overall)\n")
    print("\n".join(rows))


if __name__ == "__main__":
    asyncio.run(main())
