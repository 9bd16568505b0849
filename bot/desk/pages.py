"""What every page of the web desk shares: templates, headers, the session, forms."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

import bot.paths  # noqa: F401  (registers the ``{…:id}`` path convertor)
from bot.app import App
from bot.reply import plain_text
from core.domain.errors import DomainError, NotAllowed, NotFound
from core.web_access import Session, csrf_ok, signed_in

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
COOKIE = "engagiert_desk"
#: On every page: nothing from elsewhere, no framing, no referrer (sign-in links are in URLs).
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; "
        "connect-src 'self'; form-action 'self'; "
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


@dataclass
class Field:
    """One field of a form: what it shows, and its German error after sending."""

    name: str
    label: str
    kind: str  # an <input> type, "textarea" or "select"
    value: str = ""
    hint: str = ""
    error: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)


class Desk:
    """What every page of the desk needs: the app, rendering, the session, the form."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.secure = app.settings.effective_public_url.startswith("https://")

    def page(
        self,
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
        self, request: Request, title: str, text: str, status: int, session: Session | None = None
    ) -> HTMLResponse:
        return self.page(request, "message.html", title, status=status, session=session, text=text)

    def explained(self, error: DomainError) -> str:
        """The German message for ``error``, in the web's wording where it has its own."""
        return plain_text(self.app.translator.error("de", error, channel="web"))

    def refused(self, request: Request, error: DomainError, session: Session) -> HTMLResponse:
        """The page for a domain error: 404 for what does not exist, 403 for what the
        person may not do, 400 otherwise."""
        if isinstance(error, NotFound):
            return self.message(request, "Nicht gefunden", self.explained(error), 404, session)
        if isinstance(error, NotAllowed):
            return self.message(request, "Kein Zugang", self.explained(error), 403, session)
        return self.message(request, "Nicht ausgeführt", self.explained(error), 400, session)

    async def current(self, request: Request) -> Session | HTMLResponse:
        """The signed-in session, or the page that says why there is none."""
        token = request.cookies.get(COOKIE, "")
        try:
            session = await signed_in(self.app.uow(), token=token, now=self.app.clock.now())
        except NotAllowed as exc:
            return self.message(request, "Kein Zugang", self.explained(exc), 403)
        if session is None:
            title = "Sitzung abgelaufen" if token else "Bitte melden Sie sich an"
            return self.message(request, title, ASK_FOR_A_LINK, 401)
        return session

    async def posted(self, request: Request) -> Session | HTMLResponse:
        """The session of a form sent with its CSRF token, or the page that refuses it."""
        session = await self.current(request)
        if isinstance(session, Response):
            return session
        if not csrf_ok(session.token, (await self.form(request)).get("csrf", "")):
            text = "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu."
            return self.message(request, "Nicht ausgeführt", text, 403, session)
        return session

    async def guarded(
        self,
        request: Request,
        page: Callable[[Session], Awaitable[Response]],
        *,
        posted: bool = False,
    ) -> Response:
        """``page(session)`` for the signed-in session (of a form with its CSRF token when
        ``posted``); a domain error it raises becomes :meth:`refused`'s page."""
        session = await (self.posted(request) if posted else self.current(request))
        if isinstance(session, Response):
            return session
        try:
            return await page(session)
        except DomainError as exc:
            return self.refused(request, exc, session)

    @staticmethod
    def see(path: str) -> Response:
        """After a form: go to ``path`` (303, so that a reload sends nothing again)."""
        response = RedirectResponse(path, status_code=303)
        response.headers.update(HEADERS)
        return response

    @staticmethod
    async def form(request: Request) -> dict[str, str]:
        """The sent form's fields (the last value of each)."""
        return {key: values[-1] for key, values in (await _fields(request)).items()}

    @staticmethod
    async def form_list(request: Request, name: str) -> list[str]:
        """Every value sent for ``name`` (checkboxes)."""
        return list((await _fields(request)).get(name, []))


async def _fields(request: Request) -> dict[str, list[str]]:
    """The form body, parsed once per request."""
    if not hasattr(request.state, "fields"):
        body = (await request.body()).decode("utf-8", errors="replace")
        request.state.fields = parse_qs(body, keep_blank_values=True)
    return request.state.fields
