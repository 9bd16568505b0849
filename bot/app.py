"""The composition root: one place that wires settings, storage, services and the router."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from bot.flood import FloodGuard
from bot.handlers import COMMANDS, PLAIN_TEXT
from bot.i18n import Translator
from bot.mail_compose import MailSetup, link_key
from bot.notifications import NotificationHub, outbox_platforms
from bot.rooms import Rooms
from bot.router import Router
from bot.settings import Settings
from bot.transport_state import TransportState
from bot.video_links import VideoLinks, video_key
from core.clock import SystemClock
from core.domain import guests
from core.faq import FaqIndex
from core.kb import load_index
from core.ports import Clock, Notifier
from storage.database import Database
from storage.uow import SqlUnitOfWork


@dataclass(eq=False)
class App:
    settings: Settings
    database: Database
    clock: Clock
    translator: Translator
    notifier: Notifier = field(init=False)
    #: The knowledge base, indexed once here and kept current by ``core.kb.import_entries``.
    faq: FaqIndex = field(init=False)
    #: The knowledge base's revision ``faq`` reflects (``core.kb.sync_index`` catches up).
    faq_revision: int = field(init=False, default=0)
    router: Router = field(init=False)
    #: Personal links into events' video conferences (``/v/…``).
    video: VideoLinks = field(init=False)
    #: What transports keep between runs (offsets, sync tokens, send progress).
    transport_state: TransportState = field(init=False)
    #: What the platforms say about rooms (moderators, members); transports register here.
    rooms: Rooms = field(default_factory=Rooms)
    #: Questions guests forward, per chat account and day. The database counts them too,
    #: but a guest who erases their data starts that count over; this bucket does not.
    guest_forwards: FloodGuard = field(
        default_factory=lambda: FloodGuard(guests.FORWARDS, guests.FORWARD_WINDOW.total_seconds())
    )
    #: Who holds the leases of messages this process sends (``serve`` makes it unique).
    instance: str = field(init=False, default="")
    #: Set when ``serve`` shuts down: open event streams end at once instead of holding the
    #: HTTP server (and SIGTERM) up.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def uow(self) -> SqlUnitOfWork:
        return self.database.unit_of_work(self.notifier)

    async def close(self) -> None:
        await self.database.dispose()


async def build(
    settings: Settings,
    *,
    database: Database | None = None,
    notifier: Notifier | None = None,
    clock: Clock | None = None,
    migrate: bool = True,
) -> App:
    """Wire the application. Tests pass their own database, notifier and clock."""
    database = database or Database(settings.effective_database_url, pepper=settings.pepper())
    if migrate:
        await database.upgrade()
    translator = Translator(settings.tz, settings.default_language)
    app = App(settings, database, clock or SystemClock(), translator)
    app.instance = settings.instance
    app.video = VideoLinks(
        settings.effective_public_url,
        video_key(database.pepper),
        timedelta(minutes=settings.video_opens_minutes),
    )
    mail = None
    if settings.smtp_url is not None and settings.mail_from:
        mail = MailSetup(
            settings.effective_public_url,
            link_key(database.pepper),
            settings.mail_from,
            settings.video_opens_minutes,
        )
    app.notifier = notifier or NotificationHub(
        app.uow,
        translator,
        app.clock,
        queued=outbox_platforms(settings),
        mail=mail,
        video=app.video,
    )
    app.router = Router(app, COMMANDS, PLAIN_TEXT)
    app.transport_state = TransportState(app.uow, app.clock)
    app.faq, app.faq_revision = await load_index(app.uow())
    return app
