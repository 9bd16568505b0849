"""The audit log: who created, changed, cancelled, announced or exported what, whether in the
chat, on the desk, through the API or at the command line; kept only for the retention
period, and never with personal data beyond who acted."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from bot.desk import COOKIE
from bot.web import create_web_app
from core.announcements import Audience, announce
from core.api_tokens import create_token
from core.audit import latest_entries
from core.domain.api import Scope
from core.domain.notifications import AudienceKind
from core.domain.people import Role
from core.events import cancel_event, change_event
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
    seen = [(e.action, e.via, e.actor_name, e.details) for e in reversed(entries)]
    assert seen == [
        ("event.changed", "Kommandozeile", "Olga Office", {"fields": ["place"]}),
        ("announcement.sent", "Kommandozeile", "Olga Office", {"recipients": 1}),
        ("event.created", "api:intranet", None, {}),
        ("attendees.exported", "api:intranet", None, {"form": "api", "rows": 0}),
        ("attendees.exported", "web", "Olga Office", {"form": "csv", "rows": 0}),
        ("event.cancelled", "Kommandozeile", None, {}),
    ]
    assert page.status_code == 200 and "Teilnehmendenliste exportiert" in page.text
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
    app.clock.advance(timedelta(days=31 * app.settings.retention_months + 1))
    counts = await apply_retention(app.uow(), now=app.clock.now(), periods=app.settings.retention())
    assert counts["audit"] == 1
    assert await latest_entries(app.uow(), actor_id=olga.id) == []
