"""An announcement to many persons over the local Bot API stand-in (Telegram's real limits),
and as an information mail over a real SMTP server (aiosmtpd) at the configured rate.

    PYTHONPATH=. python bench/announce.py [--persons 1000] [--mail-rate 50] [--connections 2]

1. Fan-out: an organizer's ``/ankuendigung alle …`` in the serving process; total time from
   the command to the last message arriving, as a ratio to the rate-limit floor N / 30 s.
2. Crash: the same announcement delivered by a separate ``serve``-like process (scheduler +
   Telegram transport) that is killed with SIGKILL halfway — once at half time, once right as
   message N/2 reaches the stand-in — then started again; duplicates and losses counted at
   the stand-in.
3. E-mail: the same announcement with a subject to ``persons`` who chose e-mail, sent by
   the mail transport over ``--connections`` SMTP connections at ``--mail-rate`` mails per
   second (``ENGAGIERT_MAIL_RATE``); total time from the announcement to the last mail
   received, as a ratio to the rate floor N / rate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bot.adapters.telegram import TelegramTransport
from bot.app import App, build
from bot.delivery import OutboxDispatcher
from bot.messages import IncomingMessage
from bot.scheduler import Scheduler
from bot.settings import Settings
from core.domain.people import ChatIdentity, Person, Platform, Role
from core.members import add_member
from storage.database import Database
from tests.support.telegram_api import TelegramApi

OVERALL_LIMIT = 30
FIRST_CHAT = 3_000_000
#: After a crash, rows the dead process had claimed wait out this lease (production: 2 min).
LEASE = timedelta(seconds=10)
TEXT = "Die Anmeldung zum Engagementkongress ist offen."


def settings_for(data: Path, api_url: str, token: str) -> Settings:
    return Settings(data_dir=data, telegram_token=token, telegram_api_url=api_url)


async def seed(app: App, persons: int) -> Person:
    """``persons`` members' people, each on Telegram; returns an organizer."""
    from core.domain.members import MemberKind

    member = await add_member(app.uow(), name="Stadt Bench", kind=MemberKind.STADT)
    now = app.clock.now()
    async with app.uow() as uow:
        for n in range(persons):
            person = await uow.persons.add(Person(f"P{n}", member_id=member.id, created_at=now))
            await uow.identities.add(
                ChatIdentity(Platform.TELEGRAM, str(FIRST_CHAT + n), person.id, created_at=now)
            )
        office = await uow.persons.add(
            Person("Büro", roles=frozenset({Role.ORGANIZER}), created_at=now)
        )
        await uow.commit()
    return office


def tally(api: TelegramApi, persons: int) -> tuple[int, int, int]:
    """(reached, duplicates, lost) among the announcement's chats."""
    counts = Counter(n for n in range(persons) for t in api.texts_to(FIRST_CHAT + n) if TEXT in t)
    reached = len(counts)
    return reached, sum(c - 1 for c in counts.values()), persons - reached


async def fan_out(api: TelegramApi, tmp: Path, persons: int) -> str:
    settings = settings_for(tmp / "a", api.base_url, api.token)
    app = await build(settings, database=Database(settings.effective_database_url))
    office = await seed(app, persons)
    transport = TelegramTransport(app, poll_timeout=10)
    await transport.start()
    try:
        start = time.perf_counter()
        await app.router.handle(
            IncomingMessage(
                Platform.CONSOLE,
                "office",
                f"/ankuendigung alle {TEXT}",
                "Büro",
                person_id=office.id,
            )
        )
        await api.wait_for(lambda: tally(api, persons)[0] == persons, timeout=persons)
        elapsed = time.perf_counter() - start
    finally:
        await transport.stop()
        await app.close()
    _, doubled, lost = tally(api, persons)
    floor = persons / OVERALL_LIMIT
    flood = sum(1 for c in api.calls if c.status == 429)
    return (
        f"| fan-out, {persons} persons | {elapsed:.2f} s | floor {floor:.1f} s | "
        f"ratio {elapsed / floor:.3f} | lost {lost} | doubled {doubled} | 429s {flood} |"
    )


async def crash_and_restart(api: TelegramApi, tmp: Path, persons: int, *, on_arrival: bool) -> str:
    """Kill the sender halfway: at a moment in time, or right as message N/2 arrives (then
    that message is on the wire for sure, and the Bot API has no idempotency key)."""
    data = tmp / ("b-arrival" if on_arrival else "b-time")
    settings = settings_for(data, api.base_url, api.token)
    app = await build(settings, database=Database(settings.effective_database_url))
    app.notifier = None  # leave the notifications for the worker to hand over
    office = await seed(app, persons)
    from core.announcements import Audience, announce
    from core.domain.notifications import AudienceKind

    await announce(
        app.uow(),
        actor_id=office.id,
        text=TEXT,
        audience=Audience(AudienceKind.ALL),
        now=app.clock.now(),
    )
    await app.close()
    before = len(api.calls)

    async def worker() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--worker",
            str(data),
            api.base_url,
            api.token,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        )

    first = await worker()
    if on_arrival:
        await api.wait_for(lambda: tally(api, persons)[0] >= persons // 2, timeout=persons)
    else:
        await api.wait_for(lambda: tally(api, persons)[0] >= 1, timeout=persons)
        await asyncio.sleep(persons / 2 / OVERALL_LIMIT)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    at_kill = tally(api, persons)[0]
    second = await worker()
    try:
        await api.wait_for(lambda: tally(api, persons)[0] == persons, timeout=persons)
        await asyncio.sleep(LEASE.total_seconds() + 5)  # a late duplicate would show up now
    finally:
        second.send_signal(signal.SIGTERM)
        await second.wait()
    _, doubled, lost = tally(api, persons)
    sends = sum(1 for c in api.calls[before:] if c.method == "sendMessage" and c.ok)
    when = "as message N/2 arrives" if on_arrival else "at half time"
    return (
        f"| kill -9 {when} ({at_kill} of {persons} in), restart | sends {sends} | "
        f"lost {lost} | doubled {doubled} |"
    )


async def mail(tmp: Path, persons: int, rate: float, connections: int) -> str:
    from bot.adapters.mail import MailTransport
    from core.announcements import Audience, announce
    from core.domain.mail import Channel, EmailAddress
    from core.domain.notifications import AudienceKind, Preferences
    from tests.support.smtp import SmtpServer

    async with SmtpServer() as server:
        settings = Settings(
            data_dir=tmp / "mail",
            smtp_url=server.url(),
            mail_from="Kommunen-Netzwerk engagiert in NRW <netzwerk@example.org>",
            mail_rate=rate,
            smtp_connections=connections,
        )
        app = await build(settings, database=Database(settings.effective_database_url))
        office = await seed(app, persons)
        now = app.clock.now()
        async with app.uow() as uow:
            for person_id in await uow.announcements.recipients(AudienceKind.ALL, None):
                await uow.emails.save(
                    EmailAddress(person_id, f"p{person_id}@kommune.example", confirmed_at=now)
                )
                await uow.preferences.save(Preferences(person_id, channel=Channel.EMAIL))
            await uow.commit()
        transport = MailTransport(app)
        await transport.start()
        try:
            start = time.perf_counter()
            await announce(
                app.uow(),
                actor_id=office.id,
                text=TEXT,
                audience=Audience(AudienceKind.ALL),
                now=now,
                subject="Engagementkongress",
            )
            await server.wait_for(persons, timeout=persons / rate * 3 + 30)
            elapsed = time.perf_counter() - start
        finally:
            await transport.stop()
            await app.close()
        counts = Counter(r.recipients[0] for r in server.received)
    floor = persons / rate
    return (
        f"| e-mail, {persons} persons, {rate:g}/s, {connections} connections | {elapsed:.2f} s | "
        f"floor {floor:.1f} s | ratio {elapsed / floor:.3f} | lost {persons - len(counts)} | "
        f"doubled {sum(c - 1 for c in counts.values())} |"
    )


async def run_worker(data: str, api_url: str, token: str) -> None:
    """A serving process: the scheduler hands notifications over, Telegram sends them."""
    app = await build(settings_for(Path(data), api_url, token))
    transport = TelegramTransport(app, poll_timeout=10)
    transport.dispatcher = OutboxDispatcher(app.uow, app.clock, lease=LEASE)
    await transport.start()
    scheduler = Scheduler(app, app.notifier)
    await scheduler.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await scheduler.stop()
    await transport.stop()
    await app.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1000)
    parser.add_argument("--mail-rate", type=float, default=50.0, help="mails per second")
    parser.add_argument("--connections", type=int, default=2, help="SMTP connections")
    parser.add_argument("--only-mail", action="store_true", help="only the e-mail part")
    parser.add_argument("--worker", nargs=3, metavar=("DATA", "API_URL", "TOKEN"))
    args = parser.parse_args()
    if args.worker:
        await run_worker(*args.worker)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.only_mail:
            async with TelegramApi(auto_chats=True) as api:  # 30/s overall, like Telegram
                rows.append(await fan_out(api, Path(tmp), args.persons))
            for on_arrival in (False, True):
                async with TelegramApi(auto_chats=True) as api:
                    rows.append(
                        await crash_and_restart(api, Path(tmp), args.persons, on_arrival=on_arrival)
                    )
        rows.append(await mail(Path(tmp), args.persons, args.mail_rate, args.connections))
    print(
        f"Announcement over the Telegram Bot API stand-in ({OVERALL_LIMIT} messages/s) "
        "and by e-mail over aiosmtpd\n"
    )
    print("\n".join(rows))


if __name__ == "__main__":
    asyncio.run(main())
