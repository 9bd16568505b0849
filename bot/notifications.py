"""Delivering core notices durably: stored with their cause, rendered per person, sent once.

``stage`` stores each notice as a notification row in the transaction that caused it.
``deliver_due`` (after every such commit, and on each scheduler wake-up) takes the due rows
and, in one transaction per batch, renders each in the person's language and hands it to one
channel: an outbox row for a platform delivered from the outbox (Telegram, Matrix) — so each
notification becomes exactly one outgoing message even with several processes — or a direct
sender such as the console, which shows it after the commit. A person linked on several
platforms is reached once, on the preferred one (else the one linked first).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from bot.i18n import Translator
from bot.markdown import markdown
from bot.reply import Reply
from bot.settings import Settings
from core.clock import SystemClock
from core.domain.notices import Notice
from core.domain.notifications import Notification
from core.domain.outbox import OutgoingMessage
from core.domain.people import ChatIdentity, Person, Platform
from core.ports import Clock, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

Sender = Callable[[ChatIdentity, Markup], Awaitable[None]]
Fallback = Callable[[Person, Markup], Awaitable[None]]
BATCH = 200
UNREACHABLE = "unreachable: no chat on a platform this bot serves"


def outbox_platforms(settings: Settings) -> set[Platform]:
    """Platforms whose messages some process delivers from the outbox."""
    configured = {
        Platform.TELEGRAM: settings.telegram_token,
        Platform.MATRIX: settings.matrix_homeserver,
    }
    return {platform for platform, setting in configured.items() if setting}


@dataclass(frozen=True, slots=True)
class _Shown:
    """A notice for a direct sender, shown after the commit."""

    send: Callable[[], Awaitable[None]]
    notification_id: int


class NotificationHub:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        translator: Translator,
        clock: Clock | None = None,
        *,
        queued: Iterable[Platform] = (),
    ) -> None:
        self._uow_factory = uow_factory
        self._translator = translator
        self._clock = clock or SystemClock()
        self._queued = set(queued)
        self._senders: dict[Platform, Sender] = {}
        self._wakers: dict[Platform, Callable[[], None]] = {}
        self.fallback: Fallback | None = None
        #: The terminal chat: hand over only this person's notices, leave the rest due for
        #: the process that serves the chat platforms.
        self.only_person: int | None = None
        self._lock = asyncio.Lock()
        self._again = False

    def register(self, platform: Platform, sender: Sender) -> None:
        """A direct channel (the console): notices are handed to ``sender`` after the commit."""
        self._senders[platform] = sender

    def watch(self, platform: Platform, wake: Callable[[], None]) -> None:
        """This process delivers ``platform`` from the outbox; ``wake`` after queueing."""
        self._queued.add(platform)
        self._wakers[platform] = wake

    def wake(self, platforms: Iterable[str]) -> None:
        """Something was put into the outbox directly (poll results): send it now."""
        for platform, wake in self._wakers.items():
            if platform.value in platforms:
                wake()

    async def stage(self, uow: UnitOfWork, notices: Sequence[Notice]) -> None:
        now = self._clock.now()
        await uow.notifications.add_many(
            [Notification(n.person_id, n.key, n.params, now) for n in notices]
        )

    async def notify(self, notices: Sequence[Notice]) -> None:
        """After a commit that staged ``notices``: deliver them (and anything else due) now."""
        await self.deliver_due()

    async def deliver_due(self) -> int:
        """Hand every due notification to its channel; returns how many were handled.

        Calls while a round runs make that round go on instead of starting another.
        """
        if self._lock.locked():
            self._again = True
            return 0
        handled = 0
        async with self._lock:
            while True:
                self._again = False
                count = await self._round()
                handled += count
                if count < BATCH and not self._again:
                    return handled

    async def _round(self) -> int:
        now = self._clock.now()
        shown: list[_Shown] = []
        woken: set[Platform] = set()
        async with self._uow_factory() as uow:
            due = await uow.notifications.claim_due(now, BATCH, person_id=self.only_person)
            for item in due:
                platform = await self._hand_over(uow, item, now, shown)
                if platform is not None:
                    woken.add(platform)
            await uow.commit()
        for platform in woken:
            wake = self._wakers.get(platform)
            if wake is not None:
                wake()
        for item in shown:
            try:
                await item.send()
            except Exception:
                log.exception("could not show notification %s", item.notification_id)
        return len(due)

    async def _hand_over(
        self, uow: UnitOfWork, item: Notification, now: datetime, shown: list[_Shown]
    ) -> Platform | None:
        """Route one notification; returns the outbox platform it was queued for, if any."""
        person = await uow.persons.get(item.person_id)
        if person is None:  # erased meanwhile (its rows go with it; this one is in hand)
            await uow.notifications.mark_failed(item.id, now, "person erased")
            return None
        language = self._translator.language(person.language)
        text = self._translator.t(language, f"notice.{item.key}", **_rendered(item))
        identity = await self._channel(uow, person)
        if identity is None:
            if self.fallback is None:
                log.info("notification %s: person %s unreachable", item.id, person.id)
                await uow.notifications.mark_failed(item.id, now, UNREACHABLE)
                return None
            fallback = self.fallback
            await uow.notifications.mark_sent(item.id, now, Platform.CONSOLE.value, None)
            shown.append(_Shown(lambda: fallback(person, text), item.id))
            return None
        sender = self._senders.get(identity.platform)
        if sender is not None:
            await uow.notifications.mark_sent(item.id, now, identity.platform.value, None)
            shown.append(_Shown(lambda: sender(identity, text), item.id))
            return None
        payload = {
            "reply": Reply(text).to_dict(),
            "reply_to": None,
            "sender_id": identity.external_id,
            "chat_is_private": True,
        }
        message = await uow.outbox.add(
            OutgoingMessage(
                identity.platform.value,
                identity.external_id,
                payload,
                f"notification-{item.id}",
                now,
            )
        )
        await uow.notifications.mark_sent(item.id, now, identity.platform.value, message.id)
        return identity.platform

    async def _channel(self, uow: UnitOfWork, person: Person) -> ChatIdentity | None:
        """The person's preferred reachable identity, else the one linked first."""
        reachable = [
            identity
            for identity in await uow.identities.for_person(person.id)
            if identity.platform in self._senders or identity.platform in self._queued
        ]
        if not reachable:
            return None
        preferred = (await uow.preferences.get(person.id)).preferred_platform
        reachable.sort(key=lambda i: (i.platform.value != preferred, i.created_at))
        return reachable[0]


#: Notice parameters written in Markdown by a person (an answer to a forwarded question).
MARKDOWN_PARAMS = {"faq_answered": ("answer",)}


def _rendered(item: Notification) -> dict[str, object]:
    """``item``'s parameters, those written in Markdown as the reply's HTML subset."""
    params = dict(item.params)
    for name in MARKDOWN_PARAMS.get(item.key, ()):
        if isinstance(params.get(name), str):
            params[name] = markdown(params[name])
    return params
