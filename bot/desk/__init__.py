"""The office's web desk at ``/admin``: German pages rendered on the server (Jinja2), no
JavaScript, no assets from elsewhere. Signing in takes a one-time link from the private chat
(``/webzugang``) or ``engagiert-bot admin-link``; the session cookie is HttpOnly,
SameSite=Lax and Secure when the service is reached over https; every form carries the
session's CSRF token (:func:`core.web_access.csrf_token`). Who may see what is decided by
the core, as for the chat."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from bot.app import App
from bot.reply import plain_text
from core.domain.errors import DomainError, NotAllowed
from core.domain.web import SESSION_LIFETIME
from core.events import upcoming_events
from core.web_access import Session, csrf_ok, redeem_link, sign_out, signed_in

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
COOKIE = "engagiert_desk"
#: On every page: nothing from elsewhere, no framing, no referrer (sign-in links are in URLs).
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
#: What a link or session problem says, and the status it answers with.
LINK_PROBLEMS = {"web_link_unknown": 404, "web_link_used": 410, "web_link_expired": 410}
ASK_FOR_A_LINK = (
    "Einen Anmelde-Link bekommen Sie im privaten Chat mit dem Bot: /webzugang "
    "(in Matrix: !webzugang). Er gilt zehn Minuten und einmal."
)


def desk_router(app: App) -> APIRouter:
    """The desk's routes (``/admin/…``) on ``app``."""
    router = APIRouter(prefix="/admin")
    secure = app.settings.effective_public_url.startswith("https://")

    def page(
        request: Request,
        template: str,
        title: str,
        *,
        status: int = 200,
        session: Session | None = None,
        **context: Any,
    ) -> HTMLResponse:
        values = {"title": title, "session": session, **context}
        response = TEMPLATES.TemplateResponse(request, template, values, status_code=status)
        response.headers.update(HEADERS)
        return response

    def message(
        request: Request, title: str, text: str, status: int, session: Session | None = None
    ) -> HTMLResponse:
        return page(request, "message.html", title, status=status, session=session, text=text)

    def explained(error: DomainError) -> str:
        return plain_text(app.router.error_reply("de", error).text)

    async def current(request: Request) -> Session | HTMLResponse:
        """The signed-in session, or the page that says why there is none."""
        token = request.cookies.get(COOKIE, "")
        try:
            session = await signed_in(app.uow(), token=token, now=app.clock.now())
        except NotAllowed as exc:
            return message(request, "Kein Zugang", explained(exc), 403)
        if session is None:
            title = "Sitzung abgelaufen" if token else "Bitte melden Sie sich an"
            return message(request, title, ASK_FOR_A_LINK, 401)
        return session

    async def form(request: Request) -> dict[str, str]:
        body = (await request.body()).decode("utf-8", errors="replace")
        return {key: values[-1] for key, values in parse_qs(body).items()}

    @router.get("/static/desk.css", include_in_schema=False)
    async def stylesheet() -> Response:
        response = FileResponse(HERE / "static" / "desk.css", media_type="text/css")
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @router.get("/anmelden/{token}", include_in_schema=False)
    async def sign_in_page(request: Request, token: str) -> Response:
        # Only a button here: link previews and scanners fetch with GET and must not use
        # the link up.
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
        session = await current(request)
        if isinstance(session, Response):
            return session
        if not csrf_ok(session.token, (await form(request)).get("csrf", "")):
            text = "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu."
            return message(request, "Nicht ausgeführt", text, 403, session)
        await sign_out(app.uow(), token=session.token)
        response = RedirectResponse("/admin/abgemeldet", status_code=303)
        response.delete_cookie(COOKIE, path="/admin", secure=secure, httponly=True)
        response.headers.update(HEADERS)
        return response

    @router.get("/abgemeldet", include_in_schema=False)
    async def signed_out(request: Request) -> Response:
        return message(request, "Abgemeldet", "Sie sind abgemeldet. " + ASK_FOR_A_LINK, 200)

    @router.get("", include_in_schema=False)
    async def home(request: Request) -> Response:
        session = await current(request)
        if isinstance(session, Response):
            return session
        t = app.translator
        rows = [
            {
                "id": info.event.id,
                "starts": t.datetime("de", info.event.starts_at),
                "title": info.event.title,
                "kind": plain_text(t.t("de", f"kind.{info.event.kind.value}")),
                "place": info.event.place or "online",
                "registrations": (
                    f"{info.confirmed} von {info.event.capacity}"
                    if info.event.capacity is not None
                    else str(info.confirmed)
                )
                + (f", {info.waitlisted} auf der Warteliste" if info.waitlisted else ""),
                "cancelled": info.event.cancelled,
            }
            for info in await upcoming_events(app.uow(), now=app.clock.now())
        ]
        return page(request, "home.html", "Übersicht", session=session, events=rows)

    @router.get("/{rest:path}", include_in_schema=False)
    async def not_found(request: Request, rest: str) -> Response:
        return message(request, "Nicht gefunden", "Diese Seite gibt es nicht.", 404)

    return router
