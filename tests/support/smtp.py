"""A real SMTP server for tests: aiosmtpd on a free loopback port, in its own thread.

Every mail it takes is recorded as a :class:`Received` (envelope sender, recipients, the
message parsed with ``email.policy.default``, whether it came over TLS, who logged in).
A test can make chosen recipients fail, for good or a few times::

    server.refuse("x@y.de", "550 5.1.1 Mailbox unavailable")          # on RCPT TO
    server.refuse("x@y.de", "554 5.7.1 Spam", stage="data")            # after DATA
    server.defer("x@y.de", "451 4.3.0 Try later", times=1)

and wait for mails without sleeping: ``await server.wait_for(3)``.

``server.hold()`` keeps every mail in DATA until ``server.release()`` (a mail in hand).

Variants: ``tls=True`` offers STARTTLS with a certificate for 127.0.0.1/localhost from a
throwaway ``trustme`` CA and requires it (``require_starttls``); clients trust that CA via
``server.client_context``. ``implicit_tls=True`` speaks TLS from the first byte (``smtps``).
``username``/``password`` require AUTH (PLAIN or LOGIN), and AUTH only after STARTTLS unless
``auth_require_tls=False``. Without ``tls`` the server does not offer STARTTLS at all.

Fixtures (import them into the test module and list them in its ``__all__``, or mark the
import ``# noqa: F401``; ``tests/conftest.py`` does not provide them)::

    from tests.support.smtp import smtp_server, smtp_server_factory

    async def test_x(smtp_server): ...                                # plain, no AUTH
    async def test_y(smtp_server_factory):
        server = await smtp_server_factory(tls=True, username="u", password=made("…"))
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import logging
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Literal

import pytest_asyncio
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from bot.smtp_url import SmtpTarget

__all__ = ["Received", "SmtpServer", "smtp_server", "smtp_server_factory"]

Stage = Literal["rcpt", "data"]
HOST = "127.0.0.1"
#: aiosmtpd's logger; at DEBUG it logs every line of every mail (and the AUTH exchange).
SERVER_LOG = "mail.log"


@dataclass(frozen=True, slots=True)
class Received:
    """One mail the server took."""

    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage
    raw: bytes
    tls: bool
    #: The login name it was sent under (None: without AUTH).
    login: str | None


@dataclass(slots=True)
class _Rule:
    reply: str
    stage: Stage
    times: int | None  # None: for ever


@dataclass
class _State:
    """What the server thread and the test share; guarded by ``lock``."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    received: list[Received] = field(default_factory=list)
    rules: dict[str, list[_Rule]] = field(default_factory=dict)
    #: MAIL FROM commands seen (also those of mails that were refused later).
    mail_commands: int = 0
    #: Connections the server accepted (an EHLO/HELO counts one).
    greetings: int = 0
    #: Mails whose DATA waits for :meth:`SmtpServer.release`.
    holding: int = 0
    gate: threading.Event = field(default_factory=threading.Event)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class SmtpServer:
    def __init__(
        self,
        *,
        tls: bool = False,
        implicit_tls: bool = False,
        port: int | None = None,
        username: str | None = None,
        password: str | None = None,
        auth_require_tls: bool = True,
    ) -> None:
        """See the module docstring; ``tls`` and ``implicit_tls`` exclude each other.
        ``port``: a given one (a server that comes back where another one was), else free."""
        if tls and implicit_tls:
            raise ValueError("tls (STARTTLS) or implicit_tls, not both")
        self.port = port or free_port()
        self.username = username
        self._password = password
        self._state = _State()
        self._state.gate.set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self.ca: trustme.CA | None = None
        server_context: ssl.SSLContext | None = None
        if tls or implicit_tls:
            self.ca = trustme.CA()
            server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.ca.issue_cert(HOST, "localhost").configure_cert(server_context)
        self.implicit_tls = implicit_tls
        self.starttls = tls
        options: dict[str, Any] = {"server_hostname": "mail.test", "ready_timeout": 10}
        if implicit_tls:
            options["ssl_context"] = server_context
        elif tls:
            options.update(tls_context=server_context, require_starttls=True)
        if username is not None:
            options.update(
                authenticator=self._authenticate,
                auth_required=True,
                auth_require_tls=auth_require_tls,
            )
        self._controller = Controller(_Handler(self), hostname=HOST, port=self.port, **options)

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> SmtpServer:
        logging.getLogger(SERVER_LOG).setLevel(logging.INFO)
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        await asyncio.to_thread(self._controller.start)
        return self

    async def stop(self) -> None:
        self.release()
        await asyncio.to_thread(self._controller.stop)

    async def __aenter__(self) -> SmtpServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- what a test uses -------------------------------------------------------------------

    @property
    def client_context(self) -> ssl.SSLContext:
        """An SSL context that trusts this server's CA (and nothing else)."""
        context = ssl.create_default_context()
        if self.ca is not None:
            self.ca.configure_trust(context)
        return context

    def target(self, security: Literal["tls", "starttls", "optional"] | None = None) -> SmtpTarget:
        """Where clients find it; ``security`` defaults to what the server offers."""
        if security is None:
            security = "tls" if self.implicit_tls else "starttls" if self.starttls else "optional"
        return SmtpTarget(HOST, self.port, security, self.username, self._password)

    def url(self) -> str:
        """The ``ENGAGIERT_SMTP_URL`` for it: ``smtps://`` for implicit TLS, else ``smtp://``
        (to 127.0.0.1 that means STARTTLS when offered, ``bot.smtp_url``)."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        login = f"{self.username}:{self._password}@" if self.username is not None else ""
        return f"{scheme}://{login}{HOST}:{self.port}"

    def refuse(self, address: str, reply: str, *, stage: Stage = "rcpt") -> None:
        """Answer ``reply`` (``"550 5.1.1 …"``) for ``address`` for ever, on RCPT TO or after
        DATA."""
        self._add(address, _Rule(reply, stage, None))

    def defer(self, address: str, reply: str, *, times: int = 1, stage: Stage = "rcpt") -> None:
        """Answer ``reply`` (``"451 4.3.0 …"``) for ``address`` the next ``times`` tries."""
        self._add(address, _Rule(reply, stage, times))

    def hold(self) -> None:
        """From now on each mail's DATA waits (up to 30 s) for :meth:`release` before the
        server answers it: a mail in hand, for tests of stopping."""
        self._state.gate.clear()

    def release(self) -> None:
        self._state.gate.set()

    @property
    def holding(self) -> int:
        """How many mails wait in DATA for :meth:`release`."""
        with self._state.lock:
            return self._state.holding

    @property
    def received(self) -> list[Received]:
        with self._state.lock:
            return list(self._state.received)

    def to(self, address: str) -> list[Received]:
        """The mails received for ``address``."""
        return [r for r in self.received if address.lower() in (a.lower() for a in r.recipients)]

    @property
    def mail_commands(self) -> int:
        with self._state.lock:
            return self._state.mail_commands

    @property
    def greetings(self) -> int:
        with self._state.lock:
            return self._state.greetings

    async def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        """Wait until ``count`` mails (or more) have been received; returns them all.
        Raises TimeoutError after ``timeout`` seconds."""
        assert self._changed is not None, "start the server first"
        async with asyncio.timeout(timeout):
            while True:
                self._changed.clear()
                if len(received := self.received) >= count:
                    return received
                await self._changed.wait()

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10) -> None:
        """Wait until ``condition()`` (looked at whenever the server did something) holds."""
        assert self._changed is not None, "start the server first"
        async with asyncio.timeout(timeout):
            while True:
                self._changed.clear()
                if condition():
                    return
                await self._changed.wait()

    # --- the server's side (its own thread) -------------------------------------------------

    def _add(self, address: str, rule: _Rule) -> None:
        with self._state.lock:
            self._state.rules.setdefault(address.lower(), []).append(rule)

    def _answer(self, address: str, stage: Stage) -> str | None:
        """The reply a rule gives ``address`` now (using up one of its times), else None."""
        with self._state.lock:
            for rule in self._state.rules.get(address.lower(), []):
                if rule.stage != stage or rule.times == 0:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                return rule.reply
        return None

    def _signal(self) -> None:
        if self._loop is not None and self._changed is not None:
            with contextlib.suppress(RuntimeError):  # the test's loop is closed already
                self._loop.call_soon_threadsafe(self._changed.set)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = (data.login.decode(), data.password.decode()) == (self.username, self._password)
        # Only the name goes into the session (aiosmtpd logs it), never the password.
        return AuthResult(success=ok, handled=False, auth_data=data.login.decode())


class _Handler:
    """aiosmtpd's hooks; they run in the server's thread."""

    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list
    ) -> list:
        session.host_name = hostname
        with self._server._state.lock:
            self._server._state.greetings += 1
        self._server._signal()
        return responses

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        with self._server._state.lock:
            self._server._state.mail_commands += 1
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        self._server._signal()
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        reply = self._server._answer(address, "rcpt")
        if reply is not None:
            self._server._signal()
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        state = self._server._state
        if not state.gate.is_set():
            with state.lock:
                state.holding += 1
            self._server._signal()
            await asyncio.get_running_loop().run_in_executor(None, state.gate.wait, 30)
            with state.lock:
                state.holding -= 1
        for address in envelope.rcpt_tos:
            reply = self._server._answer(address, "data")
            if reply is not None:
                self._server._signal()
                return reply
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        received = Received(
            sender=envelope.mail_from or "",
            recipients=tuple(envelope.rcpt_tos),
            message=parsed,
            raw=raw,
            tls=session.ssl is not None  # after STARTTLS
            or server.transport.get_extra_info("sslcontext") is not None,  # implicit TLS
            login=session.auth_data if session.authenticated else None,
        )
        with self._server._state.lock:
            self._server._state.received.append(received)
        self._server._signal()
        return "250 2.0.0 Message accepted for delivery"


@pytest_asyncio.fixture
async def smtp_server() -> AsyncIterator[SmtpServer]:
    """A running plain SMTP server (no TLS, no AUTH), stopped after the test."""
    async with SmtpServer() as server:
        yield server


@pytest_asyncio.fixture
async def smtp_server_factory() -> AsyncIterator[Callable[..., Awaitable[SmtpServer]]]:
    """``await smtp_server_factory(tls=True, username=…, password=…)`` starts servers that
    are stopped after the test."""
    started: list[SmtpServer] = []

    async def start(**options: Any) -> SmtpServer:
        server = await SmtpServer(**options).start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        with contextlib.suppress(Exception):
            await server.stop()
