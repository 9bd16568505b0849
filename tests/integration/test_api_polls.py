"""Polls in the REST API: the list, one poll and its results through the same core use
cases as the desk — numbers, never who voted."""

from __future__ import annotations

import httpx

from bot.web import create_web_app
from core.api_tokens import create_token
from core.audit import latest_entries
from core.domain.api import Scope
from core.domain.people import Role
from core.polls import cast_vote, close_poll, start_poll
from tests.support import factories
from tests.support.credentials import made


async def client(app, scope: Scope | None = Scope.READ) -> httpx.AsyncClient:
    headers = {}
    if scope is not None:
        _, secret = await create_token(app.uow(), name="intranet", scope=scope, now=app.clock.now())
        headers["Authorization"] = f"Bearer {made(secret)}"
    transport = httpx.ASGITransport(app=create_web_app(app))
    return httpx.AsyncClient(transport=transport, base_url="http://test/api/v1", headers=headers)


async def test_polls_need_a_token(app):
    async with await client(app, None) as web:
        for path in ("/polls", "/polls/1", "/polls/1/results"):
            refused = await web.get(path)
            assert refused.status_code == 401, path
            assert "API-Token" in refused.json()["detail"]


async def test_list_one_poll_and_its_results(any_app):
    app = any_app
    auen = await factories.member(app, "Stadt Auenburg")
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    event = await factories.event(app, title="Netzwerktreffen Münster")
    poll = await start_poll(
        app.uow(),
        actor_id=olga.id,
        question="Wie geht es weiter?",
        options=["Ja", "Nein"],
        hidden_results=True,
        event_id=event.id,
        now=app.clock.now(),
    )
    anonymous = await start_poll(
        app.uow(),
        actor_id=olga.id,
        question="Geheim?",
        options=["A", "B"],
        anonymous=True,
        now=app.clock.now(),
    )
    for name, choice in (("Anna Amt", 0), ("Björn Bürgerschaft", 0), ("Cem Çelik", 1)):
        person = await factories.person(app, name, member=auen)
        for target in (poll, anonymous):
            await cast_vote(
                app.uow(),
                poll_id=target.id,
                person_id=person.id,
                choices=[choice],
                now=app.clock.now(),
            )
    await close_poll(app.uow(), actor_id=olga.id, poll_id=anonymous.id, now=app.clock.now())

    async with await client(app) as web:
        listed = (await web.get("/polls")).json()
        assert [(p["id"], p["open"], p["participants"]) for p in listed] == [
            (anonymous.id, False, 3),
            (poll.id, True, 3),
        ]
        one = await web.get(f"/polls/{poll.id}")
        assert one.status_code == 200
        body = one.json()
        assert body == listed[1]
        assert body["question"] == "Wie geht es weiter?" and body["options"] == ["Ja", "Nein"]
        assert body["event_id"] == event.id and body["event_title"] == "Netzwerktreffen Münster"
        assert body["hidden_results"] and body["closed_at"] is None

        # hidden in the chat until closing; the API acts as the office, which sees them
        results = (await web.get(f"/polls/{poll.id}/results")).json()
        assert results == {
            "poll_id": poll.id,
            "participants": 3,
            "options": [
                {"option": "Ja", "votes": 2, "percent": 67},
                {"option": "Nein", "votes": 1, "percent": 33},
            ],
            "turnout": [{"member": "Stadt Auenburg", "voters": 3}],
        }
        secret = (await web.get(f"/polls/{anonymous.id}/results")).json()
        assert secret["turnout"] is None and secret["options"][0]["votes"] == 2
        assert "Anna" not in str(secret) and "Anna" not in str(results)

        missing = await web.get("/polls/999/results")
        assert missing.status_code == 404 and "999" in missing.json()["detail"]
        assert (await web.get("/polls/999")).status_code == 404
    entries = await latest_entries(app.uow(), actor_id=None)
    exported = [(e.subject, e.via, e.details["form"]) for e in entries if "poll" in e.action]
    assert exported == [
        (f"poll:{anonymous.id}", "api:intranet", "api"),
        (f"poll:{poll.id}", "api:intranet", "api"),
    ]
