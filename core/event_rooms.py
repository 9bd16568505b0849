"""Matrix event rooms: the bot invites an event's registered members into the event's room
and removes them again when they are no longer registered (``/termin_raum ID einladen``).

Rules (README "Einladen in den Matrix-Raum einer Veranstaltung"):

- Switched on per linked Matrix room by who may link it (:data:`Action.LINK_EVENT_ROOM`:
  organizers, the event's speaker); switching on links the room too. ``einladen aus`` stops
  inviting and removing and forgets whom the bot invited; unlinking the room does the same.
- Invited are the event's *confirmed* participants (either mode) with a linked Matrix
  account: at once when it is switched on, later ones (a new signup, a promotion from the
  waiting list) at the next reconciliation (:func:`reconcile_invites`, every scheduler round).
  People on the waiting list are not invited: the room is for those who take part.
- Someone whose confirmed place ends (cancelled, removed by the office) is removed with a
  polite reason in their language — only if the bot's invitation went out. An invitation
  the adapter did not send (the person was in the room already, or the homeserver refused)
  makes the bot leave that person alone for good; the adapter also never removes a room
  moderator (power level 50 or more). Whoever left the room on their own is not invited
  again while they stay registered.
- Nothing happens for cancelled events or after the end; the record of invitations of an
  event that is over is deleted.

The database is the truth: each round compares registrations with the recorded invitations
and queues the difference through the outbox, so a restart or a second process loses and
repeats nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from core.authority import require
from core.domain.authority import Action, Place
from core.domain.errors import InvalidInput, NotFound
from core.domain.events import Event
from core.domain.outbox import OutgoingMessage
from core.domain.people import Platform
from core.domain.room_invites import (
    InviteState,
    InvitingRoom,
    invite_payload,
    remove_payload,
)
from core.ports import UnitOfWork


async def switch_invites(
    uow: UnitOfWork, *, actor_id: int, event_id: int, place: Place, now: datetime, on: bool
) -> tuple[Event, int]:
    """Start (``on``) or stop inviting the event's confirmed participants into the Matrix
    room at ``place``; returns the event and how many invitations were queued now.

    Raises NotAllowed, NotFound ``event_not_found``, InvalidInput
    (``event_room_group_only``, ``event_room_invites_matrix_only``,
    ``event_room_invites_ended``, ``event_room_invites_not_on``)."""
    async with uow:
        await require(uow, actor_id, Action.LINK_EVENT_ROOM, place, event_id=event_id)
        room = place.room()
        if room is None or not place.is_group:
            raise InvalidInput("event_room_group_only")
        if place.platform is not Platform.MATRIX:
            raise InvalidInput("event_room_invites_matrix_only")
        info = await uow.events.get(event_id)
        if info is None:
            raise NotFound("event_not_found", id=event_id)
        event = info.event
        queued = 0
        if on:
            if event.cancelled or event.ends_at <= now:
                raise InvalidInput("event_room_invites_ended", title=event.title)
            await uow.polls.link_event_room(event_id, *room, now)
            await uow.room_invites.switch_on(event_id, *room, now)
            for found in await uow.room_invites.rooms(now, event_id):
                if (found.platform, found.chat_id) == room:
                    queued = await _reconcile(uow, found, now)
        elif not await uow.room_invites.switch_off(event_id, *room):
            raise InvalidInput("event_room_invites_not_on", title=event.title)
        await uow.commit()
    return event, queued


async def reconcile_invites(uow: UnitOfWork, *, now: datetime) -> int:
    """One round over every inviting room of an event neither over nor cancelled: invite
    who is confirmed and not yet invited, remove who the bot invited and is no longer
    confirmed (see the module's rules). Returns how many invitations and removals were queued
    for the outbox."""
    async with uow:
        await uow.room_invites.forget_ended(now)
        queued = 0
        for room in await uow.room_invites.rooms(now):
            queued += await _reconcile(uow, room, now)
        await uow.commit()
    return queued


async def _reconcile(uow: UnitOfWork, room: InvitingRoom, now: datetime) -> int:
    wanted = {
        (i.person_id, i.user_id): i
        for i in await uow.room_invites.invitees(room.event_id, room.platform)
    }
    known = {(i.person_id, i.user_id): i for i in await uow.room_invites.invites(room)}
    queued = 0
    for key, invitee in wanted.items():
        if key in known:
            continue
        invite_id = await uow.room_invites.add(room, invitee, now)
        if invite_id is None:  # a concurrent round invited them
            continue
        message = await _queue(uow, room, invite_payload(invitee.user_id), now)
        await uow.room_invites.sent_with(invite_id, message)
        queued += 1
    for key, invite in known.items():
        if key in wanted or invite.state is InviteState.PENDING:
            continue  # still registered, or the invitation is yet to go out
        if invite.state is InviteState.SENT:
            payload = remove_payload(invite.user_id, room.title, invite.language)
            await _queue(uow, room, payload, now)
            queued += 1
        await uow.room_invites.delete(invite.id)
    return queued


async def _queue(
    uow: UnitOfWork, room: InvitingRoom, payload: dict[str, object], now: datetime
) -> int:
    message = OutgoingMessage(room.platform.value, room.chat_id, payload, uuid.uuid4().hex, now)
    stored = await uow.outbox.add(message)
    assert stored.id is not None
    return stored.id
