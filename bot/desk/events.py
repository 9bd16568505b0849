"""The desk's event pages: one event with its attendees grouped by municipality and the
waiting list, the attendee list as CSV and XLSX, and the form to change or move it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.desk.exports import as_csv, as_xlsx, attendee_rows
from bot.desk.pages import HEADERS, Desk
from bot.reply import plain_text
from core.domain.errors import DomainError, InvalidInput
from core.domain.events import Event
from core.events import change_event
from core.ports import RegistrationView
from core.signup import AttendeeList, attendees, export_attendees
from core.web_access import Session

#: Which form field a validation error of the core belongs to.
FIELD_OF = {
    "title": "title",
    "description": "description",
    "capacity": "capacity",
    "capacity_max": "capacity",
    "end_before_start": "ends_at",
    "start_in_past": "starts_at",
    "deadline_after_start": "registration_deadline",
}
LOCAL = "%Y-%m-%dT%H:%M"  # <input type="datetime-local">


@dataclass
class Field:
    name: str
    label: str
    kind: str
    value: str = ""
    hint: str = ""
    error: str = ""


def add_event_routes(router: APIRouter, desk: Desk) -> None:
    app = desk.app
    tz = app.settings.tz

    async def listing(request: Request, event_id: int) -> tuple[Session, AttendeeList] | Response:
        session = await desk.current(request)
        if isinstance(session, Response):
            return session
        try:
            found = await attendees(app.uow(), actor_id=session.person.id, event_id=event_id)
        except DomainError as exc:
            return desk.refused(request, exc, session)
        return session, found

    @router.get("/veranstaltungen/{event_id}", include_in_schema=False)
    async def event_page(request: Request, event_id: int) -> Response:
        got = await listing(request, event_id)
        if isinstance(got, Response):
            return got
        session, found = got
        t, event = app.translator, found.info.event
        names = sorted(found.confirmed, key=lambda v: (v.member_name or "~", v.person_name or ""))
        groups = [
            {"name": member or "ohne Kommune", "people": [_name(v) for v in views]}
            for member, views in groupby(names, key=lambda v: v.member_name)
        ]
        facts = {
            "id": event.id,
            "kind": plain_text(t.t("de", f"kind.{event.kind.value}")),
            "starts": t.datetime("de", event.starts_at),
            "ends": t.datetime("de", event.ends_at),
            "place": event.place or event.video_url or "online",
            "places": f"{event.capacity}" if event.capacity is not None else "unbegrenzt",
            "cancelled": event.cancelled,
        }
        return desk.page(
            request,
            "event.html",
            event.title,
            session=session,
            event=facts,
            groups=groups,
            confirmed_count=len(found.confirmed),
            waiting=[_name(v) for v in found.waitlisted],
        )

    @router.get("/veranstaltungen/{event_id}/teilnehmende.{suffix}", include_in_schema=False)
    async def export(request: Request, event_id: int, suffix: str) -> Response:
        if suffix not in ("csv", "xlsx"):
            return desk.message(request, "Nicht gefunden", "Diese Seite gibt es nicht.", 404)
        session = await desk.current(request)
        if isinstance(session, Response):
            return session
        try:
            found = await export_attendees(
                app.uow(),
                actor_id=session.person.id,
                event_id=event_id,
                form=suffix,
                now=app.clock.now(),
            )
        except DomainError as exc:
            return desk.refused(request, exc, session)
        rows = attendee_rows(found, app.translator)
        if suffix == "csv":
            body, media = as_csv(rows), "text/csv; charset=utf-8"
        else:
            body = as_xlsx(rows, found.info.event.title)
            media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        name = f"teilnehmende-{event_id}.{suffix}"
        headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        return Response(body, media_type=media, headers=headers)

    @router.get("/veranstaltungen/{event_id}/bearbeiten", include_in_schema=False)
    async def edit_page(request: Request, event_id: int) -> Response:
        got = await listing(request, event_id)
        if isinstance(got, Response):
            return got
        session, found = got
        return _form(request, session, found.info.event, _fields(found.info.event, tz))

    @router.post("/veranstaltungen/{event_id}/bearbeiten", include_in_schema=False)
    async def edit(request: Request, event_id: int) -> Response:
        session = await desk.posted(request)
        if isinstance(session, Response):
            return session
        got = await listing(request, event_id)
        if isinstance(got, Response):
            return got
        _, found = got
        event = found.info.event
        fields = _fields(event, tz, await desk.form(request))
        changes = _changes(fields, tz)
        if changes.get("starts_at") != event.starts_at and changes.get("ends_at") == event.ends_at:
            del changes["ends_at"]  # the end follows a moved start: the duration stays
        if not any(f.error for f in fields):
            try:
                await change_event(
                    app.uow(),
                    actor_id=session.person.id,
                    event_id=event_id,
                    changes=changes,
                    now=app.clock.now(),
                )
            except InvalidInput as exc:
                field = next((f for f in fields if f.name == FIELD_OF.get(exc.code)), fields[0])
                field.error = desk.explained(exc)
            except DomainError as exc:
                return desk.refused(request, exc, session)
            else:
                return desk.see(f"/admin/veranstaltungen/{event_id}")
        return _form(request, session, event, fields, status=422)

    def _form(
        request: Request, session: Session, event: Event, fields: list[Field], status: int = 200
    ) -> Response:
        errors = any(f.error for f in fields)
        return desk.page(
            request,
            "event_edit.html",
            f"{event.title} bearbeiten",
            status=status,
            session=session,
            fields=fields,
            event_id=event.id,
            errors=errors,
        )


def _name(view: RegistrationView) -> str:
    return view.person_name or "(gelöscht)"


def _local(moment: datetime | None, tz: Any) -> str:
    return moment.astimezone(tz).strftime(LOCAL) if moment is not None else ""


def _fields(event: Event, tz: Any, given: dict[str, str] | None = None) -> list[Field]:
    """The form's fields, with the event's values or what was sent."""
    fields = [
        Field("title", "Titel", "text", event.title),
        Field("starts_at", "Beginn", "datetime-local", _local(event.starts_at, tz)),
        Field(
            "ends_at",
            "Ende",
            "datetime-local",
            _local(event.ends_at, tz),
            "Verschieben Sie nur den Beginn, bleibt die Dauer gleich.",
        ),
        Field("place", "Ort", "text", event.place or ""),
        Field("video_url", "Link zur Videokonferenz", "url", event.video_url or ""),
        Field(
            "capacity",
            "Plätze",
            "number",
            str(event.capacity or ""),
            "Leer lassen für unbegrenzt.",
        ),
        Field(
            "registration_deadline",
            "Anmeldeschluss",
            "datetime-local",
            _local(event.registration_deadline, tz),
            "Leer lassen: Anmeldung bis zum Beginn.",
        ),
        Field("description", "Beschreibung", "textarea", event.description),
    ]
    if given is not None:
        for field in fields:
            field.value = given.get(field.name, "").strip()
    return fields


def _changes(fields: list[Field], tz: Any) -> dict[str, Any]:
    """The values of ``fields`` as event fields; a field that cannot be read gets its error."""
    values: dict[str, Any] = {}
    for field in fields:
        text = field.value
        if field.kind == "datetime-local":
            if not text:
                if field.name == "starts_at":
                    field.error = "Bitte geben Sie Datum und Uhrzeit des Beginns an."
                elif field.name == "registration_deadline":
                    values[field.name] = None
                continue
            try:
                values[field.name] = datetime.strptime(text, LOCAL).replace(tzinfo=tz)
            except ValueError:
                field.error = "Bitte Datum und Uhrzeit angeben, z. B. 03.12.2026, 14:00."
        elif field.name == "capacity":
            if not text:
                values["capacity"] = None
            elif text.isdigit() and int(text) >= 1:
                values["capacity"] = int(text)
            else:
                field.error = "Bitte eine ganze Zahl ab 1 angeben oder das Feld leer lassen."
        elif field.name == "video_url":
            if text and not text.startswith(("https://", "http://")):
                field.error = "Bitte einen Link angeben, der mit https:// beginnt."
            values["video_url"] = text or None
        elif field.name == "title":
            if not text:
                field.error = "Bitte geben Sie einen Titel an."
            values["title"] = text
        elif field.name == "place":
            values["place"] = text or None
        else:
            values[field.name] = text
    return values
