"""A real Synapse homeserver for tests and benchmarks.

``SynapseServer`` generates a config in a temporary directory, runs Synapse on SQLite as a
subprocess bound to a free loopback port, and offers helpers to register users (shared-secret
admin API), to get matrix-nio clients for them and to lift their rate limits.

Profiles:

* ``fast``: the client-facing rate limits raised to 1000/s, for functional tests;
* ``default``: Synapse's own limits, to provoke real ``M_LIMIT_EXCEEDED`` (429) responses.
  ``rc_login.address`` is per IP and every test client is 127.0.0.1, so prefer
  ``client_for(user)`` (token, no login) over ``login()`` on a shared default-limits server.

Nothing leaves the machine: only a client listener on 127.0.0.1, no federation listener,
``federation_domain_whitelist: []``, no trusted key servers, no stats reporting, no identity
server, push and URL previews and presence off.

Pytest fixtures (import them into a test module or a conftest): ``synapse`` (fast profile) and
``synapse_default_limits``, both session-scoped and synchronous. Register fresh users per test
(``register_user()`` without a name picks a random one): the servers are shared.

Standalone (benchmarks)::

    with SynapseServer() as hs:
        bot = hs.register_user("bot")
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar
from urllib.parse import quote

import httpx
import pytest
import yaml
from nio import AsyncClient, AsyncClientConfig, LoginResponse, SyncResponse, WhoamiResponse

from tests.support.credentials import made

Profile = Literal["fast", "default"]
T = TypeVar("T")

SERVER_NAME = "localhost"
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0

_HIGH = {"per_second": 1000, "burst_count": 1000}
FAST_RATE_LIMITS: dict[str, Any] = {
    "rc_message": _HIGH,
    "rc_registration": _HIGH,
    "rc_login": {"address": _HIGH, "account": _HIGH, "failed_attempts": _HIGH},
    "rc_joins": {"local": _HIGH, "remote": _HIGH},
    "rc_joins_per_room": _HIGH,
    "rc_invites": {"per_room": _HIGH, "per_user": _HIGH, "per_issuer": _HIGH},
    "rc_room_creation": _HIGH,
    "rc_profile": _HIGH,
    "rc_admin_redaction": _HIGH,
    "rc_media_create": _HIGH,
    "rc_key_requests": _HIGH,
}

_LOG_CONFIG = """\
version: 1
formatters:
  plain:
    format: '%(asctime)s %(name)s %(levelname)s %(request)s %(message)s'
filters:
  context:
    (): synapse.logging.context.LoggingContextFilter
handlers:
  file:
    class: logging.FileHandler
    formatter: plain
    filters: [context]
    filename: {path}
    encoding: utf8
loggers:
  synapse.storage.SQL:
    level: WARNING
root:
  level: INFO
  handlers: [file]
disable_existing_loggers: false
"""


class RegisteredUser(NamedTuple):
    """A user created through the shared-secret registration API."""

    user_id: str
    password: str
    access_token: str


class SynapseStartupError(RuntimeError):
    """Synapse did not come up; the message ends with the last lines of its logs."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@functools.cache
def _generated_config(server_name: str) -> tuple[dict[str, Any], str]:
    """Synapse's generated config and signing key, made once per process (~1 s each time)."""
    with tempfile.TemporaryDirectory(prefix="synapse-gen-") as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "synapse.app.homeserver",
                "--server-name",
                server_name,
                "--config-path",
                "hs.yaml",
                "--generate-config",
                "--report-stats=no",
            ],
            cwd=tmp,
            check=True,
            capture_output=True,
        )
        config = yaml.safe_load((Path(tmp) / "hs.yaml").read_text())
        signing_key = Path(config["signing_key_path"]).read_text()
    return config, signing_key


class SynapseServer:
    """One throwaway Synapse process; use as a context manager or call start()/stop().

    ``overrides`` is deep-merged into the final homeserver config (e.g. one raised limit).
    Set TMPDIR to choose where its directory (SQLite database, logs) lives.
    """

    def __init__(self, profile: Profile = "fast", overrides: dict[str, Any] | None = None) -> None:
        self.profile = profile
        self.overrides = overrides or {}
        self.server_name = SERVER_NAME
        self.port = 0
        self.dir: Path | None = None
        self.startup_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._secret = ""
        self._admin: RegisteredUser | None = None
        self._http: httpx.Client | None = None

    @property
    def url(self) -> str:
        """Base URL of the client API, e.g. ``http://127.0.0.1:40123``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def http(self) -> httpx.Client:
        """A synchronous httpx client bound to ``url``."""
        if self._http is None:
            self._http = httpx.Client(base_url=self.url, timeout=30)
        return self._http

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> SynapseServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Generate the config, start Synapse and wait until the client API answers."""
        began = time.monotonic()
        for attempt in range(3):
            try:
                self._start_once(began + STARTUP_TIMEOUT)
                break
            except SynapseStartupError as error:  # the free port may have been taken since
                if "Address already in use" not in str(error) or attempt == 2:
                    raise
        self.startup_seconds = time.monotonic() - began

    def _start_once(self, deadline: float) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="synapse-"))
        try:
            config_path = self._write_config()
            with (self.dir / "stdout.log").open("wb") as output:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "synapse.app.homeserver", "-c", str(config_path)],
                    cwd=self.dir,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # Ctrl-C reaches pytest only; teardown stops us
                )
            self._wait_until_up(deadline)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop Synapse (SIGTERM, then SIGKILL) and delete the temporary directory."""
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def _write_config(self) -> Path:
        assert self.dir is not None
        generated, signing_key = _generated_config(self.server_name)
        config = dict(generated)
        self._secret = config["registration_shared_secret"]
        signing_key_path = self.dir / f"{self.server_name}.signing.key"
        signing_key_path.write_text(signing_key)
        self.port = free_port()
        log_config = self.dir / "log.yaml"
        log_config.write_text(_LOG_CONFIG.format(path=self.dir / "homeserver.log"))
        config.update(
            listeners=[
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            database={"name": "sqlite3", "args": {"database": str(self.dir / "homeserver.db")}},
            log_config=str(log_config),
            media_store_path=str(self.dir / "media_store"),
            pid_file=str(self.dir / "homeserver.pid"),
            signing_key_path=str(signing_key_path),
            enable_registration=False,
            trusted_key_servers=[],
            suppress_key_server_warning=True,
            federation_domain_whitelist=[],
            report_stats=False,
            bcrypt_rounds=4,
            presence={"enabled": False},
            url_preview_enabled=False,
            push={"enabled": False},
        )
        if self.profile == "fast":
            config.update(FAST_RATE_LIMITS)
        config = _deep_merge(config, self.overrides)
        config_path = self.dir / "hs.yaml"
        config_path.write_text(yaml.safe_dump(config))
        return config_path

    def _wait_until_up(self, deadline: float) -> None:
        assert self._proc is not None
        delay = 0.02
        while True:
            if self._proc.poll() is not None:
                raise SynapseStartupError(
                    f"Synapse exited with {self._proc.returncode}\n{self.log_tail()}"
                )
            with contextlib.suppress(httpx.TransportError):
                if self.http.get("/_matrix/client/versions", timeout=1).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise SynapseStartupError(
                    f"Synapse not up after {STARTUP_TIMEOUT:.0f}s on {self.url}\n{self.log_tail()}"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of Synapse's stdout/stderr and of its log file."""
        if self.dir is None:
            return "(stopped)"
        return (
            f"--- stdout/stderr ---\n{_tail(self.dir / 'stdout.log', lines)}\n"
            f"--- homeserver.log ---\n{_tail(self.dir / 'homeserver.log', lines)}"
        )

    # -- users -------------------------------------------------------------------------------

    def register_user(
        self, name: str | None = None, password: str | None = None, admin: bool = False
    ) -> RegisteredUser:
        """Create a user via ``/_synapse/admin/v1/register`` (shared secret, HMAC-SHA1).

        Without a name a random one is used; without a password a random one is made.
        """
        name = name or f"user-{secrets.token_hex(4)}"
        password = password or secrets.token_urlsafe(12)
        path = "/_synapse/admin/v1/register"
        nonce = self._checked(self.http.get(path))["nonce"]
        mac = hmac.new(self._secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), name.encode(), password.encode()]))
        mac.update(b"\x00admin" if admin else b"\x00notadmin")
        body = {
            "nonce": nonce,
            "username": name,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
        }
        data = self._checked(self.http.post(path, json=body))
        return RegisteredUser(data["user_id"], made(password), made(data["access_token"]))

    @property
    def admin(self) -> RegisteredUser:
        """A server admin, registered on first use."""
        if self._admin is None:
            self._admin = self.register_user(f"admin-{secrets.token_hex(4)}", admin=True)
        return self._admin

    def override_ratelimit(
        self, user_id: str, messages_per_second: int = 0, burst_count: int = 0
    ) -> None:
        """Override the user's message rate limit; the default 0/0 means no limit at all."""
        self._checked(
            self.http.post(
                f"/_synapse/admin/v1/users/{quote(user_id)}/override_ratelimit",
                json={"messages_per_second": messages_per_second, "burst_count": burst_count},
                headers={"Authorization": f"Bearer {self.admin.access_token}"},
            )
        )

    @staticmethod
    def _checked(response: httpx.Response) -> dict[str, Any]:
        if response.status_code != 200:
            raise RuntimeError(
                f"{response.request.method} {response.request.url.path}: "
                f"{response.status_code} {response.text}"
            )
        return response.json()

    # -- matrix-nio clients --------------------------------------------------------------------

    def nio_client(
        self, user_id: str = "", config: AsyncClientConfig | None = None, store_path: str = ""
    ) -> AsyncClient:
        """A fresh, not yet logged-in nio client with finite retries.

        Plain by default: with the ``e2e`` extra installed nio would otherwise encrypt.
        """
        config = config or AsyncClientConfig(
            max_limit_exceeded=5, max_timeouts=3, request_timeout=30, encryption_enabled=False
        )
        return AsyncClient(self.url, user_id, config=config, store_path=store_path)

    async def login(self, user_id: str, password: str, device_name: str = "test") -> AsyncClient:
        """A nio client logged in with a password (counts against ``rc_login``)."""
        client = self.nio_client(user_id)
        response = await client.login(password, device_name=device_name)
        if not isinstance(response, LoginResponse):
            await client.close()
            raise RuntimeError(f"login of {user_id} failed: {response}")
        return client

    async def client_for(
        self, user: RegisteredUser, encryption_store: Path | None = None
    ) -> AsyncClient:
        """A nio client using the access token from registration (no login request).

        With ``encryption_store`` (a directory for its Olm keys) it encrypts like Element: its
        device keys are uploaded here, and ``keep_keys`` does the rest after each sync.
        """
        config = None
        if encryption_store is not None:
            encryption_store.mkdir(parents=True, exist_ok=True)
            config = AsyncClientConfig(
                max_limit_exceeded=5,
                max_timeouts=3,
                request_timeout=30,
                encryption_enabled=True,
                store_sync_tokens=False,
            )
        client = self.nio_client(user.user_id, config, str(encryption_store or ""))
        client.access_token = user.access_token
        whoami = await client.whoami()
        if not isinstance(whoami, WhoamiResponse) or whoami.device_id is None:
            await client.close()
            raise RuntimeError(f"whoami for {user.user_id} failed: {whoami}")
        client.restore_login(user.user_id, whoami.device_id, user.access_token)
        await keep_keys(client)
        return client

    @contextlib.asynccontextmanager
    async def human(self, name: str | None = None) -> AsyncIterator[AsyncClient]:
        """Register a fresh user and yield a logged-in nio client, closed afterwards."""
        client = await self.client_for(self.register_user(name))
        try:
            yield client
        finally:
            await client.close()


async def keep_keys(client: AsyncClient) -> None:
    """For an encrypting client, what nio's ``sync_forever`` does between syncs: upload our
    keys, query and claim theirs, send pending to-device messages. A no-op for plain clients."""
    if client.olm is None:
        return
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())
    await client.send_to_device_messages()


async def sync_until(
    client: AsyncClient, find: Callable[[SyncResponse], T | None], timeout: float = 15.0
) -> T:
    """Sync (long-polling) until ``find(response)`` returns something other than None.

    Raises AssertionError after ``timeout`` seconds: a bounded wait, never a fixed sleep.
    """
    try:
        async with asyncio.timeout(timeout):
            while True:
                response = await client.sync(timeout=1000)
                if not isinstance(response, SyncResponse):
                    raise RuntimeError(f"sync of {client.user_id} failed: {response}")
                await keep_keys(client)
                if (found := find(response)) is not None:
                    return found
    except TimeoutError:
        raise AssertionError(f"{client.user_id}: not seen in sync within {timeout}s") from None


def _start(profile: Profile) -> Iterator[SynapseServer]:
    with SynapseServer(profile) as server:
        yield server


@pytest.fixture(scope="session")
def synapse() -> Iterator[SynapseServer]:
    """A Synapse with raised rate limits, shared by the whole test session."""
    yield from _start("fast")


@pytest.fixture(scope="session")
def synapse_default_limits() -> Iterator[SynapseServer]:
    """A Synapse with its default rate limits (real 429s), shared by the whole test session."""
    yield from _start("default")


if __name__ == "__main__":  # pragma: no cover - manual check: python -m tests.support.synapse
    for profile in ("fast", "default"):
        with SynapseServer(profile) as hs:
            print(f"{profile}: up on {hs.url} after {hs.startup_seconds:.2f}s")
            print(hs.register_user())
