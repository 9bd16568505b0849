"""The desk's check-in list of an event (``/admin/veranstaltungen/ID/anwesenheit``): the
confirmed attendees and walk-ins with a button each to check in or take it back, a field for
someone who came without registering, and the event's attendance code with its Telegram link
as a QR code. Everything goes through :mod:`core.attendance` (organizers and the event's
speaker, as in the chat)."""

from __future__ import annotations

import segno
from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from bot.adapters.telegram import USERNAME_KEY
from bot.desk.pages import Desk
from core.attendance import Choice, attendance_code, attendance_list, check_in, undo_check_in
from core.domain.attendance import OPENS_BEFORE
from core.web_access import Session

PAGE = "/veranstaltungen/{event_id:id}/anwesenheit"


def add_attendance_routes(router: APIRouter, desk: Desk) -> None:
    app = desk.app
    t = app.translator

    async def show(
        request: Request, session: Session, event_id: int, notice: str = "", status: int = 200
    ) -> Response:
        found = await attendance_list(app.uow(), actor_id=session.person.id, event_id=event_id)
        event = found.event
        now = app.clock.now()
        code = found.code
        if code is None and not event.cancelled and event.ends_at > now:
            _, code = await attendance_code(
                app.uow(), actor_id=session.person.id, event_id=event_id, now=now
            )
        payload = f"a_{code}" if code else ""
        username = (
            app.settings.telegram_bot_username or await app.transport_state.get(USERNAME_KEY) or ""
        ).removeprefix("@")
        link = f"https://t.me/{username}?start={payload}" if username and code else ""
        qr = ""
        if link:
            svg = segno.make(link, error="m").svg_inline(scale=5, dark="#0b2545", light="#ffffff")
            qr = Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR-Code" ', 1))
        attendees = [
            {
                "id": a.person_id,
                "name": a.name or "(gelöscht)",
                "member": a.member_name or "",
                "registered": a.registered,
                "since": t.clock(a.checked_in_at) + " Uhr" if a.checked_in_at else "",
            }
            for a in found.attendees
        ]
        return desk.page(
            request,
            "attendance.html",
            f"Anwesenheit: {event.title}",
            status=status,
            session=session,
            event={"id": event.id},
            attendees=attendees,
            present=found.present,
            registered=found.registered,
            open=not event.cancelled and event.starts_at - OPENS_BEFORE <= now,
            code=code if not event.cancelled else None,
            payload=payload,
            link=link,
            qr=qr,
            opens=t.datetime("de", event.starts_at - OPENS_BEFORE),
            closes=t.datetime("de", event.ends_at),
            prefix=app.settings.matrix_command_prefix,
            notice=notice,
        )

    @router.get(PAGE, include_in_schema=False)
    async def attendance_page(request: Request, event_id: int) -> Response:
        return await desk.guarded(request, lambda session: show(request, session, event_id))

    @router.post(PAGE + "/eintragen", include_in_schema=False)
    async def walk_in(request: Request, event_id: int) -> Response:
        async def page(session: Session) -> Response:
            ref = (await desk.form(request)).get("person", "").strip()
            if not ref:
                notice = "Bitte geben Sie einen Namen oder eine Personennummer an."
                return await show(request, session, event_id, notice, 422)
            return await enter(request, session, event_id, ref)

        return await desk.guarded(request, page, posted=True)

    async def enter(request: Request, session: Session, event_id: int, ref: str) -> Response:
        result = await check_in(
            app.uow(),
            actor_id=session.person.id,
            event_id=event_id,
            person_ref=ref,
            now=app.clock.now(),
        )
        if isinstance(result, Choice):
            names = ", ".join(
                f"{p.display_name}"
                + (f", {result.members[p.id]}" if p.id in result.members else "")
                + f" (Nr. {p.id})"
                for p, _ in result.people
            )
            notice = f"Mehrere Personen passen: {names}. Bitte geben Sie die Personennummer an."
            return await show(request, session, event_id, notice, 409)
        return desk.see(f"/admin/veranstaltungen/{event_id}/anwesenheit")

    @router.post(PAGE + "/{person_id:id}/eintragen", include_in_schema=False)
    async def enter_one(request: Request, event_id: int, person_id: int) -> Response:
        async def page(session: Session) -> Response:
            return await enter(request, session, event_id, str(person_id))

        return await desk.guarded(request, page, posted=True)

    @router.post(PAGE + "/{person_id:id}/zuruecknehmen", include_in_schema=False)
    async def take_back(request: Request, event_id: int, person_id: int) -> Response:
        async def page(session: Session) -> Response:
            await undo_check_in(
                app.uow(),
                actor_id=session.person.id,
                event_id=event_id,
                person_id=person_id,
                now=app.clock.now(),
            )
            return desk.see(f"/admin/veranstaltungen/{event_id}/anwesenheit")

        return await desk.guarded(request, page, posted=True)
