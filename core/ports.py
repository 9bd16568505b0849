"""Ports: what the core needs from storage, the clock and the outside world."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, Self, runtime_checkable

from core.domain.api import ApiToken
from core.domain.attendance import Attendance
from core.domain.audit import AuditEntry
from core.domain.dialogues import Dialogue
from core.domain.events import Event, EventState
from core.domain.faq import FaqEntry
from core.domain.invitations import Invitation
from core.domain.mail import EmailAddress
from core.domain.members import Member
from core.domain.notices import Notice
from core.domain.notifications import (
    Announcement,
    AudienceKind,
    DeliveryProgress,
    GivenUp,
    Notification,
    Preferences,
)
from core.domain.outbox import OutgoingMessage
from core.domain.people import ChatIdentity, Person, Platform
from core.domain.polls import Poll, Tally
from core.domain.questions import EventQuestion
from core.domain.registrations import (
    Mode,
    Registration,
    RegistrationStatus,
    status_for_new_signup,
)
from core.domain.room_invites import Invitee, InvitingRoom, RoomInvite
from core.domain.series import Series
from core.domain.surveys import Answer, Survey
from core.domain.web import GrantKind, WebGrant
from core.faq.records import FaqGap, ForwardedQuestion


@dataclass(frozen=True, slots=True)
class Places:
    """One mode's registrations of an event (:class:`core.domain.registrations.Mode`)."""

    capacity: int | None  # None: unlimited
    confirmed: int
    waitlisted: int  # those holding an offer included
    waitlist_tail: int = 0  # highest position on the waiting list; the next one gets tail + 1
    offered: int = 0  # waiting, and offered a place they hold for now

    @property
    def held(self) -> int:
        """Places taken: confirmed, or held by an open offer."""
        return self.confirmed + self.offered

    @property
    def free(self) -> int | None:
        """Places still free (``None``: unlimited)."""
        return None if self.capacity is None else max(self.capacity - self.held, 0)

    @property
    def takes_confirmed(self) -> bool:
        """Whether a new signup in this mode is confirmed (a place is free and nobody waits)."""
        return status_for_new_signup(self.capacity, self.confirmed, self.waitlisted) is (
            RegistrationStatus.CONFIRMED
        )


@dataclass(frozen=True, slots=True)
class EventWithCounts:
    """An event with its registration counts per mode, as one person (if given) sees it."""

    event: Event
    by_mode: dict[Mode, Places]  # the modes the event offers
    own_status: RegistrationStatus | None = None  # the person's active registration, if any
    own_mode: Mode | None = None
    own_offer: datetime | None = None  # until when the person holds an offered place
    admitted: bool = True  # the person (if given) belongs to the audience and may sign up

    def places(self, mode: Mode) -> Places:
        return self.by_mode[mode]

    @property
    def confirmed(self) -> int:
        return sum(p.confirmed for p in self.by_mode.values())

    @property
    def waitlisted(self) -> int:
        return sum(p.waitlisted for p in self.by_mode.values())

    @property
    def free_places(self) -> int | None:
        """Free places over all modes (``None``: some mode is unlimited)."""
        free = [p.free for p in self.by_mode.values()]
        return None if None in free else sum(f for f in free if f is not None)

    def state(self, now: datetime) -> EventState:
        """The one state every view of this event renders (list, details, buttons): open
        while any mode has a free place."""
        signup = self.event.signup_state(now, free_places=self.free_places)
        return EventState(signup, self.own_status, self.admitted)


@dataclass(frozen=True, slots=True)
class RegistrationView:
    """A registration together with what a list needs to show about it."""

    registration: Registration
    event: Event
    person_name: str | None
    member_name: str | None
    waitlist_rank: int | None = None  # 1-based, for waitlisted registrations

    def event_state(self, now: datetime) -> EventState:
        """The event's state with this registration as the person's own (for their lists;
        places are not counted here, so a full event reads as open)."""
        own = self.registration.status if self.registration.is_active else None
        return EventState(self.event.signup_state(now), own)


class MemberRepository(Protocol):
    async def add(self, member: Member) -> Member: ...
    async def update(self, member: Member) -> None: ...
    async def get(self, member_id: int) -> Member | None: ...
    async def find(self, ref: str) -> Member | None: ...
    async def list(self) -> list[Member]: ...


class PersonRepository(Protocol):
    async def add(self, person: Person) -> Person: ...
    async def get(self, person_id: int) -> Person | None: ...
    async def get_with_member(self, person_id: int) -> tuple[Person, Member | None] | None: ...
    async def matching(self, ref: str) -> list[Person]:
        """By id, else everyone whose name contains ``ref`` (case-insensitively)."""
        ...

    async def update(self, person: Person) -> None: ...
    async def delete(self, person_id: int) -> None: ...
    async def list(self) -> list[Person]: ...
    async def merge(self, source_id: int, target_id: int) -> None:
        """Everything of ``source_id`` to ``target_id`` (kept where the target has its own),
        then delete ``source_id``."""
        ...


class IdentityRepository(Protocol):
    async def get(self, platform: Platform, external_id: str) -> ChatIdentity | None: ...
    async def add(self, identity: ChatIdentity) -> bool:
        """Insert unless the (platform, external id) pair exists; return whether it did."""
        ...

    async def for_person(self, person_id: int) -> list[ChatIdentity]: ...
    async def delete(self, platform: Platform, external_id: str) -> bool: ...


class EventRepository(Protocol):
    async def add(self, event: Event) -> Event: ...
    async def get(
        self, event_id: int, *, person_id: int | None = None
    ) -> EventWithCounts | None: ...

    async def lock(self, event_id: int, *, person_id: int | None = None) -> EventWithCounts | None:
        """Load the event and lock it against concurrent signups until the transaction ends."""
        ...

    async def update(self, event: Event) -> None: ...
    async def upcoming(self, now: datetime, limit: int | None) -> list[EventWithCounts]:
        """Events not yet ended nor cancelled, soonest first; ``limit=None``: all."""
        ...

    async def listed(self, now: datetime, *, ended: bool, limit: int) -> list[EventWithCounts]:
        """The office's list, cancelled events included: those not yet ended, soonest
        first, or (``ended``) those over, the latest first."""
        ...

    async def attendance(self, since: datetime, until: datetime) -> list[tuple[int, int, int]]:
        """(event id, member id, persons) of confirmed registrations, per event that is not
        cancelled and starts in [``since``, ``until``) and per member municipality."""
        ...


class RegistrationRepository(Protocol):
    async def add(self, registration: Registration) -> Registration: ...
    async def update(self, registration: Registration) -> None: ...
    async def get(self, registration_id: int) -> Registration | None: ...
    async def active_for(self, event_id: int, person_id: int) -> Registration | None: ...
    async def first_waitlisted(
        self, event_id: int, mode: Mode, limit: int, *, unoffered: bool = False
    ) -> list[Registration]:
        """The first ``limit`` waiting for ``mode`` in order (``unoffered``: those not
        holding an offer)."""
        ...

    async def offers_ended(self, now: datetime) -> list[Registration]:
        """Waiting registrations whose offer ended at or before ``now``."""
        ...

    async def next_offer_end(self) -> datetime | None: ...

    async def change_mode(self, event_id: int, old: Mode, new: Mode) -> int:
        """Every active registration of ``old`` to ``new`` (waiting-list order kept);
        returns how many."""
        ...

    async def waitlist_rank(self, registration: Registration) -> int: ...
    async def for_event(self, event_id: int) -> list[RegistrationView]:
        """The active (confirmed and waitlisted) registrations of an event."""
        ...

    async def for_person(self, person_id: int, *, active_only: bool) -> list[RegistrationView]: ...


class InvitationRepository(Protocol):
    async def add(self, invitation: Invitation) -> Invitation: ...
    async def get_by_hash(self, code_hash: str) -> Invitation | None: ...
    async def update(self, invitation: Invitation) -> None: ...


class InboundRepository(Protocol):
    async def claim(self, platform: str, external_id: str, now: datetime) -> bool:
        """Record an incoming update; ``False`` if it was processed before (a redelivery)."""
        ...


class StateRepository(Protocol):
    """Small durable values such as a transport's update offset or sync token."""

    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, now: datetime) -> None: ...
    async def delete(self, key: str) -> None: ...


class FaqFeedbackRepository(Protocol):
    """ "Hat das geholfen?" counted per knowledge-base entry, without names."""

    async def count(self, entry_id: str, *, helpful: bool) -> None: ...
    async def unhelpful_first(self, limit: int) -> list[tuple[str, int, int]]: ...


class QuestionRepository(Protocol):
    """Registration questions of events, and the answers (``core.questions``)."""

    async def add(self, question: EventQuestion) -> EventQuestion: ...
    async def of_event(self, event_id: int) -> list[EventQuestion]: ...
    async def remove(self, question: EventQuestion) -> None: ...
    async def save_answer(self, question_id: int, person_id: int, value: str | None) -> None: ...
    async def answers(
        self, event_id: int, person_id: int | None = None
    ) -> dict[int, dict[int, str]]: ...
    async def forget_answers(self, event_id: int, person_id: int) -> None: ...
    async def purge_answers(self, ended_before: datetime) -> int: ...


class DialogueRepository(Protocol):
    """Each person's one pending dialogue step (``core.dialogues``)."""

    async def get(self, person_id: int) -> Dialogue | None: ...
    async def put(self, dialogue: Dialogue) -> None: ...
    async def delete(self, person_id: int) -> None: ...
    async def purge_expired(self, now: datetime) -> int: ...


class OutboxRepository(Protocol):
    platforms: set[str]  # those this transaction queued messages for

    async def add(self, message: OutgoingMessage) -> OutgoingMessage: ...
    async def claim_due(
        self,
        platform: str,
        now: datetime,
        limit: int,
        lease: timedelta,
        *,
        owner: str | None = None,
        skip_chats: Collection[str] = (),
    ) -> list[OutgoingMessage]:
        """Due, unsent messages (not to ``skip_chats``), leased to ``owner`` (a process) so
        that no other process sends them."""
        ...

    async def take_back(self, owner: str) -> int:
        """End ``owner``'s leases on unsent messages (its earlier run died); how many."""
        ...

    async def get(self, message_id: int) -> OutgoingMessage | None: ...
    async def forget(self, message_id: int) -> None:
        """Delete a delivered message that must not be kept (an erasure's confirmation)."""
        ...

    async def mark_sent(self, message_id: int, now: datetime) -> None: ...
    async def postpone(self, message_id: int, error: str, retry_at: datetime) -> None: ...
    async def mark_failed(
        self, message_id: int, error: str, retry_at: datetime | None, now: datetime
    ) -> None:
        """``retry_at=None`` gives up on the message."""
        ...


class FaqEntryRepository(Protocol):
    async def list(self) -> list[FaqEntry]:
        """Every entry, in the order of the last import."""
        ...

    async def add(self, entry: FaqEntry, position: int) -> None: ...
    async def update(self, entry: FaqEntry, position: int) -> None: ...
    async def delete(self, entry_id: str) -> None: ...


class FaqQuestionRepository(Protocol):
    async def add(self, question: ForwardedQuestion) -> ForwardedQuestion: ...
    async def get(self, question_id: int) -> ForwardedQuestion | None: ...
    async def answer(
        self, question_id: int, *, answered_by: int, answer: str, now: datetime
    ) -> bool:
        """Record the answer unless there is one already; return whether this one counts."""
        ...

    async def unanswered(self, limit: int | None = None) -> list[ForwardedQuestion]:
        """Unanswered questions, oldest first (all with ``limit=None``)."""
        ...

    async def asked_by(self, person_id: int) -> list[ForwardedQuestion]: ...
    async def answered(self, limit: int) -> list[ForwardedQuestion]:
        """Answered questions, the newest answer first."""
        ...


class FaqGapRepository(Protocol):
    async def record(self, query: str, now: datetime) -> None:
        """Count one more unanswered ``query`` (already normalised)."""
        ...

    async def top(self, limit: int) -> list[FaqGap]:
        """The most frequent gaps, most recent first among equals."""
        ...


class NotificationRepository(Protocol):
    async def add_many(
        self, items: list[Notification], *, dropped_at: datetime | None = None, reason: str = ""
    ) -> int:
        """Insert, skipping any whose ``dedupe_key`` exists; returns how many were new.

        With ``dropped_at`` the rows are recorded as given up (``reason``), never sent.
        """
        ...

    async def by_dedupe_key(self, dedupe_key: str) -> Notification | None: ...
    async def claim_due(
        self, now: datetime, limit: int, *, person_id: int | None = None
    ) -> list[Notification]:
        """Due, unhandled rows (of one person, if given), locked until the transaction ends
        (other processes skip them)."""
        ...

    async def mark_sent(
        self, notification_id: int, now: datetime, platform: str, outbox_id: int | None
    ) -> bool: ...
    async def mark_failed(self, notification_id: int, now: datetime, error: str) -> None: ...
    async def dedupe_keys(self, prefix: str, event_ids: list[int]) -> set[str]: ...
    async def next_due(self, now: datetime) -> datetime | None: ...
    async def progress(
        self, announcement_id: int, platform: str | None = None
    ) -> DeliveryProgress: ...
    async def given_up(self, limit: int, announcement_id: int | None = None) -> list[GivenUp]:
        """Notifications that will not arrive (no chat, or the platform refused), newest first;
        those of one announcement if given."""
        ...

    async def for_person(self, person_id: int) -> list[dict[str, Any]]: ...


class PreferencesRepository(Protocol):
    async def get(self, person_id: int) -> Preferences: ...
    async def many(self, person_ids: list[int]) -> dict[int, Preferences]: ...
    async def by_token_hash(self, token_hash: str) -> Preferences | None: ...
    async def deadline_subscribers(self) -> list[int]: ...
    async def save(self, prefs: Preferences) -> None: ...


class EmailRepository(Protocol):
    async def get(self, person_id: int) -> EmailAddress | None: ...
    async def many(self, person_ids: list[int]) -> dict[int, EmailAddress]: ...
    async def by_token_hash(self, token_hash: str) -> EmailAddress | None: ...
    async def save(self, address: EmailAddress) -> None: ...
    async def delete(self, person_id: int) -> bool: ...
    async def mark_undeliverable(self, address: str, problem: str, now: datetime) -> int: ...
    async def undeliverable(self) -> list[EmailAddress]: ...
    async def note_calendar(self, person_id: int, event_id: int) -> None: ...
    async def forget_calendar(self, person_id: int, event_id: int) -> None: ...
    async def has_calendar(self, person_id: int, event_id: int) -> bool: ...


class ReminderRepository(Protocol):
    async def events_starting(self, after: datetime, until: datetime) -> list[Event]: ...
    async def events_with_deadline(self, after: datetime, until: datetime) -> list[Event]: ...
    async def offsets(self, event_ids: list[int]) -> dict[int, tuple[timedelta, ...]]: ...
    async def set_offsets(self, event_id: int, offsets: tuple[timedelta, ...]) -> None: ...
    async def confirmed(self, event_ids: list[int]) -> list[tuple[int, int, datetime, Mode]]:
        """``(event id, person id, confirmed since)`` of confirmed registrations."""
        ...

    async def active_person_ids(self, event_id: int) -> set[int]: ...


class AnnouncementRepository(Protocol):
    async def add(
        self, announcement: Announcement, draft: str | None = None
    ) -> Announcement | None:
        """``None``: an announcement of this ``draft`` exists already."""
        ...

    async def by_draft(self, draft: str) -> Announcement | None: ...
    async def get(self, announcement_id: int) -> Announcement | None: ...
    async def set_recipients(self, announcement_id: int, count: int) -> None: ...
    async def unfinished(self) -> list[Announcement]: ...
    async def complete(self, announcement_id: int, now: datetime) -> bool: ...
    async def recipients(self, audience: AudienceKind, ref: str | None) -> list[int]: ...


class RetentionRepository(Protocol):
    async def registrations(self, cutoff: datetime) -> int: ...
    async def forwarded_questions(self, answered_before: datetime, asked_before: datetime) -> int:
        """Questions answered before the first date, or unanswered and asked before the
        second."""
        ...

    async def named_votes(self, closed_before: datetime) -> int: ...
    async def gaps(self, last_seen_before: datetime) -> int: ...
    async def notifications(self, cutoff: datetime) -> int: ...
    async def outbox(self, cutoff: datetime) -> int: ...


@dataclass(frozen=True, slots=True)
class PollRoom:
    """A chat a poll was posted to, with the platform's ids of the posted poll once sent."""

    poll_id: int
    platform: Platform
    chat_id: str
    external_poll_id: str | None = None
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class VoteRecord:
    """Whose vote: the person (named polls) or their per-poll pseudonym (anonymous polls)."""

    poll_id: int
    person_id: int | None = None
    voter_key: str | None = None


class PollRepository(Protocol):
    async def add(self, poll: Poll) -> Poll: ...
    async def get(self, poll_id: int, *, lock: bool = False) -> Poll | None:
        """``lock``: hold a shared lock until the end of the transaction (closing waits)."""
        ...

    async def find(
        self, *, token: str | None = None, join_code: str | None = None
    ) -> Poll | None: ...
    async def latest(
        self,
        *,
        room: tuple[Platform, str] | None = None,
        creator_id: int | None = None,
        open_at: datetime | None = None,
    ) -> Poll | None: ...
    async def recent(self, limit: int) -> list[Poll]:
        """The newest ``limit`` polls, newest first."""
        ...

    async def close(self, poll_id: int, now: datetime) -> bool:
        """Close and destroy the salt unless already closed; return whether this call did."""
        ...

    async def freeze(
        self,
        poll_id: int,
        tally: Tally,
        turnout: list[tuple[int | None, str | None, int]] | None,
    ) -> None:
        """At closing: keep the tally and (named polls) the turnout by municipality, so that
        they stay what they were when people leave or erase their data."""
        ...

    async def frozen(self, poll_id: int) -> Tally | None: ...
    async def frozen_turnout(
        self, poll_id: int
    ) -> list[tuple[int | None, str | None, int]] | None: ...
    async def due(self, now: datetime) -> list[int]: ...
    async def next_deadline(self) -> datetime | None: ...
    async def open_anonymous(self) -> list[Poll]: ...
    async def add_room(
        self, poll_id: int, platform: Platform, chat_id: str, now: datetime
    ) -> None: ...
    async def set_room_message(
        self,
        poll_id: int,
        platform: Platform,
        chat_id: str,
        *,
        external_poll_id: str | None,
        message_id: str | None,
    ) -> None: ...
    async def rooms(self, poll_id: int) -> list[PollRoom]: ...
    async def link_event_room(
        self, event_id: int, platform: Platform, chat_id: str, now: datetime
    ) -> None: ...
    async def unlink_event_room(self, event_id: int, platform: Platform, chat_id: str) -> bool: ...
    async def event_rooms(self, event_id: int) -> list[tuple[Platform, str]]:
        """The chats linked to an event, oldest link first."""
        ...

    async def room_for(self, platform: Platform, external_poll_id: str) -> PollRoom | None: ...
    async def choices(self, record: VoteRecord) -> tuple[int, ...] | None: ...
    async def put_vote(self, record: VoteRecord, choices: tuple[int, ...]) -> bool:
        """Insert or replace; return whether an earlier vote was replaced."""
        ...

    async def delete_vote(self, record: VoteRecord) -> bool: ...
    async def tally(self, poll_id: int, option_count: int) -> Tally: ...
    async def turnout(self, poll_id: int) -> list[tuple[int | None, str | None, int]]: ...
    async def delete_anonymous_votes(self, poll_id: int) -> int: ...


class PersonalDataRepository(Protocol):
    """Erasure and export of one person across every table, as the registry declares."""

    async def erase(
        self, person_id: int, accounts: Sequence[tuple[str, str]], needles: Sequence[str]
    ) -> dict[str, int]: ...
    async def export(
        self, person_id: int, accounts: Sequence[tuple[str, str]]
    ) -> dict[str, Any]: ...


class ChatLinkRepository(Protocol):
    async def move(self, platform: Platform, old_chat_id: str, new_chat_id: str) -> int: ...


class WebAccessRepository(Protocol):
    """Sign-in links and sessions of the web desk, by the hash of their token."""

    async def add(
        self, kind: GrantKind, token_hash: str, person_id: int, now: datetime, expires_at: datetime
    ) -> None: ...
    async def get(self, kind: GrantKind, token_hash: str) -> WebGrant | None: ...
    async def use(self, token_hash: str, now: datetime) -> bool:
        """Mark a link used; ``False`` if it was used already."""
        ...

    async def delete(self, kind: GrantKind, token_hash: str) -> None: ...
    async def purge_expired(self, now: datetime) -> int: ...


class ApiTokenRepository(Protocol):
    async def add(self, token: ApiToken, token_hash: str) -> None: ...
    async def by_name(self, name: str) -> ApiToken | None: ...
    async def by_hash(self, token_hash: str) -> ApiToken | None: ...
    async def list(self) -> list[ApiToken]: ...
    async def used(self, name: str, now: datetime) -> None: ...
    async def revoke(self, name: str, now: datetime) -> bool:
        """``False`` if there is no such token, or it was revoked already."""
        ...


class AuditRepository(Protocol):
    async def add(self, entry: AuditEntry) -> None: ...
    async def latest(self, limit: int) -> list[AuditEntry]: ...
    async def purge(self, before: datetime) -> int: ...


class AttendanceRepository(Protocol):
    """Check-ins at events and each event's attendance code."""

    async def add(self, entry: Attendance) -> bool:
        """Insert unless the person is checked in already; whether this call did."""
        ...

    async def get(self, event_id: int, person_id: int) -> Attendance | None: ...
    async def remove(self, event_id: int, person_id: int) -> bool: ...
    async def for_event(self, event_id: int) -> list[tuple[Attendance, str, str | None]]:
        """The event's check-ins with each person's name and municipality, earliest first."""
        ...

    async def certificates_sent(
        self, event_id: int, person_ids: list[int], now: datetime
    ) -> None: ...

    async def counts(self, since: datetime, until: datetime) -> list[tuple[int, int, int]]:
        """(event id, member id, persons checked in) per event that is not cancelled and
        starts in [``since``, ``until``), per municipality."""
        ...

    async def code(self, event_id: int) -> str | None: ...
    async def set_code(self, event_id: int, code: str, now: datetime) -> None: ...
    async def event_of_code(self, code: str) -> int | None: ...


class SeriesRepository(Protocol):
    """Series of events (``core.domain.series``) and their dates."""

    async def add(self, rule: Series) -> Series: ...
    async def many(self, series_ids: Collection[int]) -> dict[int, Series]: ...
    async def dates(self, series_id: int) -> list[Event]:
        """The series' events in the order of its rule (cancelled ones included)."""
        ...


class SurveyRepository(Protocol):
    """Evaluation surveys (``core.surveys``): answers stored without person, time or order."""

    async def add(self, survey: Survey) -> Survey: ...
    async def get(self, survey_id: int, *, lock: bool = False) -> Survey | None: ...
    async def for_event(self, event_id: int) -> Survey | None: ...
    async def list(self) -> list[Survey]: ...
    async def responses(self, survey_id: int) -> list[list[Answer]]: ...
    async def mark_sent(
        self,
        survey_id: int,
        *,
        now: datetime,
        remind_at: datetime,
        closes_at: datetime,
        invited: int,
    ) -> bool: ...
    async def mark_reminded(self, survey_id: int, now: datetime) -> bool: ...
    async def close(self, survey_id: int, now: datetime) -> bool: ...
    async def delete(self, survey_id: int) -> None: ...
    async def due_to_send(self, now: datetime) -> list[int]: ...
    async def due_to_remind(self, now: datetime) -> list[int]: ...
    async def due_to_close(self, now: datetime) -> list[int]: ...
    async def next_due(self) -> datetime | None: ...
    async def closed_before(self, moment: datetime) -> list[int]: ...
    async def invite_one_more(self, survey_id: int) -> int: ...
    async def add_recipients(self, survey_id: int, person_ids: list[int]) -> None: ...
    async def recipients(self, survey_id: int) -> list[int]: ...
    async def draft(self, survey_id: int, person_id: int) -> list[Answer] | None: ...
    async def set_draft(
        self, survey_id: int, person_id: int, draft: list[Answer] | None
    ) -> None: ...
    async def has_answered(self, survey_id: int, voter_key: str) -> bool: ...
    async def answered_keys(self, survey_id: int) -> set[str]: ...
    async def store_response(
        self, survey_id: int, voter_key: str, answers: list[Answer]
    ) -> bool: ...


class RoomInviteRepository(Protocol):
    """The event rooms whose participants the bot invites, and whom it invited
    (``core.event_rooms``)."""

    async def switch_on(
        self, event_id: int, platform: Platform, chat_id: str, now: datetime
    ) -> None: ...
    async def switch_off(self, event_id: int, platform: Platform, chat_id: str) -> bool:
        """``False`` if it was not on."""
        ...

    async def rooms(self, now: datetime, event_id: int | None = None) -> list[InvitingRoom]:
        """Rooms that invite, of events neither over nor cancelled."""
        ...

    async def invitees(self, event_id: int, platform: Platform) -> list[Invitee]: ...
    async def invites(self, room: InvitingRoom) -> list[RoomInvite]: ...
    async def add(self, room: InvitingRoom, invitee: Invitee, now: datetime) -> int | None:
        """The new invitation's id; ``None`` if the account is invited already."""
        ...

    async def sent_with(self, invite_id: int, outbox_id: int) -> None: ...
    async def delete(self, invite_id: int) -> None: ...
    async def forget_ended(self, now: datetime) -> int: ...


class UnitOfWork(Protocol):
    """One transaction. Leaving ``async with`` without :meth:`commit` rolls back.

    Notices collected with :meth:`notify` are handed to the notifier only after the commit,
    so nobody is told about something that did not happen.
    """

    members: MemberRepository
    persons: PersonRepository
    identities: IdentityRepository
    events: EventRepository
    registrations: RegistrationRepository
    invitations: InvitationRepository
    inbound: InboundRepository
    state: StateRepository
    dialogues: DialogueRepository
    questions: QuestionRepository
    faq_feedback: FaqFeedbackRepository
    outbox: OutboxRepository
    faq_entries: FaqEntryRepository
    faq_questions: FaqQuestionRepository
    faq_gaps: FaqGapRepository
    notifications: NotificationRepository
    preferences: PreferencesRepository
    emails: EmailRepository
    reminders: ReminderRepository
    announcements: AnnouncementRepository
    retention: RetentionRepository
    polls: PollRepository
    personal_data: PersonalDataRepository
    chat_links: ChatLinkRepository
    web_access: WebAccessRepository
    api_tokens: ApiTokenRepository
    audit: AuditRepository
    attendance: AttendanceRepository
    series: SeriesRepository
    surveys: SurveyRepository
    room_invites: RoomInviteRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def commit(self) -> None: ...
    def notify(self, notice: Notice) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class Notifier(Protocol):
    async def notify(self, notices: Sequence[Notice]) -> None: ...


@runtime_checkable
class DurableNotifier(Protocol):
    """A notifier that stores notices in the transaction that caused them (before the commit)."""

    async def stage(self, uow: UnitOfWork, notices: Sequence[Notice]) -> None: ...
    async def notify(self, notices: Sequence[Notice]) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class RoomDirectory(Protocol):
    """What the platforms say about one user in one chat, asked at the moment it matters
    (never by listing a room's members)."""

    async def is_moderator(self, platform: Platform, chat_id: str, user_id: str) -> bool:
        """A Telegram chat administrator or creator; a Matrix power level of at least 50 (or
        the room's creator). ``False`` when the platform cannot be asked."""
        ...

    async def is_member(self, platform: Platform, chat_id: str, user_id: str) -> bool:
        """The user is in the chat now (joined; not left, banned or only invited)."""
        ...
