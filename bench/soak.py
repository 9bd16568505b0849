"""Soak run: ``serve`` on PostgreSQL with Telegram and Matrix under a mixed load, while the
database connection is cut twice for 10 s and the process is killed once.

    PYTHONPATH=. .venv/bin/python bench/soak.py [--minutes 10]

What happens, on loopback only:

1. A throwaway PostgreSQL database ``soak_<random>`` on the server of
   ``ENGAGIERT_TEST_DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``),
   reached by the service through a :class:`~tests.support.tcp_proxy.TcpProxy`; the Telegram
   Bot API stand-in; a real Synapse (the test passes its session's one, the CLI starts one).
2. The office's setup through the CLI (a municipality, an event, an organizer's personal and
   the municipality's invitation), then ``serve``; the people join with ``/start`` and
   ``!start``, and the organizer starts a poll with vote buttons in a Telegram group.
3. The load, for the whole duration: Telegram commands from several private chats
   (``/termine``, ``/hilfe``, ``/anmelden``, ``/abmelden``, ``/abstimmen``), presses of the
   poll's vote buttons in the group, and Matrix commands from two people in direct rooms;
   each person about once every 4 s (below the per-account flood limit).
4. The disturbances: at 1/4 and 3/4 of the duration the proxy drops every database
   connection and refuses new ones for 10 s; at 1/2 the service gets SIGKILL and is started
   again at once (as a supervisor would).
5. Afterwards (bounded): until every command has its answer, the outbox holds nothing unsent
   and ``/healthz`` is green. Then every command must have been answered exactly once (a
   Telegram reply quoting the command, the answer of a button's callback query, a Matrix
   notice whose ``m.in_reply_to`` is the command), every voter's stored vote must be the
   last one cast, and ``/healthz`` must answer 200 with the database ok, Telegram polling and
   Matrix syncing.

The exit status is 1 when a command went unanswered or was answered twice, a vote is off, or
``/healthz`` is not green; the table shows counts and reply latencies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
from nio import AsyncClient, RoomCreateResponse, RoomMessageNotice, RoomSendResponse, SyncResponse
from sqlalchemy.engine import URL, make_url

from tests.support.process import clean_env, free_port, serve
from tests.support.synapse import SynapseServer
from tests.support.tcp_proxy import TcpProxy
from tests.support.telegram_api import TelegramApi

__all__ = ["CUT_SECONDS", "SoakReport", "soak"]

T = TypeVar("T")

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"
#: How long each database outage lasts, whatever the duration of the run.
CUT_SECONDS = 10.0
#: Each person sends one command about this often (the flood limit is 20 a minute).
PERIOD = 4.0
TELEGRAM_PEOPLE = 6
MATRIX_PEOPLE = 2
ORGANIZER = 7100
FIRST_USER = 7101
GROUP = -1007770001
#: Bounds (seconds).
SETUP_TIMEOUT = 180.0
ANSWER_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
DEFAULT_SETTLE = 240.0  # the settling after the load: more than an outbox lease (2 min)
POLL_OPTIONS = ("Ja", "Nein", "Vielleicht")
#: Parts of the answers that say something went wrong (error.internal, error.flood).
ERROR_MARKS = ("etwas schiefgegangen", "sehr schnell")
VOTE_BUTTON = re.compile(r"v:(\d+):(\d+)")
HUMAN_FILTER = {"room": {"timeline": {"limit": 100}}, "presence": {"not_types": ["*"]}}


# --- what was sent and what came back ------------------------------------------------------


@dataclass
class Command:
    """One command of the load and its answers (monotonic times, texts)."""

    kind: str  # "telegram", "button" or "matrix"
    actor: str
    text: str
    key: Any  # (chat id, message id), a callback query id, or a Matrix event id
    at: float
    vote: tuple[int, int] | None = None  # (Telegram user id, option index)
    answers: list[tuple[float, str]] = field(default_factory=list)


#: How close to the kill a first answer must have gone out to count as sent by the killed
#: process just before it died.
KILL_BOUNDARY_S = 0.5


@dataclass
class SoakReport:
    duration_s: float
    commands: list[Command]
    #: (start, end, label) of each disturbance, seconds after the load began.
    disturbances: list[tuple[float, float, str]]
    outages: int
    restarts: int
    health_status: int | None
    health: dict[str, Any]
    health_samples: int
    health_red_samples: int
    #: What was not green in those samples: "no answer", "503", "telegram=degraded" …
    health_red_reasons: dict[str, int]
    vote_problems: list[str]
    voters: int
    outbox_unsent: int
    outbox_given_up: int
    setup_s: float
    settle_s: float
    runtime_s: float
    log_path: Path
    log_errors: int
    exit_codes: list[int | None]
    log_tail: list[str] = field(default_factory=list)
    #: When the load began (monotonic); the disturbances count from here.
    t0: float = 0.0

    @property
    def missing(self) -> list[Command]:
        return [c for c in self.commands if not c.answers]

    @property
    def doubled(self) -> list[Command]:
        """Commands answered more than once, except :attr:`resent_at_kill`."""
        return [c for c in self.commands if len(c.answers) > 1 and not self._at_kill(c)]

    @property
    def resent_at_kill(self) -> list[Command]:
        """Answered twice because the process was killed between handing the first answer to
        the platform and marking it sent: the outbox sends at least once at that boundary
        (Telegram's Bot API has no idempotency key). Reported, not counted as doubled."""
        return [c for c in self.commands if self._at_kill(c)]

    def _at_kill(self, command: Command) -> bool:
        if len(command.answers) != 2:
            return False
        first = command.answers[0][0] - self._t0
        return any(
            label == "kill -9" and start - KILL_BOUNDARY_S <= first <= end + KILL_BOUNDARY_S
            for start, end, label in self.disturbances
        )

    @property
    def error_answers(self) -> list[Command]:
        return [c for c in self.commands if any(m in t for _, t in c.answers for m in ERROR_MARKS)]

    @property
    def health_green(self) -> bool:
        return self.health_status == 200 and _green(self.health)

    @property
    def ok(self) -> bool:
        return (
            bool(self.commands)
            and not self.missing
            and not self.doubled
            and self.health_green
            and not self.vote_problems
        )

    def phase(self, command: Command) -> str:
        """The disturbance a command was sent during (or shortly before), if any."""
        for start, end, label in self.disturbances:
            if start - 2 <= command.at - self._t0 <= end:
                return label
        return "-"

    @property
    def _t0(self) -> float:
        return self.t0 or min((c.at for c in self.commands), default=0.0)

    def table(self) -> str:
        rows = [("telegram commands", "telegram"), ("telegram buttons", "button")]
        rows += [("matrix commands", "matrix"), ("all", None)]
        head = (
            f"{'':<18} {'sent':>6} {'answered':>9} {'doubled':>8} {'missing':>8} "
            f"{'errors':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'quiet p50':>10}"
        )
        out = [
            f"soak of {self.duration_s:.0f} s: serve on PostgreSQL through a TCP proxy, "
            f"Telegram (stand-in) + Matrix (Synapse)",
            head,
            "-" * len(head),
        ]
        for label, kind in rows:
            chosen = [c for c in self.commands if kind is None or c.kind == kind]
            latencies = sorted((c.answers[0][0] - c.at) * 1000 for c in chosen if c.answers)
            quiet = sorted(
                (c.answers[0][0] - c.at) * 1000
                for c in chosen
                if c.answers and self.phase(c) == "-"
            )
            out.append(
                f"{label:<18} {len(chosen):>6} {sum(bool(c.answers) for c in chosen):>9} "
                f"{sum(c in self.doubled for c in chosen):>8} "
                f"{sum(not c.answers for c in chosen):>8} "
                f"{sum(c in self.error_answers for c in chosen):>7} "
                f"{_percentile(latencies, 50):>8} {_percentile(latencies, 99):>8} "
                f"{_percentile(latencies, 100):>8} {_percentile(quiet, 50):>10}"
            )
        out.append("-" * len(head))
        disturbances = ", ".join(f"{label} {s:.0f}-{e:.0f} s" for s, e, label in self.disturbances)
        out.append(
            f"outages: {self.outages} × {CUT_SECONDS:.0f} s; restarts (kill -9): {self.restarts}"
            f"  [{disturbances}]"
        )
        health = " ".join(f"{k}={v}" for k, v in self.health.items()) or "-"
        out.append(
            f"/healthz at the end: {self.health_status} {health} "
            f"({'green' if self.health_green else 'NOT green'}); "
            f"not green in {self.health_red_samples} of {self.health_samples} samples "
            f"during the run {self.health_red_reasons or ''}"
        )
        votes = "ok" if not self.vote_problems else "; ".join(self.vote_problems)
        out.append(
            f"votes: {self.voters} voters, {votes}; outbox: {self.outbox_unsent} unsent, "
            f"{self.outbox_given_up} given up"
        )
        out.append(
            f"runtime {self.runtime_s:.0f} s (setup {self.setup_s:.0f} s, load "
            f"{self.duration_s:.0f} s, settling {self.settle_s:.0f} s); service exit codes "
            f"{self.exit_codes}; ERROR lines in the service log: {self.log_errors} "
            f"({self.log_path})"
        )
        for title, chosen in (
            ("MISSING", self.missing),
            ("DOUBLED", self.doubled),
            ("RESENT AT THE KILL", self.resent_at_kill),
            ("ERROR ANSWER", self.error_answers),
        ):
            for c in chosen[:20]:
                out.append(
                    f"  {title}: {c.kind} {c.actor} {c.text!r} sent at "
                    f"{c.at - self._t0:.1f} s (during: {self.phase(c)}), "
                    f"answers at {[round(a - self._t0, 1) for a, _ in c.answers]}"
                )
            if len(chosen) > 20:
                out.append(f"  … and {len(chosen) - 20} more {title.lower()}")
        if self.exit_codes[-1:] != [0]:
            out.append(
                f"NOTE: the last stop (SIGTERM) ended with {self.exit_codes[-1:]}; log tail:"
            )
            out += [f"  | {line[:160]}" for line in self.log_tail]
        out.append("quiet p50: commands sent outside the disturbances (recovery included)")
        out.append("RESULT: " + ("ok" if self.ok else "FAILED"))
        return "\n".join(out)


def _percentile(values: list[float], q: int) -> str:
    if not values:
        return "-"
    if q >= 100:
        return f"{values[-1]:.0f}"
    if len(values) == 1:
        return f"{values[0]:.0f}"
    return f"{statistics.quantiles(values, n=100, method='inclusive')[q - 1]:.0f}"


def _green(health: dict[str, Any]) -> bool:
    return (
        health.get("status") == "ok"
        and health.get("database") == "ok"
        and health.get("telegram") == "polling"
        and health.get("matrix") == "syncing"
    )


def _not_green(status: int | None, health: dict[str, Any]) -> list[str]:
    if status is None:
        return ["no answer"]
    wanted = {"status": "ok", "database": "ok", "telegram": "polling", "matrix": "syncing"}
    off = [f"{k}={health.get(k)}" for k, v in wanted.items() if health.get(k) != v]
    return ([str(status)] if status != 200 else []) + off


async def until(
    check: Callable[[], Awaitable[T | None] | T | None], timeout: float, what: str
) -> T:
    """Poll ``check`` (every 0.2 s) until it returns something truthy; bounded."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                result = check()
                if asyncio.iscoroutine(result):
                    result = await result
                if result:
                    return result  # type: ignore[return-value]
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise TimeoutError(f"soak: {what} not within {timeout:.0f} s") from None


async def cli(env: dict[str, str], *args: str) -> str:
    """One command of the office (``engagiert-bot …``); its output, which must come with exit
    status 0 (what it says on stderr is kept out of the table)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"engagiert-bot {' '.join(args)}: {err.decode()[-2000:]}")
    return out.decode().strip()


# --- the parts: database, service, Matrix people --------------------------------------------


class ThrowawayDatabase:
    """``CREATE DATABASE soak_<random>`` on the test server; dropped (forced) at the end."""

    def __init__(self, base_url: str) -> None:
        url = make_url(base_url)
        self.base = url.set(drivername="postgresql")
        self.name = f"soak_{secrets.token_hex(6)}"
        self.host = url.host or "127.0.0.1"
        self.port = url.port or 5432

    def url(self, host: str, port: int) -> URL:
        return self.base.set(host=host, port=port, database=self.name)

    async def connect(self, database: str | None = None) -> asyncpg.Connection:
        return await asyncpg.connect(
            host=self.host,
            port=self.port,
            user=self.base.username,
            password=self.base.password,
            database=database or self.name,
            timeout=10,
        )

    async def __aenter__(self) -> ThrowawayDatabase:
        admin = await self.connect(self.base.database)
        try:
            await admin.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await admin.close()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        admin = await self.connect(self.base.database)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await admin.close()


class Service:
    """``engagiert-bot serve`` as a process, its output appended to ``log_path``."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.port = int(env["ENGAGIERT_HTTP_PORT"])
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None
        self.exit_codes: list[int | None] = []
        self._drain: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.proc = await serve(self.env)
        self._drain = asyncio.create_task(self._copy_output(self.proc))

    async def _copy_output(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        with self.log_path.open("ab") as log:
            while line := await proc.stdout.readline():
                log.write(line)
                log.flush()

    async def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a pulled plug would."""
        assert self.proc is not None
        self.proc.kill()
        await self._reap(self.proc)

    async def stop(self) -> None:
        """SIGTERM, and SIGKILL if it does not end within the bound."""
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                await self.proc.wait()
        except TimeoutError:
            self.proc.kill()
        await self._reap(self.proc)

    async def _reap(self, proc: asyncio.subprocess.Process) -> None:
        async with asyncio.timeout(STOP_TIMEOUT):
            await proc.wait()
            if self._drain is not None:
                await self._drain
        self.exit_codes.append(proc.returncode)

    async def health(self, client: httpx.AsyncClient) -> tuple[int | None, dict[str, Any]]:
        try:
            response = await client.get(f"http://127.0.0.1:{self.port}/healthz", timeout=5)
        except httpx.HTTPError:
            return None, {}
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, {}


class MatrixPerson:
    """A person in a direct room with the bot: a nio client whose background sync collects the
    bot's notices by the event they answer (``m.relates_to.m.in_reply_to``)."""

    def __init__(self, client: AsyncClient, bot_id: str, name: str) -> None:
        self.client = client
        self.bot_id = bot_id
        self.name = name
        self.room = ""
        self.notices: list[tuple[float, str | None, str]] = []  # (time, answers, body)
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._sync_forever())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.client.close()

    async def _sync_forever(self) -> None:
        while True:
            try:
                response = await self.client.sync(timeout=1000, sync_filter=HUMAN_FILTER)
            except Exception:
                response = None
            if not isinstance(response, SyncResponse):
                await asyncio.sleep(0.5)  # Synapse busy: pace the next try
                continue
            self._collect(response)

    def _collect(self, response: SyncResponse) -> None:
        now = time.monotonic()
        for info in response.rooms.join.values():
            for event in info.timeline.events:
                if isinstance(event, RoomMessageNotice) and event.sender == self.bot_id:
                    relation = event.source.get("content", {}).get("m.relates_to") or {}
                    target = (relation.get("m.in_reply_to") or {}).get("event_id")
                    self.notices.append((now, target, event.body))
        self._changed.set()

    async def synced_once(self, timeout: float) -> None:
        """Wait (bounded) until one more sync has been taken in."""
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._changed.wait()

    def replies_to(self, event_id: str) -> list[tuple[float, str]]:
        return [(at, body) for at, target, body in self.notices if target == event_id]

    async def say(self, text: str) -> str:
        async with asyncio.timeout(20):
            sent = await self.client.room_send(
                self.room, "m.room.message", {"msgtype": "m.text", "body": text}
            )
        if not isinstance(sent, RoomSendResponse):
            raise RuntimeError(f"{self.name}: sending {text!r} failed: {sent}")
        return sent.event_id

    async def join_bot(self) -> None:
        """A direct room with the bot, and its greeting."""
        created = await self.client.room_create(invite=[self.bot_id], is_direct=True)
        if not isinstance(created, RoomCreateResponse):
            raise RuntimeError(f"{self.name}: room_create failed: {created}")
        self.room = created.room_id
        await until(lambda: self.notices, ANSWER_TIMEOUT, f"the greeting for {self.name}")


# --- the run ----------------------------------------------------------------------------------


@dataclass
class _Rig:
    api: TelegramApi
    service: Service
    people: list[MatrixPerson]
    event_id: str
    poll_id: int
    poll_message: int
    commands: list[Command] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def soak(
    duration_s: float,
    work_dir: Path,
    synapse: SynapseServer,
    *,
    settle_s: float = DEFAULT_SETTLE,
    seed: int = 1,
) -> SoakReport:
    """One soak run of ``duration_s`` seconds of load (see the module's docstring)."""
    began = time.monotonic()
    budget = SETUP_TIMEOUT + duration_s + settle_s + 4 * STOP_TIMEOUT
    async with asyncio.timeout(budget):
        base = os.environ.get("ENGAGIERT_TEST_DATABASE_URL") or DEFAULT_DATABASE
        async with (
            ThrowawayDatabase(base) as database,
            TcpProxy(database.host, database.port) as proxy,
            TelegramApi() as api,
        ):
            return await _run(
                duration_s, work_dir, synapse, database, proxy, api, settle_s, seed, began
            )


async def _run(
    duration_s: float,
    work_dir: Path,
    synapse: SynapseServer,
    database: ThrowawayDatabase,
    proxy: TcpProxy,
    api: TelegramApi,
    settle_s: float,
    seed: int,
    began: float,
) -> SoakReport:
    work_dir.mkdir(parents=True, exist_ok=True)
    bot = synapse.register_user(f"soakbot-{secrets.token_hex(3)}")
    env = clean_env(
        work_dir / "data",
        ENGAGIERT_HTTP_PORT=str(free_port()),
        ENGAGIERT_DATABASE_URL=database.url("127.0.0.1", proxy.port).render_as_string(
            hide_password=False
        ),
        ENGAGIERT_TELEGRAM_TOKEN=api.token,
        ENGAGIERT_TELEGRAM_API_URL=api.base_url,
        ENGAGIERT_MATRIX_HOMESERVER=synapse.url,
        ENGAGIERT_MATRIX_USER_ID=bot.user_id,
        ENGAGIERT_MATRIX_PASSWORD=bot.password,
    )
    service = Service(env, work_dir / "serve.log")
    people: list[MatrixPerson] = []
    checker: asyncpg.Connection | None = None
    try:
        rig = await _set_up(env, api, service, synapse, bot.user_id, people)
        setup_s = time.monotonic() - began
        checker = await database.connect()
        report = await _load_and_check(rig, proxy, checker, duration_s, settle_s, seed)
    finally:
        await service.stop()
        for person in people:
            await person.close()
        if checker is not None:
            await checker.close()
    report.setup_s = setup_s
    report.exit_codes = service.exit_codes
    lines = service.log_path.read_text(errors="replace").splitlines()
    report.log_errors = sum(" ERROR " in line for line in lines)
    report.log_tail = [line for line in lines if "/healthz" not in line][-12:]
    report.runtime_s = time.monotonic() - began
    return report


async def _set_up(
    env: dict[str, str],
    api: TelegramApi,
    service: Service,
    synapse: SynapseServer,
    bot_id: str,
    people: list[MatrixPerson],
) -> _Rig:
    """The office's setup by CLI, ``serve``, everybody joined, a poll in the group."""
    event_id = await cli(
        env,
        "event",
        "add",
        "--title",
        "Soak-Treffen",
        "--kind",
        "netzwerktreffen",
        "--start",
        "2099-06-01T10:00",
        "--capacity",
        "500",
    )
    await cli(env, "member", "add", "--name", "Stadt Dauerlauf", "--kind", "stadt")
    organizer = await cli(env, "person", "add", "--name", "Olga Office", "--role", "organizer")
    personal = await cli(env, "invite", "--person", organizer)
    municipal = await cli(env, "invite", "--member", "Stadt Dauerlauf", "--uses", "50")
    await service.start()
    async with httpx.AsyncClient() as client:

        async def healthy() -> bool:
            assert service.proc is not None and service.proc.returncode is None, "serve ended"
            status, body = await service.health(client)
            return status == 200 and _green(body)

        await until(healthy, ANSWER_TIMEOUT, "a green /healthz after the start")

    # Telegram: the organizer and the people join; the group with all of them.
    users = [ORGANIZER, *range(FIRST_USER, FIRST_USER + TELEGRAM_PEOPLE)]
    for user in users:
        api.user({"id": user, "first_name": "Olga" if user == ORGANIZER else f"Person {user}"})
    api.add_chat(GROUP, "supergroup", title="AG Dauerlauf")
    api.set_chat_member(GROUP, ORGANIZER, "creator")
    for user in users[1:]:
        api.set_chat_member(GROUP, user, "member")
    for user in users:
        code = f"p_{personal}" if user == ORGANIZER else f"m_{municipal}"
        api.inject_message(user, user, f"/start {code}")
    for user in users:
        await api.wait_for_sent(user, timeout=ANSWER_TIMEOUT)
    question = "Weiter so im Dauerlauf? | " + " | ".join(POLL_OPTIONS) + " --verdeckt"
    api.inject_message(GROUP, ORGANIZER, f"/umfrage {question}")

    def poll_post() -> tuple[int, int] | None:
        for call in api.sent_to(GROUP, "sendMessage"):
            markup = call.params.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                match = VOTE_BUTTON.fullmatch(row[0].get("callback_data", ""))
                if match:
                    return int(match.group(1)), call.result["message_id"]
        return None

    poll_id, poll_message = await api.wait_for(poll_post, timeout=ANSWER_TIMEOUT)

    # Matrix: two people, each in a direct room with the bot, joined to the municipality.
    for number in range(MATRIX_PEOPLE):
        user = synapse.register_user(f"soak-{secrets.token_hex(3)}")
        synapse.override_ratelimit(user.user_id)
        person = MatrixPerson(await synapse.client_for(user), bot_id, f"matrix-{number + 1}")
        people.append(person)
        person.start()
        await person.join_bot()
        started = await person.say(f"!start m_{municipal}")
        await until(lambda p=person, e=started: p.replies_to(e), ANSWER_TIMEOUT, "!start")
    return _Rig(api, service, people, event_id, poll_id, poll_message)


async def _load_and_check(
    rig: _Rig,
    proxy: TcpProxy,
    checker: asyncpg.Connection,
    duration_s: float,
    settle_s: float,
    seed: int,
) -> SoakReport:
    t0 = time.monotonic()
    end = t0 + duration_s
    disturbances: list[tuple[float, float, str]] = []
    restarts = 0
    samples: list[tuple[float, int | None, dict[str, Any]]] = []

    async def disturb() -> None:
        nonlocal restarts
        plan = [
            (duration_s / 4, "cut 1"),
            (duration_s / 2, "kill -9"),
            (3 * duration_s / 4, "cut 2"),
        ]
        for at, label in plan:
            await asyncio.sleep(max(0.0, t0 + at - time.monotonic()))  # pacing the plan
            start = time.monotonic() - t0
            if label.startswith("cut"):
                await proxy.cut()
                await asyncio.sleep(CUT_SECONDS)  # the outage itself
                proxy.restore()
            else:
                await rig.service.kill()
                await rig.service.start()
                restarts += 1
            disturbances.append((start, time.monotonic() - t0, label))

    async def watch_health(client: httpx.AsyncClient) -> None:
        while True:
            status, body = await rig.service.health(client)
            samples.append((time.monotonic() - t0, status, body))
            await asyncio.sleep(1.0)  # one sample a second

    async with httpx.AsyncClient() as client:
        watcher = asyncio.create_task(watch_health(client))
        disturber = asyncio.create_task(disturb())
        try:
            await _load(rig, end, seed)
            async with asyncio.timeout(CUT_SECONDS + STOP_TIMEOUT * 2):
                await disturber  # the last outage may end after the load
        finally:
            disturber.cancel()
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(disturber, watcher, return_exceptions=True)

        # Settling, bounded: every command answered, nothing left to send, health green.
        settle_start = time.monotonic()
        status: int | None = None
        health: dict[str, Any] = {}

        async def settled() -> bool:
            nonlocal status, health
            _collect(rig)
            unsent = await checker.fetchval(
                "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
            )
            status, health = await rig.service.health(client)
            answered = all(c.answers for c in rig.commands)
            return answered and unsent == 0 and status == 200 and _green(health)

        with contextlib.suppress(TimeoutError):
            await until(settled, settle_s, "settling")
        # Whatever was still on its way to the Matrix people: one more sync round each.
        for person in rig.people:
            await person.synced_once(10)
        _collect(rig)
        status, health = await rig.service.health(client)
        settle_time = time.monotonic() - settle_start

    unsent = await checker.fetchval(
        "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
    )
    given_up = await checker.fetchval("SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL")
    vote_problems, voters = await _check_votes(rig, checker)
    return SoakReport(
        duration_s=duration_s,
        commands=rig.commands,
        disturbances=disturbances,
        outages=proxy.cuts,
        restarts=restarts,
        health_status=status,
        health=health,
        health_samples=len(samples),
        health_red_samples=sum(1 for _, s, b in samples if s != 200 or not _green(b)),
        health_red_reasons=dict(Counter(r for _, s, b in samples for r in _not_green(s, b))),
        vote_problems=vote_problems,
        voters=voters,
        outbox_unsent=unsent,
        outbox_given_up=given_up,
        setup_s=0.0,
        settle_s=settle_time,
        runtime_s=0.0,
        log_path=rig.service.log_path,
        log_errors=0,
        exit_codes=[],
        t0=t0,
    )


async def _load(rig: _Rig, end: float, seed: int) -> None:
    """Every ``PERIOD / people`` seconds the next person sends one command (round robin)."""
    rng = random.Random(seed)
    actors: list[int | MatrixPerson] = [*range(FIRST_USER, FIRST_USER + TELEGRAM_PEOPLE)]
    actors += rig.people
    tick = PERIOD / len(actors)
    sends: set[asyncio.Task[None]] = set()
    due = time.monotonic()
    turn = 0
    while due < end:
        actor = actors[turn % len(actors)]
        turn += 1
        if isinstance(actor, int):
            _telegram_command(rig, actor, rng)
        else:
            task = asyncio.create_task(_matrix_command(rig, actor, rng))
            sends.add(task)
            task.add_done_callback(sends.discard)
        due += tick
        await asyncio.sleep(max(0.0, due - time.monotonic()))  # pacing the load
    if sends:
        async with asyncio.timeout(30):
            await asyncio.gather(*sends, return_exceptions=True)


def _telegram_command(rig: _Rig, user: int, rng: random.Random) -> None:
    api, event, poll = rig.api, rig.event_id, rig.poll_id
    option = rng.randrange(len(POLL_OPTIONS))
    choice = rng.choices(
        ["/termine", "/hilfe", f"/anmelden {event}", f"/abmelden {event}", "vote", "button"],
        weights=[2, 1, 2, 2, 2, 3],
    )[0]
    now = time.monotonic()
    if choice == "button":
        update = api.make_callback_update(GROUP, user, f"v:{poll}:{option}", rig.poll_message)
        query = update["callback_query"]["id"]
        rig.commands.append(
            Command("button", str(user), f"v:{poll}:{option}", query, now, (user, option))
        )
        api.inject_update(update)
        return
    text = f"/abstimmen {poll} {option + 1}" if choice == "vote" else choice
    update = api.make_message_update(user, user, text)
    key = (user, update["message"]["message_id"])
    vote = (user, option) if choice == "vote" else None
    rig.commands.append(Command("telegram", str(user), text, key, now, vote))
    api.inject_update(update)


async def _matrix_command(rig: _Rig, person: MatrixPerson, rng: random.Random) -> None:
    event = rig.event_id
    text = rng.choice(["!termine", "!hilfe", f"!anmelden {event}", f"!abmelden {event}", "!meine"])
    now = time.monotonic()
    try:
        event_id = await person.say(text)
    except Exception as exc:  # Synapse did not take it: no command was sent
        rig.errors.append(f"{person.name}: {text!r} not sent: {exc!r}")
        return
    rig.commands.append(Command("matrix", person.name, text, event_id, now))


def _collect(rig: _Rig) -> None:
    """The answers so far: Telegram replies quoting the command, answered callback queries,
    Matrix notices in reply to the command."""
    replies: defaultdict[Any, list[tuple[float, str]]] = defaultdict(list)
    for call in rig.api.calls:
        if not call.ok:
            continue
        if call.method == "sendMessage":
            quoted = call.params.get("reply_parameters") or {}
            if isinstance(quoted, dict) and quoted.get("message_id") is not None:
                key = (call.chat_id, int(quoted["message_id"]))
                replies[key].append((call.time, str(call.params.get("text", ""))))
        elif call.method == "answerCallbackQuery":
            key = str(call.params.get("callback_query_id"))
            replies[key].append((call.time, str(call.params.get("text") or "")))
    for person in rig.people:
        for at, target, body in person.notices:
            if target is not None:
                replies[target].append((at, body))
    for command in rig.commands:
        command.answers = replies.get(command.key, [])


async def _check_votes(rig: _Rig, checker: asyncpg.Connection) -> tuple[list[str], int]:
    """Once per voter, and the last vote cast counts (updates are handled in order)."""
    last: dict[int, int] = {}  # the last vote answered (an unanswered one is "missing")
    for command in rig.commands:
        if command.vote is not None and command.answers:
            user, option = command.vote
            last[user] = option
    rows = await checker.fetch(
        """SELECT ci.external_id, pv.choices
           FROM poll_votes pv
           JOIN chat_identities ci ON ci.person_id = pv.person_id AND ci.platform = 'telegram'
           WHERE pv.poll_id = $1""",
        rig.poll_id,
    )
    problems: list[str] = []
    stored: defaultdict[int, list[int]] = defaultdict(list)
    for row in rows:
        stored[int(row["external_id"])].append(row["choices"])
    for user, choices in stored.items():
        if len(choices) > 1:
            problems.append(f"{user} has {len(choices)} votes")
    for user, option in last.items():
        if stored.get(user) != [1 << option]:
            problems.append(f"{user}: stored {stored.get(user)}, last answered vote {1 << option}")
    return problems, len(last)


# --- command line -----------------------------------------------------------------------------


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="duration of the load")
    parser.add_argument(
        "--settle", type=float, default=DEFAULT_SETTLE, help="bound on the settling (seconds)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    with SynapseServer("fast") as synapse:
        report = await soak(args.minutes * 60, work, synapse, settle_s=args.settle)
    print(report.table())
    if report.ok:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"kept for inspection: {work}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
