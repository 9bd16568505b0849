"""The desk's event pages: the office's lists (coming and past), a new event, one event
with its attendees grouped by municipality and the waiting list (move up, remove), the
attendee list as CSV and XLSX, the form to change or move it, its reminders, and
cancelling it. Everything goes through the same core use cases as the chat."""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby

from babel.dates import format_timedelta
from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot import arguments
from bot.desk.attendance import add_attendance_routes
from bot.desk.event_form import FIELD_OF, event_fields, read_fields
from bot.desk.exports import (
    MODE_LABELS,
    WIDTHS,
    as_csv,
    as_xlsx,
    attendee_header,
    attendee_rows,
)
from bot.desk.pages import HEADERS, Desk, Field
from bot.reply import plain_text
from core.authority import check_allowed
from core.domain.authority import Action
from core.domain.errors import InvalidInput
from core.domain.events import DEFAULT_DURATION, Audience, Event, EventKind
from core.events import cancel_event, change_event, create_event, office_events
from core.outreach import not_registered
from core.ports import EventWithCounts, Places, RegistrationView
from core.questions import summary
from core.reminders import event_reminders, set_event_reminders
from core.signup import attendees, export_attendees, move_up, remove_registration
from core.web_access import Session

EVENT = "/veranstaltungen/{event_id:id}"
#: What the office does with one registration, by the last part of the form's address.
STEPS = {"entfernen": remove_registration, "nachruecken": move_up}


def add_event_routes(router: APIRouter, desk: Desk) -> None:
    add_attendance_routes(router, desk)  # the check-in list of an event
    app = desk.app
    tz = app.settings.tz
    t = app.translator

    def rows(found: list[EventWithCounts]) -> list[dict[str, object]]:
        return [
            {
                "id": info.event.id,
                "starts": t.datetime("de", info.event.starts_at),
                "title": info.event.title,
                "kind": plain_text(t.t("de", f"kind.{info.event.kind.value}")),
                "place": info.event.place or "online",
                "registrations": _registrations(info),
                "cancelled": info.event.cancelled,
            }
            for info in found
        ]

    async def listing_page(request: Request, *, ended: bool, title: str) -> Response:
        async def page(session: Session) -> Response:
            found = await office_events(
                app.uow(), actor_id=session.person.id, now=app.clock.now(), ended=ended
            )
            return desk.page(
                request, "events.html", title, session=session, events=rows(found), ended=ended
            )

        return await desk.guarded(request, page)

    @router.get("", include_in_schema=False)
    async def home(request: Request) -> Response:
        return await listing_page(request, ended=False, title="Übersicht")

    @router.get("/veranstaltungen", include_in_schema=False)
    async def coming(request: Request) -> Response:
        return await listing_page(request, ended=False, title="Veranstaltungen")

    @router.get("/veranstaltungen/vergangen", include_in_schema=False)
    async def past(request: Request) -> Response:
        return await listing_page(request, ended=True, title="Vergangene Veranstaltungen")

    def labels() -> dict[str, str]:
        keys = [f"kind.{k.value}" for k in EventKind] + [f"audience.{a.value}" for a in Audience]
        return {key: plain_text(t.t("de", key)) for key in keys}

    @router.get("/veranstaltungen/neu", include_in_schema=False)
    async def new_page(request: Request) -> Response:
        async def page(session: Session) -> Response:
            await check_allowed(app.uow(), session.person.id, Action.MANAGE_EVENTS)
            fields = event_fields(None, tz, labels=labels())
            return _form(request, session, "Neue Veranstaltung", fields, None)

        return await desk.guarded(request, page)

    @router.post("/veranstaltungen/neu", include_in_schema=False)
    async def new(request: Request) -> Response:
        async def page(session: Session) -> Response:
            await check_allowed(app.uow(), session.person.id, Action.MANAGE_EVENTS)
            fields = event_fields(None, tz, await desk.form(request), labels=labels())
            now = app.clock.now()
            values = read_fields(fields, tz, now)
            if not any(f.error for f in fields):
                values.setdefault("ends_at", values["starts_at"] + DEFAULT_DURATION)
                try:
                    stored = await create_event(
                        app.uow(), actor_id=session.person.id, event=Event(**values), now=now
                    )
                except InvalidInput as exc:
                    _mark(fields, exc, desk.explained(exc))
                else:
                    return desk.see(f"/admin/veranstaltungen/{stored.id}")
            return _form(request, session, "Neue Veranstaltung", fields, None, status=422)

        return await desk.guarded(request, page, posted=True)

    @router.get(EVENT, include_in_schema=False)
    async def event_page(request: Request, event_id: int) -> Response:
        async def page(session: Session) -> Response:
            found = await attendees(app.uow(), actor_id=session.person.id, event_id=event_id)
            event = found.info.event
            ordered = sorted(
                found.confirmed, key=lambda v: (v.member_name or "~", v.person_name or "")
            )
            groups = [
                {"name": member or "ohne Kommune", "people": [_person(v) for v in views]}
                for member, views in groupby(ordered, key=lambda v: v.member_name)
            ]
            now = app.clock.now()
            facts = {
                "id": event.id,
                "kind": plain_text(t.t("de", f"kind.{event.kind.value}")),
                "audience": plain_text(t.t("de", f"audience.{event.audience.value}")),
                "starts": t.datetime("de", event.starts_at),
                "ends": t.datetime("de", event.ends_at),
                "place": event.place or event.video_url or "online",
                "places": _places(event),
                "cancelled": event.cancelled,
                "ahead": not event.cancelled and event.starts_at > now,
                "open": not event.cancelled and event.ends_at > now,
            }
            missing = await not_registered(
                app.uow(), actor_id=session.person.id, event_id=event_id, now=now
            )
            return desk.page(
                request,
                "event.html",
                event.title,
                session=session,
                event=facts,
                groups=groups,
                confirmed_count=len(found.confirmed),
                waiting=[_person(v) for v in found.waitlisted],
                asked=await summary(app.uow(), actor_id=session.person.id, event_id=event_id),
                missing=missing,
            )

        return await desk.guarded(request, page)

    @router.get(EVENT + "/teilnehmende.{suffix}", include_in_schema=False)
    async def export(request: Request, event_id: int, suffix: str) -> Response:
        if suffix not in ("csv", "xlsx"):
            return desk.message(request, "Nicht gefunden", "Diese Seite gibt es nicht.", 404)

        async def page(session: Session) -> Response:
            found = await export_attendees(
                app.uow(),
                actor_id=session.person.id,
                event_id=event_id,
                form=suffix,
                now=app.clock.now(),
            )
            table = attendee_rows(found, t)
            header = attendee_header(found)
            if suffix == "csv":
                body, media = as_csv(table, header), "text/csv; charset=utf-8"
            else:
                widths = (*WIDTHS, *(24 for _ in found.questions))
                body = as_xlsx(table, found.info.event.title, header=header, widths=widths)
                media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            name = f"teilnehmende-{event_id}.{suffix}"
            headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
            return Response(body, media_type=media, headers=headers)

        return await desk.guarded(request, page)

    async def the_event(session: Session, event_id: int) -> Event:
        """The event to change (the office), or the refusal of a cancelled one."""
        found = await attendees(app.uow(), actor_id=session.person.id, event_id=event_id)
        found.info.event.check_changeable()
        return found.info.event

    @router.get(EVENT + "/bearbeiten", include_in_schema=False)
    async def edit_page(request: Request, event_id: int) -> Response:
        async def page(session: Session) -> Response:
            event = await the_event(session, event_id)
            title = f"{event.title} bearbeiten"
            return _form(request, session, title, event_fields(event, tz), event)

        return await desk.guarded(request, page)

    @router.post(EVENT + "/bearbeiten", include_in_schema=False)
    async def edit(request: Request, event_id: int) -> Response:
        async def page(session: Session) -> Response:
            event = await the_event(session, event_id)
            fields = event_fields(event, tz, await desk.form(request))
            now = app.clock.now()
            changes = read_fields(fields, tz, now)
            moved = changes.get("starts_at") != event.starts_at
            if moved and changes.get("ends_at") == event.ends_at:
                del changes["ends_at"]  # the end follows a moved start: the duration stays
            title = f"{event.title} bearbeiten"
            if not any(f.error for f in fields):
                try:
                    await change_event(
                        app.uow(),
                        actor_id=session.person.id,
                        event_id=event_id,
                        changes=changes,
                        now=now,
                        version=(await desk.form(request)).get("stand", ""),
                    )
                except InvalidInput as exc:
                    if exc.code == "changed_meanwhile":  # the current values, to change again
                        current = event_fields(event, tz)
                        notice = desk.explained(exc)
                        return _form(
                            request, session, title, current, event, status=409, notice=notice
                        )
                    _mark(fields, exc, desk.explained(exc))
                else:
                    return desk.see(f"/admin/veranstaltungen/{event_id}")
            return _form(request, session, title, fields, event, status=422)

        return await desk.guarded(request, page, posted=True)

    @router.get(EVENT + "/erinnerungen", include_in_schema=False)
    async def reminders_page(request: Request, event_id: int) -> Response:
        async def page(session: Session) -> Response:
            event = await the_event(session, event_id)
            offsets = await event_reminders(
                app.uow(), actor_id=session.person.id, event_id=event_id
            )
            value = ", ".join(_duration(o) for o in offsets)
            return _reminders(request, session, event, value)

        return await desk.guarded(request, page)

    @router.post(EVENT + "/erinnerungen", include_in_schema=False)
    async def reminders(request: Request, event_id: int) -> Response:
        async def page(session: Session) -> Response:
            event = await the_event(session, event_id)
            value = (await desk.form(request)).get("offsets", "").strip()
            try:
                offsets = arguments.parse_durations(value)
                await set_event_reminders(
                    app.uow(),
                    actor_id=session.person.id,
                    event_id=event_id,
                    offsets=offsets,
                    now=app.clock.now(),
                )
            except InvalidInput as exc:
                return _reminders(request, session, event, value, desk.explained(exc))
            return desk.see(f"/admin/veranstaltungen/{event_id}")

        return await desk.guarded(request, page, posted=True)

    def _reminders(
        request: Request, session: Session, event: Event, value: str, error: str = ""
    ) -> Response:
        return desk.page(
            request,
            "event_reminders.html",
            f"Erinnerungen: {event.title}",
            status=422 if error else 200,
            session=session,
            event_id=event.id,
            value=value,
            error=error,
        )

    @router.get(EVENT + "/absagen", include_in_schema=False)
    async def cancel_page(request: Request, event_id: int) -> Response:
        async def page(session: Session) -> Response:
            found = await attendees(app.uow(), actor_id=session.person.id, event_id=event_id)
            found.info.event.check_cancellable(app.clock.now())
            return desk.page(
                request,
                "event_cancel.html",
                f"{found.info.event.title} absagen",
                session=session,
                event_id=event_id,
                confirmed=len(found.confirmed),
                waiting=len(found.waitlisted),
            )

        return await desk.guarded(request, page)

    @router.post(EVENT + "/absagen", include_in_schema=False)
    async def cancel(request: Request, event_id: int) -> Response:
        async def page(session: Session) -> Response:
            await cancel_event(
                app.uow(), actor_id=session.person.id, event_id=event_id, now=app.clock.now()
            )
            return desk.see(f"/admin/veranstaltungen/{event_id}")

        return await desk.guarded(request, page, posted=True)

    @router.get(EVENT + "/teilnehmende/{person_id:id}/entfernen", include_in_schema=False)
    async def remove_page(request: Request, event_id: int, person_id: int) -> Response:
        async def page(session: Session) -> Response:
            found = await attendees(app.uow(), actor_id=session.person.id, event_id=event_id)
            views = [*found.confirmed, *found.waitlisted]
            view = next((v for v in views if v.registration.person_id == person_id), None)
            if view is None:
                return desk.message(
                    request,
                    "Nicht gefunden",
                    "Diese Person ist für die Veranstaltung nicht angemeldet.",
                    404,
                    session,
                )
            return desk.page(
                request,
                "event_remove.html",
                "Anmeldung zurücknehmen",
                session=session,
                event_id=event_id,
                event_title=found.info.event.title,
                person=_person(view),
            )

        return await desk.guarded(request, page)

    @router.post(EVENT + "/teilnehmende/{person_id:id}/{step}", include_in_schema=False)
    async def registration_step(
        request: Request, event_id: int, person_id: int, step: str
    ) -> Response:
        if step not in STEPS:
            return desk.message(request, "Nicht gefunden", "Diese Seite gibt es nicht.", 404)

        async def page(session: Session) -> Response:
            await STEPS[step](
                app.uow(),
                actor_id=session.person.id,
                event_id=event_id,
                person_id=person_id,
                now=app.clock.now(),
            )
            return desk.see(f"/admin/veranstaltungen/{event_id}")

        return await desk.guarded(request, page, posted=True)

    def _form(
        request: Request,
        session: Session,
        title: str,
        fields: list[Field],
        event: Event | None,
        status: int = 200,
        notice: str = "",
    ) -> Response:
        """The form for a new event (``event=None``) or to change ``event``, which it shows
        in the state it was read (``stand``: a change meanwhile is not overwritten)."""
        return desk.page(
            request,
            "event_edit.html",
            title,
            status=status,
            session=session,
            fields=fields,
            event_id=event.id if event else None,
            version=event.version if event else "",
            errors=any(f.error for f in fields),
            notice=notice,
        )


def _mark(fields: list[Field], error: InvalidInput, text: str) -> None:
    """Put the core's validation error next to the field it is about."""
    name = FIELD_OF.get(error.code, "title")
    next(f for f in fields if f.name == name).error = text


def _person(view: RegistrationView) -> dict[str, object]:
    return {
        "id": view.registration.person_id,
        "name": view.person_name or "(gelöscht)",
        "member": view.member_name or "",
        "mode": MODE_LABELS[view.registration.mode] if view.event.is_hybrid else "",
    }


def _registrations(info: EventWithCounts) -> str:
    """``12 von 40``, ``3`` (unlimited) with ``, 2 auf der Warteliste``; per mode when hybrid."""

    def count(places: Places) -> str:
        taken = f"{places.confirmed} von {places.capacity}" if places.capacity else ""
        said = taken or str(places.confirmed)
        return said + (f", {places.waitlisted} auf der Warteliste" if places.waitlisted else "")

    if not info.event.is_hybrid:
        return count(next(iter(info.by_mode.values())))
    return "; ".join(f"{MODE_LABELS[m]} {count(p)}" for m, p in info.by_mode.items())


def _places(event: Event) -> str:
    def places(capacity: int | None) -> str:
        return "unbegrenzt" if capacity is None else str(capacity)

    if not event.is_hybrid:
        return places(event.capacity)
    online = places(event.online_capacity)
    return f"vor Ort {places(event.capacity)}, online {online}"


def _duration(offset: timedelta) -> str:
    """``1 Tag``, ``2 Stunden``, ``90 Minuten``: exact, as the form reads it back."""
    seconds = int(offset.total_seconds())
    unit = "day" if seconds % 86400 == 0 else "hour" if seconds % 3600 == 0 else "minute"
    return format_timedelta(offset, granularity=unit, threshold=10**9, locale="de")
