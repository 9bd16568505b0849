"""E-mail out: the outbox rows of platform ``email`` sent by SMTP (aiosmtplib).

A small pool of at most ``settings.smtp_connections`` connections is reused across mails,
paced to ``settings.mail_rate`` mails per second together. The connection is secured as
``settings.smtp`` says (``bot.smtp_url``): implicit TLS, STARTTLS required (a server that
does not offer it gets nothing, never a mail in clear), or STARTTLS when offered.

What the server answers decides what happens to the row (``classify``):

* a permanent refusal of the address (``550 5.1.1``) → the address is marked undeliverable
  (``core.mail.mark_undeliverable``) and the row given up;
* a permanent refusal of this mail (``554 5.7.1`` on DATA: spam, size) → given up, the
  address stays;
* a temporary answer (4xx), a lost connection, a timeout → retried by the outbox with
  backoff; ``state`` is "degraded" until a mail goes out again;
* a refusal of us (AUTH, MAIL FROM, relaying denied) → one ERROR line, retried.

Neither the password nor a mail body is ever logged; addresses only at DEBUG.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Literal

import aiosmtplib
from aiolimiter import AsyncLimiter
from fastapi import APIRouter

from bot.app import App
from bot.delivery import (
    OutboxDispatcher,
    PermanentDeliveryError,
    ServerUnavailable,
    make_file,
)
from bot.mail_message import ascii_address, build_message, message_id_for
from bot.notifications import NotificationHub
from bot.outages import DATABASE_PAUSE, Retrying
from bot.reply import MadeFile
from bot.smtp_url import SmtpTarget
from core.domain.outbox import OutgoingMessage
from core.domain.people import Platform
from core.mail import mark_undeliverable

log = logging.getLogger(__name__)

#: Seconds an SMTP command (connecting, each reply) may take.
SMTP_TIMEOUT = 30.0
#: Outgoing mails are retried from the outbox; between wake-ups we look every few seconds.
DELIVERY_TICK = 5.0
#: A pooled connection idle this long (seconds) is closed with QUIT (servers drop idle
#: clients after a few minutes, RFC 5321 §4.5.3.2.7).
IDLE_CLOSE = 30.0
#: How long ``stop`` waits (seconds) for the mails in hand, then for the outbox to record
#: them, then for QUIT (``serve`` allows 4 in all).
STOP_WAIT = (2.5, 0.5, 0.5)
#: While the server cannot be reached: first and longest pause (seconds) between checks.
CHECK_PAUSES = (2.0, 60.0)
#: Server texts are cut to this length where they are stored.
PROBLEM_LENGTH = 300

#: What an SMTP answer means for the mail: ``address``: the mailbox does not exist (mark it);
#: ``rejected``: this mail will never be taken (give up); ``config``: the server refuses us
#: (login, sender, relaying; retry, tell the admin); ``retry``: try again later.
Verdict = Literal["address", "rejected", "config", "retry"]
Stage = Literal["sender", "recipient", "data"]

_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
#: An address in a server's answer (``<anna@example.org>: unknown``), kept out of log lines.
_ADDRESS = re.compile(r"[^\s<>@]+@[^\s<>]+")


class StartTlsMissing(aiosmtplib.SMTPException):
    """The server does not offer STARTTLS, which the configuration requires."""


class TemporaryRefusal(Exception):
    """The server answered 4xx: try again later."""


class ServerRefusesUs(Exception):
    """The server refuses this sender (login, MAIL FROM, relaying): a configuration problem."""


def classify(code: int, text: str, stage: Stage) -> Verdict:
    """The verdict on answer ``code`` (``text``: the server's words) to MAIL FROM
    (``sender``), RCPT TO (``recipient``) or DATA (``data``).

    Enhanced status codes (RFC 3463) decide where the server gives one: ``5.1.x`` (address)
    and ``5.2.x`` (mailbox) → ``address``, except ``5.2.2`` (mailbox full) and basic 552 on
    RCPT, which RFC 5321 §4.5.3.1.10 treats as temporary; ``5.7.x`` on MAIL FROM or RCPT
    (relaying denied, authentication required) → ``config``, on DATA (spam, policy) →
    ``rejected``. Without one: 550, 551, 553 → ``address``, 530 → ``config``."""
    if not 500 <= code <= 599:
        return "retry"
    if stage == "sender":
        return "config"
    enhanced = _ENHANCED.search(text)
    subject = enhanced.group(2) if enhanced else None
    detail = enhanced.group(3) if enhanced else None
    if (subject, detail) == ("2", "2") or (code == 552 and stage == "recipient"):
        return "retry"
    if code == 530 or "relay" in text.lower() or (subject == "7" and stage == "recipient"):
        return "config"
    if subject is not None:
        return "address" if subject in ("1", "2") else "rejected"
    return "address" if code in (550, 551, 553) else "rejected"


def _problem(code: int, text: str) -> str:
    """``550 5.1.1 Mailbox unavailable``: the answer on one line, at most 300 characters."""
    return " ".join(f"{code} {text}".split())[:PROBLEM_LENGTH]


def default_ssl_context() -> ssl.SSLContext:
    """Certificates checked against the system's CAs (``SSL_CERT_FILE`` is honoured)."""
    return ssl.create_default_context()


async def open_connection(
    target: SmtpTarget,
    *,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = SMTP_TIMEOUT,
) -> aiosmtplib.SMTP:
    """A connected, secured and (with a username) logged-in client for ``target``.

    Raises OSError or ``aiosmtplib.SMTPException`` (``StartTlsMissing`` when ``starttls``
    is required but not offered, ``SMTPAuthenticationError`` for a refused login)."""
    context = ssl_context or default_ssl_context()
    client = aiosmtplib.SMTP(
        hostname=target.host,
        port=target.port,
        timeout=timeout,
        use_tls=target.security == "tls",
        start_tls=False,  # decided here, after EHLO, so that "required" really is required
        tls_context=context,
    )
    await client.connect()
    try:
        if target.security != "tls":
            await client.ehlo()
            if client.supports_extension("starttls"):
                await client.starttls()
            elif target.security == "starttls":
                raise StartTlsMissing(
                    f"{target.host}:{target.port} offers no STARTTLS; not sending in clear"
                )
        if target.username is not None:
            await client.login(target.username, target.password or "")
    except BaseException:
        client.close()
        raise
    return client


async def check_connection(
    target: SmtpTarget, timeout: float = 10, *, ssl_context: ssl.SSLContext | None = None
) -> None:
    """Connect, EHLO, STARTTLS and login as configured, QUIT (for ``mail test``).

    Raises OSError or ``aiosmtplib.SMTPException`` as :func:`open_connection`."""
    client = await open_connection(target, ssl_context=ssl_context, timeout=timeout)
    try:
        await client.quit()
    finally:
        client.close()


@dataclass(frozen=True, slots=True)
class Lease:
    """A pooled connection lent out for one mail; ``reused``: it carried mail before."""

    client: aiosmtplib.SMTP
    reused: bool


@dataclass(slots=True)
class _Idle:
    client: aiosmtplib.SMTP
    since: float  # time.monotonic()


class SmtpPool:
    """At most ``size`` open connections to ``target``, each used by one mail at a time and
    kept open for the next one."""

    def __init__(
        self,
        target: SmtpTarget,
        *,
        size: int,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = SMTP_TIMEOUT,
    ) -> None:
        self.target = target
        self.size = size
        self._ssl_context = ssl_context or default_ssl_context()
        self._timeout = timeout
        self._slots = asyncio.Semaphore(size)
        self._idle: list[_Idle] = []
        #: Connections opened so far (tests look whether they were reused).
        self.opened = 0

    @asynccontextmanager
    async def connection(self, *, fresh: bool = False) -> AsyncIterator[Lease]:
        """A connection for one mail, an idle one unless ``fresh``; it goes back into the
        pool unless the block raises (then it is closed: after an error its state is not to
        be trusted), except for ``aiosmtplib.SMTPRecipientsRefused``, after which aiosmtplib
        has reset it. Raises what :func:`open_connection` raises."""
        async with self._slots:
            client = None if fresh else self._take_idle()
            lease = Lease(client, reused=True) if client is not None else None
            if client is None:
                client = await open_connection(
                    self.target, ssl_context=self._ssl_context, timeout=self._timeout
                )
                self.opened += 1
                lease = Lease(client, reused=False)
            assert lease is not None
            try:
                yield lease
            except aiosmtplib.SMTPRecipientsRefused:
                self._give_back(client)
                raise
            except BaseException:
                client.close()
                raise
            self._give_back(client)

    def _take_idle(self) -> aiosmtplib.SMTP | None:
        while self._idle:
            client = self._idle.pop().client
            if client.is_connected:
                return client
            client.close()
        return None

    def _give_back(self, client: aiosmtplib.SMTP) -> None:
        if client.is_connected:
            self._idle.append(_Idle(client, time.monotonic()))
        else:
            client.close()

    async def close_idle(self, older_than: float = 0.0) -> None:
        """QUIT the connections idle for ``older_than`` seconds or more."""
        now = time.monotonic()
        leaving = [idle.client for idle in self._idle if now - idle.since >= older_than]
        self._idle = [idle for idle in self._idle if now - idle.since < older_than]
        if leaving:
            await asyncio.gather(*(_quit(client) for client in leaving))

    @property
    def idle(self) -> int:
        return len(self._idle)


async def _quit(client: aiosmtplib.SMTP, timeout: float = STOP_WAIT[2]) -> None:
    """QUIT politely, close in any case."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.quit(), timeout=timeout)
    client.close()


class MailTransport:
    """Sends the outbox's mails; no inbound side (answers go to the office's mailbox)."""

    platform = Platform.EMAIL

    def __init__(
        self,
        app: App,
        *,
        target: SmtpTarget | None = None,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = SMTP_TIMEOUT,
    ) -> None:
        """``target``: the server (default: ``settings.smtp``); ``ssl_context``: whom to
        trust (tests pass their own CA; default: the system's CAs); ``timeout``: seconds per
        SMTP command.

        Raises ValueError when e-mail is not configured (``ENGAGIERT_SMTP_URL``,
        ``ENGAGIERT_MAIL_FROM``)."""
        settings = app.settings
        target = target or settings.smtp
        if target is None:
            raise ValueError("ENGAGIERT_SMTP_URL is not set")
        if not settings.mail_from:
            raise ValueError("ENGAGIERT_MAIL_FROM is not set")
        self.app = app
        self.target = target
        self.sender = settings.mail_from
        self.reply_to = settings.mail_reply_to
        self.envelope_from = ascii_address(parseaddr(settings.mail_from)[1])
        self._ssl_context = ssl_context or default_ssl_context()
        self._timeout = timeout
        self.pool = SmtpPool(
            target,
            size=settings.smtp_connections,
            ssl_context=self._ssl_context,
            timeout=timeout,
        )
        #: Mails are spaced evenly: one each 1/mail_rate seconds, over all connections.
        self.limiter = AsyncLimiter(1, 1 / settings.mail_rate)
        self.state = "starting"
        self._kick = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._in_hand = 0
        self._all_handed = asyncio.Event()
        self._all_handed.set()
        self._trouble: str | None = None  # what was logged about the server, until it works

    # --- lifecycle --------------------------------------------------------------------------

    def routes(self) -> APIRouter | None:
        return None

    async def start(self) -> None:
        """Start delivering; the SMTP server need not be reachable (then "degraded")."""
        self._stopping.clear()
        if isinstance(self.app.notifier, NotificationHub):
            self.app.notifier.watch(Platform.EMAIL, self.kick)
        self.dispatcher = OutboxDispatcher(self.app.uow, self.app.clock, owner=self.app.instance)
        self._tasks.append(asyncio.create_task(self._deliver(), name="mail-deliver"))
        self._tasks.append(asyncio.create_task(self._watch(), name="mail-watch"))
        self._kick.set()  # whatever an earlier run left in the outbox goes out now
        self.state = "sending"
        log.info(
            "mail: sending via %s:%d (%s, %d connections, %.1f mails/s)",
            self.target.host,
            self.target.port,
            self.target.security,
            self.pool.size,
            self.app.settings.mail_rate,
        )

    async def stop(self) -> None:
        """Finish the mails in hand (no new one begins), then close the connections."""
        self._stopping.set()
        self._kick.set()
        in_hand, recording, _ = STOP_WAIT
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._all_handed.wait(), timeout=in_hand)
        if self._tasks:
            # The dispatcher records what went out; its loop ends, or waits for mails that
            # were not begun (they stay claimed by this process): cut off then.
            _, pending = await asyncio.wait(self._tasks, timeout=recording)
            for task in pending:
                task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.pool.close_idle()
        self.state = "stopped"

    def kick(self) -> None:
        """Wake the delivery loop (after something was put into the outbox)."""
        self._kick.set()

    async def _deliver(self) -> None:
        database = Retrying("mail: delivery", longest=DATABASE_PAUSE)
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), timeout=DELIVERY_TICK)
            self._kick.clear()
            if self._stopping.is_set():
                break
            try:
                await self.dispatcher.dispatch(
                    Platform.EMAIL.value,
                    self.send,
                    concurrency=self.pool.size,
                    wake=self._kick,
                )
            except Exception as exc:
                await asyncio.sleep(database.failed(exc))
                self._kick.set()  # try again after the pause, not only at the next tick
            else:
                database.worked()
            await self.pool.close_idle(older_than=IDLE_CLOSE)

    async def check(self) -> bool:
        """Whether the server can be reached and takes our login now; sets ``state``
        ("degraded" or back to "sending") and logs as a failed send would."""
        try:
            await check_connection(self.target, self._timeout, ssl_context=self._ssl_context)
        except Exception as exc:
            self._troubled(exc)
            return False
        self._works()
        return True

    async def _watch(self) -> None:
        """Check the server at the start and, while "degraded", now and then, so that
        /healthz tells how it is even when no mail is due."""
        first, longest = CHECK_PAUSES
        pause = first
        await self.check()
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=pause)
            if self._stopping.is_set():
                break
            if self.state != "degraded" or await self.check():
                pause = first
            else:
                pause = min(pause * 2, longest)

    # --- sending ----------------------------------------------------------------------------

    async def send(self, message: OutgoingMessage) -> None:
        """Send one outbox mail (``payload["mail"]``, see ``bot.mail_message``).

        Raises PermanentDeliveryError when it can never go out (the address or the mail was
        refused for good, the payload is broken); any other exception means "try again"."""
        mail = message.payload.get("mail")
        try:
            if not isinstance(mail, dict):
                raise KeyError("mail")
            address = str(mail["to"])  # as stored (a domain in Unicode), for marking it
            to = ascii_address(address)
            built = build_message(
                mail,
                sender=self.sender,
                reply_to=self.reply_to,
                message_id=message_id_for(message.tx_id, self.sender),
                date=self.app.clock.now(),
            )
            made = mail.get("made_file")
            if made is not None:  # a certificate: made now, never stored
                file = await make_file(self.app, MadeFile(str(made["kind"]), dict(made["params"])))
                if file is None:
                    return
                maintype, _, subtype = file.mime_type.partition("/")
                built.add_attachment(
                    file.content, maintype=maintype, subtype=subtype, filename=file.filename
                )
            data = built.as_bytes()
        except (KeyError, TypeError, ValueError) as exc:
            log.error(
                "mail %s: the outbox payload is no mail (%s); giving up",
                message.id,
                _ADDRESS.sub("…", str(exc)),
            )
            raise PermanentDeliveryError(f"broken mail payload: {exc}") from None
        async with self.limiter:
            if self._stopping.is_set():
                # No new mail while stopping: the row stays claimed by this process and goes
                # out after the restart (or when the lease runs out), its attempts untouched.
                await asyncio.get_running_loop().create_future()
            self._in_hand += 1
            self._all_handed.clear()
            try:
                await self._transmit(message, address, to, data)
            finally:
                self._in_hand -= 1
                if self._in_hand == 0:
                    self._all_handed.set()

    async def _transmit(self, message: OutgoingMessage, address: str, to: str, data: bytes) -> None:
        """Send ``data`` to ``to`` (``address`` in its envelope form)."""
        try:
            await self._sendmail(to, data)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refusal = exc.recipients[0]
            await self._refused(message, address, refusal.code, refusal.message, "recipient")
        except aiosmtplib.SMTPSenderRefused as exc:
            await self._refused(message, address, exc.code, exc.message, "sender")
        except aiosmtplib.SMTPDataError as exc:
            await self._refused(message, address, exc.code, exc.message, "data")
        except TemporaryRefusal:
            raise  # about this mail: its attempts count
        except Exception as exc:
            self._troubled(exc)
            # The server is away or refuses the bot itself: nothing about this mail.
            raise ServerUnavailable(_describe(exc)) from exc
        else:
            self._works()
            log.debug("mail %s: sent to %s", message.id, to)

    async def _sendmail(self, to: str, data: bytes) -> None:
        """One SMTP transaction; a pooled connection the server has dropped meanwhile (idle
        timeout, restart) is replaced by a new one once."""
        lease: Lease | None = None
        try:
            async with self.pool.connection() as lease:
                await lease.client.sendmail(self.envelope_from, [to], data)
        except ConnectionError:
            if lease is None or not lease.reused:
                raise
            log.debug("mail: a pooled connection was dropped; sending on a new one")
            async with self.pool.connection(fresh=True) as lease:
                await lease.client.sendmail(self.envelope_from, [to], data)

    async def _refused(
        self, message: OutgoingMessage, address: str, code: int, text: str, stage: Stage
    ) -> None:
        """Act on a refusal of the mail to ``address`` (see :func:`classify`); always
        raises."""
        problem = _problem(code, text)
        verdict = classify(code, text, stage)
        log.debug("mail %s to %s: %s answered %s", message.id, address, stage, problem)
        if verdict == "address":
            self._works()  # the server works: it answered about the address
            marked = await mark_undeliverable(
                self.app.uow(), address=address, problem=problem, now=self.app.clock.now()
            )
            log.info(
                "mail %s: address refused for good (%d); %d address(es) marked undeliverable",
                message.id,
                code,
                marked,
            )
            raise PermanentDeliveryError(f"mailbox refused: {problem}")
        if verdict == "rejected":
            self._works()
            log.warning("mail %s: refused for good (%d); giving up", message.id, code)
            raise PermanentDeliveryError(f"mail rejected: {problem}")
        if verdict == "config":  # the bot's login or sender, not this mail: wait
            refusal = ServerRefusesUs(problem)
            self._troubled(refusal)
            raise ServerUnavailable(_describe(refusal)) from refusal
        raise TemporaryRefusal(problem)

    # --- the server's condition -------------------------------------------------------------

    def _troubled(self, exc: BaseException) -> None:
        """The server cannot be reached or refuses us: "degraded", one log line per kind of
        trouble (ERROR for what only the admin can fix, WARNING for outages)."""
        self.state = "degraded"
        kind = type(exc).__name__
        if kind == self._trouble:
            return
        self._trouble = kind
        target = f"{self.target.host}:{self.target.port}"
        if _is_configuration(exc):
            log.error(
                "mail: %s refuses us (%s); check ENGAGIERT_SMTP_URL and ENGAGIERT_MAIL_FROM; "
                "retrying",
                target,
                _describe(exc),
            )
        else:
            log.warning("mail: %s not usable (%s); retrying", target, _describe(exc))

    def _works(self) -> None:
        if self._trouble is not None:
            log.info("mail: %s:%d works again", self.target.host, self.target.port)
        self._trouble = None
        if self.state == "degraded":
            self.state = "sending"


def _is_configuration(exc: BaseException) -> bool:
    return isinstance(
        exc,
        StartTlsMissing
        | ServerRefusesUs
        | aiosmtplib.SMTPAuthenticationError
        | aiosmtplib.SMTPNotSupported
        | ssl.SSLCertVerificationError,
    ) or (isinstance(exc, aiosmtplib.SMTPException) and "auth" in str(exc).lower())


def _describe(exc: BaseException) -> str:
    """``Type: text`` on one line, cut, addresses left out (for a log line); SMTP errors
    carry only the server's answer."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        text = _problem(exc.code, exc.message)
    else:
        text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {_ADDRESS.sub('…', text)}"[:PROBLEM_LENGTH]
