"""An outbox mail (``payload["mail"]``, see ``core.mail``) as an RFC 5322 message; no I/O.

Shape of the message::

    multipart/mixed                      (only with calendar or attachments)
      multipart/alternative              (only with HTML or calendar)
        text/plain; charset=utf-8
        text/html; charset=utf-8         (if ``html``)
        text/calendar; method=REQUEST    (if ``calendar``: the iTIP part, RFC 6047)
      application/ics  einladung.ics     (the same calendar as a file; absage.ics on CANCEL)
      …                                  (``attachments``)

Bodies are 7-bit (quoted-printable or base64), so any SMTP server takes them without
8BITMIME; headers are RFC 2047-encoded where they are not ASCII.
"""

from __future__ import annotations

import email.policy
import re
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from html import escape
from typing import Any

import idna  # IDNA 2008 with UTS 46, as email-validator checks addresses (straße.de stays ß)


class MailPolicy(email.policy.EmailPolicy):
    """``email.policy.SMTP``, except for two kinds of header the standard library folds
    badly: a URL header (``List-Unsubscribe``) longer than a line would become RFC 2047
    encoded words, which mail programs do not decode there (RFC 2369 §2 wants ``<URL>``
    as is), and a long display name with commas or parentheses would lose its quotes in the
    fold. Both are written on one line (RFC 5322 §2.1.1 allows up to 998 characters)."""

    def fold(self, name: str, value: str) -> str:
        if not self._one_line(name, value):
            return super().fold(name, value)
        if str(value).isascii():
            return f"{name}: {value}{self.linesep}"
        return self._wide().fold(name, value)  # encoded words, but no fold in a quote

    def fold_binary(self, name: str, value: str) -> bytes:
        if not self._one_line(name, value):
            return super().fold_binary(name, value)
        if str(value).isascii():
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return self._wide().fold_binary(name, value)

    @staticmethod
    def _one_line(name: str, value: str) -> bool:
        return name.lower() in UNFOLDED and len(name) + len(str(value)) < MAX_LINE - 10

    def _wide(self) -> email.policy.EmailPolicy:
        return email.policy.SMTP.clone(cte_type=self.cte_type, max_line_length=MAX_LINE)


#: Headers written on one line (see :class:`MailPolicy`); RFC 5322's hard limit of a line.
UNFOLDED = frozenset({"list-unsubscribe", "list-unsubscribe-post", "from", "to", "reply-to"})
MAX_LINE = 998
#: Parts are encoded for 7-bit transport; lines end in CRLF (``as_bytes`` gives SMTP's form).
POLICY = MailPolicy(linesep="\r\n", cte_type="7bit")

#: iTIP methods (RFC 5546) a mail may carry, and the file name of the calendar attachment.
CALENDAR_FILES = {"REQUEST": "einladung.ics", "PUBLISH": "einladung.ics", "CANCEL": "absage.ics"}
#: Headers ``build_message`` sets itself; ``headers`` may not name them.
OWN_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "sender",
        "subject",
        "date",
        "message-id",
        "reply-to",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "content-disposition",
    }
)
_HEADER_NAME = re.compile(r"[!-9;-~]{1,76}")  # RFC 5322 ftext
_MSG_ID_LEFT = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]")  # RFC 5322 dot-atom-text
_HTML_DOCUMENT = re.compile(r"\s*(<!doctype\b|<html\b)", re.IGNORECASE)
_ICS_METHOD = re.compile(r"^METHOD:(.*?)\r?$", re.MULTILINE)


def ascii_address(address: str) -> str:
    """``address`` with its domain in IDNA form (``anna@müller.de`` → ``anna@xn--mller-kva.de``).
    Raises ValueError for no ``@``, a domain IDNA rejects, or a local part that is not ASCII
    (it would need SMTPUTF8, RFC 6531, which this bot does not send)."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        raise ValueError("not an e-mail address")
    if not local.isascii():
        raise ValueError("the local part of an e-mail address is not ASCII (SMTPUTF8)")
    return f"{local}@{_ascii_domain(domain)}"


def _ascii_domain(domain: str) -> str:
    """Raises ValueError for a domain IDNA 2008 rejects."""
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except (UnicodeError, idna.IDNAError):
        raise ValueError("the domain of an e-mail address is not valid") from None


def mailbox(value: str) -> Address:
    """``Name <addr>`` or ``addr`` as an Address, the domain in IDNA form. Raises ValueError
    for a value without an address."""
    name, address = parseaddr(value)
    return Address(display_name=" ".join(name.split()), addr_spec=ascii_address(address))


def message_id_for(tx_id: str, sender: str) -> str:
    """The Message-ID of the mail of outbox row ``tx_id``: ``<tx_id@domain of sender>``.

    Deterministic, so a mail sent twice (a crash between sending and recording it) carries
    the same id both times and mail clients show it once. ``sender`` is a mailbox
    (``Name <addr>`` or ``addr``); characters not allowed in a Message-ID become ``-``."""
    try:
        domain = _ascii_domain(parseaddr(sender)[1].rpartition("@")[2] or "localhost")
    except ValueError:
        domain = "localhost"
    left = _MSG_ID_LEFT.sub("-", tx_id).strip(".") or "mail"
    return f"<{left}@{domain}>"


def build_message(
    mail: dict[str, Any],
    *,
    sender: str,
    reply_to: str | None,
    message_id: str,
    date: datetime | None = None,
) -> EmailMessage:
    """The message for ``mail`` (the outbox payload's ``"mail"`` dict: ``to``, ``to_name``,
    ``subject``, ``text``, ``html``, ``headers``, ``calendar``, ``attachments``; optional
    ``language`` for the HTML document, default ``de``).

    ``sender`` and ``reply_to`` are mailboxes (``Name <addr>``), ``message_id`` comes from
    :func:`message_id_for`, ``date`` (timezone-aware; default: now) goes into ``Date``.
    Serialise with ``as_bytes()`` (the message carries :data:`POLICY`).

    Raises KeyError, TypeError or ValueError for a payload that can never become a mail (a
    missing field, a header of our own in ``headers``, an unknown calendar method)."""
    to = ascii_address(str(mail["to"]))
    subject = " ".join(str(mail["subject"]).split())
    msg = EmailMessage(policy=POLICY)
    msg["From"] = mailbox(sender)
    msg["To"] = Address(display_name=" ".join(str(mail.get("to_name") or "").split()), addr_spec=to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime((date or datetime.now(UTC)).astimezone(UTC))
    msg["Message-ID"] = message_id
    if reply_to:
        msg["Reply-To"] = mailbox(reply_to)
    for name, value in (mail.get("headers") or {}).items():
        if not _HEADER_NAME.fullmatch(name) or name.lower() in OWN_HEADERS:
            raise ValueError(f"header {name!r} may not be set by the payload")
        msg[name] = " ".join(str(value).split())
    msg.set_content(str(mail["text"]), subtype="plain", charset="utf-8")
    html = mail.get("html")
    if html:
        msg.add_alternative(
            html_document(str(html), subject, str(mail.get("language") or "de")),
            subtype="html",
            charset="utf-8",
        )
    calendar = mail.get("calendar")
    if calendar:
        method = str(calendar["method"]).upper()
        ics = str(calendar["ics"])
        _check_calendar(method, ics)
        msg.add_alternative(ics, subtype="calendar", charset="utf-8", params={"method": method})
        msg.add_attachment(
            ics.encode("utf-8"),
            maintype="application",
            subtype="ics",
            filename=CALENDAR_FILES[method],
        )
    for attachment in mail.get("attachments") or ():
        _attach(msg, attachment)
    return msg


def html_document(html: str, title: str, language: str = "de") -> str:
    """``html`` as is if it is a document (``<!DOCTYPE`` or ``<html``), else wrapped in a
    minimal one with ``title`` and ``lang``."""
    if _HTML_DOCUMENT.match(html):
        return html
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(language)}">\n'
        '<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        "</head>\n"
        f"<body>\n{html}\n</body>\n"
        "</html>\n"
    )


def _check_calendar(method: str, ics: str) -> None:
    if method not in CALENDAR_FILES:
        raise ValueError(f"calendar method {method!r} is not supported")
    if not ics.lstrip().startswith("BEGIN:VCALENDAR"):
        raise ValueError("calendar data is no VCALENDAR")
    inner = _ICS_METHOD.search(ics)
    if inner is not None and inner.group(1).strip().upper() != method:
        raise ValueError("the calendar's METHOD differs from the mail's")


def _attach(msg: EmailMessage, attachment: dict[str, Any]) -> None:
    """One ``{"filename", "content_type", "data"}`` (text data) as an attachment."""
    filename = str(attachment["filename"])
    content_type, *raw_params = str(attachment["content_type"]).split(";")
    maintype, slash, subtype = content_type.strip().lower().partition("/")
    if not slash or not maintype or not subtype:
        raise ValueError(f"content type {content_type!r} is not type/subtype")
    params = {}
    for raw in raw_params:
        key, equals, value = raw.strip().partition("=")
        if equals and key.strip().lower() != "charset":
            params[key.strip().lower()] = value.strip().strip('"')
    data = attachment["data"]
    if not isinstance(data, str):
        raise TypeError("attachment data must be text")
    if maintype == "text":
        msg.add_attachment(data, subtype=subtype, charset="utf-8", filename=filename, params=params)
    else:
        msg.add_attachment(
            data.encode("utf-8"),
            maintype=maintype,
            subtype=subtype,
            filename=filename,
            params=params,
        )
