"""Delivering core notices: render in each person's language, hand to a transport.

Transports register a sender per platform. A person is reached on the first platform for
which both an identity and a sender exist; the console chat registers itself as fallback so
that a demo shows every notice. Durable delivery through an outbox is a later step.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from markupsafe import Markup

from bot.i18n import Translator
from core.domain.notices import Notice
from core.domain.people import ChatIdentity, Person, Platform
from core.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

Sender = Callable[[ChatIdentity, Markup], Awaitable[None]]
Fallback = Callable[[Person, Markup], Awaitable[None]]


class NotificationHub:
    def __init__(self, uow_factory: UnitOfWorkFactory, translator: Translator) -> None:
        self._uow_factory = uow_factory
        self._translator = translator
        self._senders: dict[Platform, Sender] = {}
        self.fallback: Fallback | None = None

    def register(self, platform: Platform, sender: Sender) -> None:
        self._senders[platform] = sender

    async def notify(self, notices: Sequence[Notice]) -> None:
        for notice in notices:
            try:
                await self._deliver(notice)
            except Exception:
                log.exception("could not deliver %s to person %s", notice.key, notice.person_id)

    async def _deliver(self, notice: Notice) -> None:
        async with self._uow_factory() as uow:
            person = await uow.persons.get(notice.person_id)
            identities = await uow.identities.for_person(notice.person_id)
        if person is None:
            log.info("person %s is gone; notice %s dropped", notice.person_id, notice.key)
            return
        language = self._translator.language(person.language)
        text = self._translator.t(language, f"notice.{notice.key}", **notice.params)
        for identity in identities:
            sender = self._senders.get(identity.platform)
            if sender is not None:
                await sender(identity, text)
                return
        if self.fallback is not None:
            await self.fallback(person, text)
        else:
            log.warning("no channel to reach person %s for %s", person.id, notice.key)
