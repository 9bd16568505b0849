"""Quick polls: starting, posting to rooms, voting, closing, results — one tally per poll.

Votes are by person, so a person linked on several platforms counts once. Platform adapters
feed votes through :func:`cast_platform_vote` (platform, external user id, option indices).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.audit import record
from core.authority import NO_ROOMS, authorize, load_person, poll_facts, require
from core.domain.authority import TERMINAL, Action, Place
from core.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound
from core.domain.events import Event
from core.domain.members import MUNICIPAL_KINDS
from core.domain.people import Person, Platform
from core.domain.polls import MemberTurnout, Poll, Tally, new_poll, toggled, voter_key
from core.members import resolve_identity
from core.ports import PollRoom, RoomDirectory, UnitOfWork, VoteRecord


@dataclass(frozen=True, slots=True)
class Room:
    platform: Platform
    chat_id: str


@dataclass(frozen=True, slots=True)
class VoteResult:
    poll: Poll
    choices: tuple[int, ...]  # the person's current choice; empty when withdrawn
    changed: bool  # an earlier, different vote was replaced
    unchanged: bool = False  # the same vote again (or withdrawing none): nothing was stored


@dataclass(frozen=True, slots=True)
class PollResults:
    poll: Poll
    tally: Tally
    #: Named polls, for those who run the poll.
    turnout: MemberTurnout | None = None


@dataclass(frozen=True, slots=True)
class OfficePoll:
    """A poll as the web desk and the API show it: aggregates only, never a person."""

    poll: Poll
    open: bool
    #: While the results are hidden from the actor: zero counts, the true participants.
    tally: Tally
    hidden: bool
    event_title: str | None = None
    #: Named polls, with :func:`office_poll` only: voters by member municipality.
    turnout: MemberTurnout | None = None


@dataclass(frozen=True, slots=True)
class ClosedPoll:
    poll: Poll
    tally: Tally
    rooms: list[PollRoom]
    closed_now: bool  # False: it had been closed before


async def start_poll(
    uow: UnitOfWork,
    *,
    actor_id: int,
    question: str,
    options: Iterable[str],
    now: datetime,
    place: Place = TERMINAL,
    rooms: RoomDirectory = NO_ROOMS,
    max_choices: int = 1,
    anonymous: bool = False,
    hidden_results: bool = False,
    duration: timedelta | None = None,
    event_id: int | None = None,
    open_to_guests: bool = False,
) -> Poll:
    """Start a poll in the chat at ``place`` (and, with ``event_id``, in every chat linked to
    that event). Speakers and organizers anywhere; a chat's moderators in that chat, where
    the poll is theirs to run; ``--termin`` needs an organizer or the event's speaker."""
    async with uow:
        if event_id is None:
            actor = await require(uow, actor_id, Action.START_POLL, place, rooms)
        else:
            actor = await require(
                uow, actor_id, Action.START_EVENT_POLL, place, rooms, event_id=event_id
            )
        poll = new_poll(
            question,
            options,
            now=now,
            creator_id=actor.id if actor else None,
            max_choices=max_choices,
            anonymous=anonymous,
            hidden_results=hidden_results,
            duration=duration,
            event_id=event_id,
            origin=place.room() if place.is_group else None,
            open_to_guests=open_to_guests,
        )
        poll = await uow.polls.add(poll)
        here = place.room()
        chats = [Room(*here)] if here is not None else []
        if event_id is not None:  # and into every chat of the event's participants at once
            chats += [Room(p, c) for p, c in await uow.polls.event_rooms(event_id)]
        for linked in dict.fromkeys(chats):
            await uow.polls.add_room(poll.id, linked.platform, linked.chat_id, now)
        await uow.commit()
    return poll


async def link_event_room(
    uow: UnitOfWork,
    *,
    actor_id: int,
    event_id: int,
    place: Place,
    now: datetime,
    linked: bool = True,
) -> Event:
    """Link (or unlink) the group at ``place`` to an event: polls started with the event go
    to all its chats. Organizers and the event's speaker only; never a chat's moderators."""
    async with uow:
        await require(uow, actor_id, Action.LINK_EVENT_ROOM, place, event_id=event_id)
        room = place.room()
        if room is None or not place.is_group:
            raise InvalidInput("event_room_group_only")
        info = await uow.events.get(event_id)
        if info is None:
            raise NotFound("event_not_found", id=event_id)
        if linked:
            await uow.polls.link_event_room(event_id, *room, now)
        elif not await uow.polls.unlink_event_room(event_id, *room):
            raise InvalidInput("event_room_not_linked", title=info.event.title)
        await uow.commit()
    return info.event


async def post_poll(
    uow: UnitOfWork,
    *,
    actor_id: int,
    poll_id: int,
    place: Place,
    now: datetime,
    rooms: RoomDirectory = NO_ROOMS,
) -> Poll:
    """Post a running poll into the chat at ``place`` too; its votes add to the same tally.
    Only who controls the poll itself (organizers, its creator, the event's speaker)."""
    room = place.room()
    if room is None:
        raise InvalidInput("poll_post_needs_chat")
    async with uow:
        poll = await _poll(uow, poll_id)
        await require(uow, actor_id, Action.POST_POLL, place, rooms, poll=poll)
        poll.check_open(now)
        await uow.polls.add_room(poll.id, *room, now)
        await uow.commit()
    return poll


async def record_posted(
    uow: UnitOfWork,
    *,
    poll_id: int,
    room: Room,
    external_poll_id: str | None,
    message_id: str | None,
) -> None:
    """An adapter posted the poll: remember the platform's ids (votes and closing use them)."""
    async with uow:
        await uow.polls.set_room_message(
            poll_id,
            room.platform,
            room.chat_id,
            external_poll_id=external_poll_id,
            message_id=message_id,
        )
        await uow.commit()


async def cast_vote(
    uow: UnitOfWork,
    *,
    poll_id: int,
    person_id: int,
    choices: Iterable[int] = (),
    toggle: int | None = None,
    now: datetime,
    place: Place = TERMINAL,
    rooms: RoomDirectory = NO_ROOMS,
    visible: bool = False,
) -> VoteResult:
    """Replace the person's choice (the last vote counts); no choices withdraws the vote.

    ``toggle`` switches one option on or off in the current choice instead. ``place`` is
    where the vote was given; ``visible`` says that others there can see it (a command typed
    into a group), which an anonymous poll refuses. Only the poll's electorate may vote:
    :func:`check_electorate`.
    """
    async with uow:
        poll = await _poll(uow, poll_id, lock=True)
        poll.check_open(now)
        if visible and poll.anonymous:
            raise DomainError("poll_vote_visible", id=poll.id)
        await check_electorate(uow, poll, await load_person(uow, person_id), place, rooms, now)
        record = _record(poll, person_id)
        previous = await uow.polls.choices(record)
        if toggle is not None:
            choices = toggled(previous or (), toggle)
        chosen = poll.check_choices(choices)
        if chosen == (previous or ()):
            return VoteResult(poll, chosen, changed=False, unchanged=True)
        if chosen:
            await uow.polls.put_vote(record, chosen)
        else:
            await uow.polls.delete_vote(record)
        await uow.commit()
    return VoteResult(poll, chosen, changed=previous is not None)


async def check_electorate(
    uow: UnitOfWork,
    poll: Poll,
    person: Person,
    place: Place,
    rooms: RoomDirectory,
    now: datetime,
) -> None:
    """Who may vote: persons of the network (with ``--offen`` guests too) who are in one of
    the poll's chats when they vote — the vote comes from that chat, or the platform says
    they are a member of it. A poll posted into no chat has no room condition.

    A poll of an event with a restricted audience (members, leadership, new members) does
    not exist for those outside it (``poll_not_found``). Else raises ``poll_members_only``
    or ``poll_not_in_room`` (:class:`NotAllowed`).
    """
    if poll.event_id is not None:
        info = await uow.events.get(poll.event_id)
        found = await uow.persons.get_with_member(person.id)
        if info is not None and found is not None and not info.event.visible_to(*found, now):
            raise NotFound("poll_not_found", id=poll.id)
    if person.is_guest and not poll.open_to_guests:
        raise NotAllowed("poll_members_only", id=poll.id)
    chats = {(r.platform, r.chat_id) for r in await uow.polls.rooms(poll.id)}
    if not chats or place.room() in chats:
        return
    for identity in await uow.identities.for_person(person.id):
        for platform, chat_id in chats:
            if platform is identity.platform and await rooms.is_member(
                platform, chat_id, identity.external_id
            ):
                return
    raise NotAllowed("poll_not_in_room", id=poll.id)


async def cast_platform_vote(
    uow: UnitOfWork,
    *,
    platform: Platform,
    external_user_id: str,
    choices: Iterable[int] = (),
    now: datetime,
    toggle: int | None = None,
    poll_id: int | None = None,
    external_poll_id: str | None = None,
    display_name: str = "",
    language: str = "de",
    place: Place = TERMINAL,
    rooms: RoomDirectory = NO_ROOMS,
) -> VoteResult:
    """A vote from a platform's poll: the poll by our id or by the platform's poll id (as
    recorded with :func:`record_posted`), the voter by their platform id (an unknown voter
    becomes a guest). Option indices count from 0; no choices withdraws the vote, ``toggle``
    switches one option in the current choice (multiple-choice buttons). ``place``: the chat
    the vote came from, if the platform says (a button under a message; not a native poll's
    answer, which Telegram sends without its chat)."""
    if poll_id is None:
        async with uow:
            room = await uow.polls.room_for(platform, external_poll_id or "")
        if room is None:
            raise NotFound("poll_not_found", id=external_poll_id)
        poll_id = room.poll_id
    person = await resolve_identity(
        uow,
        platform=platform,
        external_id=external_user_id,
        display_name=display_name,
        language=language,
        now=now,
    )
    return await cast_vote(
        uow,
        poll_id=poll_id,
        person_id=person.id,
        choices=choices,
        toggle=toggle,
        now=now,
        place=place,
        rooms=rooms,
    )


async def close_poll(
    uow: UnitOfWork,
    *,
    actor_id: int,
    poll_id: int,
    now: datetime,
    place: Place = TERMINAL,
    rooms: RoomDirectory = NO_ROOMS,
) -> ClosedPoll:
    """Close by hand (idempotent: closing a closed poll reports ``closed_now=False``)."""
    async with uow:
        poll = await _poll(uow, poll_id)
        await require(uow, actor_id, Action.CONTROL_POLL, place, rooms, poll=poll)
        closed = await _close(uow, poll, now)
        await uow.commit()
    return closed


async def due_polls(uow: UnitOfWork, *, now: datetime) -> list[int]:
    """Open polls whose deadline has passed (also those missed while we were down)."""
    async with uow:
        return await uow.polls.due(now)


async def close_due_poll(uow: UnitOfWork, *, poll_id: int, now: datetime) -> ClosedPoll | None:
    """Close one poll at its deadline; ``None`` if it is not due or was closed already."""
    async with uow:
        poll = await uow.polls.get(poll_id)
        if poll is None or poll.closes_at is None or poll.closes_at > now:
            return None
        closed = await _close(uow, poll, poll.closes_at)
        await uow.commit()
    return closed if closed.closed_now else None


async def next_deadline(uow: UnitOfWork) -> datetime | None:
    """When the scheduler should wake up next to close a poll."""
    async with uow:
        return await uow.polls.next_deadline()


async def poll_results(
    uow: UnitOfWork,
    *,
    poll_id: int,
    actor_id: int,
    now: datetime,
    place: Place = TERMINAL,
    rooms: RoomDirectory = NO_ROOMS,
) -> PollResults:
    """The tally for the poll's electorate once results are visible; hidden results and the
    municipal turnout only for who controls the poll (:data:`Action.SEE_POLL_RESULTS`). For
    anybody else the poll does not exist (``poll_not_found``)."""
    async with uow:
        poll = await _poll(uow, poll_id)
        runner = await _controls(uow, actor_id, poll, place, rooms)
        if not runner:
            await _check_sees(uow, poll, actor_id, place, rooms, now)
            if not poll.results_visible(now):
                raise DomainError("poll_results_hidden", id=poll.id)
        tally = await _tally(uow, poll)
        turnout = await _turnout(uow, poll) if runner and not poll.anonymous else None
    return PollResults(poll, tally, turnout)


async def live_results(
    uow: UnitOfWork, *, token: str, with_turnout: bool = False
) -> PollResults | None:
    """For the live page and the CSV export: the poll behind an unguessable token, its
    current tally and (named polls, if asked) the turnout by municipality."""
    async with uow:
        poll = await uow.polls.find(token=token)
        if poll is None:
            return None
        tally = await _tally(uow, poll)
        turnout = await _turnout(uow, poll) if with_turnout and not poll.anonymous else None
    return PollResults(poll, tally, turnout)


async def office_polls(
    uow: UnitOfWork, *, actor_id: int | None, now: datetime, limit: int = 200
) -> list[OfficePoll]:
    """The newest ``limit`` polls, newest first, with their participants, for the office and
    leadership (:data:`Action.VIEW_AGGREGATES`). Counts per option only where the actor
    may see them (:func:`office_poll`); no turnout. Raises NotAllowed."""
    async with uow:
        actor = await require(uow, actor_id, Action.VIEW_AGGREGATES)
        return [await _office_view(uow, actor, p, now) for p in await uow.polls.recent(limit)]


async def office_poll(
    uow: UnitOfWork, *, actor_id: int | None, poll_id: int, now: datetime
) -> OfficePoll:
    """One poll's results for the office and leadership (:data:`Action.VIEW_AGGREGATES`),
    as :func:`poll_results` gives them to who controls the poll: while hidden results are
    hidden from the actor (who does not control the poll), only the number of participants.
    Named polls with visible results come with the turnout by municipality (counts, no
    persons). Raises NotAllowed, NotFound ``poll_not_found``."""
    async with uow:
        actor = await require(uow, actor_id, Action.VIEW_AGGREGATES)
        poll = await _poll(uow, poll_id)
        return await _office_view(uow, actor, poll, now, with_turnout=True)


async def export_poll_results(
    uow: UnitOfWork, *, actor_id: int | None, poll_id: int, form: str, now: datetime
) -> OfficePoll:
    """:func:`office_poll` for a file or program outside the service (``form``: csv, xlsx,
    api); the export goes into the audit log. Raises NotAllowed (also
    ``poll_results_hidden`` while the results are hidden from the actor), NotFound."""
    found = await office_poll(uow, actor_id=actor_id, poll_id=poll_id, now=now)
    if found.hidden:
        raise NotAllowed("poll_results_hidden", id=poll_id)
    async with uow:
        await record(
            uow,
            actor_id=actor_id,
            action="poll_results.exported",
            subject=f"poll:{poll_id}",
            now=now,
            form=form,
        )
        await uow.commit()
    return found


async def open_poll(
    uow: UnitOfWork,
    *,
    poll_id: int,
    person_id: int,
    now: datetime,
    place: Place = TERMINAL,
    rooms: RoomDirectory = NO_ROOMS,
) -> Poll:
    """A poll that takes the person's vote: ``poll_not_found`` for one they may not see,
    ``poll_closed``, or the electorate's refusals (:func:`check_electorate`)."""
    async with uow:
        poll = await _poll(uow, poll_id)
        await _check_sees(uow, poll, person_id, place, rooms, now)
    poll.check_open(now)
    return poll


async def still_open(uow: UnitOfWork, *, poll_id: int, now: datetime) -> bool:
    """Whether a poll still takes votes, so that a message presenting it may go out: not
    closed, not past its end, and not deleted."""
    async with uow:
        poll = await uow.polls.get(poll_id)
    return poll is not None and poll.is_open(now)


async def poll_for_join(uow: UnitOfWork, *, join_code: str) -> Poll | None:
    async with uow:
        return await uow.polls.find(join_code=join_code)


async def latest_poll(
    uow: UnitOfWork, *, room: Room | None, person_id: int, open_at: datetime | None = None
) -> Poll:
    """The poll a command without an id means: the newest in this room, or else the newest
    the person started; with ``open_at``, the newest still running then (``/umfrage_ende``
    must not pick a poll that has ended while another runs). Raises InvalidInput
    ``poll_id_missing`` (none at all) or ``poll_none_open`` (none running)."""
    async with uow:
        poll = None
        if room is not None:
            poll = await uow.polls.latest(room=(room.platform, room.chat_id), open_at=open_at)
        poll = poll or await uow.polls.latest(creator_id=person_id, open_at=open_at)
    if poll is None:
        raise InvalidInput("poll_none_open" if open_at is not None else "poll_id_missing")
    return poll


# --- data protection (called inside the caller's transaction) ------------------------------


async def merge_anonymous_votes(uow: UnitOfWork, *, source_id: int, target_id: int) -> int:
    """Before two persons are merged: in open anonymous polls, the source's vote becomes the
    target's unless the target voted too (then the target's stays). Named votes move with
    the person rows. Returns how many votes moved."""
    moved = 0
    for poll in await uow.polls.open_anonymous():
        source, target = _record(poll, source_id), _record(poll, target_id)
        chosen = await uow.polls.choices(source)
        if chosen is None:
            continue
        if await uow.polls.choices(target) is None:
            await uow.polls.put_vote(target, chosen)
            moved += 1
        await uow.polls.delete_vote(source)
    return moved


async def forget_voter(uow: UnitOfWork, *, person_id: int) -> int:
    """Erasure: delete the person's anonymous votes in open polls (findable only while the
    salt exists; the registry of personal data cannot see them). Named votes go with the
    person's rows; closed polls keep their frozen results."""
    deleted = 0
    for poll in await uow.polls.open_anonymous():
        deleted += await uow.polls.delete_vote(_record(poll, person_id))
    return deleted


# --- helpers ---------------------------------------------------------------------------------


async def _controls(
    uow: UnitOfWork, actor_id: int, poll: Poll, place: Place, rooms: RoomDirectory
) -> bool:
    try:
        await require(uow, actor_id, Action.SEE_POLL_RESULTS, place, rooms, poll=poll)
    except NotAllowed:
        return False
    return True


async def sees_results(uow: UnitOfWork, actor: Person | None, poll: Poll, now: datetime) -> bool:
    """Whether ``actor`` (at the desk or the command line) may see the poll's results and
    turnout now: who controls the poll always, everyone else unless they are hidden until
    closing."""
    try:
        await authorize(actor, Action.SEE_POLL_RESULTS, poll=await poll_facts(uow, poll))
    except NotAllowed:
        return poll.results_visible(now)
    return True


async def _office_view(
    uow: UnitOfWork, actor: Person | None, poll: Poll, now: datetime, *, with_turnout: bool = False
) -> OfficePoll:
    hidden = not await sees_results(uow, actor, poll, now)
    tally = await _tally(uow, poll)
    if hidden:
        tally = Tally((0,) * len(poll.options), tally.participants)
    named = with_turnout and not hidden and not poll.anonymous
    info = await uow.events.get(poll.event_id) if poll.event_id is not None else None
    return OfficePoll(
        poll,
        poll.is_open(now),
        tally,
        hidden,
        info.event.title if info is not None else None,
        await _turnout(uow, poll) if named else None,
    )


async def _check_sees(
    uow: UnitOfWork,
    poll: Poll,
    person_id: int,
    place: Place,
    rooms: RoomDirectory,
    now: datetime,
) -> None:
    """Polls are shown to their electorate only: to anyone else they do not exist."""
    person = await load_person(uow, person_id)
    try:
        await check_electorate(uow, poll, person, place, rooms, now)
    except NotAllowed:
        raise NotFound("poll_not_found", id=poll.id) from None


async def _poll(uow: UnitOfWork, poll_id: int, *, lock: bool = False) -> Poll:
    poll = await uow.polls.get(poll_id, lock=lock)
    if poll is None:
        raise NotFound("poll_not_found", id=poll_id)
    return poll


def _record(poll: Poll, person_id: int) -> VoteRecord:
    if not poll.anonymous:
        return VoteRecord(poll.id, person_id=person_id)
    if poll.salt is None:  # closed: the pseudonyms cannot be formed any more
        raise DomainError("poll_closed", id=poll.id)
    return VoteRecord(poll.id, voter_key=voter_key(poll.salt, person_id))


async def _close(uow: UnitOfWork, poll: Poll, moment: datetime) -> ClosedPoll:
    """Close, freeze the tally and the turnout, delete anonymous votes — one transaction, at
    most once."""
    closed_now = await uow.polls.close(poll.id, moment)
    if closed_now:
        tally = await uow.polls.tally(poll.id, len(poll.options))
        turnout = None if poll.anonymous else await uow.polls.turnout(poll.id)
        await uow.polls.freeze(poll.id, tally, turnout)
        await uow.polls.delete_anonymous_votes(poll.id)
        poll.closed_at, poll.salt = moment, None
    else:
        poll = await _poll(uow, poll.id)
        tally = await _tally(uow, poll)
    return ClosedPoll(poll, tally, await uow.polls.rooms(poll.id), closed_now)


async def _tally(uow: UnitOfWork, poll: Poll) -> Tally:
    if poll.closed_at is not None:
        frozen = await uow.polls.frozen(poll.id)
        if frozen is not None:
            return frozen
    return await uow.polls.tally(poll.id, len(poll.options))


async def _turnout(uow: UnitOfWork, poll: Poll) -> MemberTurnout:
    rows = await uow.polls.frozen_turnout(poll.id) if poll.closed_at is not None else None
    if rows is None:
        rows = await uow.polls.turnout(poll.id)
    voted = sorted(((name, n) for member_id, name, n in rows if name is not None))
    took_part = {member_id for member_id, _, _ in rows}
    not_yet = tuple(
        m.name
        for m in await uow.members.list()
        if m.id not in took_part and m.kind in MUNICIPAL_KINDS
    )
    return MemberTurnout(tuple(voted), not_yet)
