"""Waiting-list offers: a freed place is held for the first person waiting until a deadline,
taken with /annehmen (or /anmelden, or the mail's link), passed on when declined or left,
and given at once when the start is too near for an offer."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from bot.mail_compose import link_key
from bot.web import create_web_app
from core.domain.errors import DomainError, InvalidInput
from core.domain.people import Platform, Role
from core.domain.registrations import Mode, RegistrationStatus, offer_deadline
from core.events import change_event
from core.mail import sign_link
from core.signup import accept_offer, cancel_signup, expire_offers, move_up, sign_up
from tests.conftest import snapshot
from tests.support import factories
from tests.support.chat import say_text
from tests.support.desk import signed_in
from tests.support.notices import Inbox, durable_hub, link

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED


async def offering(app, *, capacity=1, days=7):
    event = await factories.event(app, title="Strategieworkshop", capacity=capacity, days=days)
    async with app.uow() as uow:
        found = await uow.events.get(event.id)
        found.event.waitlist_offers = True
        await uow.events.update(found.event)
        await uow.commit()
    return found.event


async def joined(app, event, name=None):
    person = await factories.person(app, name)
    await sign_up(app.uow(), person_id=person.id, event_id=event.id, now=app.clock.now())
    return person


async def state(app, event, person):
    async with app.uow() as uow:
        registration = await uow.registrations.active_for(event.id, person.id)
    if registration is None:
        return None
    return registration.status, registration.offered_until


async def test_a_freed_place_is_offered_held_and_taken(any_app, notifier):
    app = any_app
    event = await offering(app)
    anna = await joined(app, event, "Anna")
    ben = await joined(app, event, "Ben")
    cem = await joined(app, event, "Cem")
    await cancel_signup(app.uow(), person_id=anna.id, event_id=event.id, now=app.clock.now())
    deadline = offer_deadline(app.clock.now(), event.starts_at)
    assert await state(app, event, ben) == (WAITLISTED, deadline)
    assert await state(app, event, cem) == (WAITLISTED, None)
    (offered,) = [n for n in notifier.sent if n.key == "offered"]
    assert offered.person_id == ben.id and offered.params["deadline"] == deadline

    # The held place counts as taken: a newcomer waits behind.
    dora = await joined(app, event, "Dora")
    assert (await state(app, event, dora))[0] is WAITLISTED

    taken = await accept_offer(app.uow(), person_id=ben.id, event_id=event.id, now=app.clock.now())
    assert taken.status is CONFIRMED and await state(app, event, ben) == (CONFIRMED, None)
    assert await state(app, event, cem) == (WAITLISTED, None)  # nothing more to offer
    before = await snapshot(app.database)
    with pytest.raises(DomainError) as refused:
        await accept_offer(app.uow(), person_id=ben.id, event_id=event.id, now=app.clock.now())
    assert refused.value.code == "no_offer_confirmed"
    with pytest.raises(DomainError) as refused:
        await accept_offer(app.uow(), person_id=cem.id, event_id=event.id, now=app.clock.now())
    assert refused.value.code == "no_offer_waitlisted"
    assert await snapshot(app.database) == before


async def test_declined_or_left_offers_pass_on(any_app, notifier):
    app = any_app
    event = await offering(app)
    first = await joined(app, event, "Erste")
    ben = await joined(app, event, "Ben")
    cem = await joined(app, event, "Cem")
    dora = await joined(app, event, "Dora")
    await cancel_signup(app.uow(), person_id=first.id, event_id=event.id, now=app.clock.now())
    # Ben declines by cancelling: the offer goes to Cem at once.
    await cancel_signup(app.uow(), person_id=ben.id, event_id=event.id, now=app.clock.now())
    cem_state = await state(app, event, cem)
    assert cem_state[0] is WAITLISTED and cem_state[1] is not None

    # Cem lets it run out: too late to take, then the job passes it to Dora.
    app.clock.current = cem_state[1]
    with pytest.raises(DomainError) as refused:
        await sign_up(app.uow(), person_id=cem.id, event_id=event.id, now=app.clock.now())
    assert refused.value.code == "offer_expired"
    assert await expire_offers(app.uow, now=app.clock.now()) == 1
    assert await state(app, event, cem) is None
    assert "offer_expired" in notifier.keys_for(cem.id)
    dora_state = await state(app, event, dora)
    assert dora_state[0] is WAITLISTED and dora_state[1] is not None
    assert await expire_offers(app.uow, now=app.clock.now()) == 0  # done once
    with pytest.raises(DomainError) as late:
        await accept_offer(app.uow(), person_id=cem.id, event_id=event.id, now=app.clock.now())
    assert late.value.code == "offer_expired"

    # /anmelden takes the place too.
    done = await sign_up(app.uow(), person_id=dora.id, event_id=event.id, now=app.clock.now())
    assert done.registration.status is CONFIRMED


async def test_close_to_the_start_the_next_person_moves_up_directly(app, notifier):
    event = await offering(app, days=0.05)  # starts in 72 minutes: no time for an offer
    first = await joined(app, event)
    ben = await joined(app, event)
    await cancel_signup(app.uow(), person_id=first.id, event_id=event.id, now=app.clock.now())
    assert await state(app, event, ben) == (CONFIRMED, None)
    assert "promoted" in notifier.keys_for(ben.id)


async def test_the_office_moves_up_an_offered_person_for_good(app):
    event = await offering(app)
    office = await factories.person(app, "Büro", roles={Role.ORGANIZER})
    first = await joined(app, event)
    ben = await joined(app, event)
    await cancel_signup(app.uow(), person_id=first.id, event_id=event.id, now=app.clock.now())
    await move_up(
        app.uow(), actor_id=office.id, event_id=event.id, person_id=ben.id, now=app.clock.now()
    )
    assert await state(app, event, ben) == (CONFIRMED, None)


async def test_the_chat_shows_the_offer_and_takes_it(app):
    event = await offering(app)
    first = await joined(app, event)
    ben = await joined(app, event, "Ben Beispiel")
    await cancel_signup(app.uow(), person_id=first.id, event_id=event.id, now=app.clock.now())
    office = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    listed = await say_text(app, office, f"/teilnehmende {event.id}")
    assert "Ben Beispiel – Platz angeboten bis" in listed
    cem = await factories.person(app, "Cem")
    waiting = await say_text(app, cem, f"/anmelden {event.id}")
    assert "bieten wir ihn Ihnen an" in waiting and "automatisch" not in waiting
    details = await say_text(app, ben, f"/termin {event.id}")
    assert "Für Sie ist ein Platz reserviert – bis" in details
    assert f"[Platz annehmen: /annehmen {event.id}]" in details
    mine = await say_text(app, ben, "/meine")
    assert "Für Sie ist ein Platz reserviert" in mine
    taken = await say_text(app, ben, f"/annehmen {event.id}")
    assert "Platz angenommen: Sie sind für Strategieworkshop angemeldet" in taken
    again = await say_text(app, ben, f"/annehmen {event.id}")
    assert "bereits fest angemeldet" in again


async def test_the_mail_link_takes_the_offered_place(app):
    event = await offering(app)
    first = await joined(app, event)
    ben = await joined(app, event, "Ben")
    await cancel_signup(app.uow(), person_id=first.id, event_id=event.id, now=app.clock.now())
    token = sign_link(link_key(app.database.pepper), "anmelden", (ben.id, event.id), None)
    transport = httpx.ASGITransport(app=create_web_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as web:
        page = await web.get(f"/e/anmelden/{token}")
        assert page.status_code == 200 and "Platz annehmen</button>" in page.text
        assert "für Sie reserviert" in page.text
        done = await web.post(f"/e/anmelden/{token}")
        assert done.status_code == 200 and "verbindlich angemeldet" in done.text
    assert await state(app, event, ben) == (CONFIRMED, None)


async def test_after_the_deadline_a_new_signup_still_waits_for_offers(app):
    event = await offering(app)
    await joined(app, event)
    app.clock.advance(timedelta(hours=1))
    late = await joined(app, event)
    assert (await state(app, event, late))[0] is WAITLISTED


async def test_the_desk_form_switches_offers_on_and_hybrid_places_are_set(app):
    event = await factories.event(app, title="Netzwerktreffen", capacity=3)
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, olga) as web:
        form = await web.get(f"/admin/veranstaltungen/{event.id}/bearbeiten")
        assert '<option value="anbieten"' in form.text
        fields = dict(re.findall(r'name="(\w+)"[^>]*?value="([^"]*)"', form.text))
        fields |= {
            "waitlist_offers": "anbieten",
            "place": "Rathaus Köln",
            "video_url": "https://meet.example.org/n",
            "online_capacity": "50",
        }
        saved = await web.post(f"/admin/veranstaltungen/{event.id}/bearbeiten", data=fields)
        assert saved.status_code == 303, saved.text
        shown = await web.get(f"/admin/veranstaltungen/{event.id}")
        assert "vor Ort 3, online 50" in shown.text
    async with app.uow() as uow:
        changed = (await uow.events.get(event.id)).event
    assert changed.waitlist_offers and changed.is_hybrid and changed.online_capacity == 50


async def test_fewer_places_withdraw_offers_and_never_go_below_those_confirmed(any_app, notifier):
    app = any_app
    event = await offering(app)
    first = await joined(app, event, "Erste")
    ben = await joined(app, event, "Ben")
    cem = await joined(app, event, "Cem")
    await change_event(
        app.uow(), actor_id=None, event_id=event.id, changes={"capacity": 3}, now=app.clock.now()
    )
    assert (await state(app, event, ben))[1] is not None
    assert (await state(app, event, cem))[1] is not None
    await change_event(
        app.uow(), actor_id=None, event_id=event.id, changes={"capacity": 2}, now=app.clock.now()
    )
    assert (await state(app, event, ben))[1] is not None  # the first offer stays
    assert await state(app, event, cem) == (WAITLISTED, None)  # the latest goes back
    assert "offer_withdrawn" in notifier.keys_for(cem.id)
    await accept_offer(app.uow(), person_id=ben.id, event_id=event.id, now=app.clock.now())
    before = await snapshot(app.database)
    with pytest.raises(InvalidInput) as refused:
        await change_event(
            app.uow(),
            actor_id=None,
            event_id=event.id,
            changes={"capacity": 1},
            now=app.clock.now(),
        )
    assert refused.value.code == "capacity_below_confirmed"
    assert await snapshot(app.database) == before
    assert (await state(app, event, first))[0] is CONFIRMED


async def test_an_offer_of_a_hybrid_event_says_which_place(app):
    event = await factories.event(
        app,
        title="Netzwerktreffen",
        place="Rathaus Köln",
        capacity=1,
        video_url="https://meet.example.org/n",
        online_capacity=1,
    )
    async with app.uow() as uow:
        found = await uow.events.get(event.id)
        found.event.waitlist_offers = True
        await uow.events.update(found.event)
        await uow.commit()
    hub = durable_hub(app)
    inbox = Inbox()
    hub.register(Platform.CONSOLE, inbox)
    first, ben = await factories.person(app, "Erste"), await factories.person(app, "Ben")
    for person in (first, ben):
        await link(app, person, Platform.CONSOLE, f"console-{person.id}")
        await sign_up(
            app.uow(), person_id=person.id, event_id=event.id, now=app.clock.now(), mode=Mode.ONLINE
        )
    await cancel_signup(app.uow(), person_id=first.id, event_id=event.id, now=app.clock.now())
    (offered,) = [t for t in inbox.of(ben) if "reserviert" in t]
    assert "Es ist ein Platz für die Online-Teilnahme." in offered
