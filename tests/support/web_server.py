"""The service's web app on a real loopback port (for SSE clients and browsers)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI


@contextlib.asynccontextmanager
async def serving(web: FastAPI) -> AsyncIterator[str]:
    """Run ``web`` with uvicorn on 127.0.0.1 (a free port); yields the base URL."""
    config = uvicorn.Config(web, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    config.timeout_graceful_shutdown = 1
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task  # raises what went wrong
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
