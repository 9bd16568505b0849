"""The desk's municipalities and persons: lists, new entries, and personal invitations with
their Telegram link as a QR code. Leadership sees none of it (persons are not aggregates)."""

from __future__ import annotations

from datetime import date

import segno
from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from bot.adapters.telegram import USERNAME_KEY
from bot.desk.pages import Desk
from bot.handlers.general import start_payload
from core.accounts import create_personal_invitation, person_details
from core.domain.errors import DomainError, NotAllowed, NotFound
from core.domain.members import MemberKind
from core.domain.people import Role
from core.members import add_member, add_person, list_members, list_persons
from core.web_access import Session

KINDS = {
    MemberKind.KREIS: "Kreis",
    MemberKind.KREISFREIE_STADT: "Kreisfreie Stadt",
    MemberKind.STADT: "Stadt",
    MemberKind.GEMEINDE: "Gemeinde",
    MemberKind.BEZIRKSREGIERUNG: "Bezirksregierung",
    MemberKind.KOOPERATIONSPARTNER: "Kooperationspartner",
}
ROLES = {
    Role.ORGANIZER: "Netzwerkbüro",
    Role.SPEAKER: "Sprecher/in",
    Role.SUPPORTER: "Unterstützer/in",
    Role.LEADERSHIP: "Verwaltungsspitze",
    Role.MEMBER: "Mitglied",
    Role.ADMIN: "Administration",
}
#: Who the office gives a role to on the desk (``member`` follows from the municipality).
GIVEN = (Role.ORGANIZER, Role.SPEAKER, Role.SUPPORTER, Role.LEADERSHIP)


def add_people_routes(router: APIRouter, desk: Desk) -> None:
    app = desk.app

    async def members_page(
        request: Request, session: Session, form: dict[str, str] | None = None, errors: str = ""
    ) -> Response:
        today = app.clock.now().astimezone(app.settings.tz).date()
        rows = [
            {
                "name": m.name,
                "kind": KINDS.get(m.kind, m.kind.value),
                "key": m.municipality_key or "",
                "joined": app.translator.date("de", m.joined_on) if m.joined_on else "",
                "new": m.is_new(today),
            }
            for m in await list_members(app.uow(), actor_id=session.person.id)
        ]
        return desk.page(
            request,
            "members.html",
            "Mitgliedskommunen",
            status=422 if errors else 200,
            session=session,
            members=rows,
            kinds=[(k.value, label) for k, label in KINDS.items()],
            form=form or {"kind": MemberKind.STADT.value},
            errors=errors,
        )

    async def persons_page(
        request: Request, session: Session, form: dict[str, str] | None = None, errors: str = ""
    ) -> Response:
        members = await list_members(app.uow(), actor_id=session.person.id)
        names = {m.id: m.name for m in members}
        rows = [
            {
                "id": p.id,
                "name": p.display_name,
                "member": names.get(p.member_id, "") if p.member_id else "",
                "roles": ", ".join(ROLES[r] for r in sorted(p.roles) if r in ROLES),
            }
            for p in await list_persons(app.uow(), actor_id=session.person.id)
            if not p.is_guest
        ]
        return desk.page(
            request,
            "persons.html",
            "Personen",
            status=422 if errors else 200,
            session=session,
            persons=rows,
            members=[(m.id, m.name) for m in members],
            roles=[(r.value, ROLES[r]) for r in GIVEN],
            form=form or {},
            errors=errors,
        )

    @router.get("/kommunen", include_in_schema=False)
    async def members(request: Request) -> Response:
        return await desk.guarded(request, lambda session: members_page(request, session))

    @router.post("/kommunen", include_in_schema=False)
    async def new_member(request: Request) -> Response:
        session = await desk.posted(request)
        if isinstance(session, Response):
            return session
        form = await desk.form(request)
        try:
            joined = date.fromisoformat(form["joined"]) if form.get("joined") else None
            kind = MemberKind(form.get("kind", ""))
            await add_member(
                app.uow(),
                name=form.get("name", ""),
                kind=kind,
                municipality_key=form.get("key") or None,
                joined_on=joined,
                actor_id=session.person.id,
            )
        except ValueError:
            return await members_page(request, session, form, "Bitte Art und Datum prüfen.")
        except NotAllowed as exc:
            return desk.refused(request, exc, session)
        except DomainError as exc:
            return await members_page(request, session, form, desk.explained(exc))
        return desk.see("/admin/kommunen")

    @router.get("/personen", include_in_schema=False)
    async def persons(request: Request) -> Response:
        return await desk.guarded(request, lambda session: persons_page(request, session))

    @router.post("/personen", include_in_schema=False)
    async def new_person(request: Request) -> Response:
        session = await desk.posted(request)
        if isinstance(session, Response):
            return session
        form = await desk.form(request)
        try:
            role = {Role(form["role"])} if form.get("role") else set()
            if not role <= set(GIVEN):
                raise ValueError(form["role"])
            person = await add_person(
                app.uow(),
                display_name=form.get("name", ""),
                member_ref=form.get("member") or None,
                roles=frozenset(role),
                now=app.clock.now(),
                actor_id=session.person.id,
            )
        except ValueError:
            return await persons_page(request, session, form, "Diese Aufgabe gibt es nicht.")
        except NotAllowed as exc:
            return desk.refused(request, exc, session)
        except DomainError as exc:
            return await persons_page(request, session, form, desk.explained(exc))
        return desk.see(f"/admin/personen/{person.id}")

    @router.get("/personen/{person_id}", include_in_schema=False)
    async def person(request: Request, person_id: int) -> Response:
        async def page(session: Session) -> Response:
            details = await person_details(
                app.uow(), actor_id=session.person.id, person_ref=str(person_id)
            )
            if details.person.id != person_id:  # a name that is a number
                raise NotFound("person_not_found", id=person_id)
            accounts = ", ".join(i.platform.value.capitalize() for i in details.identities)
            return desk.page(
                request,
                "person.html",
                details.person.display_name,
                session=session,
                person_id=person_id,
                member=details.member.name if details.member else "keine",
                roles=", ".join(ROLES[r] for r in sorted(details.person.roles) if r in ROLES)
                or "keine besonderen",
                accounts=accounts or "noch keines verbunden",
                days=14,
            )

        return await desk.guarded(request, page)

    @router.post("/personen/{person_id}/einladung", include_in_schema=False)
    async def invitation(request: Request, person_id: int) -> Response:
        session = await desk.posted(request)
        if isinstance(session, Response):
            return session
        try:
            created = await create_personal_invitation(
                app.uow(),
                actor_id=session.person.id,
                person_ref=str(person_id),
                now=app.clock.now(),
            )
        except DomainError as exc:
            return desk.refused(request, exc, session)
        payload = start_payload("p", created.code)
        username = app.settings.telegram_bot_username or (
            await app.transport_state.get(USERNAME_KEY) or ""
        )
        link = f"https://t.me/{username.removeprefix('@')}?start={payload}" if username else ""
        qr = ""
        if link:
            svg = segno.make(link, error="m").svg_inline(scale=5, dark="#0b2545", light="#ffffff")
            qr = Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR-Code" ', 1))
        assert created.person is not None
        return desk.page(
            request,
            "invitation.html",
            "Persönliche Einladung",
            session=session,
            name=created.person.display_name,
            expires=app.translator.datetime("de", created.invitation.expires_at),
            code=created.code,
            payload=payload,
            link=link,
            qr=qr,
            prefix=app.settings.matrix_command_prefix,
            person_id=person_id,
        )
