"""The HTTP side: health check now; webhooks, the admin API and live pages plug in here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.adapters import Transport
from bot.api import api_app
from bot.app import App
from bot.desk import desk_router
from bot.live import live_router
from bot.scheduler import Scheduler
from bot.web_calendar import calendar_routes
from bot.web_mail import mail_routes
from bot.web_video import video_routes
from core.audit import VIA
from storage.database import head_revision

log = logging.getLogger(__name__)

#: A database that does not answer within this many seconds counts as unreachable.
HEALTH_WITHIN = 5.0


class AuditedRequests:
    """ASGI middleware: what a request changes is logged as done on the ``web`` (the API
    names its token instead), and nothing of it outlives the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = VIA.set("web")
        try:
            await self.app(scope, receive, send)
        finally:
            VIA.reset(token)


def create_web_app(
    app: App, transports: Sequence[Transport] = (), scheduler: Scheduler | None = None
) -> FastAPI:
    """The service's HTTP app; ``transports`` and ``scheduler`` are reported by ``/healthz``."""
    web = FastAPI(title="engagiert-bot", docs_url=None, redoc_url=None, openapi_url=None)

    @web.get("/healthz")
    async def healthz() -> JSONResponse:
        """200 while the process and its database work, with one field per component (a
        chat platform that is down is reported, not fatal); 503 without the database."""
        components: dict[str, str] = {t.platform.value: t.state for t in transports}
        schema = await _schema(app)
        status = 200 if schema is not None else 503
        word = "ok" if schema == head_revision() else "degraded"
        body = {"status": word if schema is not None else "error", **components}
        body["scheduler"] = scheduler.state if scheduler is not None else "off"
        body["database"] = "ok" if schema is not None else "unreachable"
        body["schema"] = schema or "unknown"
        return JSONResponse(body, status_code=status)

    @web.get("/readyz")
    async def readyz() -> JSONResponse:
        """503 only while the database is unreachable or its schema is not the current one."""
        schema = await _schema(app)
        ready = schema is not None and schema == head_revision()
        return JSONResponse({"ready": ready}, status_code=200 if ready else 503)

    web.add_middleware(AuditedRequests)
    web.mount("/api/v1", api_app(app))
    web.include_router(desk_router(app))
    web.include_router(calendar_routes(app))
    web.include_router(mail_routes(app))
    web.include_router(video_routes(app))
    web.include_router(live_router(app))
    return web


_down_logged = False


async def _schema(app: App) -> str | None:
    """The database's schema revision; ``None`` when it cannot be reached (logged once per
    outage, not per request)."""
    global _down_logged
    try:
        async with asyncio.timeout(HEALTH_WITHIN):  # a database that does not answer is down
            revision = await app.database.current_revision()
    except Exception as exc:
        if not _down_logged:
            log.warning("health check: database unreachable (%s)", type(exc).__name__)
            _down_logged = True
        return None
    if _down_logged:
        log.info("health check: database reachable again")
        _down_logged = False
    return revision or "none"
