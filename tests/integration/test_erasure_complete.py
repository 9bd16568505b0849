"""Erasure leaves nothing behind: a person active everywhere, erased, then every table dumped.

The person signs up on Telegram and on Matrix, votes in a named and an anonymous poll,
forwards a question with her phone number that a supporter answers, asks the knowledge base
something it cannot answer, receives an announcement and a reminder, appears in an attendee
list, exports her data; then erases it. Afterwards no table of SQLite or PostgreSQL holds her
name, her chat ids, her phone number or her question, not even base64-encoded, and the
totals of past events and closed polls are what they were.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import itertools
import json
import re
from datetime import timedelta

from bot.adapters.console import ConsoleChat
from bot.delivery import OutboxDispatcher
from bot.messages import IncomingMessage
from bot.notifications import NotificationHub
from core.domain.events import Audience
from core.domain.outbox import OutgoingMessage
from core.domain.people import ChatIdentity, Platform, Role
from core.polls import Room, close_poll, live_results
from core.reminders import plan_due
from tests.conftest import snapshot
from tests.support import factories
from tests.support.chat import say
from tests.support.rooms import fake_rooms, seat

TELEGRAM, MATRIX = "7777123", "@erika.muster:example.org"
GROUP = Room(Platform.TELEGRAM, "-100321")
PHONE = "0211 123456"
QUESTION = f"Ich bin Erika Muster, Tel {PHONE}: gibt es Zuschüsse für Fahrtkosten?"
_ids = itertools.count(1)
BLOB = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")


async def message(app, platform: Platform, account: str, text: str, chat: str | None = None):
    incoming = IncomingMessage(
        platform,
        account,
        text,
        "Erika Muster",
        chat_id=chat or account,
        is_private=chat is None,
        message_id=f"e{next(_ids)}",
    )
    return await app.router.handle(incoming)


def strings(value) -> list[str]:
    """Every string in a dumped value, and what base64 blobs in it decode to."""
    if isinstance(value, dict):
        return [s for v in (*value.keys(), *value.values()) for s in strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings(v)]
    if isinstance(value, bytes):
        return [value.decode("latin-1")]
    if not isinstance(value, str):
        return [str(value)]
    found = [value]
    for blob in BLOB.findall(value):
        with contextlib.suppress(binascii.Error, ValueError):
            found.append(base64.b64decode(blob + "=" * (-len(blob) % 4)).decode("utf-8", "ignore"))
    return found


async def test_erasure_leaves_no_name_account_phone_or_question_anywhere(any_app):
    app = any_app
    hub = NotificationHub(
        app.uow, app.translator, app.clock, queued={Platform.TELEGRAM, Platform.MATRIX}
    )
    app.notifier = hub
    rooms = fake_rooms(app)
    town = await factories.member(app, "Stadt Auenburg")
    erika = await factories.person(app, "Erika Muster", member=town)
    office = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    helper = await factories.person(app, "Kai Hilft", roles={Role.SUPPORTER})
    sara = await factories.person(app, "Sara Spricht", roles={Role.SPEAKER})
    other = await factories.person(app, "Bernd Bleibt", member=town)
    async with app.uow() as uow:
        for who, platform, account in (
            (erika, Platform.TELEGRAM, TELEGRAM),
            (erika, Platform.MATRIX, MATRIX),
            (office, Platform.TELEGRAM, "100"),
            (helper, Platform.TELEGRAM, "101"),
        ):
            await uow.identities.add(ChatIdentity(platform, account, who.id, None, app.clock.now()))
        await uow.commit()
    rooms.members.add((GROUP.platform, GROUP.chat_id, TELEGRAM))

    past = await factories.event(app, title="Vergangen", capacity=10, days=0.02)  # 29 min
    coming = await factories.event(app, title="Kommend", capacity=10, days=10)
    later = await factories.event(app, title="Später", days=0.1)
    for who in (erika, other):
        await say(app, who, f"/anmelden {past.id}")
    await message(app, Platform.TELEGRAM, TELEGRAM, f"/anmelden {coming.id}")
    await message(app, Platform.MATRIX, MATRIX, f"/anmelden {later.id}")

    sara_there = await seat(app, rooms, sara, GROUP)
    polls = []
    for anonymous in (False, True):
        (post, _) = await app.router.handle(
            IncomingMessage(
                Platform.TELEGRAM,
                sara_there.user_id,
                "/umfrage Wie weiter? | Ja | Nein" + (" --anonym" if anonymous else ""),
                "Sara",
                chat_id=GROUP.chat_id,
                is_private=False,
                message_id=f"e{next(_ids)}",
            )
        )
        polls.append(post.poll.poll_id)
    await message(app, Platform.TELEGRAM, TELEGRAM, f"/abstimmen {polls[0]} 1", chat=GROUP.chat_id)
    await message(app, Platform.TELEGRAM, TELEGRAM, f"/abstimmen {polls[1]} 2")
    await say(app, other, f"/abstimmen {polls[0]} 2")
    closed = await close_poll(app.uow(), actor_id=sara.id, poll_id=polls[0], now=app.clock.now())

    await message(app, Platform.TELEGRAM, TELEGRAM, f"/weiterleiten {QUESTION}")
    await message(app, Platform.TELEGRAM, "101", "/antworten 1 Ja, beim Kreis.")
    await message(app, Platform.TELEGRAM, TELEGRAM, f"/faq Erika Muster, Tel {PHONE}, Zuschuss?")
    await message(app, Platform.TELEGRAM, "100", "/ankuendigung alle Bitte Termine prüfen")
    await message(app, Platform.TELEGRAM, "100", f"/teilnehmende {past.id}")
    app.clock.advance(timedelta(minutes=90))  # "Später" begins within the hour: reminders
    await plan_due(app.uow(), now=app.clock.now())
    await hub.deliver_due()
    await message(app, Platform.TELEGRAM, TELEGRAM, "/meine_daten")
    before = await snapshot(app.database)
    assert any(TELEGRAM in s for row in before["outbox"] for s in strings(row))  # it was there

    totals = (await live_results(app.uow(), token=closed.poll.token)).tally
    async with app.uow() as uow:
        past_before = (await uow.events.get(past.id)).confirmed
    (done,) = await message(app, Platform.TELEGRAM, TELEGRAM, "/daten_loeschen ja")
    assert "gelöscht" in done.plain

    # The confirmation goes out, and is then forgotten too.
    delivered: list[OutgoingMessage] = []

    async def send(outgoing: OutgoingMessage) -> None:
        delivered.append(outgoing)

    await OutboxDispatcher(app.uow, app.clock).dispatch("telegram", send)
    assert any(m.chat_id == TELEGRAM for m in delivered)

    dump = await snapshot(app.database)
    needles = ("Erika", "Muster", TELEGRAM, MATRIX, "erika.muster", PHONE, "123456", "Zuschüsse")
    found = [
        (table, needle)
        for table, rows in dump.items()
        for row in rows
        for text in strings(row)
        for needle in needles
        if needle.casefold() in text.casefold()
    ]
    assert found == []
    assert (await live_results(app.uow(), token=closed.poll.token)).tally == totals
    async with app.uow() as uow:
        assert (await uow.events.get(past.id)).confirmed == past_before
        assert await uow.persons.get(other.id) is not None  # nobody else is touched


async def test_after_erasure_the_next_message_starts_fresh_on_every_platform(app, caplog):
    """Telegram and Matrix: a new guest, and a normal answer; the terminal: the session ends
    with a note. No traceback anywhere."""
    await factories.event(app, title="Netzwerktreffen", audience=Audience.EVERYONE)
    for platform, account in ((Platform.TELEGRAM, "8001"), (Platform.MATRIX, "@neu:example.org")):
        await message(app, platform, account, "/start")
        (done,) = await message(app, platform, account, "/daten_loeschen ja")
        assert "gelöscht" in done.plain
        (events,) = await message(app, platform, account, "/termine")
        assert "Netzwerktreffen" in events.plain and not events.is_error
        async with app.uow() as uow:
            identity = await uow.identities.get(platform, account)
            assert (await uow.persons.get(identity.person_id)).is_guest
    person = await factories.person(app, "Tina Terminal")
    out = io.StringIO()
    chat = ConsoleChat(app, person, out=out)

    async def lines():
        for line in ("/daten_loeschen ja", "/termine", "/meine"):
            yield line

    await chat.run(lines())
    shown = out.getvalue()
    assert "diese Sitzung im Terminal endet hier" in shown
    assert "Netzwerktreffen" not in shown  # nothing read after the end
    assert "Traceback" not in caplog.text and "ERROR" not in caplog.text


async def test_the_first_answer_brings_the_privacy_notice_once(app):
    account = Room(Platform.TELEGRAM, "8101")
    (bad,) = await message(app, account.platform, account.chat_id, "/anmelden eins")
    assert bad.is_error and "Datenschutz" not in bad.plain  # bad input changes nothing
    (first,) = await message(app, account.platform, account.chat_id, "/termine")
    assert "Datenschutz: Ich speichere" in first.plain and "12 Monate" in first.plain
    (second,) = await message(app, account.platform, account.chat_id, "/termine")
    assert "Datenschutz" not in second.plain
    async with app.uow() as uow:
        identity = await uow.identities.get(account.platform, account.chat_id)
        person = await uow.persons.get(identity.person_id)
    assert person.privacy_notice_at == app.clock.now()
    (export,) = await message(app, account.platform, account.chat_id, "/meine_daten")
    data = json.loads(export.attachment.content)
    assert data["daten"]["persons"]["eintraege"][0]["privacy_notice_at"] is not None
    (full,) = await message(app, account.platform, account.chat_id, "/datenschutz")
    assert "Art. 13" in full.plain and "12 Monate nach dem Anlass" in full.plain
    assert "Ihre Rechte" in full.plain and "Beschwerde" in full.plain and "\\n" not in full.plain

    in_group = await message(app, Platform.TELEGRAM, "8102", "/termine", chat="-100900")
    assert len(in_group) == 1 and "Datenschutz: Ich speichere" in in_group[0].plain


async def test_the_notice_links_the_office_s_full_text_when_configured(sqlite_database, clock):
    from bot.app import build
    from bot.settings import Settings
    from tests.conftest import RecordingNotifier

    settings = Settings(privacy_url="https://netzwerk.example/datenschutz", retention_months=6)
    app = await build(
        settings, database=sqlite_database, notifier=RecordingNotifier(), clock=clock, migrate=False
    )
    (first,) = await message(app, Platform.MATRIX, "@neu:example.org", "/hilfe")
    assert "https://netzwerk.example/datenschutz" in first.plain and "6 Monate" in first.plain
