"""The Telegram adapter against the local Bot API stand-in, with the real PTB HTTP client."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa

from bot.adapters.telegram import WEBHOOK_PATH, TelegramTransport
from bot.app import App, build
from bot.web import create_web_app
from core.domain.events import Audience
from core.domain.outbox import OutgoingMessage
from core.domain.people import Platform, Role
from storage.tables import registrations
from tests.support import factories
from tests.support.telegram_rig import FAST, Rig, running_rig, settings_for

ANNA = {"id": 501, "first_name": "Anna", "last_name": "Amt", "language_code": "de"}
BERND = {"id": 502, "first_name": "Bernd"}
GROUP = -100777


@pytest.fixture
async def rig(telegram_api_factory, sqlite_database, tmp_path) -> AsyncIterator[Rig]:
    api = await telegram_api_factory(global_limit=100, group_limit=20, group_window=2.0)
    async with running_rig(api, sqlite_database, tmp_path) as rig:
        yield rig


async def registrations_of(app: App) -> list[tuple]:
    async with app.database.engine.connect() as conn:
        rows = await conn.execute(sa.select(registrations.c.event_id, registrations.c.status))
        return list(rows)


async def test_commands_menu_in_german_and_english(rig):
    german = [c["command"] for c in rig.api.commands_for(language_code="de")]
    english = [c["command"] for c in rig.api.commands_for(language_code="en")]
    assert "termine" in german and "anmelden" in german and "teilnehmende" not in german
    assert "events" in english and "signup" in english
    assert rig.api.commands_for() == rig.api.commands_for(language_code="de")


async def test_signup_by_command_and_cancel_by_button(rig):
    event = await factories.event(rig.app, title="Netzwerktreffen Köln", capacity=10)
    rig.api.inject_message(ANNA["id"], ANNA, f"/anmelden {event.id}")
    (confirmation,) = await rig.api.wait_for_sent(ANNA["id"])
    assert "Sie sind angemeldet für <b>Netzwerktreffen Köln</b>" in confirmation.params["text"]
    assert confirmation.params["parse_mode"] == "HTML"
    keyboard = confirmation.params["reply_markup"]["inline_keyboard"]
    cancel = keyboard[0][0]
    assert cancel["text"] == "Abmelden" and cancel["callback_data"].startswith("b:")
    message_id = confirmation.result["message_id"]

    rig.api.inject_callback(ANNA["id"], ANNA, cancel["callback_data"], message_id)
    (_, cancelled) = await rig.api.wait_for_sent(ANNA["id"], 2)
    assert "abgemeldet" in rig.api.texts_to(ANNA["id"])[1]
    # A button press is no message of Anna's: the answer quotes nothing (the update id is
    # no message id).
    assert cancelled.params.get("reply_parameters") is None
    assert "reply_to_message" not in cancelled.result
    assert [s for _, s in await registrations_of(rig.app)] == ["cancelled"]
    assert all(a.get("show_alert") is not True for a in rig.api.callback_answers.values())


async def test_signup_by_button_and_forged_buttons_do_nothing(rig):
    event = await factories.event(rig.app, title="Kurzformat", capacity=10)
    rig.api.inject_message(ANNA["id"], ANNA, f"/termin {event.id}")
    (details,) = await rig.api.wait_for_sent(ANNA["id"])
    button = details.params["reply_markup"]["inline_keyboard"][0][0]
    assert button["text"] == "Anmelden"
    outbox_id = button["callback_data"].split(":")[1]

    # Forged data: another index, junk, and Anna's button pressed in Bernd's chat.
    rig.api.inject_message(BERND["id"], BERND, "/start")
    (welcome,) = await rig.api.wait_for_sent(BERND["id"])
    for chat, user, data, mid in (
        (ANNA["id"], ANNA, f"b:{outbox_id}:7", details.result["message_id"]),
        (ANNA["id"], ANNA, "/daten_loeschen ja", details.result["message_id"]),
        (BERND["id"], BERND, button["callback_data"], welcome.result["message_id"]),
    ):
        rig.api.inject_callback(chat, user, data, mid)
    await rig.api.wait_for(lambda: len(rig.api.callback_answers) == 3)
    assert all(a.get("show_alert") for a in rig.api.callback_answers.values())
    assert await registrations_of(rig.app) == []

    rig.api.inject_callback(ANNA["id"], ANNA, button["callback_data"], details.result["message_id"])
    await rig.api.wait_for_sent(ANNA["id"], 2)
    assert "Sie sind angemeldet für <b>Kurzformat</b>" in rig.api.texts_to(ANNA["id"])[1]
    assert await registrations_of(rig.app) == [(event.id, "confirmed")]


async def test_a_redelivered_update_changes_nothing_and_sends_nothing(rig):
    event = await factories.event(rig.app, capacity=10)
    update = rig.api.make_message_update(ANNA["id"], ANNA, f"/anmelden {event.id}")
    rig.api.inject_update(update)
    await rig.api.wait_for_sent(ANNA["id"])
    rig.api.inject_update(update)  # Telegram hands the same update over again
    rig.api.inject_message(ANNA["id"], ANNA, "/meine")  # a later update as a marker
    await rig.api.wait_for_sent(ANNA["id"], 2)
    texts = rig.api.texts_to(ANNA["id"])
    assert len(texts) == 2 and "Ihre Anmeldungen" in texts[1]
    assert len(await registrations_of(rig.app)) == 1


async def test_crash_after_commit_before_offset_and_reply_then_restart(rig, monkeypatch):
    event = await factories.event(rig.app, capacity=10)
    crashed = asyncio.Event()

    handle = TelegramTransport._handle

    async def crash(self, *args: object) -> None:
        await handle(self, *args)
        crashed.set()
        raise asyncio.CancelledError  # the process dies here, the offset neither stored

    async def no_delivery(self, message) -> None:
        raise ConnectionError("process about to die")

    monkeypatch.setattr(TelegramTransport, "_handle", crash)
    monkeypatch.setattr(TelegramTransport, "send", no_delivery)
    rig.api.inject_message(ANNA["id"], ANNA, f"/anmelden {event.id}")
    await asyncio.wait_for(crashed.wait(), 5)
    assert len(await registrations_of(rig.app)) == 1  # the effect was committed
    assert rig.api.texts_to(ANNA["id"]) == []  # but nothing was sent, nothing confirmed
    await rig.transport.stop()
    monkeypatch.undo()
    async with rig.app.uow() as uow:  # the failed attempt is due again right away
        await uow.connection.execute(sa.text("UPDATE outbox SET next_attempt_at = created_at"))
        await uow.commit()

    await rig.restart()
    rig.api.inject_message(ANNA["id"], ANNA, "/meine")
    await rig.api.wait_for_sent(ANNA["id"], 2)
    texts = rig.api.texts_to(ANNA["id"])
    assert "angemeldet für" in texts[0] and "Ihre Anmeldungen" in texts[1]
    assert len(texts) == 2
    assert len(await registrations_of(rig.app)) == 1


async def test_group_commands_answer_personal_things_privately(rig):
    event = await factories.event(rig.app, title="Strategieworkshop", capacity=10)
    rig.api.inject_message(ANNA["id"], ANNA, "/start")  # Anna has a private chat with the bot
    await rig.api.wait_for_sent(ANNA["id"])
    username = rig.transport.username
    rig.api.inject_message(
        GROUP, ANNA, f"/anmelden@{username} {event.id}", "supergroup", title="Kurzformate"
    )
    rig.api.inject_message(GROUP, BERND, "Guten Morgen zusammen", "supergroup")
    rig.api.inject_message(GROUP, BERND, f"/anmelden@anderer_bot {event.id}", "supergroup")
    rig.api.inject_message(GROUP, BERND, f"/anmelden {event.id}", "supergroup")
    await rig.api.wait_for_sent(GROUP, 2)
    await rig.api.wait_for_sent(ANNA["id"], 2)
    assert "angemeldet für <b>Strategieworkshop</b>" in rig.api.texts_to(ANNA["id"])[1]
    group = rig.api.texts_to(GROUP)
    assert group[0] == "Anna Amt, ich habe Ihnen persönlich geantwortet."
    # Bernd never opened a private chat: the group is told how to get the answer.
    assert group[1].startswith("Bernd, das betrifft nur Sie")
    assert len(group) == 2  # chatter and the other bot's command got no answer


async def test_waitlisted_member_is_told_about_the_free_place(rig):
    event = await factories.event(rig.app, title="Spitzentreffen", capacity=1)
    for user in (ANNA, BERND):
        rig.api.inject_message(user["id"], user, f"/anmelden {event.id}")
        await rig.api.wait_for_sent(user["id"])
    assert "Warteliste" in rig.api.texts_to(BERND["id"])[0]
    rig.api.inject_message(ANNA["id"], ANNA, f"/abmelden {event.id}")
    await rig.api.wait_for_sent(BERND["id"], 2)
    assert "ein Platz frei geworden" in rig.api.texts_to(BERND["id"])[1]


async def test_long_replies_are_split_and_files_sent(rig):
    organizer = await factories.person(rig.app, "Orga", roles={Role.ORGANIZER})
    async with rig.app.uow() as uow:
        from core.domain.people import ChatIdentity

        await uow.identities.add(
            ChatIdentity(
                Platform.TELEGRAM, str(ANNA["id"]), organizer.id, created_at=rig.app.clock.now()
            )
        )
        await uow.commit()
    event = await factories.event(rig.app, capacity=400)
    from core.signup import sign_up

    for n in range(300):
        person = await factories.person(rig.app, f"Teilnehmerin mit langem Namen Nummer {n:03}")
        await sign_up(
            rig.app.uow(), person_id=person.id, event_id=event.id, now=rig.app.clock.now()
        )
    rig.api.inject_message(ANNA["id"], ANNA, f"/teilnehmende {event.id}")
    await rig.api.wait_for(lambda: any("Nummer 299" in t for t in rig.api.texts_to(ANNA["id"])))
    texts = rig.api.texts_to(ANNA["id"])
    shown = [c.result["text"] for c in rig.api.sent_to(ANNA["id"], "sendMessage")]
    assert len(texts) == 4 and all(len(t.encode("utf-16-le")) // 2 <= 4096 for t in shown)
    lines = "\n".join(texts).splitlines()
    numbered = [line for line in lines if "Teilnehmerin" in line]
    assert [int(line.rsplit(" ", 1)[1]) for line in numbered] == list(range(300))
    rig.api.inject_message(ANNA["id"], ANNA, "/meine_daten")
    (document,) = await rig.api.wait_for_sent(ANNA["id"], 1, method="sendDocument")
    assert document.params["document"].filename == "meine-daten.json"


async def test_fan_out_to_300_chats_and_a_busy_group_exactly_once(rig):
    rig.api.auto_chats = True
    chats = [10_000 + n for n in range(300)]
    async with rig.app.uow() as uow:
        for n, chat in enumerate([*chats, *[GROUP] * 40]):
            text = f"Nachricht {n}"
            payload = {
                "reply": {"text": text, "buttons": [], "private": False, "is_error": False},
                "reply_to": None,
                "sender_id": str(chat),
                "chat_is_private": chat > 0,
            }
            await uow.outbox.add(
                OutgoingMessage("telegram", str(chat), payload, f"fan{n}", rig.app.clock.now())
            )
        await uow.commit()
    rig.transport.kick()
    await rig.api.wait_for(
        lambda: (
            sum(len(rig.api.texts_to(c)) for c in chats) == 300
            and len(rig.api.texts_to(GROUP)) == 40
        ),
        timeout=30,
    )
    delivered = Counter(t for c in [*chats, GROUP] for t in rig.api.texts_to(c))
    assert len(delivered) == 340 and set(delivered.values()) == {1}
    assert rig.api.texts_to(GROUP) == [f"Nachricht {300 + n}" for n in range(40)]
    assert rig.api.early_retries == 0


async def test_webhook_checks_secret_and_size_and_answers_after_commit(
    telegram_api_factory, sqlite_database, tmp_path
):
    api = await telegram_api_factory()
    settings = settings_for(
        api,
        tmp_path,
        telegram_mode="webhook",
        telegram_webhook_url="https://bot.example.org" + WEBHOOK_PATH,
        telegram_webhook_secret="s3cr3t-webhook-value",
    )
    app = await build(settings, database=sqlite_database, migrate=False)
    transport = TelegramTransport(app, limits=FAST)
    await transport.start()
    try:
        assert api.webhook["url"] == "https://bot.example.org" + WEBHOOK_PATH
        web = create_web_app(app)
        web.include_router(transport.routes())
        event = await factories.event(app, capacity=5)
        update = api.make_message_update(ANNA["id"], ANNA, f"/anmelden {event.id}")
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://t")
        async with client:
            missing = await client.post(WEBHOOK_PATH, json=update)
            wrong = await client.post(
                WEBHOOK_PATH, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
            )
            assert (missing.status_code, wrong.status_code) == (403, 403)
            assert await registrations_of(app) == []
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cr3t-webhook-value"}
            huge = await client.post(
                WEBHOOK_PATH, content=b"{" + b" " * 300_000 + b"}", headers=headers
            )
            assert huge.status_code == 413
            # Bodies with the right secret that are no update: refused, nothing changes.
            for body in (
                b"[1, 2]",
                b"null",
                b'"text"',
                b"17",
                b"[" * 100_000 + b"]" * 100_000,
                ('{"update_id": 7, "message": ' + '{"a":' * 30_000 + "1" + "}" * 30_001).encode(),
                b'{"update_id": "1"}',
                b'{"update_id": 5, "message": "kaputt"}',
                b'{"update_id": 6, "message": {"message_id": []}}',
            ):
                refused = await client.post(WEBHOOK_PATH, content=body, headers=headers)
                assert refused.status_code == 400, body[:40]
            assert await registrations_of(app) == []
            ok = await client.post(WEBHOOK_PATH, json=update, headers=headers)
            assert ok.status_code == 200
            assert len(await registrations_of(app)) == 1  # committed before the 200
            again = await client.post(WEBHOOK_PATH, json=update, headers=headers)
            assert again.status_code == 200
        await api.wait_for_sent(ANNA["id"])
        assert len(await registrations_of(app)) == 1
        assert len(api.texts_to(ANNA["id"])) == 1
    finally:
        await transport.stop()


async def test_a_failing_command_is_logged_with_the_update_and_answered(rig, monkeypatch, caplog):
    import bot.handlers.events as handlers

    async def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(handlers, "upcoming_events", broken)
    update_id = rig.api.inject_message(ANNA["id"], ANNA, "/termine")
    (apology,) = await rig.api.wait_for_sent(ANNA["id"])
    assert apology.params["text"].startswith("Entschuldigung")
    assert "disk full" not in apology.params["text"]
    logged = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert any(f"message={update_id}" in line for line in logged)
    monkeypatch.undo()
    rig.api.inject_message(ANNA["id"], ANNA, "/termine")  # the bot keeps running
    await rig.api.wait_for_sent(ANNA["id"], 2)
    assert "Veranstaltungen" in rig.api.texts_to(ANNA["id"])[1]


async def test_after_erasure_the_next_message_starts_as_a_new_guest(rig):
    """The confirmation arrives and leaves no trace in the outbox; the next command is
    answered normally, for a new guest."""
    await factories.event(rig.app, title="Netzwerktreffen", audience=Audience.EVERYONE)
    rig.api.inject_message(ANNA["id"], ANNA, "/start")
    await rig.api.wait_for_sent(ANNA["id"], 1)
    rig.api.inject_message(ANNA["id"], ANNA, "/daten_loeschen ja")
    (_, done) = await rig.api.wait_for_sent(ANNA["id"], 2)
    assert "Ihre Daten sind gelöscht" in done.params["text"]
    rig.api.inject_message(ANNA["id"], ANNA, "/termine")
    (*_, events) = await rig.api.wait_for_sent(ANNA["id"], 3)
    assert "Netzwerktreffen" in events.params["text"]
    async with rig.app.database.engine.connect() as conn:
        kept = (await conn.execute(sa.text("SELECT payload FROM outbox"))).scalars().all()
    assert not any("Daten sind" in str(payload) for payload in kept)  # forgotten once delivered
    async with rig.app.uow() as uow:
        identity = await uow.identities.get(Platform.TELEGRAM, str(ANNA["id"]))
        assert (await uow.persons.get(identity.person_id)).is_guest


async def test_a_group_question_mentioning_the_bot_is_answered_there(rig):
    from core.domain.faq import FaqEntry
    from core.kb import import_entries

    entry = FaqEntry("parken", "Wo parke ich beim Netzwerktreffen?", "Im Hof des Rathauses.")
    await import_entries(
        rig.app.uow(), rig.app.faq, [entry], replace_all=False, now=rig.app.clock.now()
    )
    username = rig.transport.username
    rig.api.inject_message(GROUP, BERND, "Wo parke ich beim Netzwerktreffen?", "supergroup")
    rig.api.inject_message(
        GROUP, BERND, f"@{username} wo parke ich beim netzwerktreffen", "supergroup"
    )
    (answer,) = await rig.api.wait_for_sent(GROUP, 1)
    assert "Im Hof des Rathauses." in answer.params["text"]
    assert rig.api.texts_to(GROUP) == [answer.params["text"]]  # the unaddressed one: silence


async def test_a_long_answer_with_links_arrives_whole_in_valid_parts(rig):
    # The example: one paragraph of ~8,000 characters with **fett** and a link whose
    # address holds "&". Each part must parse as Telegram parses HTML (the stand-in refuses
    # what Telegram refuses) and count at most 4096 visible characters.
    from core.domain.faq import FaqEntry
    from core.kb import import_entries

    sentence = "Das ist **fett** und hier die [Seite](https://example.org/a?b=1&c=2) dazu. "
    entry = FaqEntry("lang", "Was steht in der langen Antwort?", sentence * 110)
    await import_entries(
        rig.app.uow(), rig.app.faq, [entry], replace_all=False, now=rig.app.clock.now()
    )
    rig.api.inject_message(ANNA["id"], ANNA, "/faq_zeigen lang")
    await rig.api.wait_for(
        lambda: sum(t.count("fett") for t in rig.api.texts_to(ANNA["id"])) == 110
    )
    sent = rig.api.sent_to(ANNA["id"])
    assert len(sent) >= 2
    assert all('<a href="https://example.org/a?b=1&amp;c=2">' in s.params["text"] for s in sent)
    shown = " ".join(s.result["text"] for s in sent)
    assert shown.count("Seite") == 110 and "**" not in shown
    assert all(len(s.result["text"].encode("utf-16-le")) // 2 <= 4096 for s in sent)


async def test_the_token_reaches_no_log_line_even_at_debug(rig, caplog):
    # The HTTP client logs every request URL, /bot<TOKEN>/…; no line may show the token.
    import logging
    from urllib.parse import quote

    caplog.set_level(logging.DEBUG)
    event = await factories.event(rig.app, capacity=5)
    rig.api.inject_message(ANNA["id"], ANNA, f"/anmelden {event.id}")
    await rig.api.wait_for_sent(ANNA["id"])
    text = caplog.text
    assert "HTTP Request: POST" in text and "/bot***/" in text  # the lines are there …
    token = rig.api.token
    assert token not in text and quote(token, safe="") not in text  # … without the token


async def test_an_unreadable_update_is_recorded_and_skipped_and_polling_goes_on(rig):
    # A poll_answer without the fields python-telegram-bot requires: reading it fails every
    # time. Polling must go on: the update is recorded (id and error) and skipped.
    from bot.adapters.telegram import SKIPPED_KEY

    bad = rig.api.inject_update({"poll_answer": {"poll_id": "p1"}})
    rig.api.inject_message(ANNA["id"], ANNA, "/termine")
    (listing,) = await rig.api.wait_for_sent(ANNA["id"])
    assert "Veranstaltungen" in listing.params["text"]
    async with rig.app.uow() as uow:
        recorded = await uow.state.get(SKIPPED_KEY.format(update_id=bad))
    assert recorded and "poll_answer" not in recorded  # the error, not the content
    rig.api.inject_message(ANNA["id"], ANNA, "/hilfe")  # and later updates still arrive
    await rig.api.wait_for_sent(ANNA["id"], 2)


async def test_an_anonymous_group_admin_is_told_why_the_bot_cannot_act(rig):
    # Telegram sends their messages from GroupAnonymousBot with the group as sender_chat.
    rig.api.add_chat(GROUP, "supergroup", title="Netzwerk")
    rig.api.inject_anonymous_admin_message(GROUP, "/termine")
    (answer,) = await rig.api.wait_for_sent(GROUP)
    assert "anonyme Administration" in answer.params["text"]
    rig.api.inject_anonymous_admin_message(GROUP, "Hallo zusammen")  # chatter: nothing
    rig.api.inject_message(GROUP, BERND, "/termine", "supergroup")
    await rig.api.wait_for_sent(GROUP, 2)
    assert "anonyme" not in rig.api.texts_to(GROUP)[1]
    async with rig.app.uow() as uow:  # nobody was made a guest for the group
        assert await uow.identities.get(Platform.TELEGRAM, str(GROUP)) is None
        assert await uow.identities.get(Platform.TELEGRAM, "1087968824") is None


async def test_a_group_upgraded_to_a_supergroup_keeps_its_links_and_messages(rig):
    # Telegram gives the group a new id; the old one answers every send with
    # migrate_to_chat_id. Links move with the service message, and a message still addressed
    # to the old id goes to the new one.
    from bot.messages import IncomingMessage
    from bot.reply import Reply
    from bot.router import outgoing

    old, new = -4001, -1004001
    rig.api.add_chat(old, "group", title="Kurzformat")
    event = await factories.event(rig.app, capacity=5)
    async with rig.app.uow() as uow:
        await uow.polls.link_event_room(event.id, Platform.TELEGRAM, str(old), rig.app.clock.now())
        await uow.commit()
    rig.api.inject_message(old, BERND, "/termine", "group")
    await rig.api.wait_for_sent(old)

    rig.api.migrate_group(old, new)

    async def moved() -> list:
        async with rig.app.uow() as uow:
            return await uow.polls.event_rooms(event.id)

    for _ in range(250):
        if await moved() == [(Platform.TELEGRAM, str(new))]:
            break
        await asyncio.sleep(0.02)
    assert await moved() == [(Platform.TELEGRAM, str(new))]

    # A reply still addressed to the old group (queued before the move was known).
    late = IncomingMessage(
        Platform.TELEGRAM, str(BERND["id"]), "", chat_id=str(old), is_private=False
    )
    async with rig.app.uow() as uow:
        await uow.outbox.add(outgoing(late, Reply("Nachzügler"), rig.app.clock.now()))
        await uow.commit()
    rig.transport.kick()
    (arrived,) = await rig.api.wait_for_sent(new, 1, timeout=10)
    assert arrived.params["text"] == "Nachzügler"
    refused = [c for c in rig.api.calls if c.chat_id == old and c.status == 400]
    assert len(refused) <= 1  # tried once at the old id, then sent to the new one


async def test_a_database_outage_is_one_log_line_and_loses_no_update(rig, caplog, monkeypatch):
    # While the database is away every try to handle /termine fails: that is no fault of
    # the update (it must not be skipped after three tries), the log gets one line per
    # state change (no traceback per try), and once it is back /termine is answered once.
    import logging

    from bot.adapters.telegram import SKIPPED_KEY
    from storage.uow import SqlUnitOfWork

    caplog.set_level(logging.INFO)
    tries = 0
    entering = SqlUnitOfWork.__aenter__

    async def away(self: SqlUnitOfWork) -> SqlUnitOfWork:
        nonlocal tries
        tries += 1
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")

    monkeypatch.setattr(SqlUnitOfWork, "__aenter__", away)
    update_id = rig.api.inject_message(ANNA["id"], ANNA, "/termine")
    await rig.api.wait_for(lambda: tries >= 5, timeout=30)  # several rounds of tries
    assert rig.api.texts_to(ANNA["id"]) == []
    monkeypatch.setattr(SqlUnitOfWork, "__aenter__", entering)
    (listing,) = await rig.api.wait_for_sent(ANNA["id"], timeout=30)
    assert "Veranstaltungen" in listing.params["text"]
    rig.api.inject_message(ANNA["id"], ANNA, "/hilfe")
    await rig.api.wait_for_sent(ANNA["id"], 2)
    assert rig.api.texts_to(ANNA["id"]).count(listing.params["text"]) == 1
    async with rig.app.uow() as uow:
        assert await uow.state.get(SKIPPED_KEY.format(update_id=update_id)) is None
    failing = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert 1 <= len(failing) <= 2, [r.getMessage() for r in failing]  # handling, delivery
    assert all(r.exc_info is None and "ConnectionRefusedError" in r.getMessage() for r in failing)
    assert "telegram: handling updates works again" in caplog.text


async def test_an_update_that_fails_the_same_way_every_time_is_skipped_at_once(
    rig, monkeypatch, caplog
):
    # A bug or bad data fails every try alike: retrying (with pauses) only held up everybody
    # else's messages. It is recorded and skipped at once; the others are answered.
    import logging

    from bot.adapters.telegram import SKIPPED_KEY
    from bot.router import Router

    caplog.set_level(logging.INFO)
    handle = Router.handle

    async def broken(self, message):
        if message.text == "/boom":
            raise AttributeError("'NoneType' object has no attribute 'id'")
        return await handle(self, message)

    monkeypatch.setattr(Router, "handle", broken)
    bad = []
    for n in range(5):
        bad.append(rig.api.inject_message(ANNA["id"], ANNA, "/boom"))
        rig.api.inject_message(BERND["id"], BERND, f"/termin {n + 1}")
    await rig.api.wait_for_sent(BERND["id"], 5)
    async with rig.app.uow() as uow:
        for update_id in bad:
            recorded = await uow.state.get(SKIPPED_KEY.format(update_id=update_id))
            assert "AttributeError" in recorded
    assert "will retry" not in caplog.text
    assert caplog.text.count("skipped after 1 try") == 5


async def test_a_name_with_a_nul_byte_or_a_broken_surrogate_is_answered(rig):
    # PostgreSQL refuses NUL in text; a platform's name is cleaned before it is stored, and
    # an error while resolving the sender would still be answered with an apology.
    for user_id, name in ((811, "Ni\x00na"), (812, "Ulf\ud800")):
        user = {"id": user_id, "first_name": name}
        rig.api.inject_message(user_id, user, "/termine")
        (answer,) = await rig.api.wait_for_sent(user_id)
        assert "Veranstaltungen" in answer.params["text"]
    async with rig.app.uow() as uow:
        names = {p.display_name for p in await uow.persons.list()}
    assert {"Nina", "Ulf"} <= names
