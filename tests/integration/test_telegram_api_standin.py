"""The Bot API stand-in answers the real python-telegram-bot client like Telegram does."""

import asyncio
import datetime as dtm
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter, Application, CommandHandler, ContextTypes, ExtBot

from tests.support.telegram_api import TelegramApi, telegram_api, telegram_api_factory

__all__ = ["telegram_api", "telegram_api_factory"]  # re-exported fixtures: marks the imports used

ALICE = {"id": 7, "first_name": "Alice", "username": "alice"}
GROUP = -1001234567890
JSON_HEADERS = {"content-type": "application/json"}
KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Anmelden", callback_data="s:1"),
            InlineKeyboardButton("Abmelden", callback_data="c:1"),
        ]
    ]
)


@pytest.fixture(autouse=True)
def _no_request_lines(caplog: pytest.LogCaptureFixture) -> None:
    """A bare client here, no service: its request lines and PTB's "Set Bot API URL" would
    carry the stand-in's token (the service redacts its own, ``bot.redaction``), so they
    stay off."""
    for logger in ("httpx", "telegram"):
        caplog.set_level(logging.WARNING, logger=logger)


@pytest.fixture
async def bot(telegram_api: TelegramApi) -> AsyncIterator[Bot]:
    async with Bot(telegram_api.token, base_url=telegram_api.base_url) as bot:
        yield bot


@pytest.fixture
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let RetryAfter.retry_after be a timedelta (PTB's future default, no deprecation)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


async def test_get_me_tokens_methods_and_bodies(telegram_api: TelegramApi, bot: Bot) -> None:
    me = await bot.get_me()
    bot_id = int(telegram_api.token.split(":")[0])
    assert (me.username, me.is_bot, me.id) == ("engagiert_test_bot", True, bot_id)

    wrong = Bot("42:wrong", base_url=telegram_api.base_url)
    with pytest.raises(InvalidToken, match="rejected"):
        await wrong.initialize()
    await wrong.shutdown()
    telegram_api.inject_message(7, ALICE, "/start")
    async with httpx.AsyncClient(base_url=f"{telegram_api.base_url}{telegram_api.token}") as client:
        unknown = await client.post("/sendTelepathy", json={})
        as_json = await client.post("/sendMessage", json={"chat_id": 7, "text": "123"})
        broken = await client.post("/sendMessage", content=b"{", headers=JSON_HEADERS)
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert as_json.json()["result"]["text"] == "123"
    assert broken.status_code == 400


async def test_send_message_returns_message_and_records_payload(
    telegram_api: TelegramApi, bot: Bot
) -> None:
    telegram_api.inject_message(7, ALICE, "/start")  # message 1; the user opened the chat

    sent = await bot.send_message(
        7,
        "<b>Sommerfest</b> &amp; Grillen",
        parse_mode="HTML",
        reply_markup=KEYBOARD,
        reply_parameters=ReplyParameters(1),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    again = await bot.send_message(7, "Noch etwas")

    assert (sent.message_id, again.message_id) == (2, 3)
    assert sent.text == "Sommerfest & Grillen"
    assert sent.from_user.id == bot.id and sent.chat.type == "private"
    assert sent.reply_to_message.message_id == 1
    assert sent.reply_markup == KEYBOARD
    call = telegram_api.sent_to(7)[0]
    assert call.method == "sendMessage"
    assert call.params["text"] == "<b>Sommerfest</b> &amp; Grillen"
    assert call.params["parse_mode"] == "HTML"
    assert call.params["reply_markup"] == {
        "inline_keyboard": [
            [
                {"text": "Anmelden", "callback_data": "s:1"},
                {"text": "Abmelden", "callback_data": "c:1"},
            ]
        ]
    }
    assert call.params["reply_parameters"] == {"message_id": 1}
    assert call.params["link_preview_options"] == {"is_disabled": True}
    assert telegram_api.texts_to(7) == ["<b>Sommerfest</b> &amp; Grillen", "Noch etwas"]


async def test_errors_like_telegram(telegram_api: TelegramApi, bot: Bot) -> None:
    telegram_api.inject_message(7, ALICE, "hallo")

    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(8, "Hallo Fremde")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(-555, "Hallo Gruppe")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(7, "x" * 4097)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(7, "Knopf", reply_markup=too_long)
    telegram_api.blocked.add(7)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(7, "Hallo")

    assert telegram_api.sent_to(7) == []
    assert [call.status for call in telegram_api.calls[-5:]] == [403, 400, 400, 400, 403]


async def test_get_updates_delivers_updates_until_offset_confirms(
    telegram_api: TelegramApi, bot: Bot
) -> None:
    first = telegram_api.inject_message(7, ALICE, "/start ABC123")
    card = await bot.send_message(7, "Sommerfest", reply_markup=KEYBOARD)
    second = telegram_api.inject_callback(7, ALICE, "s:1", card.message_id)

    updates = await bot.get_updates(timeout=0)
    assert all(isinstance(update, Update) for update in updates)
    assert [update.update_id for update in updates] == [first, second]
    message, press = updates[0].message, updates[1].callback_query
    assert message.text == "/start ABC123" and message.from_user.username == "alice"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 6
    assert press.data == "s:1" and press.message.message_id == card.message_id
    assert await press.answer("Angemeldet")
    assert telegram_api.callback_answers[press.id]["text"] == "Angemeldet"

    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [first, second]
    assert await bot.get_updates(offset=second + 1, timeout=0) == ()
    assert await bot.get_updates(timeout=0) == ()
    assert telegram_api.pending_updates == []


async def test_long_poll_returns_when_an_update_arrives(
    telegram_api: TelegramApi, bot: Bot
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await telegram_api.wait_for(lambda: telegram_api.waiting_pollers == 1)
    assert not poll.done()

    update_id = telegram_api.inject_message(7, ALICE, "hallo")
    updates = await poll

    assert [update.update_id for update in updates] == [update_id]
    assert telegram_api.waiting_pollers == 0


async def test_second_poller_terminates_the_first(telegram_api: TelegramApi, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=30))
    await telegram_api.wait_for(lambda: telegram_api.waiting_pollers == 1)

    async with Bot(telegram_api.token, base_url=telegram_api.base_url) as restarted:
        assert await restarted.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_send_document_records_the_bytes(telegram_api: TelegramApi, bot: Bot) -> None:
    telegram_api.inject_message(7, ALICE, "/ical")
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"

    message = await bot.send_document(7, ics, filename="sommerfest.ics", caption="Termin")

    assert message.document.file_name == "sommerfest.ics"
    assert message.document.file_size == len(ics) and message.caption == "Termin"
    upload = telegram_api.sent_to(7, "sendDocument")[0].params["document"]
    assert (upload.filename, upload.content) == ("sommerfest.ics", ics)


async def test_commands_are_stored_per_scope_and_language(
    telegram_api: TelegramApi, bot: Bot
) -> None:
    german = [BotCommand("anmelden", "Zu einer Veranstaltung anmelden")]
    english = [BotCommand("anmelden", "Sign up for an event")]
    assert await bot.set_my_commands(german, language_code="de")
    assert await bot.set_my_commands(english, language_code="en")
    assert await bot.set_my_commands(english, scope=BotCommandScopeAllGroupChats())

    assert await bot.get_my_commands(language_code="de") == tuple(german)
    assert await bot.get_my_commands() == ()
    assert telegram_api.commands_for(language_code="en") == [
        {"command": "anmelden", "description": "Sign up for an event"}
    ]
    assert telegram_api.commands_for({"type": "all_group_chats"}) == [english[0].to_dict()]


async def test_webhook_is_recorded_and_blocks_get_updates(
    telegram_api: TelegramApi, bot: Bot
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)https url"):
        await bot.set_webhook("http://bot.example/telegram/webhook")
    assert await bot.set_webhook(
        "https://bot.example/telegram/webhook",
        secret_token="s3cret_token",
        allowed_updates=["message", "callback_query"],
    )
    assert telegram_api.webhook["secret_token"] == "s3cret_token"
    assert (await bot.get_webhook_info()).url == "https://bot.example/telegram/webhook"
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates(timeout=0)

    update = telegram_api.make_message_update(GROUP, ALICE, "/anmelden@engagiert_test_bot")
    parsed = Update.de_json(update, bot)
    assert parsed.message.chat.type == "supergroup" and parsed.message.text.startswith("/anmelden")
    assert telegram_api.pending_updates == []  # built for a POST, not queued

    assert await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()


async def test_chat_members_and_admins_are_configurable(
    telegram_api: TelegramApi, bot: Bot
) -> None:
    telegram_api.set_admins(GROUP, [ALICE], creator=8)
    telegram_api.inject_message(GROUP, 9, "Hallo zusammen", title="Sommerfest-Team")

    assert isinstance(await bot.get_chat_member(GROUP, 7), ChatMemberAdministrator)
    assert isinstance(await bot.get_chat_member(GROUP, 8), ChatMemberOwner)
    assert isinstance(await bot.get_chat_member(GROUP, 9), ChatMemberMember)
    assert isinstance(await bot.get_chat_member(GROUP, 10), ChatMemberLeft)
    admins = await bot.get_chat_administrators(GROUP)
    assert sorted(admin.user.id for admin in admins) == [7, 8]
    chat = await bot.get_chat(GROUP)
    assert (chat.type, chat.title) == ("supergroup", "Sommerfest-Team")


async def test_polls_answers_and_stop(telegram_api: TelegramApi, bot: Bot) -> None:
    telegram_api.inject_message(GROUP, ALICE, "/umfrage")
    message = await bot.send_poll(GROUP, "Wann treffen wir uns?", ["Montag", "Dienstag"], False)
    poll = message.poll
    assert not poll.is_anonymous and [o.text for o in poll.options] == ["Montag", "Dienstag"]

    update_id = telegram_api.inject_poll_answer(poll.id, ALICE, [1])
    updates = await bot.get_updates(offset=-1, timeout=0)
    assert updates[0].update_id == update_id
    assert (updates[0].poll_answer.poll_id, updates[0].poll_answer.option_ids) == (poll.id, (1,))

    stopped = await bot.stop_poll(GROUP, message.message_id)
    assert stopped.is_closed and [o.voter_count for o in stopped.options] == [0, 1]
    with pytest.raises(BadRequest, match=r"(?i)already been closed"):
        await bot.stop_poll(GROUP, message.message_id)
    anonymous = await bot.send_poll(GROUP, "Anonym?", ["Ja", "Nein"])
    with pytest.raises(ValueError, match="non-anonymous"):
        telegram_api.inject_poll_answer(anonymous.poll.id, ALICE, [0])


async def test_edit_and_delete_messages(telegram_api: TelegramApi, bot: Bot) -> None:
    telegram_api.inject_message(7, ALICE, "/start")
    card = await bot.send_message(7, "Sommerfest: 3 Plätze frei", reply_markup=KEYBOARD)

    edited = await bot.edit_message_text("Sommerfest: 2 Plätze frei", 7, card.message_id)
    assert edited.text == "Sommerfest: 2 Plätze frei" and edited.reply_markup is None
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Sommerfest: 2 Plätze frei", 7, card.message_id)
    marked = await bot.edit_message_reply_markup(7, card.message_id, reply_markup=KEYBOARD)
    assert marked.reply_markup == KEYBOARD
    assert await bot.delete_message(7, card.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(7, card.message_id)
    methods = [call.method for call in telegram_api.sent_to(7)]
    assert methods == ["sendMessage", "editMessageText", "editMessageReplyMarkup", "deleteMessage"]


@pytest.mark.usefixtures("timedelta_retry_after")
async def test_group_flood_limit_and_early_retries(telegram_api_factory) -> None:
    api = await telegram_api_factory(group_limit=2)
    api.add_chat(GROUP)
    api.add_chat(-42)
    async with Bot(api.token, base_url=api.base_url) as bot:
        await bot.send_message(GROUP, "eins")
        await bot.send_message(GROUP, "zwei")
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(GROUP, "drei")
        assert flood.value.retry_after >= dtm.timedelta(seconds=1)
        assert api.early_retries == 0

        with pytest.raises(RetryAfter):
            await bot.send_message(GROUP, "drei")  # the same request, resent at once
        await bot.send_message(-42, "andere Gruppe")  # limited per group, not across groups

    assert api.early_retries == 1
    assert [call.early for call in api.calls if call.status == 429] == [False, True]
    assert api.texts_to(GROUP) == ["eins", "zwei"]


@pytest.mark.usefixtures("timedelta_retry_after")
async def test_global_flood_limit(telegram_api_factory) -> None:
    api = await telegram_api_factory(global_limit=3, auto_chats=True)
    async with Bot(api.token, base_url=api.base_url) as bot:
        for chat_id in (1, 2, 3):
            await bot.send_message(chat_id, "Hallo")
        with pytest.raises(RetryAfter):
            await bot.send_message(4, "Hallo")
        assert await bot.get_me()  # only sends count


@pytest.mark.usefixtures("timedelta_retry_after")
async def test_rate_limiter_delivers_a_group_burst_without_early_retries(
    telegram_api_factory,
) -> None:
    api = await telegram_api_factory(group_limit=3, group_window=1.0)
    api.add_chat(GROUP)
    limiter = AIORateLimiter(group_max_rate=3, group_time_period=1.0, max_retries=3)
    texts = [f"Nachricht {i}" for i in range(6)]
    async with ExtBot(api.token, base_url=api.base_url, rate_limiter=limiter) as bot:
        await asyncio.gather(*(bot.send_message(GROUP, text) for text in texts))

    assert sorted(api.texts_to(GROUP)) == texts  # each delivered exactly once
    assert any(call.status == 429 for call in api.calls)  # the limiter had to retry
    assert api.early_retries == 0


async def test_fault_injection(telegram_api: TelegramApi, bot: Bot) -> None:
    telegram_api.inject_message(7, ALICE, "/start")

    telegram_api.fail_next("sendMessage", status=500)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(7, "eins")
    telegram_api.fail_next("sendMessage", drop=True)
    with pytest.raises(NetworkError):
        await bot.send_message(7, "zwei")
    telegram_api.fail_next("sendMessage", status=502, after_effect=True)
    with pytest.raises(NetworkError):
        await bot.send_message(7, "drei")  # delivered, but the client does not learn it
    await bot.send_message(7, "vier")

    assert telegram_api.texts_to(7) == ["drei", "vier"]


async def test_application_polling_answers_a_group_command(telegram_api: TelegramApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text("Willkommen!")

    application = Application.builder().token(telegram_api.token)
    application = application.base_url(telegram_api.base_url).build()
    application.add_handler(CommandHandler("start", start))
    telegram_api.inject_message(GROUP, ALICE, "Guten Morgen")
    telegram_api.inject_message(GROUP, ALICE, "/start@engagiert_test_bot")

    async with application:
        await application.start()
        await application.updater.start_polling(timeout=dtm.timedelta(seconds=5))
        [reply] = await telegram_api.wait_for_sent(GROUP)
        await application.updater.stop()
        await application.stop()

    assert reply.params["text"] == "Willkommen!"
    assert reply.params["reply_parameters"]["message_id"] == 2
