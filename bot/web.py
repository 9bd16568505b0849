"""The HTTP side: health check now; webhooks, the admin API and live pages plug in here."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from bot.app import App
from bot.live import live_router
from bot.web_calendar import calendar_routes

log = logging.getLogger(__name__)


def create_web_app(app: App) -> FastAPI:
    web = FastAPI(title="engagiert-bot", docs_url=None, redoc_url=None, openapi_url=None)

    @web.get("/healthz")
    async def healthz() -> JSONResponse:
        try:
            async with app.database.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
        except Exception:
            log.exception("health check: database unreachable")
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    web.include_router(calendar_routes(app))
    web.include_router(live_router(app))
    return web
