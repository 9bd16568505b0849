"""Organizers create, change and cancel events; the people concerned are told."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain.errors import InvalidInput, NotAllowed
from core.domain.registrations import RegistrationStatus
from core.events import cancel_event, change_event, event_details
from core.reminders import set_event_reminders
from core.signup import sign_up
from tests.support import factories


async def test_more_capacity_promotes_the_waiting_list_in_order(app, notifier):
    event = await factories.event(app, capacity=1)
    people = [await factories.person(app) for _ in range(4)]
    for p in people:
        await sign_up(app.uow(), person_id=p.id, event_id=event.id, now=app.clock.now())
    await change_event(
        app.uow(), actor_id=None, event_id=event.id, changes={"capacity": 3}, now=app.clock.now()
    )
    async with app.uow() as uow:
        info = await uow.events.get(event.id)
        last = await uow.registrations.active_for(event.id, people[3].id)
    assert (info.confirmed, info.waitlisted) == (3, 1)
    assert last.status is RegistrationStatus.WAITLISTED
    assert [n.person_id for n in notifier.sent if n.key == "promoted"] == [
        people[1].id,
        people[2].id,
    ]


async def test_moving_an_event_tells_the_registered_but_a_new_title_does_not(app, notifier):
    event = await factories.event(app)
    person = await factories.person(app)
    await sign_up(app.uow(), person_id=person.id, event_id=event.id, now=app.clock.now())
    await change_event(
        app.uow(),
        actor_id=None,
        event_id=event.id,
        changes={"title": "Neuer Titel"},
        now=app.clock.now(),
    )
    assert notifier.sent == []
    later = event.starts_at + timedelta(days=1)
    await change_event(
        app.uow(),
        actor_id=None,
        event_id=event.id,
        changes={"starts_at": later, "ends_at": later + timedelta(hours=2)},
        now=app.clock.now(),
    )
    assert [(n.person_id, n.key) for n in notifier.sent] == [(person.id, "event_changed")]
    assert notifier.sent[0].params["starts_at"] == later


async def test_cancelling_tells_confirmed_and_waiting_people(app, notifier):
    event = await factories.event(app, capacity=1)
    a, b = await factories.person(app), await factories.person(app)
    for p in (a, b):
        await sign_up(app.uow(), person_id=p.id, event_id=event.id, now=app.clock.now())
    told = await cancel_event(app.uow(), actor_id=None, event_id=event.id, now=app.clock.now())
    assert (told.confirmed, told.waitlisted) == (1, 1)
    assert sorted(n.person_id for n in notifier.sent if n.key == "event_cancelled") == sorted(
        [a.id, b.id]
    )
    with pytest.raises(InvalidInput, match="already_cancelled"):
        await cancel_event(app.uow(), actor_id=None, event_id=event.id, now=app.clock.now())


async def test_only_organizers_manage_events(app):
    event = await factories.event(app)
    member = await factories.person(app)
    with pytest.raises(NotAllowed):
        await cancel_event(app.uow(), actor_id=member.id, event_id=event.id, now=app.clock.now())
    with pytest.raises(NotAllowed):
        await change_event(
            app.uow(),
            actor_id=member.id,
            event_id=event.id,
            changes={"capacity": 5},
            now=app.clock.now(),
        )
    with pytest.raises(InvalidInput, match="unknown_field"):
        await change_event(
            app.uow(), actor_id=None, event_id=event.id, changes={"id": 7}, now=app.clock.now()
        )


async def test_notices_reach_the_console_in_the_persons_language(app):
    """The real hub: render per person, deliver to the console as fallback."""
    import io

    from bot.adapters.console import ConsoleChat
    from bot.notifications import NotificationHub

    hub = NotificationHub(app.uow, app.translator)
    app.notifier = hub
    event = await factories.event(app, capacity=1, title="Workshop")
    first = await factories.person(app, "Erste")
    waiting = await factories.person(app, "Sam")
    async with app.uow() as uow:
        waiting.language = "en"
        await uow.persons.update(waiting)
        await uow.commit()
    out = io.StringIO()
    chat = ConsoleChat(app, first, out=out, everyone=True)  # as in the demo
    await sign_up(app.uow(), person_id=first.id, event_id=event.id, now=app.clock.now())
    await sign_up(app.uow(), person_id=waiting.id, event_id=event.id, now=app.clock.now())
    await chat.send(f"/abmelden {event.id}")
    shown = out.getvalue()
    assert "🔔 Nachricht an Sam: Good news: a place has become free for Workshop" in shown


async def test_a_move_keeps_the_duration_tells_everyone_and_raises_the_sequence(app, notifier):
    """``event change ID --start …``: the end follows, the registered hear about it, and the
    calendar file carries SEQUENCE:1 and LAST-MODIFIED so that calendars replace the entry."""
    from bot.calendar import Entry, calendar_file
    from core.events import event_details

    event = await factories.event(app, capacity=10)
    anna = await factories.person(app, "Anna")
    await sign_up(app.uow(), event_id=event.id, person_id=anna.id, now=app.clock.now())
    start, end = event.starts_at, event.ends_at
    app.clock.advance(timedelta(hours=1))
    moved = await change_event(
        app.uow(),
        actor_id=None,
        event_id=event.id,
        changes={"starts_at": start + timedelta(days=1)},
        now=app.clock.now(),
    )
    assert moved.ends_at == end + timedelta(days=1) and moved.sequence == 1
    assert notifier.keys_for(anna.id)[-1] == "event_changed"
    titled = await change_event(
        app.uow(),
        actor_id=None,
        event_id=event.id,
        changes={"title": "Neuer Titel"},
        now=app.clock.now(),
    )
    assert titled.sequence == 1  # a new title is no reason to ask calendars to reschedule
    details = await event_details(app.uow(), event_id=event.id, person_id=None, now=app.clock.now())
    ics = calendar_file([Entry(details.info.event, True)], name="x", now=app.clock.now())
    assert b"SEQUENCE:1" in ics and b"LAST-MODIFIED:" in ics


async def test_a_cancelled_event_stays_as_announced(app):
    event = await factories.event(app, title="Netzwerktreffen Süd")
    now = app.clock.now()
    await cancel_event(app.uow(), actor_id=None, event_id=event.id, now=now)
    for attempt in (
        change_event(
            app.uow(), actor_id=None, event_id=event.id, changes={"title": "Neu"}, now=now
        ),
        set_event_reminders(app.uow(), actor_id=None, event_id=event.id, offsets=(), now=now),
        cancel_event(app.uow(), actor_id=None, event_id=event.id, now=now),
    ):
        with pytest.raises(InvalidInput) as caught:
            await attempt
        assert caught.value.code in ("cancelled_unchangeable", "already_cancelled")
    details = await event_details(app.uow(), event_id=event.id, person_id=None, now=now)
    assert details.info.event.title == "Netzwerktreffen Süd"


async def test_what_was_changed_into_the_past_is_named_first(app):
    event = await factories.event(app, days=10, deadline_days=5)
    now = app.clock.now()
    moved = {"starts_at": now - timedelta(days=400)}  # the deadline now lies after it too
    with pytest.raises(InvalidInput) as caught:
        await change_event(app.uow(), actor_id=None, event_id=event.id, changes=moved, now=now)
    assert caught.value.code == "start_in_past"
    earlier = {"registration_deadline": now - timedelta(days=1)}
    with pytest.raises(InvalidInput) as caught:
        await change_event(app.uow(), actor_id=None, event_id=event.id, changes=earlier, now=now)
    assert caught.value.code == "deadline_in_past"
