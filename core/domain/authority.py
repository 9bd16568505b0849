"""Who may do what, where: the one decision every entry point asks.

Three sources of authority, and only these:

- **Network roles** (organizer, speaker, supporter, leadership) are given by the network
  office; they hold everywhere.
- **Room moderation** (a Telegram chat administrator, a Matrix power level of at least 50)
  holds only in that room, only over polls started there, and never in a direct chat.
- **Ownership**: the person who started a poll, and the speaker the office assigned to an
  event (for that event's polls and rooms).

:func:`decide` is pure; ``core.authority`` gathers the facts (the room's moderation through
the adapters' port) and raises :class:`~core.domain.errors.NotAllowed` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.domain.errors import NotAllowed
from core.domain.people import Person, Platform, Role


class Action(StrEnum):
    # Anybody, guests included (further rules apply: audience, guest limits, electorate).
    READ = "read"  # events, the knowledge base, help, one's own data and settings
    SIGN_UP = "sign_up"
    FORWARD_QUESTION = "forward_question"
    VOTE = "vote"
    # Supporters and organizers.
    ANSWER_QUESTIONS = "answer_questions"
    # Organizers only.
    VIEW_ATTENDEES = "view_attendees"
    ANNOUNCE = "announce"
    VIEW_DELIVERY = "view_delivery"
    VIEW_FAQ_GAPS = "view_faq_gaps"
    MANAGE_EVENTS = "manage_events"
    MANAGE_PEOPLE = "manage_people"
    MANAGE_KB = "manage_kb"
    VIEW_PEOPLE = "view_people"  # persons, municipalities, the audit log
    REVIEW_KB = "review_kb"  # the base as the office keeps it: entries, answers, topics
    # The office's web desk: organizers, and leadership for its aggregate pages.
    USE_WEB_DESK = "use_web_desk"
    VIEW_AGGREGATES = "view_aggregates"  # coverage, poll results: no persons in them
    # Polls and the rooms of an event.
    START_POLL = "start_poll"  # speakers, organizers; a room's moderators in that room
    START_EVENT_POLL = "start_event_poll"  # ``--termin ID``: organizers, the event's speaker
    LINK_EVENT_ROOM = "link_event_room"  # ``/termin_raum``: organizers, the event's speaker
    POST_POLL = "post_poll"  # ``/umfrage ID`` into one more chat: who controls the poll
    CONTROL_POLL = "control_poll"  # close: + origin room's moderators
    SEE_POLL_RESULTS = "see_poll_results"  # hidden results, turnout: who may control it
    # Attendance at an event.
    CHECK_IN = "check_in"  # check others in or out, see the code: organizers, the speaker
    SEND_CERTIFICATES = "send_certificates"  # to every attendee: organizers only
    CHECK_IN_ANYONE = "check_in_anyone"  # also people not registered (walk-ins): organizers
    # Evaluation surveys of an event.
    MANAGE_SURVEYS = "manage_surveys"  # define, change, delete: organizers only
    SEND_SURVEY = "send_survey"  # send it now: organizers, the event's speaker
    SEE_SURVEY_RESULTS = "see_survey_results"  # results, export: organizers only


EVERYONE = frozenset({Action.READ, Action.SIGN_UP, Action.FORWARD_QUESTION, Action.VOTE})
ORGANIZERS = frozenset(
    {
        Action.VIEW_ATTENDEES,
        Action.ANNOUNCE,
        Action.VIEW_DELIVERY,
        Action.VIEW_FAQ_GAPS,
        Action.MANAGE_EVENTS,
        Action.MANAGE_PEOPLE,
        Action.MANAGE_KB,
        Action.VIEW_PEOPLE,
        Action.REVIEW_KB,
        Action.SEND_CERTIFICATES,
        Action.CHECK_IN_ANYONE,
        Action.MANAGE_SURVEYS,
        Action.SEE_SURVEY_RESULTS,
    }
)
#: Actions that change nothing: all a read-only credential (an API token of scope ``read``)
#: may do.
READS = frozenset(
    {
        Action.READ,
        Action.VIEW_ATTENDEES,
        Action.VIEW_DELIVERY,
        Action.VIEW_FAQ_GAPS,
        Action.USE_WEB_DESK,
        Action.VIEW_AGGREGATES,
        Action.VIEW_PEOPLE,
        Action.REVIEW_KB,
        Action.SEE_POLL_RESULTS,
        Action.SEE_SURVEY_RESULTS,
    }
)
#: Actions where a room's moderation can count (and so is worth asking the platform about).
MODERATED = frozenset({Action.START_POLL, Action.CONTROL_POLL, Action.SEE_POLL_RESULTS})


@dataclass(frozen=True, slots=True)
class Place:
    """Where the actor acts: the platform, the chat (``None`` at the terminal), direct or
    group, the actor's own id on the platform, and whether they moderate this chat (as the
    platform says; it never counts in a direct chat)."""

    platform: Platform
    chat_id: str | None = None
    is_private: bool = True
    user_id: str = ""
    moderator: bool = False

    @property
    def is_group(self) -> bool:
        return self.chat_id is not None and not self.is_private

    def room(self) -> tuple[Platform, str] | None:
        return (self.platform, self.chat_id) if self.chat_id is not None else None


TERMINAL = Place(Platform.CONSOLE)


@dataclass(frozen=True, slots=True)
class PollFacts:
    """What the decision needs to know about a poll."""

    creator_id: int | None
    origin: tuple[Platform, str] | None  # the chat it was started in
    event_speaker_id: int | None = None  # the speaker assigned to the poll's event


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str | None = None  # the error code when not allowed

    def check(self) -> None:
        """Raise :class:`NotAllowed` with the reason unless allowed."""
        if not self.allowed:
            raise NotAllowed(self.reason or "not_allowed")


ALLOW = Decision(True)


def decide(
    actor: Person | None,
    action: Action,
    place: Place = TERMINAL,
    *,
    poll: PollFacts | None = None,
    event_speaker_id: int | None = None,
    any_object: bool = False,
    read_only: bool = False,
) -> Decision:
    """May ``actor`` do ``action`` at ``place`` (on ``poll``, or on an event whose assigned
    speaker is ``event_speaker_id``)?

    ``actor=None`` is the operator at the command line, who may do everything. With
    ``any_object`` the question is whether the action could be allowed for *some* poll or
    event (for the help text; ``event_speaker_id`` is then the actor's id if the office
    assigned them to any coming event); otherwise a missing object counts as one the actor
    does not own. ``read_only``: the actor acts through a credential that may only read (an
    API token of scope ``read``, RFC 6750's ``insufficient_scope``): nothing of
    :data:`READS` is refused, everything else is.
    """
    if read_only and action not in READS:
        return Decision(False, "read_only_credential")
    if actor is None or actor.is_organizer:
        return ALLOW
    if action in EVERYONE:
        return ALLOW
    if action in ORGANIZERS:
        return Decision(False, "organizers_only")
    if action in (Action.USE_WEB_DESK, Action.VIEW_AGGREGATES):
        return ALLOW if actor.has_role(Role.LEADERSHIP) else Decision(False, "web_desk_only")
    if action is Action.ANSWER_QUESTIONS:
        return ALLOW if actor.has_role(Role.SUPPORTER) else Decision(False, "faq_helpers_only")
    moderates_here = place.is_group and place.moderator
    assigned = actor.id is not None and event_speaker_id == actor.id
    if action is Action.START_POLL:  # (the event's speaker: with ``--termin`` only)
        if actor.has_role(Role.SPEAKER) or moderates_here or (any_object and assigned):
            return ALLOW
        return Decision(False, "poll_runners_only")
    if action in (
        Action.START_EVENT_POLL,
        Action.LINK_EVENT_ROOM,
        Action.CHECK_IN,
        Action.SEND_SURVEY,
    ):
        return ALLOW if assigned else Decision(False, "event_speaker_only")
    # POST_POLL, CONTROL_POLL and SEE_POLL_RESULTS: who owns the poll; for control and its
    # results also the origin room's moderators, acting in that room.
    controls = action in (Action.CONTROL_POLL, Action.SEE_POLL_RESULTS)
    moderates_origin = controls and moderates_here
    if any_object:
        allowed = actor.has_role(Role.SPEAKER) or assigned or moderates_origin
        return ALLOW if allowed else Decision(False, "poll_not_yours")
    if poll is not None and actor.id is not None:
        if actor.id in (poll.creator_id, poll.event_speaker_id):
            return ALLOW
        if moderates_origin and poll.origin == place.room():
            return ALLOW
    return Decision(False, "poll_not_yours")
