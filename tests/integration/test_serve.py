"""``engagiert-bot serve`` as a process: health check, clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from storage.database import head_revision


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_env(data_dir: Path, port: int) -> dict[str, str]:
    """A clean environment for ``serve``: this data dir and port, a throwaway secret key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGIERT_")}
    env |= {"ENGAGIERT_DATA_DIR": str(data_dir), "ENGAGIERT_HTTP_PORT": str(port)}
    env["ENGAGIERT_SECRET_KEY"] = secrets.token_hex(32)
    return env


def start_serve(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_serve_answers_health_checks_and_stops_on_sigterm(tmp_path):
    port = free_port()
    env = serve_env(tmp_path, port)
    proc = start_serve(env)
    try:
        deadline = time.monotonic() + 30
        while True:  # waiting for a server to come up and lead, bounded
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                if response.json().get("scheduler") == "leading":
                    break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "serve did not come up"
            time.sleep(0.1)
        assert response.status_code == 200
        expected = {"status": "ok", "scheduler": "leading", "database": "ok"}
        expected["schema"] = head_revision()
        assert response.json() == expected
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert (ready.status_code, ready.json()) == (200, {"ready": True})
        assert (tmp_path / "engagiert.db").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "Traceback" not in output


def test_serve_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGIERT_")}
    env["ENGAGIERT_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "ENGAGIERT_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_the_terminal_chat_makes_its_own_key_file(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGIERT_")}
    env["ENGAGIERT_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat"],
        env=env,
        input="/termine\n",
        text=True,
        capture_output=True,
    )
    assert result.returncode == 0, result.stderr
    key = tmp_path / "secret.key"
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_text()) == 64
    assert (tmp_path / "engagiert.db").stat().st_mode & 0o777 == 0o600  # not for other users


def test_telegram_unreachable_at_the_start_stops_nothing_else(tmp_path):
    # The Bot API cannot be reached (nothing listens there): HTTP serves, /healthz reports
    # the platform as down, the start is tried again, and SIGTERM still stops cleanly.
    port, dead = free_port(), free_port()
    env = serve_env(tmp_path, port)
    env["ENGAGIERT_TELEGRAM_TOKEN"] = f"{secrets.randbelow(10**9)}:{secrets.token_urlsafe(30)}"
    env["ENGAGIERT_TELEGRAM_API_URL"] = f"http://127.0.0.1:{dead}/bot"
    proc = start_serve(env)
    try:
        deadline = time.monotonic() + 30
        while True:  # until the first start has failed and is reported, bounded
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json()
                if body.get("telegram") == "down":
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "no health report of the failed start"
            time.sleep(0.1)
        assert body["status"] == "ok" and body["database"] == "ok"
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "Traceback" not in output
    assert "telegram: could not start" in output and "trying again" in output
    assert env["ENGAGIERT_TELEGRAM_TOKEN"] not in output


def test_sigterm_ends_open_live_streams_at_once(tmp_path):
    # A results page is open (its event stream would live for minutes): SIGTERM must still
    # stop the service within docker's 10 s, the stream ending at once.
    import asyncio

    from bot.app import build
    from bot.settings import Settings
    from core.domain.people import Role
    from core.members import add_person
    from core.polls import start_poll

    port = free_port()
    env = serve_env(tmp_path, port)

    async def a_poll() -> str:
        app = await build(Settings(data_dir=tmp_path, secret_key=env["ENGAGIERT_SECRET_KEY"]))
        try:
            speaker = await add_person(
                app.uow(),
                display_name="Sara",
                roles=frozenset({Role.SPEAKER}),
                now=app.clock.now(),
            )
            poll = await start_poll(
                app.uow(),
                actor_id=speaker.id,
                question="Q?",
                options=["a", "b"],
                now=app.clock.now(),
            )
            return poll.token
        finally:
            await app.close()

    token = asyncio.run(a_poll())
    proc = start_serve(env)
    try:
        deadline = time.monotonic() + 30
        while True:  # waiting for the server, bounded
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/live/poll/{token}/events"
        # Nothing comes for 15 s between keep-alives: a stream still open after SIGTERM
        # runs into the read timeout.
        with httpx.stream("GET", url, timeout=httpx.Timeout(30, read=5)) as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")  # the stream is open
            proc.send_signal(signal.SIGTERM)
            rest = list(lines)  # ends when the service closes it
        output, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, output
    assert "Traceback" not in output
    assert all(not line.startswith("data:") or "Q?" in line for line in rest)


def test_no_token_of_a_link_reaches_the_log_and_uvicorn_logs_into_the_file(tmp_path):
    """A calendar client fetches a personal feed: the token in its path (a bearer of the
    person's dates) is in no log line, neither on the terminal nor in the DEBUG log file,
    and the HTTP server's own lines do reach the file."""
    port = free_port()
    env = serve_env(tmp_path, port) | {"ENGAGIERT_LOG_FILE": str(tmp_path / "engagiert.log")}
    cli = [sys.executable, "-m", "bot.cli"]
    person = subprocess.run(
        [*cli, "person", "add", "--name", "Pia Plan"], env=env, capture_output=True, text=True
    )
    assert person.returncode == 0, person.stderr
    chat = subprocess.run(
        [*cli, "chat", "--as", "Pia Plan"],
        env=env,
        input="/kalender_abo\n",
        capture_output=True,
        text=True,
    )
    url = next(w for w in chat.stdout.split() if "/kalender/" in w)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    proc = start_serve(env)
    try:
        deadline = time.monotonic() + 30
        while True:  # waiting for the server to come up, bounded
            try:
                feed = httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.1)
        assert feed.status_code == 200 and b"BEGIN:VCALENDAR" in feed.content
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    logged = (tmp_path / "engagiert.log").read_text(encoding="utf-8")
    assert token not in output and token not in logged
    assert "uvicorn" in logged  # the HTTP server's own lines go through the same logging


async def test_a_database_that_stops_answering_is_reported_and_does_not_hold_up_sigterm(
    tmp_path,
):
    """No reset, no answer (a hung server, a network dropping packets): ``/healthz`` says
    503 within seconds instead of hanging, and SIGTERM still ends the service in time for
    ``docker stop``."""
    from bench.soak import ThrowawayDatabase
    from tests.conftest import postgres_url
    from tests.support.tcp_proxy import TcpProxy

    port = free_port()
    async with ThrowawayDatabase(postgres_url()) as database, TcpProxy() as proxy:
        url = database.url("127.0.0.1", proxy.port).render_as_string(hide_password=False)
        env = serve_env(tmp_path, port) | {"ENGAGIERT_DATABASE_URL": url}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "serve",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as web:
                async with asyncio.timeout(60):  # the service comes up
                    while True:
                        try:
                            if (await web.get("/healthz", timeout=2)).status_code == 200:
                                break
                        except httpx.TransportError:
                            assert proc.returncode is None
                        await asyncio.sleep(0.2)
                proxy.hold()
                health = await web.get("/healthz", timeout=15)
                assert health.status_code == 503 and health.json()["database"] == "unreachable"
        finally:
            proc.send_signal(signal.SIGTERM)
            try:  # alone about eight seconds; bounded generously for a loaded machine
                async with asyncio.timeout(60):
                    output, _ = await proc.communicate()
            finally:
                proxy.release()
                if proc.returncode is None:
                    proc.kill()
    assert proc.returncode == 0, output.decode()
    assert "Traceback" not in output.decode(), output.decode()[-3000:]
