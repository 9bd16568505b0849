"""No event is ever overbooked, on SQLite and PostgreSQL, however many sign up at once."""

from __future__ import annotations

import asyncio
import contextlib
import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.domain.errors import DomainError
from core.domain.registrations import Mode, RegistrationStatus
from core.signup import cancel_signup, sign_up
from storage.tables import registrations
from tests.conftest import BACKENDS, FakeClock, RecordingNotifier, make_app, make_database
from tests.support import factories

ROUNDS = 10
SIGNUPS = 200
CAPACITY = 50


async def statuses(app, event_id: int) -> dict[int, list[tuple[str, int | None]]]:
    """person id → their registrations' (status, waitlist position)."""
    out: dict[int, list] = {}
    async with app.database.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(
                registrations.c.person_id, registrations.c.status, registrations.c.waitlist_position
            ).where(registrations.c.event_id == event_id)
        )
        for person_id, status, position in rows:
            out.setdefault(person_id, []).append((status, position))
    return out


def count(states, status: RegistrationStatus) -> int:
    return sum(1 for rows in states.values() for s, _ in rows if s == status.value)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_200_concurrent_signups_for_50_places(backend, tmp_path: Path, clock: FakeClock):
    async for db in make_database(backend, tmp_path):
        app = await make_app(db, clock, RecordingNotifier())
        people = [await factories.person(app) for _ in range(SIGNUPS)]
        for _ in range(ROUNDS):
            event = await factories.event(app, capacity=CAPACITY)
            order = people[:]
            random.shuffle(order)
            results = await asyncio.gather(
                *(
                    sign_up(app.uow(), person_id=p.id, event_id=event.id, now=clock.now())
                    for p in order
                )
            )
            states = await statuses(app, event.id)
            assert count(states, RegistrationStatus.CONFIRMED) == CAPACITY
            assert count(states, RegistrationStatus.WAITLISTED) == SIGNUPS - CAPACITY
            assert all(len(rows) == 1 for rows in states.values())
            # The waiting-list ranks handed out are exactly 1..150, each once.
            ranks = sorted(r.waitlist_rank for r in results if r.waitlist_rank is not None)
            assert ranks == list(range(1, SIGNUPS - CAPACITY + 1))


@pytest.mark.parametrize("backend", BACKENDS)
async def test_cancellations_racing_signups_move_the_waiting_list_in_order(
    backend, tmp_path: Path, clock: FakeClock
):
    async for db in make_database(backend, tmp_path):
        notifier = RecordingNotifier()
        app = await make_app(db, clock, notifier)
        for _ in range(3):
            notifier.sent.clear()
            event = await factories.event(app, capacity=20)
            first = [await factories.person(app) for _ in range(40)]
            for p in first:  # 20 confirmed, 20 waiting in this order
                await sign_up(app.uow(), person_id=p.id, event_id=event.id, now=clock.now())
            waiting = first[20:]
            leaving = random.sample(first[:20], 10)
            newcomers = [await factories.person(app) for _ in range(30)]
            jobs = [
                cancel_signup(app.uow(), person_id=p.id, event_id=event.id, now=clock.now())
                for p in leaving
            ]
            jobs += [
                sign_up(app.uow(), person_id=p.id, event_id=event.id, now=clock.now())
                for p in newcomers
            ]
            random.shuffle(jobs)
            await asyncio.gather(*jobs)

            states = await statuses(app, event.id)
            active = {pid: [s for s, _ in rows if s != "cancelled"] for pid, rows in states.items()}
            assert all(len(s) <= 1 for s in active.values()), "someone holds two active rows"
            confirmed = {pid for pid, s in active.items() if s == ["confirmed"]}
            assert len(confirmed) == 20
            # The first ten who waited got the ten freed places, in their order...
            promoted = {p.id for p in waiting[:10]}
            assert promoted <= confirmed
            assert {p.id for p in leaving}.isdisjoint(confirmed)
            # ... and were told; nobody else was.
            told = {n.person_id for n in notifier.sent if n.key == "promoted"}
            assert told == promoted
            # Everyone else still waits, the earlier waiters ahead of all newcomers.
            still_waiting = sorted(
                (pos, pid) for pid, rows in states.items() for s, pos in rows if s == "waitlisted"
            )
            order = [pid for _, pid in still_waiting]
            assert order[:10] == [p.id for p in waiting[10:]]
            assert set(order[10:]) == {p.id for p in newcomers}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_without_the_lock_the_same_race_overbooks_or_fails(
    backend, tmp_path: Path, clock: FakeClock
):
    """Proof that the check above can fail: the lock is what keeps the count right."""
    async for db in make_database(backend, tmp_path, locking=False):
        app = await make_app(db, clock, RecordingNotifier())
        people = [await factories.person(app) for _ in range(SIGNUPS)]
        broken = False
        for _ in range(ROUNDS):
            event = await factories.event(app, capacity=CAPACITY)
            results = await asyncio.gather(
                *(
                    sign_up(app.uow(), person_id=p.id, event_id=event.id, now=clock.now())
                    for p in people
                ),
                return_exceptions=True,
            )
            errors = [r for r in results if isinstance(r, BaseException)]
            assert not any(isinstance(e, DomainError) for e in errors)
            states = await statuses(app, event.id)
            if errors or count(states, RegistrationStatus.CONFIRMED) != CAPACITY:
                broken = True
                break
        assert broken, "without the lock every round came out right: the test proves nothing"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_hybrid_storm_overbooks_neither_mode(backend, tmp_path: Path, clock: FakeClock):
    """60 people on site and 60 online at once, with switches racing in: each mode holds at
    most its places, every waiting list is numbered 1..n, everyone has one registration."""
    async for db in make_database(backend, tmp_path):
        app = await make_app(db, clock, RecordingNotifier())
        event = await factories.event(
            app,
            place="Rathaus Köln",
            capacity=20,
            video_url="https://meet.example.org/x",
            online_capacity=30,
        )
        people = [await factories.person(app) for _ in range(120)]
        wishes = [(p, Mode.ON_SITE if n % 2 else Mode.ONLINE) for n, p in enumerate(people)]
        random.shuffle(wishes)

        async def attempt(person, mode, app=app, event_id=event.id) -> None:
            with contextlib.suppress(DomainError):  # a switch into a full mode is refused
                await sign_up(
                    app.uow(), person_id=person.id, event_id=event_id, now=clock.now(), mode=mode
                )

        switches = [(p, Mode.ONLINE) for p, m in wishes[:20] if m is Mode.ON_SITE]
        await asyncio.gather(*(attempt(p, m) for p, m in wishes))
        await asyncio.gather(*(attempt(p, m) for p, m in switches))
        async with app.database.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(
                        registrations.c.person_id,
                        registrations.c.mode,
                        registrations.c.status,
                        registrations.c.waitlist_position,
                    ).where(registrations.c.event_id == event.id)
                )
            ).all()
        assert len(rows) == 120 and len({r.person_id for r in rows}) == 120
        for mode, capacity in ((Mode.ON_SITE, 20), (Mode.ONLINE, 30)):
            mine = [r for r in rows if r.mode == mode.value]
            confirmed = [r for r in mine if r.status == RegistrationStatus.CONFIRMED.value]
            waiting = sorted(
                r.waitlist_position for r in mine if r.status == RegistrationStatus.WAITLISTED.value
            )
            assert len(confirmed) == capacity  # full, never beyond
            assert len(waiting) == len(set(waiting))  # no position handed out twice
