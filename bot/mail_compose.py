"""Notices as e-mails: subject, HTML and plain text, personal links, calendar invitations.

A notice has a mail text of its own where the chat text names chat commands
(``mail.<key>.body`` in ``mail.<language>.json``); otherwise the chat text is used. What the
outbox stores is the finished mail (``payload["mail"]``, see ``bot.mail_message``), so a
retry sends exactly what was composed.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from markupsafe import Markup

from bot.calendar import invitation
from bot.i18n import Translator
from bot.reply import plain_text
from core.domain.events import Event
from core.mail import sign_link

#: Notices about an event that put it into (``REQUEST``) or take it out of (``CANCEL``) the
#: person's calendar (RFC 5546 §3.2.2, §3.2.5).
CALENDAR_METHODS = {
    "registered": "REQUEST",
    "promoted": "REQUEST",
    "event_changed": "REQUEST",
    "event_cancelled": "CANCEL",
    "unregistered": "CANCEL",
    "registration_removed": "CANCEL",
}
#: Notices whose mail carries a personal "Abmelden" link for their event.
WITHDRAW_LINK = {
    "registered",
    "waitlisted",
    "promoted",
    "offered",
    "event_changed",
    "reminder",
    "reminder_place",
    "reminder_video",
}


def link_key(pepper: bytes) -> bytes:
    """The key that signs links in mails, derived from the server's secret key."""
    return hmac.new(pepper, b"engagiert-bot mail links", hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class MailSetup:
    """What composing mails needs from the settings."""

    public_url: str  # without a trailing slash
    key: bytes  # :func:`link_key`
    sender: str  # ``Name <address>`` (ENGAGIERT_MAIL_FROM)
    #: A personal video link opens this many minutes before the start (for the text).
    video_minutes: int = 30

    @property
    def tag(self) -> str:
        """This installation's mark in Message-IDs (two installations never share one)."""
        return hashlib.sha256(self.key).hexdigest()[:10]

    @property
    def organizer(self) -> tuple[str, str]:
        name, address = parseaddr(self.sender)
        return name or address, address

    def confirm_url(self, token: str) -> str:
        return f"{self.public_url}/e/bestaetigen/{token}"

    def unsubscribe_url(self, person_id: int) -> str:
        token = sign_link(self.key, "abbestellen", (person_id,), None)
        return f"{self.public_url}/e/abbestellen/{token}"

    def event_url(self, purpose: str, person_id: int, event: Event) -> str:
        """A personal ``anmelden``/``abmelden`` link for ``event``; it ends with the event."""
        assert event.id is not None
        token = sign_link(self.key, purpose, (person_id, event.id), event.ends_at)
        return f"{self.public_url}/e/{purpose}/{token}"


@dataclass(frozen=True, slots=True)
class Recipient:
    person_id: int
    name: str
    address: str
    language: str


def compose(
    translator: Translator,
    setup: MailSetup,
    recipient: Recipient,
    key: str,
    params: dict[str, Any],
    *,
    event: Event | None = None,
    bulk: bool = False,
    subject: str | None = None,
    now: datetime,
    video_link: str | None = None,
) -> dict[str, Any]:
    """The outbox payload's ``mail`` for one notice to one person.

    ``event`` (the notice's event, if any) adds the personal links and, for the keys of
    :data:`CALENDAR_METHODS`, the calendar invitation; ``video_link`` (the person's own, for
    a confirmed online place) goes into the text and the invitation. ``bulk`` (information
    mails) adds ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` (RFC 2369, RFC 8058)."""
    language = recipient.language
    t = translator.t
    own = translator.has(f"mail.{key}.body")
    if key == "invitation_mail":
        params = {**params, "channels": _invitation_channels(translator, language, params)}
    if key == "announcement":  # the office's own text (Markdown as HTML) under its subject
        body = Markup(params["text"])
    else:
        body = t(language, f"mail.{key}.body" if own else f"notice.{key}", **params)
    if video_link is not None:
        line = t(language, "mail.video", url=video_link, minutes=setup.video_minutes)
        body = Markup("\n\n").join((body, line))
    links: list[tuple[Markup, str]] = []
    if key == "email_confirm":
        links.append((t(language, "mail.link.confirm"), setup.confirm_url(params["token"])))
    if event is not None and not event.cancelled:
        if key == "announcement":
            url = setup.event_url("anmelden", recipient.person_id, event)
            links.append((t(language, "mail.link.sign_up"), url))
        if key == "offered":  # the sign-up page takes the offered place
            url = setup.event_url("anmelden", recipient.person_id, event)
            links.append((t(language, "mail.link.accept"), url))
        if key in WITHDRAW_LINK:
            url = setup.event_url("abmelden", recipient.person_id, event)
            links.append((t(language, "mail.link.withdraw"), url))
    headers: dict[str, str] = {}
    footer = [t(language, "mail.footer")]
    if bulk:
        url = setup.unsubscribe_url(recipient.person_id)
        headers = {
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        footer.append(t(language, "mail.unsubscribe", url=url))
    calendar = None
    method = CALENDAR_METHODS.get(key)
    if event is not None and method is not None:
        if event.cancelled:
            method = "CANCEL"
        note = str(t(language, "mail.calendar_note"))
        ics = invitation(
            event,
            method=method,
            attendee=(recipient.name, recipient.address),
            organizer=setup.organizer,
            note=note,
            now=now,
            video_link=video_link,
        )
        calendar = {"method": method, "ics": ics}
    title = subject or plain_text(
        str(t(language, f"mail.{key}.subject" if own else "mail.subject", **params))
    )
    return {
        "to": recipient.address,
        "to_name": recipient.name,
        "subject": " ".join(title.split())[:200],
        "text": _text(body, links, footer),
        "html": _html(language, body, links, footer),
        "headers": headers,
        "calendar": calendar,
        "attachments": [],
    }


def _invitation_channels(translator: Translator, language: str, params: dict[str, Any]) -> Markup:
    """How to use the code: a Telegram link, a Matrix direct message, as configured."""
    lines = []
    if params.get("telegram_url"):
        url = params["telegram_url"]
        lines.append(translator.t(language, "mail.invitation_mail.telegram", url=url))
    if params.get("mxid"):
        lines.append(
            translator.t(
                language,
                "mail.invitation_mail.matrix",
                mxid=params["mxid"],
                command=params["matrix_command"],
            )
        )
    if not lines:  # no link to offer: the command to type in any chat with the bot
        command = params.get("start_command") or f"/start p_{params.get('code', '')}"
        lines.append(translator.t(language, "mail.invitation_mail.any_chat", command=command))
    return Markup("\n").join(lines)


def _text(body: Markup, links: list[tuple[Markup, str]], footer: list[Markup]) -> str:
    parts = [plain_text(str(body))]
    parts += [f"{plain_text(str(label))}: {url}" for label, url in links]
    parts.append("-- \n" + "\n".join(plain_text(str(line)) for line in footer))
    return "\n\n".join(parts) + "\n"


def _html(
    language: str, body: Markup, links: list[tuple[Markup, str]], footer: list[Markup]
) -> str:
    def paragraphs(markup: Markup) -> Markup:
        return Markup("").join(
            Markup("<p>{}</p>\n").format(Markup("<br>\n").join(block.split("\n")))
            for block in Markup(markup).split("\n\n")
            if block.strip()
        )

    buttons = Markup("").join(
        Markup('<p><a href="{}" style="{}">{}</a></p>\n').format(url, _BUTTON, label)
        for label, url in links
    )
    small = Markup("<br>\n").join(footer)
    return str(
        Markup(
            '<!DOCTYPE html>\n<html lang="{}"><head><meta charset="utf-8"></head>\n'
            '<body style="font-family: Arial, sans-serif; font-size: 16px; color: #1a1a1a">\n'
            '{}{}<hr><p style="font-size: 13px; color: #444">{}</p>\n</body></html>\n'
        ).format(language, paragraphs(body), buttons, small)
    )


_BUTTON = (
    "display: inline-block; padding: 10px 18px; background: #00549f; color: #ffffff; "
    "text-decoration: none; border-radius: 4px; font-weight: bold"
)
