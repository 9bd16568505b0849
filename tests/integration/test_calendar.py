"""Calendar files and personal feeds."""

from __future__ import annotations

from datetime import timedelta

import httpx
from icalendar import Calendar

from bot.web import create_web_app
from core.events import cancel_event, change_event
from core.signup import sign_up
from tests.support import factories
from tests.support.chat import say


def events_in(body: bytes) -> list:
    return list(Calendar.from_ical(body).walk("VEVENT"))


async def test_an_ics_file_parses_back_and_carries_the_alarm(app):
    event = await factories.event(
        app, title="Netzwerktreffen Köln", video_url="https://v.example/k"
    )
    pia = await factories.person(app, "Pia")
    await sign_up(app.uow(), person_id=pia.id, event_id=event.id, now=app.clock.now())
    (reply,) = await say(app, pia, f"/kalender {event.id}")
    assert "Kalenderdatei für Netzwerktreffen Köln" in reply.plain
    file = reply.attachment
    assert file.filename == f"termin-{event.id}.ics" and file.mime_type == "text/calendar"
    (vevent,) = events_in(file.content)
    assert str(vevent["summary"]) == "Netzwerktreffen Köln"
    assert vevent.decoded("dtstart") == event.starts_at
    assert vevent.decoded("dtend") == event.ends_at
    # she is confirmed online: she gets her own link, never the meeting's address itself
    assert str(vevent["url"]) == app.video.link(event.id, pia.id)
    assert "v.example" not in file.content.decode()
    (alarm,) = vevent.walk("VALARM")
    assert str(alarm["action"]) == "DISPLAY"
    assert alarm.decoded("trigger") == -timedelta(hours=1)


async def test_the_video_link_is_only_for_confirmed_participants(app):
    event = await factories.event(app, video_url="https://v.example/k")
    ole = await factories.person(app, "Ole")
    (reply,) = await say(app, ole, f"/kalender {event.id}")
    assert "url" not in events_in(reply.attachment.content)[0]


async def feed(app, url: str) -> httpx.Response:
    path = url.removeprefix(app.settings.effective_public_url)
    transport = httpx.ASGITransport(app=create_web_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


async def test_the_feed_follows_changes_and_cancellations_and_dies_when_revoked(app):
    kept = await factories.event(app, title="Kurzformat", days=5)
    dropped = await factories.event(app, title="Workshop", days=9)
    other = await factories.event(app, title="Ohne Pia", days=3)
    pia = await factories.person(app, "Pia")
    for event in (kept, dropped):
        await sign_up(app.uow(), person_id=pia.id, event_id=event.id, now=app.clock.now())
    (reply,) = await say(app, pia, "/kalender_abo")
    url = reply.plain.split("\n")[1]
    assert url.startswith("http://127.0.0.1:8080/kalender/") and url.endswith(".ics")

    response = await feed(app, url)
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/calendar"
    )
    assert sorted(str(e["summary"]) for e in events_in(response.content)) == [
        "Kurzformat",
        "Workshop",
    ]
    assert other.title not in response.text

    moved = kept.starts_at + timedelta(days=1)
    await change_event(
        app.uow(),
        actor_id=None,
        event_id=kept.id,
        changes={"starts_at": moved, "ends_at": moved + timedelta(hours=2)},
        now=app.clock.now(),
    )
    await cancel_event(app.uow(), actor_id=None, event_id=dropped.id, now=app.clock.now())
    items = {str(e["summary"]): e for e in events_in((await feed(app, url)).content)}
    assert items["Kurzformat"].decoded("dtstart") == moved
    assert str(items["Workshop"]["status"]) == "CANCELLED"

    (renewed,) = await say(app, pia, "/kalender_abo")
    new_url = renewed.plain.split("\n")[1]
    assert (await feed(app, url)).status_code == 404  # the old link is revoked
    assert (await feed(app, new_url)).status_code == 200
    assert "abgeschaltet" in (await say(app, pia, "/kalender_abo aus"))[0].plain
    assert (await feed(app, new_url)).status_code == 404
    assert (await feed(app, "/kalender/../healthz.ics")).status_code == 404
    assert "keinen Kalender-Link" in (await say(app, pia, "/kalender_abo aus"))[0].plain
