"""``engagiert-bot serve``: the long-running service in one event loop.

The HTTP server and every configured chat transport run here side by side (PTB's
Application and nio's sync task are started by hand, not with their own ``run_*`` helpers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from collections.abc import Awaitable

import uvicorn

from bot.adapters import Transport
from bot.app import App
from bot.notifications import NotificationHub
from bot.outages import describe
from bot.scheduler import Scheduler
from bot.web import create_web_app
from core.faq.thesaurus import load_thesaurus
from storage.locks import SessionLock

log = logging.getLogger(__name__)

#: How often (seconds) ``serve`` looks whether it still holds its instance name.
INSTANCE_CHECK = 30.0
#: How long (seconds) stopping may take before what hangs is cut off (``docker stop``: 10).
STOP_WITHIN = 4.0


def configured_transports(app: App) -> list[Transport]:
    settings = app.settings
    transports: list[Transport] = []
    if settings.telegram_token is not None:
        from bot.adapters.telegram import TelegramTransport

        transports.append(TelegramTransport(app))
    if settings.matrix_homeserver:
        from bot.adapters.matrix import MatrixTransport

        transports.append(MatrixTransport(app))
    if settings.smtp is not None:
        from bot.adapters.mail import MailTransport

        transports.append(MailTransport(app))
    return transports


#: Between tries to start a transport whose server cannot be reached (seconds, doubling).
START_BACKOFF = (1.0, 60.0)


async def _start(transport: Transport, started: list[Transport]) -> None:
    """Start one transport, trying again with backoff while its server cannot be reached; the
    others and the HTTP side run meanwhile. One log line per try, no traceback."""
    delay, longest = START_BACKOFF
    name = transport.platform.value
    transport.state = "starting"
    while True:
        try:
            await transport.start()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            with contextlib.suppress(Exception):
                await transport.stop()  # what started half-way, so that it can start again
            transport.state = "down"
            log.warning(
                "%s: could not start (%s: %s); trying again in %.0f s",
                name,
                type(exc).__name__,
                exc,
                delay,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, longest)
            continue
        started.append(transport)
        log.info("%s transport running", name)
        return


async def _own_instance(app: App) -> SessionLock:
    """Take this process's name (``ENGAGIERT_INSTANCE``) and the leases an earlier run under
    it left when it died; if a running process has the name, continue under a unique one."""
    name = app.settings.instance
    lock = SessionLock(app.database, f"instance:{name}")
    if not await lock.acquire():
        app.instance = f"{name}-{secrets.token_hex(4)}"
        log.warning(
            "another running process is named %s; this one is %s (set ENGAGIERT_INSTANCE)",
            name,
            app.instance,
        )
        return lock
    app.instance = name
    async with app.uow() as uow:
        taken = await uow.outbox.take_back(name)
        await uow.commit()
    if taken:
        log.info("took back %d unsent messages an earlier run of %s had leased", taken, name)
    return lock


async def _keep_instance(app: App, lock: SessionLock) -> None:
    """Hold on to this process's name: a lock that went with a broken database session is
    taken again (another process could otherwise take the name, and our leases with it)."""
    while True:
        await asyncio.sleep(INSTANCE_CHECK)
        with contextlib.suppress(Exception):  # the database is away: the next check
            if not await lock.still_held() and await lock.acquire():
                log.info("instance name %s held again", app.instance)


async def serve(app: App) -> None:
    settings = app.settings
    instance = await _own_instance(app)
    transports = configured_transports(app)
    scheduler = Scheduler(app, app.notifier) if isinstance(app.notifier, NotificationHub) else None
    web = create_web_app(app, transports, scheduler)
    for transport in transports:
        routes = transport.routes()
        if routes is not None:
            web.include_router(routes)
    config = uvicorn.Config(
        web,
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level.lower(),
        lifespan="off",
        # uvicorn's lines go through our logging (the log file too, secrets redacted); no
        # access log: its paths carry calendar-feed, live-page and sign-in tokens.
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    # Our own signal handling: stop everything in this loop cleanly on SIGTERM/SIGINT.
    server.install_signal_handlers = lambda: None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    http = asyncio.create_task(server.serve(), name="http")
    # The general synonyms are read at the first question otherwise (about a second).
    preload = asyncio.create_task(asyncio.to_thread(load_thesaurus), name="thesaurus")
    keeper = (
        asyncio.create_task(_keep_instance(app, instance), name="instance")
        if instance.held
        else None
    )
    started: list[Transport] = []
    starting = [
        asyncio.create_task(_start(transport, started), name=f"start-{transport.platform.value}")
        for transport in transports
    ]
    if scheduler is not None:  # it waits for the database: SIGTERM must not wait for it
        starting.append(asyncio.create_task(scheduler.start(), name="start-scheduler"))
    try:
        if not transports:
            log.info("no chat transport configured; serving HTTP only")
        log.info("listening on http://%s:%d", settings.http_host, settings.http_port)
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait({http, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
    finally:
        app.stopping.set()  # event streams end now, not after their lifetime
        others = [task for task in (*starting, preload, keeper) if task is not None]
        for task in others:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*others, return_exceptions=True)
        # Within docker's ten seconds, also while the database does not answer: what hangs is
        # cut off (a message in hand then goes out after the restart).
        stopping = [*([scheduler.stop()] if scheduler else []), *(t.stop() for t in started)]
        await _within(STOP_WITHIN, "stopping the scheduler and the transports", *stopping)
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await http
        await _within(1.0, "releasing the instance name", instance.release())
    log.info("stopped")


async def _within(seconds: float, what: str, *steps: Awaitable[None]) -> None:
    """Run ``steps`` together for at most ``seconds``; log failures and what was cut off."""
    tasks = [asyncio.ensure_future(step) for step in steps]
    if not tasks:
        return
    done, pending = await asyncio.wait(tasks, timeout=seconds)
    for task in pending:
        task.cancel()
    if pending:
        log.warning("%s took longer than %.0f s; cut off", what, seconds)
    for task in done:
        if task.exception() is not None:
            log.error("%s failed: %s", what, describe(task.exception()))
