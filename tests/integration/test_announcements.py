"""Announcements and durable notifications: fan-out, exactly once, retries, progress."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from bot.adapters.telegram import RateLimits, TelegramTransport
from bot.app import build
from bot.delivery import OutboxDispatcher
from bot.settings import Settings
from core.announcements import Audience, announce
from core.domain.notifications import AudienceKind
from core.domain.outbox import MAX_ATTEMPTS, OutgoingMessage
from core.domain.people import ChatIdentity, Person, Platform, Role
from storage.tables import outbox
from tests.support import factories
from tests.support.chat import say
from tests.support.notices import durable_hub, notification_rows, scheduler_for

FAST = RateLimits(overall_per_second=500, private_burst=50, private_period=1)


async def people_on_telegram(app, count: int, *, first_chat: int = 7_000_000) -> list[Person]:
    """``count`` persons of one member, each linked to a Telegram private chat."""
    member = await factories.member(app)
    now = app.clock.now()
    people = []
    async with app.uow() as uow:
        for n in range(count):
            person = await uow.persons.add(
                Person(f"Person {n}", member_id=member.id, created_at=now)
            )
            await uow.identities.add(
                ChatIdentity(Platform.TELEGRAM, str(first_chat + n), person.id, created_at=now)
            )
            people.append(person)
        await uow.commit()
    return people


async def test_an_announcement_to_500_reaches_each_once_within_telegram_limits(
    telegram_api_factory, sqlite_database, tmp_path, clock
):
    api = await telegram_api_factory(global_limit=30, global_window=0.05, auto_chats=True)
    settings = Settings(data_dir=tmp_path, telegram_token=api.token, telegram_api_url=api.base_url)
    app = await build(settings, database=sqlite_database, clock=clock, migrate=False)
    people = await people_on_telegram(app, 500)
    office = await factories.person(app, "Erika Netzwerkbüro", roles={Role.ORGANIZER})
    # Twenty people are also on Matrix; half of them prefer it.
    async with app.uow() as uow:
        for n, person in enumerate(people[:20]):
            await uow.identities.add(
                ChatIdentity(
                    Platform.MATRIX, f"@p{n}:example.org", person.id, created_at=clock.now()
                )
            )
            if n % 2:
                prefs = await uow.preferences.get(person.id)
                prefs.preferred_platform = "matrix"
                await uow.preferences.save(prefs)
        await uow.commit()
    durable_hub(app, queued={Platform.MATRIX})
    transport = TelegramTransport(app, limits=FAST, poll_timeout=1)
    await transport.start()
    try:
        (reply,) = await say(
            app, office, "/ankuendigung alle Die Anmeldung zum Kongress ist offen."
        )
        assert "Ankündigung Nr. 1 ist unterwegs – Empfänger: 500" in reply.plain
        chats = [7_000_000 + n for n in range(500) if n >= 20 or n % 2 == 0]
        await api.wait_for(lambda: all(api.sent.get(c) for c in chats), timeout=30)
    finally:
        await transport.stop()
    texts = Counter(c for c in chats for _ in api.texts_to(c))
    assert set(texts.values()) == {1}
    assert "Die Anmeldung zum Kongress ist offen." in api.texts_to(chats[0])[0]
    assert not [c for c in api.calls if c.status == 429] and api.early_retries == 0
    async with app.database.engine.connect() as conn:
        rows = (await conn.execute(sa.select(outbox.c.platform, outbox.c.chat_id))).all()
    assert Counter(p for p, _ in rows) == {"telegram": 490, "matrix": 10}

    (status,) = await say(app, office, "/ankuendigung status 1")
    assert "490 von 500 zugestellt, 0 nicht zustellbar, 10 unterwegs" in status.plain


async def test_two_dispatchers_racing_hand_over_and_send_each_notification_once(any_app):
    app = any_app
    people = await people_on_telegram(app, 150)
    hubs = [durable_hub(app, queued={Platform.TELEGRAM}) for _ in range(2)]
    app.notifier = None  # nobody delivers at the commit: the two racers do
    await announce(
        app.uow(),
        actor_id=None,
        text="Hallo",
        audience=Audience(AudienceKind.ALL),
        now=app.clock.now(),
    )
    handled = await asyncio.gather(*(hub.deliver_due() for hub in hubs))
    assert sum(handled) == 150
    rows = await notification_rows(app)
    assert len({r.outbox_id for r in rows}) == 150 and all(r.sent_at for r in rows)

    sent: list[str] = []

    async def send(message: OutgoingMessage) -> None:
        await asyncio.sleep(0)  # let the other dispatcher interleave
        sent.append(message.chat_id)

    dispatchers = [OutboxDispatcher(app.uow, app.clock) for _ in range(2)]
    counts = await asyncio.gather(
        *(d.dispatch("telegram", send, concurrency=8) for d in dispatchers)
    )
    assert sum(counts) == 150
    assert Counter(sent) == Counter(str(7_000_000 + n) for n in range(len(people)))


async def test_failed_delivery_is_retried_with_backoff_then_given_up_visibly(app, caplog):
    hub = durable_hub(app, queued={Platform.TELEGRAM})
    office = await factories.person(app, "Erika", roles={Role.ORGANIZER})
    await people_on_telegram(app, 2)
    await factories.person(app, "Ohne Chat", member=await factories.member(app))
    with caplog.at_level(logging.DEBUG):
        (reply,) = await say(app, office, "/ankuendigung alle Bitte vormerken")
    assert "Empfänger: 3" in reply.plain
    assert "unreachable" in caplog.text  # the person without a chat: given up at once

    attempts: Counter[str] = Counter()
    times: list = []

    async def send(message: OutgoingMessage) -> None:
        attempts[message.chat_id] += 1
        if message.chat_id == "7000001":
            times.append(app.clock.now())
            raise ConnectionError("network down")

    dispatcher = OutboxDispatcher(app.uow, app.clock)
    with caplog.at_level(logging.WARNING):
        for _ in range(600):  # ten minutes, one second at a time
            await dispatcher.dispatch("telegram", send)
            app.clock.advance(timedelta(seconds=1))
    assert attempts == {"7000000": 1, "7000001": MAX_ATTEMPTS}
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert gaps == [2, 4, 8, 16, 32, 64, 128]  # exponential backoff, then no more
    assert any("giving up" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)

    (status,) = await say(app, office, "/ankuendigung status 1")
    assert "1 von 3 zugestellt, 2 nicht zustellbar, 0 unterwegs" in status.plain
    (problems,) = await say(app, office, "/zustellung")
    assert "Ohne Chat" in problems.plain
    assert "kein Chat-Konto auf Telegram oder Matrix" in problems.plain
    assert "Person 1" in problems.plain and "Plattform war nicht erreichbar" in problems.plain
    assert "network down" not in problems.plain  # the platform's English stays in the log
    assert "Person 0" not in problems.plain
    scheduler = scheduler_for(app, hub)
    await scheduler.round()
    await scheduler.round()
    (done,) = [r for r in await notification_rows(app) if r.key == "announcement_done"]
    assert done.person_id == office.id and done.params["failed"] == 2


async def test_announcement_targets(app):
    from core.domain.members import MemberKind
    from core.members import add_member
    from core.signup import sign_up

    office = await factories.person(app, "Erika", roles={Role.ORGANIZER})
    kreis = await add_member(app.uow(), name="Kreis Beispiel", kind=MemberKind.KREIS)
    stadt = await factories.member(app, "Stadt Beispiel")
    k1 = await factories.person(app, member=kreis)
    await factories.person(app, member=stadt)
    event = await factories.event(app)
    await sign_up(app.uow(), person_id=k1.id, event_id=event.id, now=app.clock.now())
    for target, expected in (
        ("alle", "Empfänger: 2"),
        ("art:kreis", "Empfänger: 1"),
        ("mitglied:Stadt", "Empfänger: 1"),
        (f"termin:{event.id}", "Empfänger: 1"),
        ("mitglied:Beispiel", "„Beispiel“ habe ich nicht gefunden"),
        ("termin:999", "Nummer 999 gibt es nicht"),
        ("art:dorf", "Diese Art von Mitglied kenne ich nicht"),
        ("jeder", "Bitte so: /ankuendigung alle Text"),
    ):
        text = (await say(app, office, f"/ankuendigung {target} Hallo"))[0].plain
        assert expected in text, (target, text)
    member = await factories.person(app, member=stadt)
    assert "Netzwerkbüro" in (await say(app, member, "/ankuendigung alle Hallo"))[0].plain
