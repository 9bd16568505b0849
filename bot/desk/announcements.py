"""The desk's announcements: compose, choose the audience, see the preview with the number
of recipients, confirm, and follow the delivery ("120 von 300 zugestellt") with the reason
for every notice that cannot be delivered, in German. With e-mail on, an announcement may
carry a subject and the event it invites to (its mails then have an "Anmelden" link); the
delivery line then counts the e-mails too."""

from __future__ import annotations

import re
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from bot.delivery import reason
from bot.desk.pages import HEADERS, Desk
from bot.reply import plain_text
from core.announcements import (
    SUBJECT_MAX,
    TEXT_MAX,
    Audience,
    announce,
    count_recipients,
    delivery_problems,
    progress,
    resolve_audience,
)
from core.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound
from core.domain.members import MemberKind
from core.domain.notifications import Announcement, AudienceKind, DeliveryProgress
from core.domain.text import has_control_characters
from core.events import upcoming_events
from core.members import list_members
from core.web_access import Session, seal, seal_ok

#: The preview's key: a random part (sending it again sends nothing twice) and the seal over
#: it, the audience, the text, the subject and the event (what is sent is what was previewed).
DRAFT = re.compile(r"(?P<nonce>[A-Za-z0-9_-]{22})\.(?P<seal>[0-9a-f]{32})")


def _draft(session_token: str, audience: str, text: str, subject: str, event: str) -> str:
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{seal(session_token, nonce, audience, _lines(text), subject, event)}"


#: A choice of a select: its value and label.
Option = tuple[str, str]


def _subject(text: str) -> str:
    """One line, spaces tidied (as ``announce`` stores it)."""
    return " ".join(text.split())


def _lines(text: str) -> str:
    """Line breaks as one character (a browser sends a form's as CR LF)."""
    return text.replace("\r\n", "\n").strip()


def add_announcement_routes(router: APIRouter, desk: Desk) -> None:
    app = desk.app
    t = app.translator

    async def audiences(session: Session) -> tuple[list[dict[str, object]], list[Option]]:
        """The audiences to choose from, and the coming events an announcement may invite
        to (``(id, "Titel (Datum)")``)."""
        members = await list_members(app.uow(), actor_id=session.person.id)
        events = [
            (str(i.event.id), f"{i.event.title} ({t.date('de', i.event.starts_at)})")
            for i in await upcoming_events(app.uow(), now=app.clock.now(), limit=None)
        ]
        groups: list[dict[str, object]] = [
            {"label": "Alle", "options": [("all", "alle Personen der Mitgliedskommunen")]},
            {
                "label": "Nach Art der Kommune",
                "options": [
                    (f"kind:{k.value}", t.t("de", f"member_kinds.{k.value}")) for k in MemberKind
                ],
            },
            {
                "label": "Eine Kommune",
                "options": [(f"member:{m.id}", m.name) for m in members],
            },
            {
                "label": "Die Angemeldeten einer Veranstaltung",
                "options": [(f"event:{ref}", label) for ref, label in events],
            },
            {
                "label": "Kommunen, aus denen noch niemand angemeldet ist",
                "options": [(f"not_registered:{ref}", label) for ref, label in events],
            },
        ]
        return groups, events

    async def chosen(value: str) -> Audience:
        kind, _, ref = value.partition(":")
        kinds = {"all": AudienceKind.ALL, "kind": AudienceKind.MEMBER_KIND}
        kinds |= {"member": AudienceKind.MEMBER, "event": AudienceKind.EVENT}
        kinds |= {"not_registered": AudienceKind.NOT_REGISTERED}
        if kind not in kinds:
            raise InvalidInput("announcement_audience")
        return await resolve_audience(app.uow(), kinds[kind], ref or None)

    def describe_audience(value: str, groups: list[dict[str, object]]) -> str:
        for group in groups:
            for option, label in group["options"]:  # type: ignore[attr-defined]
                if option == value:
                    return str(label)
        return value

    def form(
        request: Request,
        session: Session,
        choices: tuple[list[dict[str, object]], list[Option]],
        *,
        text: str = "",
        audience: str = "all",
        subject: str = "",
        event: str = "",
        errors: dict[str, str] | None = None,
    ) -> Response:
        groups, events = choices
        return desk.page(
            request,
            "announce.html",
            "Ankündigung schreiben",
            status=422 if errors else 200,
            session=session,
            audiences=groups,
            chosen=audience,
            text=text,
            errors=errors or {},
            max=TEXT_MAX,
            mail_on=app.settings.smtp_url is not None,
            subject=subject,
            subject_max=SUBJECT_MAX,
            events=events,
            event=event,
        )

    @router.get("/ankuendigungen", include_in_schema=False)
    async def compose(request: Request) -> Response:
        session = await desk.current(request)
        if isinstance(session, Response):
            return session
        chosen_first = request.query_params.get("audience", "all")  # a link from an event
        try:
            return form(request, session, await audiences(session), audience=chosen_first)
        except DomainError as exc:
            return desk.refused(request, exc, session)

    @router.post("/ankuendigungen/aendern", include_in_schema=False)
    async def change(request: Request) -> Response:
        session = await desk.posted(request)
        if isinstance(session, Response):
            return session
        sent_form = await desk.form(request)
        try:
            choices = await audiences(session)
        except DomainError as exc:
            return desk.refused(request, exc, session)
        return form(
            request,
            session,
            choices,
            text=sent_form.get("text", ""),
            audience=sent_form.get("audience", "all"),
            subject=sent_form.get("subject", ""),
            event=sent_form.get("event", ""),
        )

    @router.post("/ankuendigungen/vorschau", include_in_schema=False)
    async def preview(request: Request) -> Response:
        session = await desk.posted(request)
        if isinstance(session, Response):
            return session
        sent_form = await desk.form(request)
        text, value = sent_form.get("text", "").strip(), sent_form.get("audience", "")
        subject, event = _subject(sent_form.get("subject", "")), sent_form.get("event", "")
        try:
            choices = await audiences(session)
        except DomainError as exc:
            return desk.refused(request, exc, session)
        groups, events = choices
        errors: dict[str, str] = {}
        if not text:
            errors["text"] = "Bitte schreiben Sie den Text der Ankündigung."
        elif len(text) > TEXT_MAX:
            errors["text"] = f"Der Text ist {len(text)} Zeichen lang; höchstens {TEXT_MAX}."
        elif has_control_characters(text):
            errors["text"] = "Der Text enthält Steuerzeichen; bitte tippen Sie ihn neu."
        if len(subject) > SUBJECT_MAX or has_control_characters(subject):
            errors["subject"] = desk.explained(
                InvalidInput("announcement_subject", max=SUBJECT_MAX)
            )
        invited = dict(events).get(event, "")
        if event and not invited:
            errors["event"] = desk.explained(NotFound("event_not_found", id=event[:20]))
        count = 0
        try:
            audience = await chosen(value)
            count = await count_recipients(
                app.uow(), actor_id=session.person.id, audience=audience, now=app.clock.now()
            )
            if not count:
                errors["audience"] = "Damit erreichen Sie niemanden; bitte wählen Sie andere."
        except NotAllowed as exc:
            return desk.refused(request, exc, session)
        except DomainError as exc:
            errors["audience"] = desk.explained(exc)
        if errors:
            return form(
                request,
                session,
                choices,
                text=text,
                audience=value,
                subject=subject,
                event=event,
                errors=errors,
            )
        return desk.page(
            request,
            "announce_preview.html",
            "Vorschau der Ankündigung",
            session=session,
            text=text,
            audience=value,
            audience_label=describe_audience(value, groups),
            count=count,
            subject=subject,
            event=event,
            invited=invited,
            mail_on=app.settings.smtp_url is not None,
            draft=_draft(session.token, value, text, subject, event),
        )

    @router.post("/ankuendigungen/senden", include_in_schema=False)
    async def send(request: Request) -> Response:
        session = await desk.posted(request)
        if isinstance(session, Response):
            return session
        sent_form = await desk.form(request)
        draft = sent_form.get("draft", "")
        match = DRAFT.fullmatch(draft)
        if match is None:
            reason = "Bitte sehen Sie sich zuerst die Vorschau an; erst von dort wird gesendet."
            return desk.message(request, "Nicht gesendet", reason, 400, session)
        subject, event = sent_form.get("subject", ""), sent_form.get("event", "")
        previewed = (
            match["nonce"],
            sent_form.get("audience", ""),
            _lines(sent_form.get("text", "")),
            subject,
            event,
        )
        if not seal_ok(session.token, match["seal"], *previewed) or not (
            event == "" or event.isdigit()
        ):
            reason = (
                "Die Ankündigung ist nicht die aus der Vorschau. "
                "Bitte sehen Sie sich die Vorschau erneut an."
            )
            return desk.message(request, "Nicht gesendet", reason, 400, session)
        try:
            audience = await chosen(sent_form.get("audience", ""))
            stored = await announce(
                app.uow(),
                actor_id=session.person.id,
                text=sent_form.get("text", ""),
                audience=audience,
                now=app.clock.now(),
                draft=draft,
                subject=subject or None,
                event_id=int(event) if event else None,
            )
        except DomainError as exc:
            return desk.refused(request, exc, session)
        return desk.see(f"/admin/ankuendigungen/{stored.id}")

    async def states(
        session: Session, announcement_id: int
    ) -> tuple[Announcement, DeliveryProgress, DeliveryProgress | None]:
        """How far the announcement got, in all and (with e-mail on) by e-mail."""
        found, state = await progress(
            app.uow(), actor_id=session.person.id, announcement_id=announcement_id
        )
        mails = None
        if app.settings.smtp_url is not None:
            _, mails = await progress(
                app.uow(),
                actor_id=session.person.id,
                announcement_id=announcement_id,
                platform="email",
            )
        return found, state, mails

    @router.get("/ankuendigungen/{announcement_id:id}/stand", include_in_schema=False)
    async def state_now(request: Request, announcement_id: int) -> Response:
        """The status line for the page's live update (JSON)."""
        session = await desk.current(request)
        if isinstance(session, Response):
            return session
        try:
            _, state, mails = await states(session, announcement_id)
        except DomainError as exc:
            return desk.refused(request, exc, session)
        body = {
            "text": _status(state, mails),
            "total": state.total,
            "delivered": state.delivered,
            "failed": state.failed,
            "pending": state.pending,
        }
        return JSONResponse(body, headers=HEADERS)

    @router.get("/ankuendigungen/{announcement_id:id}", include_in_schema=False)
    async def follow(request: Request, announcement_id: int) -> Response:
        session = await desk.current(request)
        if isinstance(session, Response):
            return session
        try:
            found, state, mails = await states(session, announcement_id)
            problems = await delivery_problems(
                app.uow(), actor_id=session.person.id, limit=500, announcement_id=announcement_id
            )
        except DomainError as exc:
            return desk.refused(request, exc, session)
        return desk.page(
            request,
            "announce_progress.html",
            f"Ankündigung {announcement_id}",
            session=session,
            announcement_id=announcement_id,
            line=_status(state, mails),
            text=found.text,
            subject=found.subject or "",
            total=state.total,
            delivered=state.delivered,
            failed=state.failed,
            pending=state.pending,
            problems=[
                (p.person_name, plain_text(t.t("de", f"delivery.reason.{reason(p.error)}")))
                for p in problems
            ],
        )


def _status(state: DeliveryProgress, mails: DeliveryProgress | None = None) -> str:
    """„120 von 300 zugestellt, 2 nicht zustellbar (E-Mails: 80 von 90 zugestellt) – läuft
    noch.“ (the e-mails only when some go out)."""
    text = f"{state.delivered} von {state.total} zugestellt"
    if state.failed:
        text += f", {state.failed} nicht zustellbar"
    if mails is not None and mails.total:
        by_mail = f"E-Mails: {mails.delivered} von {mails.total} zugestellt"
        if mails.failed:
            by_mail += f", {mails.failed} nicht zustellbar"
        text += f" ({by_mail})"
    return text + (" – läuft noch." if state.pending else " – fertig.")
