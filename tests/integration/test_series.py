"""Event series through the core on SQLite and PostgreSQL, the console dialogues, the
calendar files (read by icalendar and by the independent ``ical`` parser) and the CLI."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from bot.calendar import Entry, calendar_file
from core.calendar import calendar_feed, subscribe_calendar
from core.domain.errors import InvalidInput, NotAllowed
from core.domain.events import Event, EventKind
from core.domain.people import Role
from core.domain.registrations import Mode, RegistrationStatus
from core.domain.series import Frequency
from core.events import cancel_event, change_event
from core.series import Outcome, create_series, series_dates, series_view, sign_up_series
from core.signup import sign_up
from tests.conftest import snapshot
from tests.support import factories
from tests.support.chat import say, say_text
from tests.support.cli import run_cli

BERLIN = ZoneInfo("Europe/Berlin")
#: Thursday 18 March 2027, 10:00 in Berlin: the third date lies after the 28 March 2027.
FIRST = datetime(2027, 3, 18, 10, tzinfo=BERLIN)


def template(**more) -> Event:
    values = {
        "kind": EventKind.KURZFORMAT,
        "title": "Kurzformat Ehrenamt",
        "starts_at": FIRST,
        "ends_at": FIRST + timedelta(hours=2),
        "place": "Rathaus Unna",
        "capacity": 1,
        **more,
    }
    return Event(**values)


async def weekly(app, count=3, **more):
    return await create_series(
        app.uow(),
        actor_id=None,
        event=template(**more),
        frequency=Frequency.WEEKLY,
        count=count,
        now=app.clock.now(),
    )


def wall(moment: datetime) -> str:
    return moment.astimezone(BERLIN).strftime("%d.%m. %H:%M")


async def test_a_series_is_one_event_per_date_at_ten_oclock_berlin_on_both_sides_of_the_change(
    any_app,
):
    app = any_app
    office = await factories.person(app, roles={Role.ORGANIZER})
    created = await create_series(
        app.uow(),
        actor_id=office.id,
        event=template(registration_deadline=FIRST - timedelta(days=1)),
        frequency=Frequency.WEEKLY,
        count=3,
        now=app.clock.now(),
    )
    async with app.uow() as uow:
        dates = await uow.series.dates(created.series.id)
        audit = await uow.audit.latest(1)
    assert [wall(d.starts_at) for d in dates] == ["18.03. 10:00", "25.03. 10:00", "01.04. 10:00"]
    assert [wall(d.ends_at) for d in dates] == ["18.03. 12:00", "25.03. 12:00", "01.04. 12:00"]
    assert [wall(d.registration_deadline) for d in dates] == [
        "17.03. 10:00",
        "24.03. 10:00",
        "31.03. 10:00",
    ]
    assert [d.starts_at.astimezone(UTC).hour for d in dates] == [9, 9, 8]
    assert {d.series_id for d in dates} == {created.series.id}
    assert audit[0].action == "series.created" and audit[0].subject == f"series:{created.series.id}"


async def test_refused_series_change_nothing(any_app):
    app = any_app
    member = await factories.person(app, member=await factories.member(app))
    before = await snapshot(app.database)
    with pytest.raises(NotAllowed):
        await create_series(
            app.uow(),
            actor_id=member.id,
            event=template(),
            frequency=Frequency.WEEKLY,
            count=3,
            now=app.clock.now(),
        )
    for frequency, count, until, code in (
        (Frequency.WEEKLY, 53, None, "series_count"),
        (Frequency.WEEKLY, None, date(2029, 1, 1), "series_too_long"),
        (Frequency.WEEKLY, 3, date(2027, 4, 1), "series_bound"),
    ):
        with pytest.raises(InvalidInput) as refused:
            await create_series(
                app.uow(),
                actor_id=None,
                event=template(),
                frequency=frequency,
                count=count,
                until=until,
                now=app.clock.now(),
            )
        assert refused.value.code == code
    assert await snapshot(app.database) == before


async def test_series_signup_goes_date_by_date(any_app):
    app = any_app
    created = await weekly(app, count=4)
    first, second, third, fourth = created.dates
    other, person = await factories.person(app), await factories.person(app)
    now = app.clock.now()
    await sign_up(app.uow(), person_id=other.id, event_id=second.id, now=now)  # full now
    await sign_up(app.uow(), person_id=person.id, event_id=third.id, now=now)
    await cancel_event(app.uow(), actor_id=None, event_id=fourth.id, now=now)

    result = await sign_up_series(app.uow(), person_id=person.id, event_id=second.id, now=now)
    assert [(d.event.id, d.outcome, d.rank) for d in result.dates] == [
        (first.id, Outcome.CONFIRMED, None),
        (second.id, Outcome.WAITLISTED, 1),
        (third.id, Outcome.ALREADY_CONFIRMED, None),
        (fourth.id, Outcome.CANCELLED, None),
    ]
    assert result.added == 2
    view = await series_view(app.uow(), event=first, person_id=person.id)
    assert {k: r.status for k, r in view.own.items()} == {
        first.id: RegistrationStatus.CONFIRMED,
        second.id: RegistrationStatus.WAITLISTED,
        third.id: RegistrationStatus.CONFIRMED,
    }
    # Once the first date has begun, a second signup leaves it out and reports the others.
    app.clock.current = first.starts_at + timedelta(minutes=5)
    again = await sign_up_series(
        app.uow(), person_id=person.id, event_id=first.id, now=app.clock.now()
    )
    assert [d.outcome for d in again.dates] == [
        Outcome.ALREADY_WAITLISTED,
        Outcome.ALREADY_CONFIRMED,
        Outcome.CANCELLED,
    ]
    assert again.added == 0


async def test_a_hybrid_series_needs_a_mode_and_a_closed_date_is_reported(any_app):
    app = any_app
    created = await weekly(
        app,
        video_url="https://meet.example.org/kurzformat",
        online_capacity=10,
        registration_deadline=FIRST - timedelta(days=1),
    )
    person = await factories.person(app)
    before = await snapshot(app.database)
    with pytest.raises(InvalidInput) as no_series:
        solo = await factories.event(app)
        await sign_up_series(app.uow(), person_id=person.id, event_id=solo.id, now=app.clock.now())
    assert no_series.value.code == "not_a_series"
    text = await say_text(app, person, f"/anmelden {created.dates[0].id} --serie")
    assert f"/anmelden {created.dates[0].id} --serie vor_ort" in text
    assert (await snapshot(app.database))["registrations"] == before["registrations"]

    app.clock.current = created.dates[0].registration_deadline + timedelta(minutes=1)
    result = await sign_up_series(
        app.uow(),
        person_id=person.id,
        event_id=created.dates[1].id,
        now=app.clock.now(),
        mode=Mode.ONLINE,
    )
    assert [d.outcome for d in result.dates] == [
        Outcome.CLOSED,
        Outcome.CONFIRMED,
        Outcome.CONFIRMED,
    ]
    assert [d.mode for d in result.dates[1:]] == [Mode.ONLINE, Mode.ONLINE]


async def test_console_dialogue(app):
    created = await weekly(app)
    first, second, third = created.dates
    person = await factories.person(app)
    await sign_up(
        app.uow(),
        person_id=(await factories.person(app)).id,
        event_id=second.id,
        now=app.clock.now(),
    )
    text = await say_text(app, person, f"/anmelden {second.id} –serie")
    assert "3 kommende Termine, für 3 davon sind Sie jetzt neu angemeldet" in text
    assert f"Nr. {first.id}, Do., 18. März 2027, 10:00–12:00 Uhr: ✅ angemeldet" in text
    assert f"Nr. {second.id}, Do., 25. März 2027, 10:00–12:00 Uhr: ⏳ Warteliste, Platz 1" in text
    assert f"Nr. {third.id}, Do., 1. April 2027, 10:00–12:00 Uhr: ✅ angemeldet" in text
    details = await say_text(app, person, f"/termin {first.id}")
    assert "Termin einer Serie: wöchentlich, 3 Termine." in details
    assert f"Nr. {second.id}, Do., 25. März 2027, 10:00–12:00 Uhr (Warteliste)" in details
    assert f"/anmelden {first.id} --serie" in details
    english = await factories.person(app)
    async with app.uow() as uow:
        english.language = "en"
        await uow.persons.update(english)
        await uow.commit()
    said = await say_text(app, english, f"/signup {third.id} series")
    assert "newly signed up for 3 of them" in said and "waiting list, place 2" in said
    before = await snapshot(app.database)
    refused = await say_text(app, person, f"/anmelden {first.id} --serie irgendwo")
    assert "vor_ort" in refused and await snapshot(app.database) == before


def _parse_both(content: bytes):
    """The file as icalendar reads it and as the independent ``ical`` library expands it."""
    parsed = Calendar.from_ical(content)
    stream = IcsCalendarStream.calendar_from_ics(content.decode())
    return parsed, stream


async def test_calendar_files_have_one_rrule_and_overrides(app):
    created = await weekly(app, count=4)
    first, second, third, fourth = created.dates
    person = await factories.person(app)
    now = app.clock.now()
    await sign_up(app.uow(), person_id=(await factories.person(app)).id, event_id=third.id, now=now)
    await sign_up_series(app.uow(), person_id=person.id, event_id=first.id, now=now)
    # The second date moves an hour later; the fourth is cancelled; the third is a waiting place.
    moved = second.starts_at + timedelta(hours=1)
    await change_event(
        app.uow(), actor_id=None, event_id=second.id, changes={"starts_at": moved}, now=now
    )
    await cancel_event(app.uow(), actor_id=None, event_id=fourth.id, now=now)

    [reply] = await say(app, person, f"/kalender {first.id}")
    content = reply.attachment.content
    parsed, stream = _parse_both(content)
    events = [c for c in parsed.walk("VEVENT")]
    master = next(e for e in events if "RRULE" in e)
    assert str(master["UID"]) == f"series-{created.series.id}@engagiert-bot"
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=4"
    assert master["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert master["DTSTART"].dt.hour == 10
    assert "EXDATE" not in master
    overrides = {
        e["RECURRENCE-ID"].dt.strftime("%d.%m."): e for e in events if "RECURRENCE-ID" in e
    }
    assert set(overrides) == {"25.03.", "01.04.", "08.04."}
    assert overrides["25.03."]["DTSTART"].dt.hour == 11
    assert str(overrides["01.04."]["STATUS"]) == "TENTATIVE"
    assert str(overrides["08.04."]["STATUS"]) == "CANCELLED"
    assert len(parsed.walk("VTIMEZONE")) == 1

    # The second parser expands the rule with the overrides: 10:00 Berlin on both sides of
    # the change to summer time, the moved date at 11:00.
    expanded = list(stream.timeline_tz(BERLIN))
    assert [(wall(e.dtstart), e.status.value if e.status else None) for e in expanded] == [
        ("18.03. 10:00", "CONFIRMED"),
        ("25.03. 11:00", "CONFIRMED"),
        ("01.04. 10:00", "TENTATIVE"),
        ("08.04. 10:00", "CANCELLED"),
    ]
    assert {e.uid for e in expanded} == {f"series-{created.series.id}@engagiert-bot"}


async def test_the_feed_shows_only_the_dates_one_holds(app):
    created = await weekly(app, count=3)
    first, _, third = created.dates
    person = await factories.person(app)
    now = app.clock.now()
    await sign_up(app.uow(), person_id=person.id, event_id=first.id, now=now)
    await sign_up(app.uow(), person_id=person.id, event_id=third.id, now=now)
    solo = await factories.event(app, title="Netzwerktreffen")
    await sign_up(app.uow(), person_id=person.id, event_id=solo.id, now=now)
    token = await subscribe_calendar(app.uow(), person_id=person.id)
    views = await calendar_feed(app.uow(), token=token, now=now)
    entries = [Entry(v.event, v.registration.status is RegistrationStatus.CONFIRMED) for v in views]
    plans = await series_dates(app.uow(), {created.series.id})
    content = calendar_file(entries, name="Feed", now=now, series=plans)
    parsed, stream = _parse_both(content)
    master = next(e for e in parsed.walk("VEVENT") if "RRULE" in e)
    assert [wall(d.dt) for d in master["EXDATE"].dts] == ["25.03. 10:00"]
    assert not [e for e in parsed.walk("VEVENT") if "RECURRENCE-ID" in e]
    assert any(str(e["UID"]) == f"event-{solo.id}@engagiert-bot" for e in parsed.walk("VEVENT"))
    series_times = [
        wall(e.dtstart) for e in stream.timeline_tz(BERLIN) if e.uid.startswith("series-")
    ]
    assert series_times == ["18.03. 10:00", "01.04. 10:00"]


def test_cli_adds_lists_and_cancels_a_series(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGIERT_")}
    env = {**clean, "ENGAGIERT_DATA_DIR": str(tmp_path / "data")}
    added = run_cli(
        env,
        "event", "add", "--title", "Kurzformat", "--kind", "kurzformat",
        "--start", "2099-03-10T10:00", "--place", "Unna",
        "--repeat", "monthly", "--until", "31.5.2099",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    ids = added.stdout.split()
    assert len(ids) == 3
    assert (
        "Serie mit 3 Terminen angelegt" in added.stderr
        and "Di., 14. April 2099, 10:00 Uhr" in added.stderr
    )
    listed = run_cli(env, "event", "list")
    assert listed.stdout.count("(Serie 1)") == 3
    refused = run_cli(
        env,
        "event", "add", "--title", "X", "--kind", "kurzformat",
        "--start", "2099-03-31T10:00", "--repeat", "monthly-day", "--count", "3",
    )  # fmt: skip
    assert refused.returncode != 0 and "Nicht jeder Monat hat einen 31. Tag" in refused.stderr
    cancelled = run_cli(env, "event", "cancel", ids[1], "--series")
    assert cancelled.returncode == 0, cancelled.stderr
    assert [line.split("\t")[0] for line in cancelled.stdout.splitlines()] == ids
    assert "(Serie 1)" not in run_cli(env, "event", "list").stdout
    german = run_cli(
        env,
        "event", "add", "--title", "Y", "--kind", "kurzformat",
        "--start", "2099-06-01T10:00", "--repeat", "Wöchentlich", "--count", "2",
    )  # fmt: skip
    assert german.returncode == 0 and len(german.stdout.split()) == 2, german.stderr
