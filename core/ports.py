"""Ports: what the core needs from storage, the clock and the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, Self

from core.domain.events import Event
from core.domain.faq import FaqEntry
from core.domain.invitations import Invitation
from core.domain.members import Member
from core.domain.notices import Notice
from core.domain.outbox import OutgoingMessage
from core.domain.people import ChatIdentity, Person, Platform
from core.domain.registrations import Registration, RegistrationStatus
from core.faq.records import FaqGap, ForwardedQuestion


@dataclass(frozen=True, slots=True)
class EventWithCounts:
    """An event with its registration counts, as one person (if given) sees it."""

    event: Event
    confirmed: int
    waitlisted: int
    waitlist_tail: int = 0  # highest position on the waiting list; the next one gets tail + 1
    own_status: RegistrationStatus | None = None  # the person's active registration, if any

    @property
    def free_places(self) -> int | None:
        if self.event.capacity is None:
            return None
        return max(self.event.capacity - self.confirmed, 0)


@dataclass(frozen=True, slots=True)
class RegistrationView:
    """A registration together with what a list needs to show about it."""

    registration: Registration
    event: Event
    person_name: str | None
    member_name: str | None
    waitlist_rank: int | None = None  # 1-based, for waitlisted registrations


class MemberRepository(Protocol):
    async def add(self, member: Member) -> Member: ...
    async def get(self, member_id: int) -> Member | None: ...
    async def find(self, ref: str) -> Member | None: ...
    async def list(self) -> list[Member]: ...


class PersonRepository(Protocol):
    async def add(self, person: Person) -> Person: ...
    async def get(self, person_id: int) -> Person | None: ...
    async def get_with_member(self, person_id: int) -> tuple[Person, Member | None] | None: ...
    async def find(self, ref: str) -> Person | None: ...
    async def update(self, person: Person) -> None: ...
    async def delete(self, person_id: int) -> None: ...
    async def list(self) -> list[Person]: ...


class IdentityRepository(Protocol):
    async def get(self, platform: Platform, external_id: str) -> ChatIdentity | None: ...
    async def add(self, identity: ChatIdentity) -> bool:
        """Insert unless the (platform, external id) pair exists; return whether it did."""
        ...

    async def for_person(self, person_id: int) -> list[ChatIdentity]: ...
    async def delete_for_person(self, person_id: int) -> int: ...


class EventRepository(Protocol):
    async def add(self, event: Event) -> Event: ...
    async def get(
        self, event_id: int, *, person_id: int | None = None
    ) -> EventWithCounts | None: ...

    async def lock(self, event_id: int, *, person_id: int | None = None) -> EventWithCounts | None:
        """Load the event and lock it against concurrent signups until the transaction ends."""
        ...

    async def update(self, event: Event) -> None: ...
    async def upcoming(self, now: datetime, limit: int) -> list[EventWithCounts]: ...


class RegistrationRepository(Protocol):
    async def add(self, registration: Registration) -> Registration: ...
    async def update(self, registration: Registration) -> None: ...
    async def active_for(self, event_id: int, person_id: int) -> Registration | None: ...
    async def first_waitlisted(self, event_id: int, limit: int) -> list[Registration]: ...
    async def waitlist_rank(self, registration: Registration) -> int: ...
    async def for_event(self, event_id: int) -> list[RegistrationView]:
        """The active (confirmed and waitlisted) registrations of an event."""
        ...

    async def for_person(self, person_id: int, *, active_only: bool) -> list[RegistrationView]: ...
    async def detach_person(self, person_id: int) -> int:
        """Erasure: keep the rows for the counts, drop the link to the person."""
        ...


class InvitationRepository(Protocol):
    async def add(self, invitation: Invitation) -> Invitation: ...
    async def get_by_hash(self, code_hash: str) -> Invitation | None: ...
    async def update(self, invitation: Invitation) -> None: ...
    async def created_by(self, person_id: int) -> list[Invitation]: ...
    async def detach_creator(self, person_id: int) -> int: ...


class InboundRepository(Protocol):
    async def claim(self, platform: str, external_id: str, now: datetime) -> bool:
        """Record an incoming update; ``False`` if it was processed before (a redelivery)."""
        ...


class StateRepository(Protocol):
    """Small durable values such as a transport's update offset or sync token."""

    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, now: datetime) -> None: ...
    async def delete(self, key: str) -> None: ...


class OutboxRepository(Protocol):
    async def add(self, message: OutgoingMessage) -> OutgoingMessage: ...
    async def claim_due(
        self, platform: str, now: datetime, limit: int, lease: timedelta
    ) -> list[OutgoingMessage]:
        """Due, unsent messages, leased to the caller so that no other process sends them."""
        ...

    async def get(self, message_id: int) -> OutgoingMessage | None: ...
    async def mark_sent(self, message_id: int, now: datetime) -> None: ...
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

    async def unanswered(self, limit: int) -> list[ForwardedQuestion]:
        """Unanswered questions, oldest first."""
        ...

    async def asked_by(self, person_id: int) -> list[ForwardedQuestion]: ...
    async def answered_by(self, person_id: int) -> list[ForwardedQuestion]: ...
    async def delete_asked_by(self, person_id: int) -> int: ...
    async def detach_answerer(self, person_id: int) -> int:
        """Erasure: keep the answers the person gave, drop the link to them."""
        ...


class FaqGapRepository(Protocol):
    async def record(self, query: str, now: datetime) -> None:
        """Count one more unanswered ``query`` (already normalised)."""
        ...

    async def top(self, limit: int) -> list[FaqGap]:
        """The most frequent gaps, most recent first among equals."""
        ...


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
    outbox: OutboxRepository
    faq_entries: FaqEntryRepository
    faq_questions: FaqQuestionRepository
    faq_gaps: FaqGapRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def commit(self) -> None: ...
    def notify(self, notice: Notice) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class Notifier(Protocol):
    async def notify(self, notices: Sequence[Notice]) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...
