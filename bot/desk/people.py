"""The desk's municipalities and persons: lists, new entries, corrections, and invitations
(a municipality's code for its staff, a person's code for one chat account) with their
Telegram link as a QR code, also by e-mail; a person's e-mail address (double opt-in) and
channel. Leadership sees none of it (persons are not aggregates)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import segno
from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from bot.adapters.telegram import USERNAME_KEY
from bot.dates import DateError, parse_moment
from bot.desk.email import CHANNELS, MAIL_OFF, mail_state
from bot.desk.pages import Desk
from bot.handlers.general import start_payload
from bot.invitation_mail import invitation_params
from bot.reply import plain_text
from core.accounts import (
    GIVEN_ROLES,
    NewInvitation,
    change_person,
    create_invitation,
    create_personal_invitation,
    person_details,
)
from core.domain.errors import DomainError, InvalidInput, NotFound
from core.domain.mail import Channel, EmailAddress
from core.domain.members import Member, MemberKind
from core.domain.people import Role
from core.mail import queue_invitation_mail, remove_address, request_address, set_channel
from core.members import add_member, add_person, change_member, list_members, list_persons
from core.web_access import Session
from storage.uow import JoinedUnitOfWork

#: Form errors by field name ("form": about the whole form).
Errors = dict[str, str] | None
#: The roles in the order the desk offers them.
GIVEN = tuple(r for r in Role if r in GIVEN_ROLES)
#: Which form field an error of the core belongs to (the rest: shown above the form).
FIELD_OF = {
    "name": "name",
    "control_characters": "name",
    "member_exists": "name",
    "municipality_key": "key",
    "municipality_key_taken": "key",
    "member_kind": "kind",
    "joined_on": "joined",
    "member_not_found": "member",
    "role_unknown": "roles",
    "own_organizer_role": "roles",
    "roles_for_guest": "roles",
    "supporter_topics": "topics",
}
#: A municipality's code: how many accounts may join with it, and for how long.
MEMBER_CODE_USES = 10
MEMBER_CODE_DAYS = 30


def add_people_routes(router: APIRouter, desk: Desk) -> None:
    app = desk.app
    t = app.translator

    def fielded(error: DomainError) -> dict[str, str]:
        """The core's German message under the field it is about."""
        return {FIELD_OF.get(error.code, "form"): desk.explained(error)}

    def kind(k: MemberKind) -> str:
        return plain_text(t.t("de", f"member_kind.{k.value}"))

    def roles_of(roles: frozenset[Role]) -> str:
        return ", ".join(plain_text(t.t("de", f"role.{r.value}")) for r in Role if r in roles)

    async def members_page(
        request: Request,
        session: Session,
        form: dict[str, str] | None = None,
        errors: Errors = None,
    ) -> Response:
        today = app.clock.now().astimezone(app.settings.tz).date()
        rows = [
            {
                "id": m.id,
                "name": m.name,
                "kind": kind(m.kind),
                "key": m.municipality_key or "",
                "joined": t.date("de", m.joined_on) if m.joined_on else "",
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
            kinds=[(k.value, kind(k)) for k in MemberKind],
            form=form or {"kind": MemberKind.STADT.value, "joined": today.isoformat()},
            errors=errors or {},
        )

    async def persons_page(
        request: Request,
        session: Session,
        form: dict[str, str] | None = None,
        errors: Errors = None,
    ) -> Response:
        members = await list_members(app.uow(), actor_id=session.person.id)
        names = {m.id: m.name for m in members}
        listed = [
            p for p in await list_persons(app.uow(), actor_id=session.person.id) if not p.is_guest
        ]
        async with app.uow() as uow:  # one query for all (list_persons checked the right)
            emails = await uow.emails.many([p.id for p in listed])
        rows = [
            {
                "id": p.id,
                "name": p.display_name,
                "member": names.get(p.member_id, "") if p.member_id else "",
                "roles": roles_of(p.roles - {Role.MEMBER}),
                "email": mail_state(emails.get(p.id)),
            }
            for p in listed
        ]
        return desk.page(
            request,
            "persons.html",
            "Personen",
            status=422 if errors else 200,
            session=session,
            persons=rows,
            members=[(m.id, m.name) for m in members],
            roles=[(r.value, roles_of(frozenset({r}))) for r in GIVEN],
            form=form or {},
            errors=errors or {},
        )

    @router.get("/kommunen", include_in_schema=False)
    async def members(request: Request) -> Response:
        return await desk.guarded(request, lambda session: members_page(request, session))

    @router.post("/kommunen", include_in_schema=False)
    async def new_member(request: Request) -> Response:
        async def page(session: Session) -> Response:
            form = await desk.form(request)
            try:
                await add_member(
                    app.uow(),
                    name=form.get("name", ""),
                    kind=_kind(form),
                    municipality_key=form.get("key") or None,
                    joined_on=_joined(form, app.clock.now(), app.settings.tz),
                    actor_id=session.person.id,
                    now=app.clock.now(),
                )
            except (InvalidInput, NotFound) as exc:
                return await members_page(request, session, form, fielded(exc))
            return desk.see("/admin/kommunen")

        return await desk.guarded(request, page, posted=True)

    async def member_page(
        request: Request,
        session: Session,
        member_id: int,
        form: dict[str, str] | None = None,
        errors: Errors = None,
    ) -> Response:
        member = await _member(session, member_id)
        people = [
            {"id": p.id, "name": p.display_name}
            for p in await list_persons(app.uow(), actor_id=session.person.id)
            if p.member_id == member_id
        ]
        shown = form or {
            "name": member.name,
            "kind": member.kind.value,
            "key": member.municipality_key or "",
            "joined": member.joined_on.isoformat() if member.joined_on else "",
        }
        return desk.page(
            request,
            "member.html",
            member.name,
            status=422 if errors else 200,
            session=session,
            member_id=member_id,
            people=people,
            kinds=[(k.value, kind(k)) for k in MemberKind],
            form=shown,
            errors=errors or {},
            saved="gespeichert" in request.query_params,
            uses=MEMBER_CODE_USES,
            days=MEMBER_CODE_DAYS,
        )

    async def _member(session: Session, member_id: int) -> Member:
        found = [
            m
            for m in await list_members(app.uow(), actor_id=session.person.id)
            if m.id == member_id
        ]
        if not found:
            raise NotFound("member_not_found", ref=str(member_id))
        return found[0]

    @router.get("/kommunen/{member_id:id}", include_in_schema=False)
    async def member(request: Request, member_id: int) -> Response:
        return await desk.guarded(request, lambda s: member_page(request, s, member_id))

    @router.post("/kommunen/{member_id:id}", include_in_schema=False)
    async def edit_member(request: Request, member_id: int) -> Response:
        async def page(session: Session) -> Response:
            form = await desk.form(request)
            try:
                await change_member(
                    app.uow(),
                    actor_id=session.person.id,
                    member_id=member_id,
                    name=form.get("name", ""),
                    kind=_kind(form),
                    municipality_key=form.get("key") or None,
                    joined_on=_joined(form, app.clock.now(), app.settings.tz),
                    now=app.clock.now(),
                )
            except InvalidInput as exc:
                return await member_page(request, session, member_id, form, fielded(exc))
            return desk.see(f"/admin/kommunen/{member_id}?gespeichert")

        return await desk.guarded(request, page, posted=True)

    @router.post("/kommunen/{member_id:id}/einladung", include_in_schema=False)
    async def member_invitation(request: Request, member_id: int) -> Response:
        async def page(session: Session) -> Response:
            created = await create_invitation(
                app.uow(),
                actor_id=session.person.id,
                member_ref=str(member_id),
                now=app.clock.now(),
                valid_days=MEMBER_CODE_DAYS,
                max_uses=MEMBER_CODE_USES,
            )
            assert created.member is not None
            return await invitation_page(
                request, session, created, "m", back=f"/admin/kommunen/{member_id}"
            )

        return await desk.guarded(request, page, posted=True)

    @router.get("/personen", include_in_schema=False)
    async def persons(request: Request) -> Response:
        return await desk.guarded(request, lambda session: persons_page(request, session))

    @router.post("/personen", include_in_schema=False)
    async def new_person(request: Request) -> Response:
        async def page(session: Session) -> Response:
            form = await desk.form(request)
            try:
                person = await add_person(
                    app.uow(),
                    display_name=form.get("name", ""),
                    member_ref=form.get("member") or None,
                    roles=_roles(await desk.form_list(request, "roles")),
                    now=app.clock.now(),
                    actor_id=session.person.id,
                )
            except (InvalidInput, NotFound) as exc:
                return await persons_page(request, session, form, fielded(exc))
            return desk.see(f"/admin/personen/{person.id}")

        return await desk.guarded(request, page, posted=True)

    async def person_page(
        request: Request,
        session: Session,
        person_id: int,
        form: dict[str, object] | None = None,
        errors: Errors = None,
        *,
        typed: str = "",
        mail_errors: Errors = None,
    ) -> Response:
        """The person with their e-mail state; ``typed`` and ``mail_errors``: an address
        given in the e-mail form and what is wrong with it (or with the invitation by mail,
        the channel)."""
        details = await person_details(
            app.uow(), actor_id=session.person.id, person_ref=str(person_id)
        )
        person = details.person
        if person.id != person_id:  # a name that is a number
            raise NotFound("person_not_found", id=person_id)
        members = await list_members(app.uow(), actor_id=session.person.id)
        email, channel = await mail_of(person_id)
        shown = form or {
            "name": person.display_name,
            "member": str(person.member_id or ""),
            "roles": [r.value for r in person.roles],
            "topics": ", ".join(person.supporter_topics),
        }
        return desk.page(
            request,
            "person.html",
            person.display_name,
            status=422 if errors or mail_errors else 200,
            session=session,
            person_id=person_id,
            office_entry=person.office_entry,
            member=details.member.name if details.member else "keine",
            roles=roles_of(person.roles - {Role.MEMBER}) or "keine besonderen",
            accounts=", ".join(i.platform.value.capitalize() for i in details.identities)
            or "noch keines verbunden",
            members=[(m.id, m.name) for m in members],
            given=[(r.value, roles_of(frozenset({r}))) for r in GIVEN],
            form=shown,
            errors=errors or {},
            saved="gespeichert" in request.query_params,
            days=14,
            mail_on=app.settings.smtp_url is not None,
            mail_off=MAIL_OFF,
            mail_facts=mail_facts(email, channel),
            mail_note=mail_note(request, email),
            removable=email is not None and bool(email.address or email.pending_address),
            usable=email.usable if email is not None else None,
            channels=[(c.value, label) for c, label in CHANNELS.items()],
            channel=channel.value,
            typed=typed,
            mail_errors=mail_errors or {},
        )

    async def mail_of(person_id: int) -> tuple[EmailAddress | None, Channel]:
        """The person's addresses and channel (the caller checked the right to see them)."""
        async with app.uow() as uow:
            email = await uow.emails.get(person_id)
            channel = (await uow.preferences.get(person_id)).channel
        return email, channel

    def mail_facts(email: EmailAddress | None, channel: Channel) -> list[tuple[str, str]]:
        """What the person page says about the e-mail: address, waiting one, channel."""
        address = "keine"
        if email is not None and email.address:
            if email.undeliverable_at is not None:
                since = t.datetime("de", email.undeliverable_at)
                problem = email.problem or "ohne Begründung"
                address = f"{email.address} – vom Mailserver abgelehnt: {problem} (seit {since})"
            else:
                address = f"{email.address} (bestätigt)"
        facts = [("E-Mail-Adresse", address)]
        if email is not None and email.pending_address and email.pending_since is not None:
            sent = t.datetime("de", email.pending_since)
            late = "" if email.pending_valid(app.clock.now()) else ", abgelaufen"
            link = f"Link verschickt am {sent}{late}"
            if email.pending_problem:
                link = f"die Bestätigungsmail kam zurück: {email.pending_problem}"
            facts.append(("Wartet auf Bestätigung", f"{email.pending_address} ({link})"))
        if email is not None and email.address and not email.announcements:
            facts.append(("Infomails", "abbestellt"))
        facts.append(("Benachrichtigungen", CHANNELS[channel]))
        return facts

    def mail_note(request: Request, email: EmailAddress | None) -> str:
        """The line after an e-mail form was sent (the address is not put in the URL)."""
        asked = request.query_params
        if "bestaetigung" in asked and email is not None and email.pending_address:
            return (
                f"Bestätigungslink an {email.pending_address} geschickt; "
                "erst nach der Bestätigung geht Post dorthin."
            )
        if "bekannt" in asked and email is not None and email.usable:
            return f"{email.usable} ist schon die bestätigte Adresse."
        if "email-geloescht" in asked:
            return "Die E-Mail-Adresse ist gelöscht."
        return ""

    def mail_off(request: Request, session: Session) -> Response:
        return desk.message(request, "Nicht ausgeführt", MAIL_OFF, 400, session)

    @router.get("/personen/{person_id:id}", include_in_schema=False)
    async def person(request: Request, person_id: int) -> Response:
        return await desk.guarded(request, lambda s: person_page(request, s, person_id))

    @router.post("/personen/{person_id:id}", include_in_schema=False)
    async def edit_person(request: Request, person_id: int) -> Response:
        async def page(session: Session) -> Response:
            form = await desk.form(request)
            chosen = await desk.form_list(request, "roles")
            topics = form.get("topics", "").replace(";", ",").split(",")
            try:
                await change_person(
                    app.uow(),
                    actor_id=session.person.id,
                    person_id=person_id,
                    display_name=form.get("name", ""),
                    member_ref=form.get("member") or None,
                    roles=_roles(chosen),
                    supporter_topics=tuple(topics),
                    now=app.clock.now(),
                )
            except (InvalidInput, NotFound) as exc:
                if isinstance(exc, NotFound) and exc.code == "person_not_found":
                    raise
                shown = {**form, "roles": chosen}
                return await person_page(request, session, person_id, shown, fielded(exc))
            return desk.see(f"/admin/personen/{person_id}?gespeichert")

        return await desk.guarded(request, page, posted=True)

    @router.post("/personen/{person_id:id}/email", include_in_schema=False)
    async def new_address(request: Request, person_id: int) -> Response:
        """A new address: stored as waiting, a confirmation link goes to it."""

        async def page(session: Session) -> Response:
            typed = (await desk.form(request)).get("email", "")
            if app.settings.smtp_url is None:
                return mail_off(request, session)
            try:
                stored = await request_address(
                    app.uow(),
                    actor_id=session.person.id,
                    person_id=person_id,
                    address=typed,
                    now=app.clock.now(),
                )
            except DomainError as exc:
                if exc.code not in ("email_invalid", "email_umlaut"):
                    raise
                problem = {"email": desk.explained(exc)}
                return await person_page(
                    request, session, person_id, typed=typed, mail_errors=problem
                )
            if stored.pending_address is None:  # the confirmed one again: nothing changed
                return desk.see(f"/admin/personen/{person_id}?bekannt")
            return desk.see(f"/admin/personen/{person_id}?bestaetigung")

        return await desk.guarded(request, page, posted=True)

    @router.get("/personen/{person_id:id}/email/loeschen", include_in_schema=False)
    async def remove_question(request: Request, person_id: int) -> Response:
        async def page(session: Session) -> Response:
            details = await person_details(
                app.uow(), actor_id=session.person.id, person_ref=str(person_id)
            )
            if details.person.id != person_id:
                raise NotFound("person_not_found", id=person_id)
            email, _ = await mail_of(person_id)
            addresses = [a for a in (email.address, email.pending_address) if a] if email else []
            if not addresses:
                return desk.see(f"/admin/personen/{person_id}")
            return desk.page(
                request,
                "person_email_remove.html",
                "E-Mail-Adresse löschen",
                session=session,
                person_id=person_id,
                name=details.person.display_name,
                addresses=list(dict.fromkeys(addresses)),
            )

        return await desk.guarded(request, page)

    @router.post("/personen/{person_id:id}/email/loeschen", include_in_schema=False)
    async def remove(request: Request, person_id: int) -> Response:
        async def page(session: Session) -> Response:
            await remove_address(
                app.uow(), actor_id=session.person.id, person_id=person_id, now=app.clock.now()
            )
            return desk.see(f"/admin/personen/{person_id}?email-geloescht")

        return await desk.guarded(request, page, posted=True)

    @router.post("/personen/{person_id:id}/kanal", include_in_schema=False)
    async def channel(request: Request, person_id: int) -> Response:
        """How the person is reached: in the chat, by e-mail, information mails both ways."""

        async def page(session: Session) -> Response:
            value = (await desk.form(request)).get("channel", "")
            if app.settings.smtp_url is None:
                return mail_off(request, session)
            try:
                chosen = Channel(value)
            except ValueError:
                problem = {"channel": "Bitte wählen Sie einen der angebotenen Wege."}
                return await person_page(request, session, person_id, mail_errors=problem)
            await set_channel(
                app.uow(),
                actor_id=session.person.id,
                person_id=person_id,
                channel=chosen,
                now=app.clock.now(),
            )
            return desk.see(f"/admin/personen/{person_id}?gespeichert")

        return await desk.guarded(request, page, posted=True)

    @router.post("/personen/{person_id:id}/einladung", include_in_schema=False)
    async def invitation(request: Request, person_id: int) -> Response:
        """A personal code; with ``per_email`` also mailed to the confirmed address (the
        code and the mail in one transaction: without the mail, no code)."""

        async def page(session: Session) -> Response:
            back = f"/admin/personen/{person_id}"
            by_mail = bool((await desk.form(request)).get("per_email"))
            if not by_mail:
                created = await create_personal_invitation(
                    app.uow(),
                    actor_id=session.person.id,
                    person_ref=str(person_id),
                    now=app.clock.now(),
                )
                return await invitation_page(request, session, created, "p", back=back)
            username = await bot_username()  # before the transaction (it reads the database)
            async with app.uow() as uow:
                joined = JoinedUnitOfWork(uow)
                created = await create_personal_invitation(
                    joined,
                    actor_id=session.person.id,
                    person_ref=str(person_id),
                    now=app.clock.now(),
                )
                if app.settings.smtp_url is None:
                    return mail_off(request, session)
                params = invitation_params(app.settings, created, username)
                try:
                    sent_to = await queue_invitation_mail(
                        joined,
                        actor_id=session.person.id,
                        person_id=person_id,
                        address=None,
                        params=params,
                    )
                except DomainError as exc:
                    problem = {"per_email": desk.explained(exc)}
                else:
                    await uow.commit()
                    return await invitation_page(
                        request,
                        session,
                        created,
                        "p",
                        back=back,
                        username=username,
                        mailed_to=sent_to,
                    )
            return await person_page(request, session, person_id, mail_errors=problem)

        return await desk.guarded(request, page, posted=True)

    async def bot_username() -> str:
        """The Telegram bot's username (settings, or what the transport learnt), or ``""``."""
        name = app.settings.telegram_bot_username or (
            await app.transport_state.get(USERNAME_KEY) or ""
        )
        return name.removeprefix("@")

    def telegram_link(username: str, payload: str) -> str:
        return f"https://t.me/{username}?start={payload}" if username else ""

    async def invitation_page(
        request: Request,
        session: Session,
        created: NewInvitation,
        prefix: str,
        back: str,
        *,
        username: str | None = None,
        mailed_to: str = "",
    ) -> Response:
        """The code (shown once), its ``/start`` payload, and the Telegram link as a QR code
        when the bot's username is known; ``mailed_to``: the address the invitation went to."""
        payload = start_payload(prefix, created.code)
        link = telegram_link(await bot_username() if username is None else username, payload)
        qr = ""
        if link:
            svg = segno.make(link, error="m").svg_inline(scale=5, dark="#0b2545", light="#ffffff")
            qr = Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR-Code" ', 1))
        return desk.page(
            request,
            "invitation.html",
            "Persönliche Einladung" if created.person else "Einladung für die Kommune",
            session=session,
            person=created.person.display_name if created.person else "",
            member=created.member.name if created.member else "",
            uses=created.invitation.max_uses,
            expires=t.datetime("de", created.invitation.expires_at),
            code=created.code,
            payload=payload,
            link=link,
            qr=qr,
            prefix=app.settings.matrix_command_prefix,
            back=back,
            mailed_to=mailed_to,
        )


def _kind(form: dict[str, str]) -> MemberKind:
    try:
        return MemberKind(form.get("kind", ""))
    except ValueError:
        kinds = ", ".join(k.value for k in MemberKind)
        raise InvalidInput("member_kind", kinds=kinds) from None


def _joined(form: dict[str, str], now: datetime, tz: ZoneInfo) -> date | None:
    """The date of joining as the browser sends it (ISO) or as typed (``1.3.2025``)."""
    text = form.get("joined", "").strip()
    if not text:
        return None
    try:
        return parse_moment(text, now=now, tz=tz, require_time=False).date()
    except DateError:
        raise InvalidInput("joined_on") from None


def _roles(values: list[str]) -> frozenset[Role]:
    """The chosen roles; one the desk does not give is refused like a hand-set ``member``."""
    try:
        roles = frozenset(Role(v) for v in values if v)
    except ValueError:
        raise InvalidInput("role_unknown") from None
    if not roles <= GIVEN_ROLES:
        raise InvalidInput("role_unknown")
    return roles
