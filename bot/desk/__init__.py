"""The office's web desk at ``/admin``: German pages rendered on the server (Jinja2), no
JavaScript, no assets from elsewhere. Signing in takes a one-time link from the private chat
(``/webzugang``) or ``engagiert-bot admin-link``; the session cookie is HttpOnly,
SameSite=Lax and Secure when the service is reached over https; every form carries the
session's CSRF token (:func:`core.web_access.csrf_token`). Who may see what is decided by
the core, as for the chat."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from bot.app import App
from bot.desk.announcements import add_announcement_routes
from bot.desk.audit import add_audit_routes
from bot.desk.coverage import add_coverage_routes
from bot.desk.email import add_email_routes
from bot.desk.events import add_event_routes
from bot.desk.knowledge import add_knowledge_routes
from bot.desk.pages import ASK_FOR_A_LINK, COOKIE, HEADERS, HERE, LINK_PROBLEMS, Desk
from bot.desk.people import add_people_routes
from bot.desk.polls import add_poll_routes
from core.domain.errors import DomainError, NotAllowed
from core.domain.web import SESSION_LIFETIME
from core.web_access import check_link, redeem_link, sign_out

#: A request for an address the desk does not know gets its German page whatever the method.
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def desk_router(app: App) -> APIRouter:
    """The desk's routes (``/admin/…``) on ``app``."""
    router = APIRouter(prefix="/admin")
    desk = Desk(app)
    secure, page, message, explained = desk.secure, desk.page, desk.message, desk.explained

    @router.get("/static/{name}", include_in_schema=False)
    async def static(request: Request, name: str) -> Response:
        types = {"desk.css": "text/css", "progress.js": "text/javascript"}
        if name not in types:
            return message(request, "Nicht gefunden", "Diese Seite gibt es nicht.", 404)
        response = FileResponse(HERE / "static" / name, media_type=types[name])
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @router.get("/anmelden/{token}", include_in_schema=False)
    async def sign_in_page(request: Request, token: str) -> Response:
        # Only a button here: link previews and scanners fetch with GET and must not use
        # the link up; a link that would not work says so at once.
        try:
            await check_link(app.uow(), token=token, now=app.clock.now())
        except NotAllowed as exc:
            return message(request, "Kein Zugang", explained(exc), 403)
        except DomainError as exc:
            status = LINK_PROBLEMS.get(exc.code, 400)
            return message(request, "Anmelde-Link ungültig", explained(exc), status)
        return page(request, "sign_in.html", "Anmelden")

    @router.post("/anmelden/{token}", include_in_schema=False)
    async def sign_in(request: Request, token: str) -> Response:
        try:
            session = await redeem_link(app.uow(), token=token, now=app.clock.now())
        except NotAllowed as exc:
            return message(request, "Kein Zugang", explained(exc), 403)
        except DomainError as exc:
            status = LINK_PROBLEMS.get(exc.code, 400)
            return message(request, "Anmelde-Link ungültig", explained(exc), status)
        response = RedirectResponse("/admin", status_code=303)
        response.set_cookie(
            COOKIE,
            session.token,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            path="/admin",
            secure=secure,
            httponly=True,
            samesite="lax",
        )
        response.headers.update(HEADERS)
        return response

    @router.post("/abmelden", include_in_schema=False)
    async def sign_out_now(request: Request) -> Response:
        session = await desk.posted(request)
        if isinstance(session, Response):
            return session
        await sign_out(app.uow(), token=session.token)
        response = desk.see("/admin/abgemeldet")
        response.delete_cookie(COOKIE, path="/admin", secure=secure, httponly=True)
        response.headers.update(HEADERS)
        return response

    @router.get("/abgemeldet", include_in_schema=False)
    async def signed_out(request: Request) -> Response:
        return message(request, "Abgemeldet", "Sie sind abgemeldet. " + ASK_FOR_A_LINK, 200)

    add_event_routes(router, desk)
    add_announcement_routes(router, desk)
    add_people_routes(router, desk)
    add_coverage_routes(router, desk)
    add_knowledge_routes(router, desk)
    add_poll_routes(router, desk)
    add_email_routes(router, desk)

    add_audit_routes(router, desk)

    @router.api_route("/{rest:path}", methods=ALL_METHODS, include_in_schema=False)
    async def not_found(request: Request, rest: str) -> Response:
        if not rest and request.method == "GET":  # /admin/
            return desk.see("/admin")
        return message(request, "Nicht gefunden", "Diese Seite gibt es nicht.", 404)

    return router
