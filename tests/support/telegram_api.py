"""A local stand-in for the Telegram Bot API, for tests and benchmarks.

`TelegramApi` is an ASGI app served by uvicorn on a free loopback port inside the test's event
loop. The real python-telegram-bot client talks to it over HTTP::

    async with TelegramApi() as api:
        async with telegram.Bot(api.token, base_url=api.base_url) as bot:
            api.inject_message(7, 7, "/start")
            updates = await bot.get_updates(timeout=5)

It answers like Telegram (`{"ok": true, "result": ...}` or an error with `error_code`,
`description` and `parameters.retry_after`), keeps updates until an offset confirms them, enforces
flood limits with sliding windows, records every request, and lets a test inject updates, faults
and latency. Only the subset of the Bot API the bot uses is implemented (see `TelegramApi.METHODS`).

Fixtures: import `telegram_api` (a running stand-in with Telegram's limits) and/or
`telegram_api_factory` (`await telegram_api_factory(group_limit=3)`, stopped after the test) into
a test module or conftest; list them in the module's `__all__` to keep ruff from flagging the
import. Outside pytest use `async with TelegramApi(...)` or `await start_telegram_api(...)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import html
import inspect
import itertools
import json
import math
import re
import secrets
import socket
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http import HTTPStatus
from typing import Any, Literal, TypeVar

import pytest_asyncio
import uvicorn
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from tests.support.credentials import made

__all__ = [
    "SEND_METHODS",
    "ApiError",
    "Call",
    "TelegramApi",
    "Upload",
    "start_telegram_api",
    "telegram_api",
    "telegram_api_factory",
]

JSON = dict[str, Any]
UserLike = int | JSON
ChatType = Literal["private", "group", "supergroup", "channel"]
T = TypeVar("T")

#: Methods that count against the flood limits.
SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPoll", "editMessageText"})
#: Methods recorded in `TelegramApi.sent` (successful requests that change a chat).
CHAT_WRITES = SEND_METHODS | {
    "editMessageReplyMarkup",
    "deleteMessage",
    "stopPoll",
    "answerCallbackQuery",
}
# Form fields whose values are plain strings; every other field is JSON-encoded by the client.
_STRING_PARAMS = frozenset(
    [
        "text",
        "caption",
        "parse_mode",
        "question",
        "callback_query_id",
        "url",
        "secret_token",
        "language_code",
        "inline_message_id",
        "explanation",
        "document",
        "ip_address",
    ]
)
_PATH = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)/?")
_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_ADMIN_RIGHTS = [
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
]
_MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "left", "kicked"})
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_POLL_OPTIONS = 12  # Bot API 9.1+
MIN_POLL_OPTIONS = 1  # Bot API 10.0 (python-telegram-bot 22.8); it was 2 before


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(
        self,
        status: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        parameters = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:
            body["parameters"] = parameters
        return body


def _flood(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


@dataclass(frozen=True)
class Upload:
    """A file uploaded with multipart/form-data."""

    filename: str | None
    content: bytes = field(repr=False)
    content_type: str | None = None


@dataclass
class Call:
    """One request as the stand-in received and answered it."""

    method: str
    params: JSON
    time: float  # time.monotonic() when processed
    chat_id: int | str | None = None
    status: int = 200
    result: Any = None
    description: str | None = None
    early: bool = False  # repeated before the retry_after announced for it had elapsed

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None
    drop: bool
    after_effect: bool
    delay: float


class _DroppedConnection(Exception):
    """Raised after the response head was sent, so uvicorn closes the connection."""


class _Signal:
    """Wakes every waiter on each change; notify() is synchronous, waiters re-check a predicate."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def until(self, predicate: Callable[[], T]) -> T:
        while not (result := predicate()):
            await self._event.wait()
        return result


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


#: The sender Telegram names for anonymous group administrators (Bot API, Message.from).
GROUP_ANONYMOUS_BOT = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}

#: Telegram's HTML style: these tags (and no others), entities &lt; &gt; &amp; &quot; and
#: numeric ones (Bot API, "Formatting options").
HTML_TAGS = frozenset(
    [
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    ]
)
HTML_ENTITIES = frozenset({"lt", "gt", "amp", "quot"})


class _TelegramHtml(HTMLParser):
    """Telegram's HTML parser, as strict as Telegram: unknown tags, unclosed or crossed
    tags and unknown entities are refused with its error texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.text: list[str] = []
        self.open: list[str] = []

    def _offset(self) -> int:
        line, column = self.getpos()
        before = "\n".join(self.rawdata.split("\n")[: line - 1])
        return len((before + ("\n" if line > 1 else "")).encode()) + len(
            self.rawdata.split("\n")[line - 1][:column].encode()
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_TAGS:
            raise _entities(f'Unsupported start tag "{tag}" at byte offset {self._offset()}')
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise _entities(f'Unsupported start tag "{tag}" at byte offset {self._offset()}')

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            expected = f'"</{self.open[-1]}>"' if self.open else "no end tag"
            raise _entities(
                f"Unmatched end tag at byte offset {self._offset()}, expected {expected}, "
                f'found "</{tag}>"'
            )
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data:
            raise _entities(f"Unsupported start tag at byte offset {self._offset()}")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in HTML_ENTITIES:
            raise _entities(f'Unsupported HTML entity "&{name};" at byte offset {self._offset()}')
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.text.append(html.unescape(f"&#{name};"))


def _entities(problem: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {problem}")


def _plain_text(text: str, parse_mode: str | None) -> str:
    """The text Telegram shows: HTML parsed as strictly as Telegram does (other parse modes
    are kept verbatim). Raises :class:`ApiError` ("can't parse entities") like Telegram."""
    if (parse_mode or "").lower() != "html":
        return text
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.rawdata:  # an unfinished tag at the end: "<b" or "<a href="
        raise _entities(f"Unclosed start tag at byte offset {len(text.encode())}")
    if parser.open:
        raise _entities(f'Can\'t find end tag corresponding to start tag "{parser.open[-1]}"')
    return "".join(parser.text)


def _command_entities(text: str) -> list[JSON]:
    return [
        {
            "type": "bot_command",
            "offset": _utf16_len(text[: m.start()]),
            "length": _utf16_len(m.group()),
        }
        for m in _COMMAND.finditer(text)
    ]


def _decode(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def _read_params(request: Request) -> JSON:
    """Parameters from the query string and a JSON, urlencoded or multipart body."""
    params: JSON = {k: _decode(k, v) for k, v in request.query_params.items()}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        body = await request.body()
        if body:
            params.update(json.loads(body))
    elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        async with request.form() as form:
            for name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    params[name] = Upload(value.filename, await value.read(), value.content_type)
                else:
                    params[name] = _decode(name, value)
    return params


class TelegramApi:
    """The Bot API stand-in: an ASGI app plus the test-facing API.

    Flood limits (sliding windows over accepted `SEND_METHODS` requests): at most `global_limit`
    sends per `global_window` seconds overall, `group_limit` per `group_window` seconds in one
    group, and optionally `private_limit` per `private_window` in one private chat (Telegram does
    not enforce this one strictly; off by default). Pass `0`/`None` to disable a limit.
    """

    #: The Bot API methods the stand-in implements.
    METHODS = (
        "getMe",
        "getUpdates",
        "setWebhook",
        "deleteWebhook",
        "getWebhookInfo",
        "setMyCommands",
        "getMyCommands",
        "deleteMyCommands",
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "deleteMessage",
        "answerCallbackQuery",
        "sendDocument",
        "sendPoll",
        "stopPoll",
        "getChat",
        "getChatMember",
        "getChatAdministrators",
    )

    def __init__(
        self,
        token: str | None = None,
        *,
        bot_username: str = "engagiert_test_bot",
        bot_name: str = "Engagiert Test",
        host: str = "127.0.0.1",
        port: int = 0,
        global_limit: int | None = 30,
        global_window: float = 1.0,
        group_limit: int | None = 20,
        group_window: float = 60.0,
        private_limit: int | None = None,
        private_window: float = 1.0,
        latency: float = 0.0,
        auto_chats: bool = False,
    ) -> None:
        """`auto_chats=True` creates unknown chats on first send instead of answering like
        Telegram (403 for a user who never started the bot, 400 "chat not found" for groups)."""
        if token is None:  # a throwaway token like Telegram's: bot id, colon, 35 characters
            token = f"{secrets.randbelow(9 * 10**9) + 10**9}:{secrets.token_urlsafe(26)}"
        self.token = made(token)
        self.host = host
        self.port = port
        self.global_limit, self.global_window = global_limit, global_window
        self.group_limit, self.group_window = group_limit, group_window
        self.private_limit, self.private_window = private_limit, private_window
        self.latency = latency
        self.auto_chats = auto_chats
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456789
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

        # What a test inspects.
        self.calls: list[Call] = []
        self.sent: defaultdict[int | str, list[Call]] = defaultdict(list)
        self.early_retries = 0
        self.webhook: JSON = {}
        self.allowed_updates: list[str] | None = None
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.callback_answers: dict[str, JSON] = {}
        self.polls: dict[str, JSON] = {}
        self.chats: dict[int, JSON] = {}
        self.users: dict[int, JSON] = {}
        self.blocked: set[int] = set()
        #: Basic groups upgraded to supergroups: old id -> new id (migrate_group).
        self.migrated: dict[int, int] = {}
        self.waiting_pollers = 0

        self._updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1_000_001)  # callback query, poll and file ids
        self._message_ids: defaultdict[int, itertools.count[int]] = defaultdict(
            lambda: itertools.count(1)
        )
        self._messages: dict[tuple[int, int], JSON] = {}
        self._callbacks: dict[str, int] = {}
        self._members: defaultdict[int, dict[int, str]] = defaultdict(dict)
        self._poll_votes: defaultdict[str, dict[int, list[int]]] = defaultdict(dict)
        self._faults: defaultdict[str, deque[_Fault]] = defaultdict(deque)
        self._retry_deadlines: dict[tuple[str, str], float] = {}
        self._global_sends: deque[float] = deque()
        self._chat_sends: defaultdict[int | str, deque[float]] = defaultdict(deque)
        self._poll_generation = 0
        self._closing = False
        self._changed = _Signal()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._handlers: dict[str, Callable[[JSON], Any]] = {
            name.lower(): getattr(self, "_" + re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower())
            for name in self.METHODS
        }
        self._canonical = {name.lower(): name for name in self.METHODS}

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """python-telegram-bot's `base_url` for this stand-in."""
        return f"{self.url}/bot"

    async def start(self) -> TelegramApi:
        """Bind a loopback port (accepting at once) and serve in the current event loop."""
        # proto=IPPROTO_TCP lets asyncio set TCP_NODELAY (else Nagle adds ~40 ms per request).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(1024)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self,
            interface="asgi3",
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        return self

    async def stop(self) -> None:
        """End pending long polls and shut the server down."""
        self._closing = True
        self._changed.notify()
        if self._server and self._task:
            self._server.should_exit = True
            await self._task
        self._server = self._task = None

    async def __aenter__(self) -> TelegramApi:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ test-facing setup

    def user(self, user: UserLike) -> JSON:
        """Register (or look up) a user given by id or as a partial User dict."""
        data = {"id": user} if isinstance(user, int) else dict(user)
        known = self.users.get(data["id"], {})
        data = {"is_bot": False, "first_name": f"User {data['id']}", **known, **data}
        self.users[data["id"]] = data
        return data

    def add_chat(
        self,
        chat_id: int,
        chat_type: ChatType | None = None,
        *,
        title: str | None = None,
        username: str | None = None,
    ) -> JSON:
        """Make a chat known to the bot; the type defaults from the id like Telegram's ids."""
        if chat_id in self.chats:
            chat = self.chats[chat_id]
            chat.update({k: v for k, v in (("title", title), ("username", username)) if v})
            return chat
        if chat_type is None:
            chat_type = (
                "private"
                if chat_id > 0
                else ("supergroup" if str(chat_id).startswith("-100") else "group")
            )
        chat: JSON = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            user = self.user(chat_id)
            chat |= {k: user[k] for k in ("first_name", "last_name", "username") if k in user}
        else:
            chat["title"] = title or f"Group {chat_id}"
            self._members[chat_id].setdefault(self.bot_user["id"], "member")
        if username:
            chat["username"] = username
        self.chats[chat_id] = chat
        return chat

    def set_chat_member(self, chat_id: int, user: UserLike, status: str = "member") -> None:
        """Set a user's status in a chat: creator, administrator, member, left or kicked."""
        if status not in _MEMBER_STATUSES:
            raise ValueError(f"unsupported member status {status!r}")
        self.add_chat(chat_id)
        self._members[chat_id][self.user(user)["id"]] = status

    def set_admins(
        self, chat_id: int, admins: Iterable[UserLike], *, creator: UserLike | None = None
    ) -> None:
        """Declare who administers a group (for getChatMember / getChatAdministrators)."""
        for admin in admins:
            self.set_chat_member(chat_id, admin, "administrator")
        if creator is not None:
            self.set_chat_member(chat_id, creator, "creator")

    def fail_next(
        self,
        method: str,
        times: int = 1,
        *,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        drop: bool = False,
        after_effect: bool = False,
        delay: float = 0.0,
    ) -> None:
        """Make the next `times` calls of `method` fail.

        `drop` closes the connection after the response head instead of answering (the client
        sees a network error); `after_effect` applies the method's effect first (the message
        *is* delivered, the client does not learn it); `delay` adds latency to those calls.
        """
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if status == 429
                else HTTPStatus(status).phrase
            )
        fault = _Fault(status, description, retry_after, drop, after_effect, delay)
        self._faults[method.lower()].extend(fault for _ in range(times))

    # ------------------------------------------------------------------ updates

    def inject_update(self, update: JSON) -> int:
        """Queue a raw update (an `update_id` is assigned unless given) and return its id.

        Like Telegram, an update whose type is not in the current `allowed_updates` is dropped.
        """
        update = copy.deepcopy(update)
        update.setdefault("update_id", next(self._update_ids))
        kind = next(k for k in update if k != "update_id")
        allowed = kind in self.allowed_updates if self.allowed_updates else None
        if allowed or (allowed is None and kind not in _DEFAULT_EXCLUDED_UPDATES):
            self._updates.append(update)
            self._changed.notify()
        return update["update_id"]

    def make_message_update(
        self,
        chat_id: int,
        from_user: UserLike,
        text: str,
        chat_type: ChatType | None = None,
        *,
        title: str | None = None,
        reply_to_message_id: int | None = None,
        **fields: Any,
    ) -> JSON:
        """Build (not queue) a `message` update, e.g. to POST to the bot's webhook route.

        The message is stored in the chat (so the bot can reply to it) and gets `bot_command`
        entities like Telegram adds them.
        """
        user = self.user(from_user)
        chat = self.add_chat(chat_id, chat_type, title=title)
        if chat["type"] != "private":
            self._members[chat_id].setdefault(user["id"], "member")
        message: JSON = {"from": user, "text": text, **fields}
        if entities := _command_entities(text):
            message.setdefault("entities", entities)
        if reply_to_message_id is not None:
            message["reply_to_message"] = self._message(chat_id, reply_to_message_id)
        stored = self._store_message(chat, message)
        return {"update_id": next(self._update_ids), "message": copy.deepcopy(stored)}

    def inject_message(
        self,
        chat_id: int,
        from_user: UserLike,
        text: str,
        chat_type: ChatType | None = None,
        **kwargs: Any,
    ) -> int:
        """Queue a text message from a user; returns the update_id."""
        return self.inject_update(
            self.make_message_update(chat_id, from_user, text, chat_type, **kwargs)
        )

    def migrate_group(self, old_id: int, new_id: int) -> None:
        """Upgrade a basic group to a supergroup as Telegram does: members move over, the
        old chat answers every send with ``migrate_to_chat_id``, and both chats get their
        service message (``migrate_to_chat_id`` in the old, ``migrate_from_chat_id`` in the
        new one)."""
        old = self.chats[old_id]
        new = self.add_chat(new_id, "supergroup", title=old.get("title"))
        self._members[new_id].update(self._members[old_id])
        starter = next(iter(self._members[old_id]), self.bot_user["id"])
        user = self.user(starter) if starter != self.bot_user["id"] else self.bot_user
        self.inject_update(
            {"message": self._store_message(old, {"from": user, "migrate_to_chat_id": new_id})}
        )
        self.migrated[old_id] = new_id
        self.inject_update(
            {"message": self._store_message(new, {"from": user, "migrate_from_chat_id": old_id})}
        )

    def inject_anonymous_admin_message(self, chat_id: int, text: str) -> int:
        """Queue a message of an anonymous group administrator, as Telegram sends it: from
        GroupAnonymousBot, with the group itself as ``sender_chat``."""
        chat = self.add_chat(chat_id)
        sender_chat = {k: chat[k] for k in ("id", "type", "title") if k in chat}
        return self.inject_message(chat_id, GROUP_ANONYMOUS_BOT, text, sender_chat=sender_chat)

    def make_callback_update(
        self, chat_id: int, from_user: UserLike, data: str, message_id: int
    ) -> JSON:
        """Build (not queue) a `callback_query` update for a button under a stored message."""
        message = self._message(chat_id, message_id)
        query_id = str(next(self._ids))
        self._callbacks[query_id] = chat_id
        query = {
            "id": query_id,
            "from": self.user(from_user),
            "message": message,
            "chat_instance": str(abs(chat_id) * 7919),
            "data": data,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def inject_callback(self, chat_id: int, from_user: UserLike, data: str, message_id: int) -> int:
        """Queue a button press on the stored message; returns the update_id."""
        return self.inject_update(self.make_callback_update(chat_id, from_user, data, message_id))

    def inject_poll_answer(self, poll_id: str, user: UserLike, option_ids: list[int]) -> int:
        """Queue a vote (empty `option_ids` retracts it) on a non-anonymous poll the bot sent."""
        poll = self.polls[poll_id]
        if poll["is_anonymous"]:
            raise ValueError("Telegram sends poll_answer updates only for non-anonymous polls")
        if poll["is_closed"]:
            raise ValueError("poll is closed")
        voter = self.user(user)
        votes = self._poll_votes[poll_id]
        votes[voter["id"]] = list(option_ids)
        for index, option in enumerate(poll["options"]):
            option["voter_count"] = sum(index in ids for ids in votes.values())
        poll["total_voter_count"] = sum(bool(ids) for ids in votes.values())
        answer = {
            "poll_id": poll_id,
            "user": voter,
            "option_ids": list(option_ids),
            "option_persistent_ids": [poll["options"][i]["persistent_id"] for i in option_ids],
        }
        return self.inject_update({"poll_answer": answer})

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by an offset."""
        return list(self._updates)

    # ------------------------------------------------------------------ inspection

    def sent_to(self, chat_id: int | str, method: str | None = None) -> list[Call]:
        """Successful chat-changing requests for a chat, optionally of one method."""
        return [c for c in self.sent.get(chat_id, []) if method is None or c.method == method]

    def texts_to(self, chat_id: int | str) -> list[str]:
        """Texts of the messages sent to a chat, in order."""
        return [c.params["text"] for c in self.sent_to(chat_id, "sendMessage")]

    def commands_for(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command list set for a scope (default scope if None) and language."""
        return self.commands.get((self._scope_key(scope), language_code), [])

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Wait until `predicate()` is truthy (re-checked on every change) and return it."""
        try:
            async with asyncio.timeout(timeout):
                return await self._changed.until(predicate)
        except TimeoutError:
            recent = [(c.method, c.chat_id, c.status) for c in self.calls[-5:]]
            raise TimeoutError(
                f"condition not met within {timeout} s; last calls: {recent}"
            ) from None

    async def wait_for_sent(
        self,
        chat_id: int | str,
        count: int = 1,
        method: str | None = "sendMessage",
        timeout: float = 5.0,
    ) -> list[Call]:
        """Wait until at least `count` requests of `method` reached a chat; return them all."""

        def enough() -> list[Call] | None:
            calls = self.sent_to(chat_id, method)
            return calls if len(calls) >= count else None

        return await self.wait_for(enough, timeout)

    # ------------------------------------------------------------------ ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        match = _PATH.fullmatch(scope["path"])
        if match is None:
            status, body = 404, ApiError(404, "Not Found").body()
        elif match["token"] != self.token:
            status, body = 401, ApiError(401, "Unauthorized").body()
        elif match["method"].lower() not in self._handlers:
            status, body = 404, ApiError(404, "Not Found").body()
        else:
            status, body, drop = await self._dispatch(match["method"].lower(), request)
            if drop:
                start = {"type": "http.response.start", "status": 200}
                await send(start | {"headers": [(b"content-length", b"1000")]})
                raise _DroppedConnection("stand-in dropped the connection on purpose")
        response = Response(json.dumps(body), status, media_type="application/json")
        await response(scope, receive, send)

    async def _dispatch(self, key: str, request: Request) -> tuple[int, JSON, bool]:
        """Run one Bot API method; returns status, body and whether to drop the connection."""
        try:
            params = await _read_params(request)
        except ValueError:
            return 400, ApiError(400, "Bad Request: can't parse JSON").body(), False
        method = self._canonical[key]
        fault = self._faults[key].popleft() if self._faults[key] else None
        if delay := self.latency + (fault.delay if fault else 0.0):
            await asyncio.sleep(delay)  # simulated network/server latency
        call = Call(method, params, time.monotonic(), self._call_chat_id(method, params))
        self.calls.append(call)
        try:
            self._check_early(call)
            if fault and not fault.after_effect:
                raise ApiError(fault.status, fault.description, fault.retry_after)
            if method in SEND_METHODS:
                self._check_flood(call)
            result = self._handlers[key](params)
            if inspect.isawaitable(result):
                result = await result
            call.result = copy.deepcopy(result)
            if method in SEND_METHODS:
                self._count_send(call)
            if method in CHAT_WRITES and call.chat_id is not None:
                self.sent[call.chat_id].append(call)
            if fault:
                raise ApiError(fault.status, fault.description, fault.retry_after)
        except ApiError as exc:
            call.status, call.description = exc.status, exc.description
            if exc.retry_after:
                self._retry_deadlines[self._retry_key(call)] = call.time + exc.retry_after
            return exc.status, exc.body(), bool(fault and fault.drop)
        finally:
            self._changed.notify()
        return 200, {"ok": True, "result": result}, False

    def _call_chat_id(self, method: str, params: JSON) -> int | str | None:
        if method == "answerCallbackQuery":
            return self._callbacks.get(str(params.get("callback_query_id")))
        if "chat_id" not in params:
            return None
        try:
            return self._chat_id(params)
        except ApiError:
            return params["chat_id"]

    # ------------------------------------------------------------------ flood limits

    @staticmethod
    def _retry_key(call: Call) -> tuple[str, str]:
        return call.method, json.dumps(call.params, sort_keys=True, default=repr)

    def _check_early(self, call: Call) -> None:
        """A request repeated before the retry_after announced for it counts as early retry."""
        if not self._retry_deadlines:
            return
        key = self._retry_key(call)
        deadline = self._retry_deadlines.pop(key, None)
        if deadline is not None and call.time < deadline:
            call.early = True
            self.early_retries += 1
            raise _flood(max(1, math.ceil(deadline - call.time)))

    def _is_group(self, chat_id: int | str) -> bool:
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is not None:
            return chat["type"] != "private"
        return isinstance(chat_id, str) or chat_id < 0

    def _chat_window(self, chat_id: int | str) -> tuple[int | None, float]:
        if self._is_group(chat_id):
            return self.group_limit, self.group_window
        return self.private_limit, self.private_window

    @staticmethod
    def _wait_seconds(sends: deque[float], limit: int | None, window: float, now: float) -> float:
        """How long until one more send fits into the sliding window (0 if it fits now)."""
        while sends and sends[0] <= now - window:
            sends.popleft()
        if not limit or len(sends) < limit:
            return 0.0
        return sends[-limit] + window - now

    def _check_flood(self, call: Call) -> None:
        waits = [
            self._wait_seconds(self._global_sends, self.global_limit, self.global_window, call.time)
        ]
        if call.chat_id is not None:
            limit, window = self._chat_window(call.chat_id)
            waits.append(
                self._wait_seconds(self._chat_sends[call.chat_id], limit, window, call.time)
            )
        if (wait := max(waits)) > 0:
            raise _flood(max(1, math.ceil(wait)))

    def _count_send(self, call: Call) -> None:
        self._global_sends.append(call.time)
        if call.chat_id is not None:
            self._chat_sends[call.chat_id].append(call.time)

    # ------------------------------------------------------------------ helpers for methods

    def _chat_id(self, params: JSON) -> int:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            for chat in self.chats.values():
                if chat.get("username") == raw[1:]:
                    return chat["id"]
            raise ApiError(400, "Bad Request: chat not found")
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None

    def _chat(self, params: JSON) -> JSON:
        chat_id = self._chat_id(params)
        chat = self.chats.get(chat_id)
        if chat is None and self.auto_chats:
            chat = self.add_chat(chat_id)
        if chat is None:
            if chat_id > 0:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise ApiError(400, "Bad Request: chat not found")
        if chat["type"] == "private" and chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=self.migrated[chat_id],
            )
        return chat

    def _message(self, chat_id: int, message_id: int) -> JSON:
        try:
            return copy.deepcopy(self._messages[(chat_id, message_id)])
        except KeyError:
            raise KeyError(f"no message {message_id} in chat {chat_id}") from None

    def _store_message(self, chat: JSON, fields: JSON) -> JSON:
        message_id = next(self._message_ids[chat["id"]])
        message = {"message_id": message_id, "date": int(time.time()), "chat": chat, **fields}
        self._messages[(chat["id"], message_id)] = message
        return message

    def _bot_message(self, params: JSON, error: str) -> JSON:
        """The stored message addressed by chat_id + message_id (400 `error` if missing)."""
        key = (self._chat_id(params), int(params.get("message_id") or 0))
        if key not in self._messages:
            raise ApiError(400, f"Bad Request: {error}")
        return self._messages[key]

    def _send(self, params: JSON, fields: JSON) -> JSON:
        """Store a new bot message with the common send options."""
        chat = self._chat(params)
        fields = {"from": self.bot_user, **fields}
        if markup := self._inline_markup(params):
            fields["reply_markup"] = markup
        reply = params.get("reply_parameters")
        if reply is None and params.get("reply_to_message_id"):
            reply = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": params.get("allow_sending_without_reply", False),
            }
        if reply:
            target = self._messages.get((chat["id"], int(reply["message_id"])))
            if target is not None:
                fields["reply_to_message"] = {
                    k: v for k, v in target.items() if k != "reply_to_message"
                }
            elif not reply.get("allow_sending_without_reply"):
                raise ApiError(400, "Bad Request: message to be replied not found")
        return self._store_message(chat, fields)

    @staticmethod
    def _inline_markup(params: JSON) -> JSON | None:
        """Validate reply_markup; only inline keyboards are echoed in the Message."""
        markup = params.get("reply_markup")
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return None
        for row in markup["inline_keyboard"]:
            for button in row:
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed here")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    @staticmethod
    def _text(params: JSON, name: str = "text", limit: int = MAX_TEXT_LENGTH) -> str:
        text = _plain_text(str(params.get(name) or ""), params.get("parse_mode"))
        if name == "text" and not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > limit:
            what = "message" if name == "text" else "message caption"
            raise ApiError(400, f"Bad Request: {what} is too long")
        return text

    @staticmethod
    def _scope_key(scope: JSON | None) -> str:
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    def _member(self, chat_id: int, user_id: int) -> JSON:
        chat = self.chats[chat_id]
        default = "member" if chat["type"] == "private" and user_id == chat_id else "left"
        status = self._members[chat_id].get(user_id, default)
        user = self.bot_user if user_id == self.bot_user["id"] else self.user(user_id)
        member: JSON = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member |= {"can_be_edited": False, "is_anonymous": False}
            member |= dict.fromkeys(_ADMIN_RIGHTS, True)
        elif status == "kicked":
            member["until_date"] = 0
        return member

    # ------------------------------------------------------------------ Bot API methods

    def _get_me(self, params: JSON) -> JSON:
        return self.bot_user

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if params.get("allowed_updates") is not None:
            self.allowed_updates = list(params["allowed_updates"]) or None
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        if timeout and not self._updates:
            self.waiting_pollers += 1
            self._changed.notify()
            try:
                async with asyncio.timeout(timeout):
                    await self._changed.until(
                        lambda: (
                            self._updates or self._closing or generation != self._poll_generation
                        )
                    )
            except TimeoutError:
                pass
            finally:
                self.waiting_pollers -= 1
        if generation != self._poll_generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return copy.deepcopy(self._updates[:limit])

    def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token")
        if secret is not None and not _SECRET.fullmatch(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if params.get("allowed_updates") is not None:
            self.allowed_updates = list(params["allowed_updates"]) or None
        self.webhook = (
            {k: v for k, v in params.items() if k != "drop_pending_updates"} if url else {}
        )
        return True

    def _delete_webhook(self, params: JSON) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {}
        return True

    def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook:
            info["max_connections"] = self.webhook.get("max_connections", 40)
            if self.allowed_updates:
                info["allowed_updates"] = self.allowed_updates
        return info

    def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: command description is empty or too long")
        key = (self._scope_key(params.get("scope")), params.get("language_code") or "")
        self.commands[key] = list(commands)
        return True

    def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self.commands_for(params.get("scope"), params.get("language_code") or "")

    def _delete_my_commands(self, params: JSON) -> bool:
        key = (self._scope_key(params.get("scope")), params.get("language_code") or "")
        self.commands.pop(key, None)
        return True

    def _send_message(self, params: JSON) -> JSON:
        fields: JSON = {"text": self._text(params)}
        if params.get("link_preview_options"):
            fields["link_preview_options"] = params["link_preview_options"]
        return self._send(params, fields)

    def _edit_message_text(self, params: JSON) -> JSON | bool:
        if params.get("inline_message_id"):
            return True
        message = self._bot_message(params, "message to edit not found")
        text = self._text(params)
        markup = self._inline_markup(params)
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if message["text"] == text and message.get("reply_markup") == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        return self._edit(message, text=text, reply_markup=markup)

    def _edit_message_reply_markup(self, params: JSON) -> JSON | bool:
        if params.get("inline_message_id"):
            return True
        message = self._bot_message(params, "message to edit not found")
        markup = self._inline_markup(params)
        if message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        return self._edit(message, reply_markup=markup)

    @staticmethod
    def _edit(message: JSON, **changes: Any) -> JSON:
        for name, value in changes.items():
            if value is None:
                message.pop(name, None)
            else:
                message[name] = value
        message["edit_date"] = int(time.time())
        return message

    def _delete_message(self, params: JSON) -> bool:
        """Like Telegram: the bot deletes its own messages, and other people's in a group only
        as an administrator allowed to delete messages."""
        message = self._bot_message(params, "message to delete not found")
        chat_id = message["chat"]["id"]
        own = message.get("from", {}).get("id") == self.bot_user["id"]
        admin = self._members[chat_id].get(self.bot_user["id"]) in ("administrator", "creator")
        if not own and message["chat"]["type"] != "private" and not admin:
            raise ApiError(400, "Bad Request: message can't be deleted")
        del self._messages[(chat_id, message["message_id"])]
        return True

    def message_exists(self, chat_id: int, message_id: int) -> bool:
        return (chat_id, message_id) in self._messages

    def _answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._callbacks or query_id in self.callback_answers:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self.callback_answers[query_id] = params
        return True

    def _send_document(self, params: JSON) -> JSON:
        document = params.get("document")
        file_id = f"document-{next(self._ids)}"
        if isinstance(document, Upload):
            file: JSON = {"file_id": file_id, "file_unique_id": file_id}
            file["file_size"] = len(document.content)
            if document.filename:
                file["file_name"] = document.filename
            if document.content_type:
                file["mime_type"] = document.content_type
        elif isinstance(document, str) and document:
            file = {"file_id": document, "file_unique_id": file_id}
        else:
            raise ApiError(400, "Bad Request: there is no document in the request")
        fields: JSON = {"document": file}
        if params.get("caption"):
            fields["caption"] = self._text(params, "caption", MAX_CAPTION_LENGTH)
        return self._send(params, fields)

    def _send_poll(self, params: JSON) -> JSON:
        question = str(params.get("question") or "")
        options = [
            o if isinstance(o, str) else o.get("text", "") for o in params.get("options") or []
        ]
        if not 1 <= len(question) <= 300:
            raise ApiError(400, "Bad Request: poll question length must be 1-300 characters")
        if len(options) < MIN_POLL_OPTIONS:
            raise ApiError(400, "Bad Request: poll must have at least 1 option")
        if len(options) > MAX_POLL_OPTIONS:
            raise ApiError(
                400, f"Bad Request: poll can't have more than {MAX_POLL_OPTIONS} options"
            )
        if not all(1 <= len(option) <= 100 for option in options):
            raise ApiError(400, "Bad Request: poll options length must be 1-100 characters")
        open_period = params.get("open_period")
        if open_period is not None and not 5 <= int(open_period) <= 2_628_000:
            raise ApiError(400, "Bad Request: wrong open period specified")
        kind = params.get("type") or "regular"
        poll: JSON = {
            "id": str(next(self._ids)),
            "question": question,
            "options": [
                {"text": text, "voter_count": 0, "persistent_id": str(i)}
                for i, text in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": bool(params.get("is_closed", False)),
            "is_anonymous": bool(params.get("is_anonymous", True)),
            "type": kind,
            "allows_multiple_answers": bool(params.get("allows_multiple_answers", False)),
            "allows_revoting": kind == "regular",
            "members_only": False,
        }
        for name in ("open_period", "close_date", "correct_option_id", "explanation"):
            if params.get(name) is not None:
                poll[name] = params[name]
        message = self._send(params, {"poll": poll})
        self.polls[poll["id"]] = poll  # shared with the stored message, so votes show there
        return message

    def _stop_poll(self, params: JSON) -> JSON:
        message = self._bot_message(params, "message with poll to stop not found")
        poll = message.get("poll")
        if poll is None:
            raise ApiError(400, "Bad Request: message with poll to stop not found")
        if poll["is_closed"]:
            raise ApiError(400, "Bad Request: poll has already been closed")
        poll["is_closed"] = True
        if markup := self._inline_markup(params):
            message["reply_markup"] = markup
        return poll

    def _get_chat(self, params: JSON) -> JSON:
        chat = self._chat(params)
        gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
        return chat | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys((*gifts, "gifts_from_channels"), False),
        }

    def _get_chat_member(self, params: JSON) -> JSON:
        chat = self._chat(params)
        return self._member(chat["id"], int(params.get("user_id") or 0))

    def _get_chat_administrators(self, params: JSON) -> list[JSON]:
        chat = self._chat(params)
        if chat["type"] == "private":
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        members = self._members[chat["id"]]
        return [
            self._member(chat["id"], user_id)
            for user_id, status in members.items()
            if status in ("creator", "administrator")
        ]


async def start_telegram_api(**options: Any) -> TelegramApi:
    """Start a stand-in (see `TelegramApi` for options); call `await api.stop()` when done."""
    return await TelegramApi(**options).start()


@pytest_asyncio.fixture
async def telegram_api() -> AsyncIterator[TelegramApi]:
    """A running stand-in with Telegram's default limits."""
    async with TelegramApi() as api:
        yield api


@pytest_asyncio.fixture
async def telegram_api_factory() -> AsyncIterator[Callable[..., Awaitable[TelegramApi]]]:
    """`await telegram_api_factory(group_limit=3, ...)` starts stand-ins stopped after the test."""
    started: list[TelegramApi] = []

    async def start(**options: Any) -> TelegramApi:
        api = await start_telegram_api(**options)
        started.append(api)
        return api

    yield start
    for api in reversed(started):
        with contextlib.suppress(Exception):
            await api.stop()
