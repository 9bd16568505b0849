"""Asking the one authority decision with the facts it needs.

Entry points (chat handlers through the core use cases, the command line, later the web desk)
call :func:`require` or :func:`authorize`; the rules themselves live in
:func:`core.domain.authority.decide`. Whether someone moderates a chat is asked from the
platform (through the :class:`~core.ports.RoomDirectory` port) only when it could matter.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import replace

from core.domain.authority import MODERATED, TERMINAL, Action, Place, PollFacts, decide
from core.domain.errors import NotFound
from core.domain.people import Person, Platform
from core.domain.polls import Poll
from core.ports import RoomDirectory, UnitOfWork


class NoRooms:
    """The directory where no platform answers: nobody moderates or sits in any room."""

    async def is_moderator(self, platform: Platform, chat_id: str, user_id: str) -> bool:
        return False

    async def is_member(self, platform: Platform, chat_id: str, user_id: str) -> bool:
        return False


NO_ROOMS = NoRooms()
#: Set for a request made with a credential that may only read (an API token of scope
#: ``read``): every decision in it refuses what would change something.
READ_ONLY: ContextVar[bool] = ContextVar("read_only", default=False)


async def load_person(uow: UnitOfWork, person_id: int) -> Person:
    """The person, or :class:`NotFound` ``person_not_found``."""
    person = await uow.persons.get(person_id)
    if person is None:
        raise NotFound("person_not_found", id=person_id)
    return person


async def authorize(
    actor: Person | None,
    action: Action,
    place: Place = TERMINAL,
    rooms: RoomDirectory = NO_ROOMS,
    *,
    poll: PollFacts | None = None,
    event_speaker_id: int | None = None,
) -> None:
    """Raise :class:`~core.domain.errors.NotAllowed` (with the reason as its code) unless
    ``actor`` may do ``action`` at ``place``. ``actor=None`` is the operator (or an API
    token, with :data:`READ_ONLY` for one that may only read)."""
    objects = {"poll": poll, "event_speaker_id": event_speaker_id, "read_only": READ_ONLY.get()}
    decision = decide(actor, action, place, **objects)
    if (
        not decision.allowed
        and action in MODERATED
        and place.is_group
        and place.chat_id is not None
        and await rooms.is_moderator(place.platform, place.chat_id, place.user_id)
    ):
        decision = decide(actor, action, replace(place, moderator=True), **objects)
    decision.check()


async def require(
    uow: UnitOfWork,
    actor_id: int | None,
    action: Action,
    place: Place = TERMINAL,
    rooms: RoomDirectory = NO_ROOMS,
    *,
    poll: Poll | None = None,
    event_id: int | None = None,
) -> Person | None:
    """Load the actor and :func:`authorize` them, on ``poll`` or the event ``event_id``.

    Returns the actor (``None`` for the operator at the command line).
    """
    actor = None if actor_id is None else await load_person(uow, actor_id)
    facts = await poll_facts(uow, poll) if poll is not None else None
    speaker = await event_speaker(uow, event_id) if event_id is not None else None
    await authorize(actor, action, place, rooms, poll=facts, event_speaker_id=speaker)
    return actor


async def check_allowed(uow: UnitOfWork, actor_id: int | None, action: Action) -> None:
    """:func:`require` in a unit of work of its own, for a page that offers ``action``
    before anything is done (the form to create an event). Raises NotAllowed."""
    async with uow:
        await require(uow, actor_id, action)


async def poll_facts(uow: UnitOfWork, poll: Poll) -> PollFacts:
    speaker = await event_speaker(uow, poll.event_id) if poll.event_id is not None else None
    return PollFacts(poll.creator_id, poll.origin, speaker)


async def event_speaker(uow: UnitOfWork, event_id: int) -> int | None:
    """The speaker the office assigned to the event; :class:`NotFound` for no such event."""
    info = await uow.events.get(event_id)
    if info is None:
        raise NotFound("event_not_found", id=event_id)
    return info.event.speaker_id
