"""Reaching municipalities: the members nobody is registered from for an event, shown to the
office in the chat and on the desk, and an announcement ``nicht_angemeldet:ID`` to them."""

from __future__ import annotations

import re

import pytest

from core.announcements import Audience, announce, count_recipients, resolve_audience
from core.domain.errors import NotAllowed, NotFound
from core.domain.events import Audience as EventAudience
from core.domain.members import MemberKind
from core.domain.notifications import AudienceKind
from core.domain.people import Role
from core.members import add_member
from core.outreach import not_registered
from core.signup import cancel_signup, sign_up
from tests.conftest import snapshot
from tests.support import factories
from tests.support.chat import say
from tests.support.desk import signed_in


async def network(app):
    """Three towns with two people each, a partner organisation, the office and an event
    with one place: Auenburg's Anna has it, Bergen's Bernd waits."""
    towns = {}
    people = {}
    for town, names in (
        ("Stadt Auenburg", ("Anna", "Arno")),
        ("Kreis Bergen", ("Bernd", "Berta")),
        ("Gemeinde Cramm", ("Carla", "Conny")),
    ):
        towns[town] = await factories.member(app, town)
        for name in names:
            people[name] = await factories.person(app, name, member=towns[town])
    partner = await add_member(
        app.uow(), name="Stiftung Partner", kind=MemberKind.KOOPERATIONSPARTNER
    )
    people["Paul"] = await factories.person(app, "Paul", member=partner)
    office = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    event = await factories.event(app, title="Netzwerktreffen", capacity=1)
    now = app.clock.now()
    await sign_up(app.uow(), person_id=people["Anna"].id, event_id=event.id, now=now)
    await sign_up(app.uow(), person_id=people["Bernd"].id, event_id=event.id, now=now)
    return people, office, event


async def test_the_municipalities_without_registration_and_an_announcement_to_them(any_app):
    app = any_app
    people, office, event = await network(app)
    found = await not_registered(
        app.uow(), actor_id=office.id, event_id=event.id, now=app.clock.now()
    )
    # The waiting list counts as registered; the partner organisation does not count at all.
    assert [m.name for m in found.missing] == ["Gemeinde Cramm"]
    assert found.counted == 3
    audience = await resolve_audience(app.uow(), AudienceKind.NOT_REGISTERED, str(event.id))
    now = app.clock.now()
    assert await count_recipients(app.uow(), actor_id=office.id, audience=audience, now=now) == 2
    # Anna cancels: Bernd moves up, Auenburg has nobody left and is counted at sending time.
    await cancel_signup(app.uow(), person_id=people["Anna"].id, event_id=event.id, now=now)
    stored = await announce(
        app.uow(), actor_id=office.id, text="Noch Plätze frei!", audience=audience, now=now
    )
    assert stored.recipients == 4
    assert stored.event_id == event.id  # information mails carry the signup link
    async with app.uow() as uow:
        reached = {
            n.person_id
            for n in await uow.notifications.claim_due(app.clock.now(), 100)
            if n.key == "announcement"
        }
    assert reached == {people[n].id for n in ("Anna", "Arno", "Carla", "Conny")}


async def test_the_audience_of_the_event_decides_who_counts(any_app):
    app = any_app
    old = await factories.member(app, "Stadt Alt")
    new = await factories.member(app, "Stadt Neu", new=True)
    await factories.person(app, "Alma", member=old)
    newcomer = await factories.person(app, "Nina", member=new)
    chief = await factories.person(app, "Bürgermeisterin Nora", member=new, roles={Role.LEADERSHIP})
    office = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    now = app.clock.now()
    welcome = await factories.event(app, audience=EventAudience.NEW_MEMBERS)
    found = await not_registered(app.uow(), actor_id=office.id, event_id=welcome.id, now=now)
    assert [m.name for m in found.missing] == ["Stadt Neu"] and found.counted == 1
    summit = await factories.event(app, audience=EventAudience.LEADERSHIP)
    audience = Audience(AudienceKind.NOT_REGISTERED, str(summit.id))
    stored = await announce(
        app.uow(), actor_id=office.id, text="Einladung", audience=audience, now=now
    )
    assert stored.recipients == 1  # only the Verwaltungsspitze may sign up for it
    async with app.uow() as uow:
        (notice,) = await uow.notifications.claim_due(app.clock.now(), 10)
    assert notice.person_id == chief.id != newcomer.id


async def test_only_the_office_sees_it_and_bad_input_changes_nothing(any_app):
    app = any_app
    people, office, event = await network(app)
    with pytest.raises(NotAllowed):
        await not_registered(
            app.uow(), actor_id=people["Anna"].id, event_id=event.id, now=app.clock.now()
        )
    before = await snapshot(app.database)
    (reply,) = await say(app, people["Anna"], f"/termin_kommunen {event.id}")
    assert "Netzwerkbüro" in reply.plain
    (reply,) = await say(app, office, "/termin_kommunen 999")
    assert "999" in reply.plain and "nicht" in reply.plain
    (reply,) = await say(app, office, "/ankuendigung nicht_angemeldet:999 Hallo")
    assert "999" in reply.plain
    (reply,) = await say(app, office, "/ankuendigung nicht_angemeldet: Hallo")
    assert "nicht_angemeldet:3" in reply.plain  # the usage names the new target
    assert await snapshot(app.database) == before
    with pytest.raises(NotFound):
        await resolve_audience(app.uow(), AudienceKind.NOT_REGISTERED, "drei")


async def test_the_chat_lists_them_and_announces_to_them(any_app):
    app = any_app
    people, office, event = await network(app)
    (reply,) = await say(app, office, f"/termin_kommunen {event.id}")
    assert reply.private
    assert f"Nr. {event.id}: Netzwerktreffen" in reply.plain
    assert "aus 1 von 3 Kommunen noch niemand angemeldet" in reply.plain
    assert "Gemeinde Cramm" in reply.plain and "Auenburg" not in reply.plain
    assert f"/ankuendigung nicht_angemeldet:{event.id} Text" in reply.plain
    (reply,) = await say(app, office, f"/ankuendigung nicht_angemeldet:{event.id} Kommen Sie!")
    assert "Empfänger: 2" in reply.plain
    await sign_up(app.uow(), person_id=people["Carla"].id, event_id=event.id, now=app.clock.now())
    (reply,) = await say(app, office, f"/event_municipalities {event.id}")
    assert "aus jeder Kommune, die dafür zählt (3), schon jemand angemeldet" in reply.plain
    (reply,) = await say(app, office, f"/announce not_registered:{event.id} Come!")
    assert "niemanden" in reply.plain or "nobody" in reply.plain.lower()


async def test_the_desk_shows_them_on_the_event_page_and_offers_the_announcement(any_app):
    app = any_app
    _, office, event = await network(app)
    async with await signed_in(app, office) as desk:
        page = await desk.get(f"/admin/veranstaltungen/{event.id}")
        assert page.status_code == 200
        section = page.text.split('id="nicht-angemeldet"', 1)[1].split("</section>", 1)[0]
        assert "Noch nicht angemeldet: 1 Kommune" in section
        assert "<li>Gemeinde Cramm</li>" in section and "Auenburg" not in section
        link = re.search(r'href="(/admin/ankuendigungen\?audience=[^"]+)"', section)[1]
        compose = await desk.get(link.replace("&amp;", "&"))
        value = f"not_registered:{event.id}"
        assert f'<option value="{value}" selected>' in compose.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', compose.text)[1]
        preview = await desk.post(
            "/admin/ankuendigungen/vorschau",
            data={"csrf": csrf, "audience": value, "text": "Es gibt noch Plätze."},
        )
        assert preview.status_code == 200
        assert "<strong>2 Personen</strong>" in preview.text
        form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview.text))
        sent = await desk.post("/admin/ankuendigungen/senden", data=form)
        assert sent.status_code == 303
    async with app.uow() as uow:
        stored = await uow.announcements.get(1)
    assert stored.audience is AudienceKind.NOT_REGISTERED and stored.recipients == 2
