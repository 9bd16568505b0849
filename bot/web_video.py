"""``/v/<token>``: a person's own link into an event's video conference (see
``bot.video_links``). A GET redirects (303) to the meeting while the person may enter,
else a German page says why and from when; the meeting address never appears on the page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from bot.app import App
from bot.video_links import PREFIX, PURPOSE
from bot.web_mail import LANGUAGE, MAX_TOKEN, message
from core.domain.errors import DomainError, NotFound
from core.mail import read_link
from core.signup import video_access

TITLES = {
    "video_not_yet": "Noch etwas Geduld",
    "video_over": "Die Veranstaltung ist vorbei",
    "event_cancelled": "Abgesagt",
}
#: The page is personal: no cache, no address of it sent on to the meeting's server.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def video_routes(app: App) -> APIRouter:
    """The redirect under ``/v/`` on ``app``."""
    router = APIRouter(prefix=PREFIX)
    t = app.translator

    @router.api_route("/{token}", methods=["GET", "HEAD"], include_in_schema=False)
    async def video(request: Request, token: str) -> Response:
        now = app.clock.now()
        ids = read_link(app.video.key, PURPOSE, token, now) if len(token) <= MAX_TOKEN else None
        if ids is None or len(ids) != 2:
            said = [
                "Dieser Link ist ungültig. Ihren persönlichen Zugang finden Sie in der "
                "Anmeldebestätigung und in der Erinnerung; im Chat zeigt ihn /termin NR."
            ]
            return _private(message(request, "Link ungültig", said, 404))
        event_id, person_id = ids
        try:
            url = await video_access(
                app.uow(),
                event_id=event_id,
                person_id=person_id,
                now=now,
                opens_before=app.video.opens_before,
            )
        except NotFound:
            said = ["Diese Veranstaltung gibt es nicht mehr."]
            return _private(message(request, "Nicht gefunden", said, 404))
        except DomainError as exc:
            title = TITLES.get(exc.code, "Kein Zugang")
            said = [t.error(LANGUAGE, exc, channel="web")]
            status = 200 if exc.code == "video_not_yet" else 403
            if exc.code in ("video_over", "event_cancelled"):
                status = 410
            return _private(message(request, title, said, status))
        return _private(RedirectResponse(url, status_code=303))

    return router


def _private(response: Response) -> Response:
    response.headers.update(PRIVATE)
    return response
