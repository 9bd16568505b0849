"""Telegram delivery against the local Bot API stand-in (Telegram's real flood limits).

    PYTHONPATH=. python bench/telegram_fanout.py [--messages 600] [--samples 200]

1. Fan-out: N messages to N distinct private chats, put into the outbox at once and delivered
   by the adapter; total time as a ratio to the rate-limit floor N / 30 s; lost, doubled and
   early-retried requests counted (``--messages 0`` skips it).
2. Round trip: an update injected into the stand-in → the bot's reply arriving there, p50/p99,
   one fresh chat per sample (so the per-chat pacing does not count), 20 updates per second.
   The stand-in answers a waiting long poll at once, so this is the time beyond its return.
3. Comparison with plain python-telegram-bot: ``/termine`` in a private chat that has been
   greeted already (``/start`` answered before the run, so the reply is the plain list, not a
   first-contact greeting with the privacy notice), one chat per sample, against an echo bot
   (``Application`` with its own ``Updater`` polling, one ``MessageHandler`` that answers with
   the text) on a second stand-in with the same limits, in the same process and event loop.
   Both long-poll with the same timeout; the samples alternate between the two bots at 20
   updates per second, so both see the same machine at the same time. The time runs from
   the injection to the moment the stand-in receives the ``sendMessage``. The table gives
   p50/p99 of both and engagiert/echo; the issue's bar is a ratio of at most 1.3.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.adapters.telegram import ALLOWED_UPDATES, TelegramTransport
from bot.app import App, build
from bot.settings import Settings
from core.domain.events import Event, EventKind
from core.domain.outbox import OutgoingMessage
from core.events import create_event
from storage.database import Database
from tests.support.telegram_api import TelegramApi

OVERALL_LIMIT = 30
#: Both bots long-poll with this getUpdates timeout (seconds).
POLL_TIMEOUT = 10
#: Seconds between samples: a realistic load of 20 commands per second, not a flood.
PACE = 0.05
ECHO_TOKEN = "987654321:echo-stand-in-token"
FIRST_USER = 5_000_000
FIRST_GREETED_USER = 6_000_000
FIRST_ECHO_USER = 7_000_000
#: The start of the privacy notice that comes with a person's first answer only.
PRIVACY_MARK = "Datenschutz: Ich speichere"


def payload(text: str, chat: int) -> dict:
    reply = {"text": text, "buttons": [], "private": False, "is_error": False}
    return {"reply": reply, "reply_to": None, "sender_id": str(chat), "chat_is_private": True}


def percentiles(times: list[float]) -> tuple[float, float]:
    """p50 and p99 (nearest rank below) of the times."""
    ordered = sorted(times)
    return statistics.median(ordered), ordered[max(int(len(ordered) * 0.99) - 1, 0)]


async def fan_out(app: App, api: TelegramApi, transport: TelegramTransport, n: int) -> list[str]:
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


async def round_trip(app: App, api: TelegramApi, samples: int) -> list[str]:
    now = app.clock.now()
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
        await asyncio.sleep(PACE)
        user = {"id": FIRST_USER + i, "first_name": f"U{i}"}
        text = "/termine" if i % 2 else f"/anmelden {event.id}"
        start = time.perf_counter()
        api.inject_message(user["id"], user, text)
        await api.wait_for_sent(user["id"], 1, timeout=10)
        times.append((time.perf_counter() - start) * 1000)
    p50, p99 = percentiles(times)
    return [f"| update → reply, {samples} samples | p50 {p50:.1f} ms | p99 {p99:.1f} ms |"]


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


@asynccontextmanager
async def echo_bot(api: TelegramApi) -> AsyncIterator[Application]:
    """A plain python-telegram-bot echo bot long-polling ``api`` (PTB's defaults otherwise)."""
    application = Application.builder().token(api.token).base_url(api.base_url).build()
    application.add_handler(MessageHandler(filters.TEXT, _echo))
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(
            timeout=POLL_TIMEOUT, allowed_updates=list(ALLOWED_UPDATES)
        )
        await application.start()
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()


async def reply_time(api: TelegramApi, chat: int, text: str, replies_before: int) -> float:
    """Milliseconds from injecting ``text`` in private ``chat`` to the stand-in receiving the
    next ``sendMessage`` to that chat."""
    user = {"id": chat, "first_name": f"U{chat}"}
    start = time.monotonic()
    api.inject_message(chat, user, text)
    calls = await api.wait_for_sent(chat, replies_before + 1, timeout=10)
    return (calls[replies_before].time - start) * 1000


@dataclass(frozen=True)
class Latency:
    name: str
    p50: float
    p99: float


async def comparison(app_api: TelegramApi, echo_api: TelegramApi, samples: int) -> list[str]:
    """``/termine`` in greeted private chats against the echo bot, samples alternating."""
    chats = [FIRST_GREETED_USER + i for i in range(samples)]
    for chat in chats:  # the greeting, before anything is measured
        await asyncio.sleep(PACE)
        await reply_time(app_api, chat, "/start", 0)
    greetings = [app_api.texts_to(chat) for chat in chats]
    if any(len(texts) != 1 or PRIVACY_MARK not in texts[0] for texts in greetings):
        raise RuntimeError("/start did not answer with one greeting carrying the privacy notice")
    # Let the per-chat pacing (3 messages in 3 s) refill for the first chats greeted.
    await asyncio.sleep(3)
    termine: list[float] = []
    echo: list[float] = []
    for i, chat in enumerate(chats):
        await asyncio.sleep(PACE)
        termine.append(await reply_time(app_api, chat, "/termine", 1))
        await asyncio.sleep(PACE)
        echo.append(await reply_time(echo_api, FIRST_ECHO_USER + i, "/termine", 0))
    answers = [app_api.texts_to(chat)[1] for chat in chats]
    if any(PRIVACY_MARK in answer for answer in answers):
        raise RuntimeError("/termine still carried the first-contact privacy notice")
    bots = [
        Latency("/termine (engagiert-bot)", *percentiles(termine)),
        Latency("echo (plain PTB)", *percentiles(echo)),
    ]
    rows = [
        f"\nUpdate → reply, {samples} samples each, one private chat per sample, "
        f"alternating at {1 / PACE:.0f}/s\n",
        "| bot | p50 | p99 | p50 ratio | p99 ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    base = bots[1]
    for bot in bots:
        rows.append(
            f"| {bot.name} | {bot.p50:.1f} ms | {bot.p99:.1f} ms | "
            f"{bot.p50 / base.p50:.2f} | {bot.p99 / base.p99:.2f} |"
        )
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # Telegram's limits on both: 30/s overall, 20/min per group.
        async with (
            TelegramApi(auto_chats=True) as api,
            TelegramApi(ECHO_TOKEN, auto_chats=True) as echo_api,
        ):
            settings = Settings(
                data_dir=Path(tmp), telegram_token=api.token, telegram_api_url=api.base_url
            )
            database = Database(settings.effective_database_url)
            app = await build(settings, database=database)
            transport = TelegramTransport(app, poll_timeout=POLL_TIMEOUT)
            await transport.start()
            try:
                rows = await fan_out(app, api, transport, args.messages) if args.messages else []
                rows += await round_trip(app, api, args.samples)
                async with echo_bot(echo_api):
                    rows += await comparison(api, echo_api, args.samples)
            finally:
                await transport.stop()
                await app.close()
    print("Telegram delivery against the Bot API stand-in (30 messages/s overall)\n")
    print("\n".join(rows))


if __name__ == "__main__":
    asyncio.run(main())
