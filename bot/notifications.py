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
from bot.mail_compose import CALENDAR_METHODS, MailSetup, Recipient, compose
from bot.markdown import markdown
from bot.reply import MadeFile, Reply, plain_text
from bot.settings import Settings
from bot.video_links import VideoLinks
from core.clock import SystemClock
from core.domain.mail import Channel
from core.domain.notices import Notice
from core.domain.notifications import Notification
from core.domain.outbox import OutgoingMessage
from core.domain.people import ChatIdentity, Person, Platform
from core.domain.registrations import Mode
from core.ports import Clock, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

Sender = Callable[[ChatIdentity, Markup], Awaitable[None]]
Fallback = Callable[[Person, Markup], Awaitable[None]]
BATCH = 200
UNREACHABLE = "unreachable: no chat on a platform this bot serves"
DECLINED = "declined: the person unsubscribed from information mails"


def outbox_platforms(settings: Settings) -> set[Platform]:
    """Platforms whose messages some process delivers from the outbox."""
    configured = {
        Platform.TELEGRAM: settings.telegram_token,
        Platform.MATRIX: settings.matrix_homeserver,
        Platform.EMAIL: settings.smtp_url,
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
        mail: MailSetup | None = None,
        video: VideoLinks | None = None,
    ) -> None:
        """``mail``: e-mail is on (``ENGAGIERT_SMTP_URL``); mails are queued for the outbox
        platform ``email``. ``video``: notices about a confirmed online place carry the
        person's own video link."""
        self._uow_factory = uow_factory
        self._translator = translator
        self._clock = clock or SystemClock()
        self._queued = set(queued)
        self.mail = mail
        self.video = video
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
                woken |= await self._hand_over(uow, item, now, shown)
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
    ) -> set[Platform]:
        """Route one notification; returns the outbox platforms it was queued for."""
        person = await uow.persons.get(item.person_id)
        if person is None:  # erased meanwhile (its rows go with it; this one is in hand)
            await uow.notifications.mark_failed(item.id, now, "person erased")
            return set()
        language = self._translator.language(person.language)
        identity, address, declined = await self._routes(uow, person, item)
        if address is not None:
            mail_only = identity is None
            notification = item if mail_only else await self._copy_for_mail(uow, item, now)
            await self._queue_mail(uow, notification, person, language, address, now)
            if mail_only:
                return {Platform.EMAIL}
        elif item.key in MAIL_ONLY or item.key in TO_GIVEN_ADDRESS:
            await uow.notifications.mark_sent(item.id, now, "none", None)
            return set()
        text = self._translator.t(language, f"notice.{item.key}", **_rendered(item))
        if link := self._video_link(item):
            assert self.video is not None
            line = self._translator.t(language, "notice.video", url=link, **self.video.opens)
            text = Markup("\n").join((text, line))
        if item.key == "offered" and item.params.get("hybrid") and item.params.get("mode"):
            which = self._translator.t(language, f"notice.offered_{item.params['mode']}")
            text = Markup("\n").join((text, which))
        if asked := item.params.get("questions"):
            line = self._translator.t(
                language, "notice.questions", count=asked, event_id=item.params.get("event_id")
            )
            text = Markup("\n").join((text, line))
        queued = {Platform.EMAIL} if address is not None else set()
        if identity is None:
            if self.fallback is None:
                log.debug("notification %s: person %s unreachable", item.id, person.id)
                await uow.notifications.mark_failed(
                    item.id, now, DECLINED if declined else UNREACHABLE
                )
                return queued
            fallback = self.fallback
            await uow.notifications.mark_sent(item.id, now, Platform.CONSOLE.value, None)
            shown.append(_Shown(lambda: fallback(person, text), item.id))
            return queued
        sender = self._senders.get(identity.platform)
        if sender is not None:
            await uow.notifications.mark_sent(item.id, now, identity.platform.value, None)
            shown.append(_Shown(lambda: sender(identity, text), item.id))
            return queued
        payload = {
            "reply": Reply(text, made_file=_made_file(item, language)).to_dict(),
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
        return queued | {identity.platform}

    async def _routes(
        self, uow: UnitOfWork, person: Person, item: Notification
    ) -> tuple[ChatIdentity | None, str | None, bool]:
        """Where the notice goes: a chat account and/or an e-mail address, and whether the
        person declined it (unsubscribed from information mails).

        Chat first unless the person chose e-mail (``core.domain.mail.Channel``); e-mail when
        no chat account can be reached; both for information mails if the person chose both,
        and for changes of an event their calendar holds from a mailed invitation.
        Confirmation and invitation mails go to the address they name; notices that only
        make sense by mail were staged only for those who get them (``core.mail.wants_mail``)."""
        if item.key in TO_GIVEN_ADDRESS:
            return None, (item.params.get("address") if self.mail is not None else None), False
        prefs = await uow.preferences.get(person.id)
        identity = await self._channel(uow, person, prefs.preferred_platform)
        email = await uow.emails.get(person.id) if self.mail is not None else None
        address = email.usable if email is not None else None
        if email is None or address is None:
            return identity, None, False
        if item.key == "announcement" and not email.announcements:
            return identity, None, True
        if item.key in MAIL_ONLY or prefs.channel is Channel.EMAIL or identity is None:
            return None, address, False
        if prefs.channel is Channel.BOTH and item.key == "announcement":
            return identity, address, False
        event_id = item.params.get("event_id")
        follows = item.key in CALENDAR_METHODS and bool(event_id)  # a mailed calendar entry
        if follows and await uow.emails.has_calendar(person.id, int(event_id)):
            return identity, address, False
        return identity, None, False

    async def _copy_for_mail(
        self, uow: UnitOfWork, item: Notification, now: datetime
    ) -> Notification:
        """The mail half of a notice that goes both ways: a notification of its own, so that
        each channel's delivery is counted (announcement progress) and retried apart."""
        copy = Notification(
            item.person_id,
            item.key,
            item.params,
            item.due_at,
            dedupe_key=f"mail-{item.id}",
            event_id=item.event_id,
            announcement_id=item.announcement_id,
        )
        await uow.notifications.add_many([copy])
        stored = await uow.notifications.by_dedupe_key(copy.dedupe_key)
        assert stored is not None
        return stored

    async def _queue_mail(
        self,
        uow: UnitOfWork,
        item: Notification,
        person: Person,
        language: str,
        address: str,
        now: datetime,
    ) -> None:
        assert self.mail is not None and item.id is not None
        event_id = item.params.get("event_id") or item.event_id
        subject = None
        announcement = None
        if item.announcement_id is not None:
            announcement = await uow.announcements.get(item.announcement_id)
            if announcement is not None:
                subject = announcement.subject
                event_id = announcement.event_id
        found = await uow.events.get(int(event_id)) if event_id else None
        event = found.event if found is not None else None
        if announcement is not None and subject is None and event is not None:
            # an invitation without a subject of its own is named by its event
            subject = plain_text(
                str(
                    self._translator.t(
                        language,
                        "mail.announcement_invites",
                        title=event.title,
                        starts_at=event.starts_at,
                    )
                )
            )
        mail = compose(
            self._translator,
            self.mail,
            Recipient(person.id, person.display_name, address, language),
            item.key,
            _rendered(item, html_markdown=True),
            event=event,
            bulk=item.key == "announcement",
            subject=subject,
            now=now,
            video_link=self._video_link(item),
        )
        if made := _made_file(item, language):  # made by the mail transport when it sends
            mail["made_file"] = {"kind": made.kind, "params": made.params}
        message = await uow.outbox.add(
            OutgoingMessage(
                Platform.EMAIL.value,
                address,
                {"mail": mail},
                f"mail-{item.id}.{self.mail.tag}",
                now,
            )
        )
        await uow.notifications.mark_sent(item.id, now, Platform.EMAIL.value, message.id)
        if event is not None and mail["calendar"] is not None:
            assert event.id is not None
            if mail["calendar"]["method"] == "REQUEST":
                await uow.emails.note_calendar(person.id, event.id)
            else:
                await uow.emails.forget_calendar(person.id, event.id)

    def _video_link(self, item: Notification) -> str | None:
        """The person's own video link, for a notice about their confirmed online place."""
        event_id = item.params.get("event_id")
        online = item.params.get("mode") == Mode.ONLINE.value and item.key in VIDEO_NOTICES
        if self.video is None or not online or not event_id:
            return None
        return self.video.link(int(event_id), item.person_id)

    async def _channel(
        self, uow: UnitOfWork, person: Person, preferred: str | None
    ) -> ChatIdentity | None:
        """The person's reachable identity on the ``preferred`` platform, else the one
        linked first."""
        reachable = [
            identity
            for identity in await uow.identities.for_person(person.id)
            if identity.platform in self._senders or identity.platform in self._queued
        ]
        if not reachable:
            return None
        reachable.sort(key=lambda i: (i.platform.value != preferred, i.created_at))
        return reachable[0]


#: Notice parameters written in Markdown by a person (an answer to a forwarded question,
#: an information mail's body).
MARKDOWN_PARAMS = {"faq_answered": ("answer",), "announcement": ("text",)}
#: Notices that give a confirmed online participant their video link.
VIDEO_NOTICES = {"registered", "promoted", "event_changed", "reminder_video"}
#: Notices that go only by e-mail, and only to those who get their notices by e-mail: the
#: calendar invitation after signing up and its cancellation.
MAIL_ONLY = {"registered", "waitlisted", "unregistered"}
#: Notices sent to the address in their parameters (not yet confirmed, or given for once).
TO_GIVEN_ADDRESS = {"email_confirm", "invitation_mail"}


def _made_file(item: Notification, language: str) -> MadeFile | None:
    """The file a notice carries, made when it is sent (a certificate: never stored)."""
    if item.key != "certificate":
        return None
    from bot.certificate import made_certificate  # fpdf2 loads only when needed

    return made_certificate(int(item.params["event_id"]), item.person_id, language)


def _rendered(item: Notification, *, html_markdown: bool = False) -> dict[str, object]:
    """``item``'s parameters, those written in Markdown as the reply's HTML subset (for a mail
    also an announcement's body; in the chat it keeps the text as written)."""
    params = dict(item.params)
    for name in MARKDOWN_PARAMS.get(item.key, ()):
        if item.key == "announcement" and not html_markdown:
            continue
        if isinstance(params.get(name), str):
            params[name] = markdown(params[name])
    return params
