"""The real notification hub in tests, with a channel that records what it is handed."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from markupsafe import Markup

from bot.app import App
from bot.notifications import NotificationHub
from bot.reply import plain_text
from bot.scheduler import Scheduler
from core.domain.people import ChatIdentity, Person, Platform
from storage.tables import notifications


@dataclass
class Inbox:
    """A direct channel (like the console) that keeps every text per person."""

    texts: dict[int, list[str]] = field(default_factory=dict)

    async def __call__(self, identity: ChatIdentity, text: Markup) -> None:
        self.texts.setdefault(identity.person_id, []).append(plain_text(text))

    def of(self, person: Person) -> list[str]:
        return self.texts.get(person.id, [])


def durable_hub(app: App, *, queued: set[Platform] = frozenset()) -> NotificationHub:
    """Replace the app's recording notifier with the real, durable hub."""
    hub = NotificationHub(app.uow, app.translator, app.clock, queued=queued, video=app.video)
    app.notifier = hub
    return hub


def scheduler_for(app: App, hub: NotificationHub) -> Scheduler:
    """A scheduler whose rounds a test runs by hand (``await scheduler.round()``)."""
    return Scheduler(app, hub)


async def link(app: App, person: Person, platform: Platform, external_id: str) -> None:
    async with app.uow() as uow:
        await uow.identities.add(
            ChatIdentity(platform, external_id, person.id, created_at=app.clock.now())
        )
        await uow.commit()


async def notification_rows(app: App) -> list:
    async with app.database.engine.connect() as conn:
        query = notifications.select().order_by(notifications.c.id)
        return list(await conn.execute(query))


async def count(app: App, table: sa.Table) -> int:
    async with app.database.engine.connect() as conn:
        return (await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()
