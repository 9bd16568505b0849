"""Reminders before events, planned from the database and sent once, on time or late."""

from __future__ import annotations

import logging
from datetime import timedelta

from core.domain.people import Platform
from core.reminders import set_event_reminders
from core.signup import cancel_signup, sign_up
from tests.support import factories
from tests.support.chat import say
from tests.support.notices import Inbox, durable_hub, link, notification_rows, scheduler_for


async def rig(app):
    hub = durable_hub(app)
    inbox = Inbox()
    hub.register(Platform.CONSOLE, inbox)
    return scheduler_for(app, hub), inbox


async def participant(app, event, name="Pia"):
    person = await factories.person(app, name)
    await link(app, person, Platform.CONSOLE, f"console-{person.id}")
    await sign_up(app.uow(), person_id=person.id, event_id=event.id, now=app.clock.now())
    return person


async def test_reminders_go_out_once_at_the_right_time(any_app):
    app = any_app
    scheduler, inbox = await rig(app)
    event = await factories.event(
        app, title="Netzwerktreffen", days=3, video_url="https://v.example/x"
    )
    pia = await participant(app, event)
    start = event.starts_at

    app.clock.current = start - timedelta(hours=24, minutes=1)
    await scheduler.round()
    assert inbox.of(pia) == []
    app.clock.current = start - timedelta(hours=24)
    await scheduler.round()
    await scheduler.round()
    (first,) = inbox.of(pia)
    assert "Erinnerung: Netzwerktreffen beginnt am" in first
    assert app.video.link(event.id, pia.id) in first and f"/abmelden {event.id}" in first
    assert "v.example" not in first  # only her own link, never the meeting's address

    app.clock.current = start - timedelta(minutes=61)
    await scheduler.round()
    assert len(inbox.of(pia)) == 1
    app.clock.current = start - timedelta(minutes=60)
    for _ in range(3):
        await scheduler.round()
    assert len(inbox.of(pia)) == 2
    rows = await notification_rows(app)
    assert [r.key for r in rows] == ["reminder_video", "reminder_video"]
    assert all(r.sent_at is not None and r.platform == "console" for r in rows)


async def test_next_wake_up_is_the_next_reminder(app):
    from core.reminders import next_due

    event = await factories.event(app, days=3)
    assert await next_due(app.uow(), now=app.clock.now()) == event.starts_at - timedelta(hours=24)
    await set_event_reminders(
        app.uow(),
        actor_id=None,
        event_id=event.id,
        offsets=(timedelta(minutes=1),),
        now=app.clock.now(),
    )
    assert await next_due(app.uow(), now=app.clock.now()) == event.starts_at - timedelta(minutes=1)


async def test_catch_up_after_downtime_sends_late_once_or_drops_begun_events(any_app, caplog):
    app = any_app
    scheduler, inbox = await rig(app)
    soon = await factories.event(app, title="Kurzformat", days=2)
    begun = await factories.event(app, title="Workshop", days=1)
    pia = await participant(app, soon)
    await sign_up(app.uow(), person_id=pia.id, event_id=begun.id, now=app.clock.now())

    # Down from now until 30 minutes before "Kurzformat": both of its reminders were missed,
    # and "Workshop" began meanwhile.
    app.clock.current = soon.starts_at - timedelta(minutes=30)
    with caplog.at_level(logging.WARNING, logger="core.reminders"):
        await scheduler.round()
        await scheduler.round()
    (late,) = inbox.of(pia)  # only the latest of the missed reminders
    assert "Kurzformat" in late
    assert "2 reminder(s) dropped: their event had begun" in caplog.text
    rows = {
        r.dedupe_key.split(":")[1] + ":" + r.dedupe_key.split(":")[3]: r
        for r in await notification_rows(app)
    }
    assert rows[f"{soon.id}:60"].sent_at is not None
    assert rows[f"{soon.id}:1440"].last_error.startswith("a later reminder")
    assert rows[f"{begun.id}:60"].last_error == "event began before the reminder went out"


async def test_no_reminder_for_a_signup_after_it_was_due_nor_when_switched_off(app):
    scheduler, inbox = await rig(app)
    event = await factories.event(app, days=0.5)  # 12 hours ahead: the 24 h reminder is past
    pia = await participant(app, event, "Pia")
    ole = await participant(app, event, "Ole")
    assert "ausgeschaltet" in (await say(app, ole, "/erinnerungen aus"))[0].plain
    app.clock.current = event.starts_at - timedelta(hours=1)
    await scheduler.round()
    assert len(inbox.of(pia)) == 1 and inbox.of(ole) == []
    assert (
        "Erinnerungen vor Ihren Veranstaltungen: aus"
        in (await say(app, ole, "/erinnerungen"))[0].plain
    )


async def test_registration_closes_tomorrow_for_opted_in_people_not_yet_registered(app):
    scheduler, inbox = await rig(app)
    event = await factories.event(app, title="Kongress", days=10, deadline_days=5)
    keen, registered, quiet = [await factories.person(app, n) for n in ("Keen", "Reg", "Quiet")]
    for person in (keen, registered, quiet):
        await link(app, person, Platform.CONSOLE, f"c{person.id}")
    for person in (keen, registered):
        assert (
            "einen Tag vorher"
            in (await say(app, person, "/erinnerungen anmeldeschluss an"))[0].plain
        )
    await sign_up(app.uow(), person_id=registered.id, event_id=event.id, now=app.clock.now())

    app.clock.current = event.registration_deadline - timedelta(hours=25)
    await scheduler.round()
    assert inbox.texts == {}
    app.clock.current = event.registration_deadline - timedelta(hours=23)
    await scheduler.round()
    await scheduler.round()
    (notice,) = inbox.of(keen)
    assert "Anmeldeschluss naht: Für Kongress" in notice and f"/anmelden {event.id}" in notice
    assert inbox.of(registered) == [] and inbox.of(quiet) == []


async def test_a_promotion_notice_is_stored_with_the_promotion_and_survives_a_crash(
    any_app, monkeypatch
):
    app = any_app
    hub = durable_hub(app)
    inbox = Inbox()
    hub.register(Platform.CONSOLE, inbox)
    event = await factories.event(app, title="Workshop", capacity=1)
    first = await participant(app, event, "Erste")
    waiting = await participant(app, event, "Sam")

    async def crash() -> int:  # the process dies right after the commit
        raise RuntimeError("killed")

    monkeypatch.setattr(hub, "deliver_due", crash)
    await cancel_signup(app.uow(), person_id=first.id, event_id=event.id, now=app.clock.now())
    (row,) = await notification_rows(app)
    assert row.key == "promoted" and row.sent_at is None and inbox.texts == {}

    monkeypatch.undo()
    await hub.deliver_due()  # the next process (or wake-up) delivers it, once
    await hub.deliver_due()
    (told,) = inbox.of(waiting)
    assert "Platz frei geworden" in told and "Workshop" in told


async def test_reminder_preferences_are_part_of_the_data_export(app):
    from core.privacy import export_person_data

    await rig(app)
    event = await factories.event(app, days=0.5)
    pia = await participant(app, event)
    await say(app, pia, "/erinnerungen anmeldeschluss an")
    app.clock.current = event.starts_at - timedelta(hours=1)
    await scheduler_for(app, app.notifier).round()
    data = (await export_person_data(app.uow(), person_id=pia.id, now=app.clock.now()))["daten"]
    (prefs,) = data["person_preferences"]["eintraege"]
    assert prefs == {
        "person_id": pia.id,
        "reminders": True,
        "deadline_reminders": True,
        "preferred_platform": None,
        "channel": "chat",
    }
    assert [n["key"] for n in data["notifications"]["eintraege"]] == ["reminder"]
