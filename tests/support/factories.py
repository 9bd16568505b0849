"""Small builders for test data, going through the real core services."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from bot.app import App
from core.domain.events import Audience, Event, EventKind
from core.domain.members import Member, MemberKind
from core.domain.people import Person, Role
from core.events import create_event
from core.members import add_member, add_person

_names = count(1)


async def member(app: App, name: str | None = None, *, new: bool = False) -> Member:
    today = app.clock.now().date()
    joined = today - timedelta(days=30 if new else 3000)
    return await add_member(
        app.uow(),
        name=name or f"Stadt Test {next(_names)}",
        kind=MemberKind.STADT,
        joined_on=joined,
    )


async def person(
    app: App,
    name: str | None = None,
    *,
    member: Member | None = None,
    roles: set[Role] = frozenset(),
    informed: bool = True,
) -> Person:
    """A person of the office; ``informed``: has seen the privacy notice already (so that
    a test's first command gets only its own answer)."""
    created = await add_person(
        app.uow(),
        display_name=name or f"Person {next(_names)}",
        member_ref=str(member.id) if member else None,
        roles=frozenset(roles),
        now=app.clock.now(),
    )
    if informed:
        async with app.uow() as uow:
            created.privacy_notice_at = app.clock.now()
            await uow.persons.update(created)
            await uow.commit()
    return created


async def event(
    app: App,
    *,
    title: str | None = None,
    capacity: int | None = None,
    days: float = 7,
    audience: Audience = Audience.EVERYONE,
    deadline_days: float | None = None,
    video_url: str | None = None,
    speaker: Person | None = None,
    place: str | None = None,
    online_capacity: int | None = None,
) -> Event:
    starts = app.clock.now() + timedelta(days=days)
    deadline = app.clock.now() + timedelta(days=deadline_days) if deadline_days else None
    return await create_event(
        app.uow(),
        actor_id=None,
        event=Event(
            kind=EventKind.NETZWERKTREFFEN,
            title=title or f"Treffen {next(_names)}",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            capacity=capacity,
            registration_deadline=deadline,
            audience=audience,
            video_url=video_url,
            speaker_id=speaker.id if speaker else None,
            place=place,
            online_capacity=online_capacity,
        ),
    )
