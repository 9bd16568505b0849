"""The knowledge base in the REST API: one entry read, written, changed and deleted through
the same core use cases as the desk, and the chat answering with it at once."""

from __future__ import annotations

from core.api_tokens import create_token
from core.audit import latest_entries
from core.domain.api import Scope
from core.kb import list_entries
from tests.integration.test_api import client
from tests.support import factories
from tests.support.chat import say_text
from tests.support.credentials import made

FEST = {
    "id": "ehrenamtsfest",
    "question": "Gibt es Fördermittel für ein Ehrenamtsfest?",
    "answer": "Ja, die **Landesservicestelle** fördert Feste mit bis zu 500 Euro.",
    "variants": ["Wer bezahlt unser Ehrenamtsfest?"],
    "links": ["https://www.engagiert-in-nrw.de"],
    "topic": "foerderung",
}


async def test_an_entry_round_trip_that_the_chat_answers_with(any_app):
    app = any_app
    mia = await factories.person(app, "Mia Mitglied")
    async with await client(app) as web:
        created = await web.post("/faq", json=FEST)
        assert created.status_code == 201, created.text
        assert created.json() == {**FEST, "tags": []}
        assert (await web.get("/faq/ehrenamtsfest")).json() == created.json()
        assert "500 Euro" in await say_text(app, mia, "/faq Wer bezahlt unser Ehrenamtsfest?")

        again = await web.post("/faq", json=FEST)
        assert again.status_code == 422 and again.json()["code"] == "faq_id_taken"
        assert "gibt es schon" in again.json()["detail"]

        change = {k: v for k, v in FEST.items() if k != "id"}
        changed = await web.put(
            "/faq/ehrenamtsfest", json={**change, "answer": "Bis zu 800 Euro.", "tags": ["geld"]}
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["answer"] == "Bis zu 800 Euro." and changed.json()["tags"] == ["geld"]
        assert "800 Euro" in await say_text(app, mia, "/faq Wer bezahlt unser Ehrenamtsfest?")
        bad = await web.put("/faq/ehrenamtsfest", json={**change, "links": ["javascript:x"]})
        assert bad.status_code == 422 and bad.json()["code"] == "faq_link_invalid"
        missing = await web.put("/faq/gibt-es-nicht", json=change)
        assert missing.status_code == 404 and missing.json()["code"] == "faq_entry_not_found"

        deleted = await web.delete("/faq/ehrenamtsfest")
        assert deleted.status_code == 204 and deleted.content == b""
        assert (await web.get("/faq/ehrenamtsfest")).status_code == 404
        assert (await web.delete("/faq/ehrenamtsfest")).status_code == 404
    assert await list_entries(app.uow()) == []
    assert "800 Euro" not in await say_text(app, mia, "/faq Wer bezahlt unser Ehrenamtsfest?")
    logged = await latest_entries(app.uow(), actor_id=None)
    assert [(e.action, e.via) for e in logged if e.action.startswith("faq.")] == [
        ("faq.deleted", "api:intranet"),
        ("faq.saved", "api:intranet"),
        ("faq.saved", "api:intranet"),
    ]


async def test_no_token_and_a_read_token_may_not_write(app):
    async with await client(app, None) as web:
        assert (await web.get("/faq/ehrenamtsfest")).status_code == 401
        refused = await web.post("/faq", json=FEST)
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith(
            "Bearer"
        )
    async with await client(app, Scope.READ, "lesend") as web:
        for denied in (
            await web.post("/faq", json=FEST),
            await web.put("/faq/ehrenamtsfest", json=FEST),
            await web.delete("/faq/ehrenamtsfest"),
        ):
            assert denied.status_code == 403
            assert "insufficient_scope" in denied.headers["www-authenticate"]
    _, secret = await create_token(
        app.uow(), name="schreibend", scope=Scope.WRITE, now=app.clock.now()
    )
    async with await client(app, None) as web:
        auth = {"Authorization": f"Bearer {made(secret)}"}
        assert (await web.post("/faq", json=FEST, headers=auth)).status_code == 201
        assert (await web.get("/faq/ehrenamtsfest", headers=auth)).status_code == 200
        other = await web.put("/faq/ehrenamtsfest", json={**FEST, "id": "anders"}, headers=auth)
        assert other.status_code == 422 and "bleibt, wie sie ist" in other.json()["detail"]
    assert [e.id for e in await list_entries(app.uow())] == ["ehrenamtsfest"]
