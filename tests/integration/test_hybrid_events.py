"""Hybrid events: a place and a video conference with separate capacities and waiting lists,
switching between them, and the personal video link that opens only for online places."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from bot.web import create_web_app
from core.domain.errors import AlreadyRegistered, DomainError, InvalidInput, ModeRequired
from core.domain.people import Role
from core.domain.registrations import Mode, RegistrationStatus
from core.events import change_event, event_details
from core.signup import cancel_signup, sign_up, video_access
from tests.conftest import snapshot
from tests.support import factories
from tests.support.chat import say_text

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED
VIDEO = "https://meet.example.org/netzwerktreffen"


async def hybrid(app, *, capacity=2, online_capacity=1, **more):
    return await factories.event(
        app,
        title="Netzwerktreffen Köln",
        place="Rathaus Köln",
        capacity=capacity,
        video_url=VIDEO,
        online_capacity=online_capacity,
        **more,
    )


async def join(app, event, mode, name=None):
    person = await factories.person(app, name)
    result = await sign_up(
        app.uow(), person_id=person.id, event_id=event.id, now=app.clock.now(), mode=mode
    )
    return person, result


async def places(app, event):
    details = await event_details(app.uow(), event_id=event.id, person_id=None, now=app.clock.now())
    return {mode: (p.confirmed, p.waitlisted) for mode, p in details.info.by_mode.items()}


async def test_each_mode_fills_and_moves_its_own_waiting_list(any_app, notifier):
    app = any_app
    event = await hybrid(app)
    anna, _ = await join(app, event, Mode.ON_SITE)
    await join(app, event, Mode.ON_SITE)
    carl, waiting_on_site = await join(app, event, Mode.ON_SITE)
    dora, _ = await join(app, event, Mode.ONLINE)
    emil, waiting_online = await join(app, event, Mode.ONLINE)
    assert waiting_on_site.registration.status is WAITLISTED and waiting_on_site.waitlist_rank == 1
    assert waiting_online.registration.status is WAITLISTED and waiting_online.waitlist_rank == 1
    assert await places(app, event) == {Mode.ON_SITE: (2, 1), Mode.ONLINE: (1, 1)}

    # A place on site goes to the first person waiting on site, not to the one waiting online.
    await cancel_signup(app.uow(), person_id=anna.id, event_id=event.id, now=app.clock.now())
    assert await places(app, event) == {Mode.ON_SITE: (2, 0), Mode.ONLINE: (1, 1)}
    assert "promoted" in notifier.keys_for(carl.id) and notifier.keys_for(emil.id) == []
    await cancel_signup(app.uow(), person_id=dora.id, event_id=event.id, now=app.clock.now())
    assert await places(app, event) == {Mode.ON_SITE: (2, 0), Mode.ONLINE: (1, 0)}
    (promoted,) = [n for n in notifier.sent if n.person_id == emil.id]
    assert promoted.key == "promoted" and promoted.params["mode"] == "online"


async def test_a_hybrid_event_needs_a_mode_and_a_single_one_refuses_the_other(any_app):
    app = any_app
    event = await hybrid(app)
    on_site_only = await factories.event(app, place="Rathaus Unna")
    online_only = await factories.event(app, video_url=VIDEO)
    person = await factories.person(app)
    before = await snapshot(app.database)
    with pytest.raises(ModeRequired):
        await sign_up(app.uow(), person_id=person.id, event_id=event.id, now=app.clock.now())
    with pytest.raises(InvalidInput) as refused:
        await sign_up(
            app.uow(),
            person_id=person.id,
            event_id=on_site_only.id,
            now=app.clock.now(),
            mode=Mode.ONLINE,
        )
    assert refused.value.code == "mode_not_offered_online"
    with pytest.raises(InvalidInput) as refused:
        await sign_up(
            app.uow(),
            person_id=person.id,
            event_id=online_only.id,
            now=app.clock.now(),
            mode=Mode.ON_SITE,
        )
    assert refused.value.code == "mode_not_offered_on_site"
    assert await snapshot(app.database) == before
    # Without a mode, a single-mode event takes its only one.
    done = await sign_up(
        app.uow(), person_id=person.id, event_id=online_only.id, now=app.clock.now()
    )
    assert done.registration.mode is Mode.ONLINE


async def test_switching_keeps_a_place_only_for_a_free_one(any_app):
    app = any_app
    event = await hybrid(app, capacity=1, online_capacity=1)
    anna, _ = await join(app, event, Mode.ON_SITE)
    await join(app, event, Mode.ON_SITE)  # waits on site

    # Online has room: Anna switches, and Ben gets her place on site.
    switched = await sign_up(
        app.uow(), person_id=anna.id, event_id=event.id, now=app.clock.now(), mode=Mode.ONLINE
    )
    assert switched.switched_from is Mode.ON_SITE
    assert switched.registration.status is CONFIRMED and switched.registration.mode is Mode.ONLINE
    assert await places(app, event) == {Mode.ON_SITE: (1, 0), Mode.ONLINE: (1, 0)}

    # Now on site is full: Anna's way back is refused and she keeps her online place.
    before = await snapshot(app.database)
    with pytest.raises(DomainError) as refused:
        await sign_up(
            app.uow(),
            person_id=anna.id,
            event_id=event.id,
            now=app.clock.now(),
            mode=Mode.ON_SITE,
        )
    assert refused.value.code == "mode_switch_full_on_site"
    assert await snapshot(app.database) == before
    # The same mode again is "already registered", not a switch.
    with pytest.raises(AlreadyRegistered):
        await sign_up(
            app.uow(), person_id=anna.id, event_id=event.id, now=app.clock.now(), mode=Mode.ONLINE
        )

    # Someone waiting who switches to a full mode goes to the end of its waiting list.
    carl, waiting = await join(app, event, Mode.ON_SITE)
    dora, _ = await join(app, event, Mode.ONLINE)
    assert waiting.registration.status is WAITLISTED
    moved = await sign_up(
        app.uow(), person_id=carl.id, event_id=event.id, now=app.clock.now(), mode=Mode.ONLINE
    )
    assert moved.registration.status is WAITLISTED and moved.waitlist_rank == 2
    assert await places(app, event) == {Mode.ON_SITE: (1, 0), Mode.ONLINE: (1, 2)}
    assert dora.id != carl.id


async def test_online_capacity_only_for_hybrid_events_and_modes_follow_changes(any_app):
    app = any_app
    with pytest.raises(InvalidInput) as refused:
        await factories.event(app, place="Rathaus Unna", online_capacity=10)
    assert refused.value.code == "online_capacity_hybrid"

    event = await hybrid(app, online_capacity=1)
    await join(app, event, Mode.ONLINE)
    await join(app, event, Mode.ONLINE)
    # A larger online capacity moves the online waiting list up.
    await change_event(
        app.uow(),
        actor_id=None,
        event_id=event.id,
        changes={"online_capacity": 2},
        now=app.clock.now(),
    )
    assert await places(app, event) == {Mode.ON_SITE: (0, 0), Mode.ONLINE: (2, 0)}
    # Dropping the link while people take part online would strand them: refused.
    with pytest.raises(InvalidInput) as refused:
        await change_event(
            app.uow(),
            actor_id=None,
            event_id=event.id,
            changes={"video_url": None, "online_capacity": None},
            now=app.clock.now(),
        )
    assert refused.value.code == "mode_still_registered_online"
    assert refused.value.params["count"] == 2

    # An event that turns from on site to online takes its registrations along.
    moving = await factories.event(app, place="Rathaus Unna", capacity=5)
    mover, _ = await join(app, moving, None)
    await change_event(
        app.uow(),
        actor_id=None,
        event_id=moving.id,
        changes={"place": None, "video_url": VIDEO},
        now=app.clock.now(),
    )
    details = await event_details(
        app.uow(), event_id=moving.id, person_id=mover.id, now=app.clock.now()
    )
    assert details.info.own_mode is Mode.ONLINE and details.info.own_status is CONFIRMED


async def test_the_video_link_opens_only_for_a_confirmed_online_place_in_its_window(any_app):
    app = any_app
    event = await hybrid(app, online_capacity=1)
    online, _ = await join(app, event, Mode.ONLINE)
    on_site, _ = await join(app, event, Mode.ON_SITE)
    waiting, _ = await join(app, event, Mode.ONLINE)
    gone, _ = await join(app, event, Mode.ON_SITE)
    await cancel_signup(app.uow(), person_id=gone.id, event_id=event.id, now=app.clock.now())
    opens = timedelta(minutes=30)

    async def access(person, at):
        return await video_access(
            app.uow(), event_id=event.id, person_id=person.id, now=at, opens_before=opens
        )

    async def refusal(person, at) -> str:
        with pytest.raises(DomainError) as refused:
            await access(person, at)
        return refused.value.code

    start = event.starts_at
    assert await refusal(online, start - timedelta(minutes=31)) == "video_not_yet"
    assert await access(online, start - timedelta(minutes=30)) == VIDEO
    assert await access(online, event.ends_at - timedelta(seconds=1)) == VIDEO
    assert await refusal(online, event.ends_at) == "video_over"
    assert await refusal(on_site, start) == "video_on_site"
    assert await refusal(waiting, start) == "video_waitlisted"
    assert await refusal(gone, start) == "video_not_registered"


async def web(app):
    transport = httpx.ASGITransport(app=create_web_app(app))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_the_personal_link_redirects_and_explains_in_german(app):
    event = await hybrid(app)
    online, _ = await join(app, event, Mode.ONLINE)
    on_site, _ = await join(app, event, Mode.ON_SITE)
    path = app.video.link(event.id, online.id).removeprefix(app.settings.effective_public_url)
    async with await web(app) as client:
        early = await client.get(path)
        assert early.status_code == 200 and "öffnet am" in early.text
        assert VIDEO not in early.text
        assert early.headers["cache-control"] == "no-store"
        app.clock.current = event.starts_at - timedelta(minutes=10)
        opened = await client.get(path)
        assert opened.status_code == 303 and opened.headers["location"] == VIDEO
        assert opened.headers["referrer-policy"] == "no-referrer"
        # Someone else's signature does not fit: a forged or damaged token is refused.
        other = app.video.link(event.id, on_site.id)
        forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
        assert (await client.get(forged)).status_code == 404
        seat = await client.get(other.removeprefix(app.settings.effective_public_url))
        assert seat.status_code == 403 and "vor Ort angemeldet" in seat.text
        assert (await client.get("/v/" + "x" * 300)).status_code == 404


async def test_a_member_chooses_switches_and_gets_the_link_in_the_chat(app):
    event = await hybrid(app, capacity=1)
    anna = await factories.person(app, "Anna Beispiel")
    ben = await factories.person(app, "Ben")
    await join(app, event, Mode.ON_SITE, "Carla")  # on site is full now

    asked = await say_text(app, anna, f"/anmelden {event.id}")
    assert "vor Ort und online statt" in asked
    assert "Vor Ort (Rathaus Köln): Ausgebucht" in asked
    assert "Online: 1 von 1 Platz frei" in asked
    assert f"[Vor Ort: /anmelden {event.id} vor_ort]" in asked
    assert f"[Online: /anmelden {event.id} online]" in asked

    typo = await say_text(app, anna, f"/anmelden {event.id} präsenzz")
    assert "„präsenzz“ verstehe ich nicht als Teilnahmeform" in typo

    done = await say_text(app, anna, f"/anmelden {event.id} Online")
    assert "Sie sind angemeldet" in done and "Sie nehmen online teil" in done
    assert app.video.link(event.id, anna.id) in done and VIDEO not in done

    details = await say_text(app, anna, f"/termin {event.id}")
    assert "Ihre Teilnahme: Online" in details
    assert f"[Lieber vor Ort: /anmelden {event.id} vor_ort]" in details
    full = await say_text(app, anna, f"/anmelden {event.id} vor Ort")
    assert "Vor Ort sind für „Netzwerktreffen Köln“ keine Plätze mehr frei" in full

    # "vor-Ort" as a phone types it; Ben waits on site and sees no video link.
    waiting = await say_text(app, ben, f"/anmelden {event.id} vor-Ort")
    assert "Warteliste" in waiting and "/v/" not in waiting
    seen = await say_text(app, ben, f"/termin {event.id}")
    assert "den persönlichen Zugang erhält, wer online angemeldet ist" in seen
    assert VIDEO not in seen


async def test_own_lists_and_the_attendee_list_name_the_mode(app):
    event = await hybrid(app)
    office = await factories.person(app, "Erika Büro", roles={Role.ORGANIZER})
    anna, _ = await join(app, event, Mode.ONLINE, "Anna")
    await join(app, event, Mode.ON_SITE, "Ben")
    mine = await say_text(app, anna, "/meine")
    assert "Ihre Teilnahme: Online" in mine
    listed = await say_text(app, office, f"/teilnehmende {event.id}")
    assert "Anna – online" in listed and "Ben – vor Ort" in listed


async def test_the_question_how_to_take_part_is_answered_in_plain_words(app):
    event = await hybrid(app)
    anna = await factories.person(app, "Anna Amt")
    asked = await say_text(app, anna, f"/anmelden {event.id}")
    assert "Antworten Sie einfach „vor Ort“ oder „online“" in asked
    done = await say_text(app, anna, "Vor Ort bitte")  # not a mode: the step ends
    assert "Sie nehmen vor Ort teil" not in done
    await say_text(app, anna, f"/anmelden {event.id}")
    done = await say_text(app, anna, "vor Ort")
    assert "Sie sind angemeldet" in done and "Sie nehmen vor Ort teil: Rathaus Köln" in done
    ben = await factories.person(app, "Ben")
    await say_text(app, ben, f"/anmelden {event.id}")
    assert "Sie nehmen online teil" in await say_text(app, ben, "2")


async def test_a_long_list_says_how_many_more_there_are(app):
    anna = await factories.person(app, "Anna Amt")
    for n in range(23):
        await factories.event(app, title=f"Kurzformat {n}", days=1 + n)
    listed = await say_text(app, anna, "/termine")
    assert "Kurzformat 19" in listed and "Kurzformat 20" not in listed
    assert "… und 3 weitere Veranstaltungen nach dem" in listed
