"""The audit log: who created, changed, cancelled, announced or exported what, whether in the
chat, on the desk, through the API or at the command line; kept only for the retention
period, and never with personal data beyond who acted."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from bot.desk import COOKIE
from bot.messages import IncomingMessage
from bot.web import create_web_app
from core.accounts import (
    change_roles,
    create_invitation,
    create_personal_invitation,
    unlink_account,
)
from core.announcements import Audience, announce
from core.api_tokens import create_token
from core.audit import latest_entries
from core.domain.api import Scope
from core.domain.faq import FaqEntry
from core.domain.members import MemberKind
from core.domain.notifications import AudienceKind
from core.domain.people import Platform, Role
from core.events import assign_speaker, cancel_event, change_event
from core.kb import import_entries
from core.members import add_member, add_person
from core.reminders import set_event_reminders
from core.retention import apply_retention
from core.web_access import issue_link, redeem_link
from tests.support import factories
from tests.support.credentials import made


async def test_each_kind_of_change_names_who_where_and_what(app):
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    anna = await factories.person(app, "Anna Amt", member=await factories.member(app))
    event = await factories.event(app, title="Kurzformat", capacity=5)
    now = app.clock.now()
    await change_event(
        app.uow(), actor_id=olga.id, event_id=event.id, changes={"place": "Köln"}, now=now
    )
    await announce(
        app.uow(), actor_id=olga.id, text="Hallo!", audience=Audience(AudienceKind.ALL), now=now
    )

    _, secret = await create_token(app.uow(), name="intranet", scope=Scope.WRITE, now=now)
    transport = httpx.ASGITransport(app=create_web_app(app))
    headers = {"Authorization": f"Bearer {made(secret)}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as api:
        body = {"kind": "kurzformat", "title": "Per API", "starts_at": "2099-01-05T10:00:00+01:00"}
        assert (await api.post("/api/v1/events", json=body)).status_code == 201
        assert (await api.get(f"/api/v1/events/{event.id}/registrations")).status_code == 200

    token = await issue_link(app.uow(), actor_id=None, person_id=olga.id, now=now)
    session = await redeem_link(app.uow(), token=token, now=now)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as desk:
        desk.cookies.set(COOKIE, session.token)
        assert (await desk.get(f"/admin/veranstaltungen/{event.id}/teilnehmende.csv")).is_success
        page = await desk.get("/admin/protokoll")
    await cancel_event(app.uow(), actor_id=None, event_id=event.id, now=now)

    entries = await latest_entries(app.uow(), actor_id=olga.id)
    setup = ("person.created", "member.created")  # the fixtures' own entries
    seen = [(e.action, e.via, e.actor_name, e.details) for e in reversed(entries)]
    seen = [entry for entry in seen if entry[0] not in setup]
    assert seen == [
        ("event.changed", "Kommandozeile", "Olga Office", {"fields": ["place"]}),
        ("announcement.sent", "Kommandozeile", "Olga Office", {"recipients": 1}),
        ("event.created", "api:intranet", None, {}),
        ("attendees.exported", "api:intranet", None, {"form": "api", "rows": 0}),
        ("attendees.exported", "web", "Olga Office", {"form": "csv", "rows": 0}),
        ("event.cancelled", "Kommandozeile", None, {}),
    ]
    assert page.status_code == 200 and "Teilnehmendenliste exportiert" in page.text
    shown = re.sub(r"\s+", " ", page.text)
    assert "geändert: Ort" in shown and "Format: csv; Zeilen: 0" in shown  # German, no field names
    assert "place" not in shown and "rows" not in shown
    assert "Anna" not in page.text and anna.id not in {e.actor_id for e in entries}
    assert "api:intranet" in re.sub(r"\s+", " ", page.text)


async def test_leadership_sees_no_audit_log_and_it_ends_with_the_retention(app):
    lena = await factories.person(app, "Lena Landrätin", roles={Role.LEADERSHIP})
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    event = await factories.event(app)
    await change_event(
        app.uow(), actor_id=olga.id, event_id=event.id, changes={"capacity": 9}, now=app.clock.now()
    )
    token = await issue_link(app.uow(), actor_id=None, person_id=lena.id, now=app.clock.now())
    session = await redeem_link(app.uow(), token=token, now=app.clock.now())
    transport = httpx.ASGITransport(app=create_web_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as desk:
        desk.cookies.set(COOKIE, session.token)
        refused = await desk.get("/admin/protokoll")
    assert refused.status_code == 403 and "Olga" not in refused.text
    kept = len(await latest_entries(app.uow(), actor_id=olga.id))
    assert kept >= 1
    app.clock.advance(timedelta(days=31 * app.settings.retention_months + 1))
    counts = await apply_retention(app.uow(), now=app.clock.now(), periods=app.settings.retention())
    assert counts["audit"] == kept
    assert await latest_entries(app.uow(), actor_id=olga.id) == []


async def test_every_change_by_the_office_is_in_the_log(app):
    """Municipalities, persons, roles, invitations, chat accounts, speakers, reminders and
    the knowledge base: each change names who made it and what, never the content."""
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    now = app.clock.now()
    member = await add_member(
        app.uow(), name="Stadt Auenburg", kind=MemberKind.STADT, actor_id=olga.id, now=now
    )
    eva = await add_person(
        app.uow(),
        display_name="Eva Engagiert",
        member_ref=str(member.id),
        now=now,
        actor_id=olga.id,
    )
    await change_roles(
        app.uow(), actor_id=olga.id, person_ref=str(eva.id), add=frozenset({Role.SPEAKER}), now=now
    )
    await create_invitation(app.uow(), actor_id=olga.id, member_ref=str(member.id), now=now)
    invited = await create_personal_invitation(
        app.uow(), actor_id=olga.id, person_ref=str(eva.id), now=now
    )
    start = IncomingMessage(
        Platform.TELEGRAM, "77", f"/start p_{invited.code}", "Eva", chat_id="77"
    )
    await app.router.handle(start)  # Eva's Telegram account, unlinked again
    await unlink_account(
        app.uow(), actor_id=olga.id, person_ref=str(eva.id), platform=Platform.TELEGRAM, now=now
    )
    event = await factories.event(app)
    await assign_speaker(
        app.uow(), actor_id=olga.id, event_id=event.id, person_ref=str(eva.id), now=now
    )
    await set_event_reminders(
        app.uow(), actor_id=olga.id, event_id=event.id, offsets=(timedelta(hours=2),), now=now
    )
    entry = FaqEntry("karte", "Was ist die Ehrenamtskarte?", "Eine Anerkennung.")
    await import_entries(app.uow(), app.faq, [entry], replace_all=False, now=now)
    entries = await latest_entries(app.uow(), actor_id=olga.id)
    seen = [(e.action, e.subject, e.details) for e in reversed(entries)]
    assert seen[1:] == [
        ("member.created", f"member:{member.id}", {}),
        ("person.created", f"person:{eva.id}", {"roles": ["member"]}),
        ("person.changed", f"person:{eva.id}", {"fields": ["roles"]}),
        ("invitation.created", f"member:{member.id}", {"uses": 5, "days": 30}),
        ("invitation.created", f"person:{eva.id}", {}),
        ("person.unlinked", f"person:{eva.id}", {"platform": "telegram"}),
        ("event.speaker", f"event:{event.id}", {}),
        ("event.reminders", f"event:{event.id}", {"minutes": [120]}),
        ("faq.imported", "kb", {"saved": 1, "removed": 0}),
    ]
    assert "Ehrenamtskarte" not in str(seen)
