"""The SQL unit of work: one connection, one transaction, notices sent after the commit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from core.domain.notices import Notice
from core.ports import DurableNotifier, Notifier
from storage.api_tokens import ApiTokenRepository
from storage.attendance import AttendanceRepository
from storage.audit import AuditRepository
from storage.chats import ChatLinkRepository
from storage.delivery import InboundRepository, OutboxRepository, StateRepository
from storage.dialogues import DialogueRepository
from storage.emails import EmailRepository
from storage.event_rooms import RoomInviteRepository
from storage.faq import (
    FaqEntryRepository,
    FaqFeedbackRepository,
    FaqGapRepository,
    FaqQuestionRepository,
)
from storage.notifications import (
    AnnouncementRepository,
    NotificationRepository,
    PreferencesRepository,
    ReminderRepository,
    RetentionRepository,
)
from storage.personal_data import PersonalDataRepository
from storage.polls import PollRepository
from storage.questions import QuestionRepository
from storage.repositories import (
    EventRepository,
    IdentityRepository,
    InvitationRepository,
    MemberRepository,
    PersonRepository,
    RegistrationRepository,
)
from storage.series import SeriesRepository
from storage.surveys import SurveyRepository
from storage.web_access import WebAccessRepository

log = logging.getLogger(__name__)


_ending: set[asyncio.Task[None]] = set()


async def _shielded(ending: Coroutine[Any, Any, None]) -> None:
    """Run ``ending`` to its end even if the awaiting task is cancelled meanwhile."""
    task = asyncio.ensure_future(ending)
    _ending.add(task)
    task.add_done_callback(_ending.discard)
    await asyncio.shield(task)


async def ended() -> None:
    """Wait for units of work whose task was cancelled while they gave back their connection
    (before the engine is disposed)."""
    if _ending:
        await asyncio.gather(*_ending, return_exceptions=True)


class SqlUnitOfWork:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        notifier: Notifier | None = None,
        row_locks: bool = True,
        writer_lock: asyncio.Lock | None = None,
        pepper: bytes,
    ) -> None:
        self._engine = engine
        self._pepper = pepper
        self._notifier = notifier
        self._row_locks = row_locks
        self._writer_lock = writer_lock
        self._conn: AsyncConnection | None = None
        self._pending: list[Notice] = []
        self._committed: list[Notice] = []
        self._queued = False

    async def __aenter__(self) -> Self:
        if self._writer_lock is not None:
            await self._writer_lock.acquire()
        try:
            self._conn = await self._engine.connect()
            await self._conn.begin()
        except BaseException:
            await self._release()
            raise
        conn = self._conn
        self.members = MemberRepository(conn)
        self.persons = PersonRepository(conn)
        self.identities = IdentityRepository(conn)
        self.events = EventRepository(conn, row_locks=self._row_locks)
        self.registrations = RegistrationRepository(conn)
        self.invitations = InvitationRepository(conn)
        self.inbound = InboundRepository(conn)
        self.state = StateRepository(conn)
        self.dialogues = DialogueRepository(conn)
        self.questions = QuestionRepository(conn)
        self.outbox = OutboxRepository(conn, row_locks=self._row_locks)
        self.faq_entries = FaqEntryRepository(conn)
        self.faq_questions = FaqQuestionRepository(conn)
        self.faq_gaps = FaqGapRepository(conn)
        self.faq_feedback = FaqFeedbackRepository(conn)
        self.notifications = NotificationRepository(conn, row_locks=self._row_locks)
        self.preferences = PreferencesRepository(conn)
        self.emails = EmailRepository(conn)
        self.reminders = ReminderRepository(conn)
        self.announcements = AnnouncementRepository(conn)
        self.retention = RetentionRepository(conn)
        self.polls = PollRepository(conn, pepper=self._pepper, row_locks=self._row_locks)
        self.personal_data = PersonalDataRepository(conn)
        self.chat_links = ChatLinkRepository(conn)
        self.web_access = WebAccessRepository(conn)
        self.api_tokens = ApiTokenRepository(conn)
        self.audit = AuditRepository(conn)
        self.attendance = AttendanceRepository(conn)
        self.series = SeriesRepository(conn)
        self.surveys = SurveyRepository(conn, pepper=self._pepper, row_locks=self._row_locks)
        self.room_invites = RoomInviteRepository(conn)
        self._pending, self._committed = [], []
        self._queued = False  # notifications stored directly: the notifier should look
        return self

    async def __aexit__(self, *exc: object) -> None:
        conn, self._conn = self._conn, None
        # A task cancelled here (a stopping transport, a closed live page) must not cut the
        # rollback or the return to the pool short: that leaves the connection half-reset.
        await _shielded(self._end(conn))
        notices, self._committed = self._committed, []
        if (notices or self._queued) and self._notifier is not None:
            try:
                await self._notifier.notify(notices)
            except Exception:
                log.exception("notifier failed for %d notices", len(notices))

    async def _end(self, conn: AsyncConnection | None) -> None:
        try:
            if conn is not None and conn.in_transaction():
                await conn.rollback()
        finally:
            if conn is not None:
                await conn.close()
            await self._release()

    async def _release(self) -> None:
        if self._writer_lock is not None and self._writer_lock.locked():
            self._writer_lock.release()

    @property
    def connection(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._conn

    def savepoint(self) -> AsyncTransaction:
        """``async with uow.savepoint():`` undoes only its own block when that block raises."""
        return self.connection.begin_nested()

    async def commit(self) -> None:
        if self._pending and isinstance(self._notifier, DurableNotifier):
            await self._notifier.stage(self, self._pending)  # in this very transaction
        await self.connection.commit()
        self._queued = self._queued or self.notifications.added > 0
        self._committed.extend(self._pending)
        self._pending = []

    def notify(self, notice: Notice) -> None:
        self._pending.append(notice)


class JoinedUnitOfWork:
    """A service's view of a transaction its caller opened (one per chat message).

    Entering and leaving do nothing and ``commit`` is left to the caller, so that the effect
    of a command, the record of the processed message and the replies commit together.
    """

    def __init__(self, outer: SqlUnitOfWork) -> None:
        self._outer = outer

    def __getattr__(self, name: str) -> object:
        return getattr(self._outer, name)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        return None
