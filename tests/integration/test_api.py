"""The REST API: bearer tokens with a scope, the OpenAPI document, and one round trip per
resource through the same core use cases as the chat."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.web import create_web_app
from core.api_tokens import create_token, revoke_token
from core.domain.api import Scope
from core.domain.faq import FaqEntry
from core.kb import import_entries
from core.signup import sign_up
from tests.support import factories
from tests.support.credentials import made

JOIN = FaqEntry(
    "mitglied-werden",
    "Wie wird eine Kommune Mitglied?",
    "Mit einem Ratsbeschluss und einer **Gemeinsamen Erklärung**.",
)


async def client(app, scope: Scope | None = Scope.WRITE, name: str = "intranet"):
    headers = {}
    if scope is not None:
        _, secret = await create_token(app.uow(), name=name, scope=scope, now=app.clock.now())
        headers["Authorization"] = f"Bearer {made(secret)}"
    transport = httpx.ASGITransport(app=create_web_app(app))
    return httpx.AsyncClient(transport=transport, base_url="http://test/api/v1", headers=headers)


async def test_no_token_a_wrong_token_and_a_read_token_on_a_write(app):
    async with await client(app, None) as web:
        refused = await web.get("/events")
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith(
            "Bearer"
        )
        assert "API-Token" in refused.json()["detail"]
        wrong = await web.get("/events", headers={"Authorization": "Bearer eb_erfunden"})
        assert (
            wrong.status_code == 401
            and 'error="invalid_token"' in wrong.headers["www-authenticate"]
        )
    async with await client(app, Scope.READ, "lesend") as web:
        assert (await web.get("/events")).status_code == 200
        body = {"kind": "kurzformat", "title": "X", "starts_at": "2099-03-03T10:00:00+01:00"}
        denied = await web.post("/events", json=body)
        assert (
            denied.status_code == 403 and "insufficient_scope" in denied.headers["www-authenticate"]
        )
        # Every kind of change is refused by the one authority decision, nothing is stored.
        member = {"name": "Stadt Lesen", "kind": "stadt"}
        assert (await web.post("/members", json=member)).status_code == 403
        entry = {"id": "lesen", "question": "Darf ich lesen?", "answer": "Ja."}
        assert (await web.post("/faq", json=entry)).status_code == 403
        assert (await web.get("/members")).json() == []
        assert (await web.get("/faq")).json() == []
        await revoke_token(app.uow(), name="lesend", now=app.clock.now())
        assert (await web.get("/events")).status_code == 401  # revoked: refused at once


async def test_the_openapi_document_lists_every_route(app):
    api = create_web_app(app).routes
    mounted = next(r for r in api if getattr(r, "path", "") == "/api/v1")
    routes = {
        (re.sub(r":\w+}", "}", route.path), method)  # {event_id:id} is {event_id} in OpenAPI
        for route in mounted.app.routes
        for method in getattr(route, "methods", set()) - {"HEAD"}
        if route.path != "/openapi.json"
    }
    async with await client(app, Scope.READ) as web:
        document = (await web.get("/openapi.json")).json()  # readable without a token
    listed = {(path, m.upper()) for path, ops in document["paths"].items() for m in ops}
    assert routes and listed == routes
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


async def test_events_round_trip_with_registrations(app, notifier):
    async with await client(app) as web:
        body = {
            "kind": "netzwerktreffen",
            "title": "Netzwerktreffen Münster",
            "starts_at": "2099-03-03T10:00:00+01:00",
            "place": "Münster",
            "capacity": 1,
        }
        created = await web.post("/events", json=body)
        assert created.status_code == 201, created.text
        event = created.json()
        assert event["sequence"] == 0 and event["confirmed"] == 0
        anna, bernd = await factories.person(app, "Anna Amt"), await factories.person(app, "Bernd")
        for person in (anna, bernd):
            await sign_up(app.uow(), event_id=event["id"], person_id=person.id, now=app.clock.now())
        listed = (await web.get(f"/events/{event['id']}/registrations")).json()
        assert [(r["name"], r["status"], r["waitlist_rank"]) for r in listed] == [
            ("Anna Amt", "confirmed", None),
            ("Bernd", "waitlisted", 1),
        ]
        moved = await web.patch(
            f"/events/{event['id']}", json={"starts_at": "2099-03-04T10:00:00+01:00"}
        )
        assert moved.status_code == 200 and moved.json()["sequence"] == 1
        assert notifier.keys_for(anna.id)[-1] == "event_changed"
        assert [e["title"] for e in (await web.get("/events")).json()] == [body["title"]]
        missing = await web.get("/events/999")
        assert missing.status_code == 404 and "999" in missing.json()["detail"]
        bad = await web.patch(f"/events/{event['id']}", json={"capacity": 0})
        assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "capacity"
        naive = await web.post("/events", json={**body, "starts_at": "2099-03-03T10:00:00"})
        assert naive.status_code == 201  # a time without its offset is local (Berlin, CET)
        assert naive.json()["starts_at"].startswith("2099-03-03T09:00:00")  # in UTC
        removed = await web.patch(f"/events/{event['id']}", json={"title": None})
        assert removed.status_code == 422
        assert removed.json()["problems"] == [
            {"field": "title", "problem": "Diese Angabe lässt sich nicht entfernen (null)."}
        ]
        for unchangeable in ({"kind": "netzwerktreffen"}, {"cancelled": True}, {"id": 99}):
            ignored = await web.patch(f"/events/{event['id']}", json=unchangeable)
            assert ignored.status_code == 422, unchangeable  # never a 200 that changed nothing
            assert ignored.json()["problems"][0]["problem"] == "Diese Angabe gibt es nicht."
        far = await web.post("/events", json={**body, "starts_at": "9999-12-31T23:00"})
        assert far.status_code == 422 and "zu weit in der Zukunft" in far.json()["detail"]
        moved_far = await web.patch(
            f"/events/{event['id']}", json={"starts_at": "9999-12-31T23:00"}
        )
        assert moved_far.status_code == 422
        two_lines = await web.post("/events", json={**body, "title": "Neu\nZeile"})
        assert two_lines.status_code == 422 and "Zeilenumbruch" in two_lines.json()["detail"]
        kinds = await web.post("/events", json={**body, "kind": "party"})
        assert " oder " in kinds.json()["problems"][0]["problem"]
        odd = await web.post("/events", json={**body, "video_url": "javascript:alert(1)"})
        assert odd.status_code == 422 and "https://" in odd.json()["detail"]
        broken = await web.post(
            "/events", content=b"{kind:", headers={"Content-Type": "application/json"}
        )
        assert broken.json()["problems"] == [
            {"field": "", "problem": "Der Inhalt ist kein gültiges JSON."}
        ]
        for path in ("/events/99999999999999999999", "/events/abc", "/polls/1234567890/results"):
            unknown = await web.get(path)
            assert unknown.status_code == 404 and unknown.json() == {"detail": "Nicht gefunden."}


@pytest.mark.parametrize("path", ["/members", "/persons", "/faq"])
async def test_reading_members_persons_and_the_knowledge_base(app, path):
    town = await factories.member(app, "Stadt Auenburg")
    await factories.person(app, "Anna Amt", member=town)
    await import_entries(app.uow(), app.faq, [JOIN], replace_all=False, now=app.clock.now())
    async with await client(app, Scope.READ) as web:
        found = (await web.get(path)).json()
    assert found, path
    text = str(found)
    assert {"/members": "Stadt Auenburg", "/persons": "Anna Amt", "/faq": JOIN.question}[
        path
    ] in text


async def test_a_member_municipality_is_added(app):
    async with await client(app) as web:
        body = {"name": "Gemeinde Kleinstadt", "kind": "gemeinde", "municipality_key": "05999001"}
        created = await web.post("/members", json=body)
        assert created.status_code == 201, created.text
        again = await web.post("/members", json=body)
        assert again.status_code == 422 and "Kleinstadt" in again.json()["detail"]
        listed = (await web.get("/members")).json()
    assert [m["name"] for m in listed] == ["Gemeinde Kleinstadt"]
