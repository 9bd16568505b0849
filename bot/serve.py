"""``engagiert-bot serve``: the long-running service in one event loop.

The HTTP server runs here now; chat transports and the scheduler start beside it as they are
configured, all in this loop (PTB's Application and nio's sync task are started by hand, not
with their own ``run_*`` helpers).
"""

from __future__ import annotations

import asyncio
import logging
import signal

import uvicorn

from bot.app import App
from bot.web import create_web_app

log = logging.getLogger(__name__)


async def serve(app: App) -> None:
    settings = app.settings
    config = uvicorn.Config(
        create_web_app(app),
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level.lower(),
        lifespan="off",
    )
    server = uvicorn.Server(config)
    # Our own signal handling: stop everything in this loop cleanly on SIGTERM/SIGINT.
    server.install_signal_handlers = lambda: None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    log.info("no chat transport configured; serving HTTP only")
    log.info("listening on http://%s:%d", settings.http_host, settings.http_port)
    await server.serve()
    log.info("stopped")
