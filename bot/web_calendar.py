"""The personal calendar feed over HTTP: ``GET /kalender/<token>.ics``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from fastapi import APIRouter, Response

from bot.calendar import Entry, calendar_file
from core.calendar import calendar_feed
from core.domain.registrations import Registration, RegistrationStatus
from core.series import series_dates

if TYPE_CHECKING:
    from bot.app import App

FEED_PATH = "/kalender/{token}.ics"
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


def feed_url(app: App, token: str) -> str:
    return app.settings.effective_public_url + FEED_PATH.format(token=token)


def calendar_routes(app: App) -> APIRouter:
    router = APIRouter()

    @router.get(FEED_PATH)
    async def feed(token: str) -> Response:
        views = None
        if TOKEN.fullmatch(token):
            views = await calendar_feed(app.uow(), token=token, now=app.clock.now())
        if views is None:
            return Response(status_code=404)
        entries = [
            Entry(
                v.event,
                v.registration.status is RegistrationStatus.CONFIRMED,
                _video_link(app, v.registration),
            )
            for v in views
        ]
        name = app.translator.t(app.settings.default_language, "calendar.feed_name")
        series_ids = {v.event.series_id for v in views if v.event.series_id is not None}
        series = await series_dates(app.uow(), series_ids) if series_ids else None
        body = calendar_file(entries, name=str(name), now=app.clock.now(), series=series)
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Cache-Control": "private, no-store"},
        )

    return router


def _video_link(app: App, registration: Registration) -> str | None:
    assert registration.person_id is not None
    return app.video.for_registration(
        registration.event_id, registration.person_id, registration.mode, registration.status
    )
