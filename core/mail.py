"""E-mail addresses with double opt-in, the channel a person chose, and signed mail links.

An address someone gives (in the chat, at the desk, on the command line) is stored as
*pending* and a confirmation link goes to it; only a confirmed address receives mail, and an
earlier confirmed address keeps working until the new one is confirmed (DSGVO Art. 5(1)(d):
accuracy; the double opt-in proves consent, Art. 7(1)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import getaddresses
from math import ceil

from email_validator import EmailNotValidError, validate_email

from core.audit import record
from core.authority import require
from core.domain.authority import Action
from core.domain.errors import DomainError, NotAllowed, NotFound
from core.domain.mail import MAX_ADDRESS, RESEND, Channel, EmailAddress
from core.domain.notices import Notice
from core.ports import UnitOfWork


def check_address(text: str) -> str:
    """``text`` as an e-mail address, normalised (domain lower-cased, IDNA); no DNS lookup.

    Raises DomainError ``email_invalid`` (parameter ``address``) for anything else: no ``@``,
    spaces, a domain without a dot, more than :data:`MAX_ADDRESS` characters."""
    candidate = text.strip().strip("<>").strip()
    if not candidate or len(candidate) > MAX_ADDRESS or any(c.isspace() for c in candidate):
        raise DomainError("email_invalid", address=text.strip()[:80])
    local, _, domain = candidate.rpartition("@")
    if not local.isascii():  # allowed by RFC 6531, but few servers of administrations take it
        suggestion = local.translate(_UMLAUTS) + "@" + domain
        if suggestion.isascii():
            raise DomainError("email_umlaut", address=candidate[:80], suggestion=suggestion[:80])
    try:
        checked = validate_email(candidate, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise DomainError("email_invalid", address=candidate[:80]) from None
    return checked.normalized


_UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
)


def check_mailbox(text: str) -> str:
    """A sender as settings give it, ``Name <addr>`` or ``addr``; returns it unchanged.

    Raises ValueError with a German explanation (also for two addresses, or a line break)."""
    if any(not c.isprintable() for c in text):
        raise ValueError("enthält einen Zeilenumbruch oder ein Steuerzeichen")
    found = getaddresses([text])
    if len(found) != 1:
        raise ValueError(f"„{text}“ nennt mehr als eine Adresse; bitte genau eine angeben")
    try:
        check_address(found[0][1])
    except DomainError:
        raise ValueError(
            f"„{text}“ ist keine E-Mail-Adresse (Form: Name <adresse@example.org>)"
        ) from None
    return text


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _may_change(uow: UnitOfWork, actor_id: int | None, person_id: int) -> None:
    """Anybody for themselves; for somebody else the office (``MANAGE_PEOPLE``) or the
    operator at the command line (``actor_id`` ``None``). Raises NotAllowed, NotFound."""
    if actor_id is not None and actor_id == person_id:
        await require(uow, actor_id, Action.READ)  # one's own settings
    else:
        await require(uow, actor_id, Action.MANAGE_PEOPLE)
    if await uow.persons.get(person_id) is None:
        raise NotFound("person_not_found", id=person_id)


async def _noted(
    uow: UnitOfWork,
    actor_id: int | None,
    person_id: int,
    action: str,
    now: datetime,
    **details: str,
) -> None:
    """The audit entry for a change the office made to somebody's mail settings (never the
    address itself); a person's own changes are not the office's."""
    if actor_id != person_id:
        subject = f"person:{person_id}"
        await record(uow, actor_id=actor_id, action=action, subject=subject, now=now, **details)


async def request_address(
    uow: UnitOfWork, *, actor_id: int | None, person_id: int, address: str, now: datetime
) -> EmailAddress:
    """Store ``address`` as the person's pending address and send it a confirmation link
    (notice ``email_confirm`` with the link's ``token``; it goes to the pending address only).
    Giving the confirmed address again changes nothing.

    A person asking for themselves gets one confirmation mail per :data:`RESEND` (nobody
    can make the bot send mail after mail to somebody else's address); guests cannot (the
    office can give a guest an address).

    Raises DomainError ``email_invalid``/``email_umlaut``/``email_wait``; NotAllowed
    (``email_guest``, or another person's without ``MANAGE_PEOPLE``); NotFound."""
    address = check_address(address)
    async with uow:
        await _may_change(uow, actor_id, person_id)
        person = await uow.persons.get(person_id)
        oneself = actor_id == person_id
        if oneself and person is not None and person.is_guest:
            raise NotAllowed("email_guest")
        current = await uow.emails.get(person_id) or EmailAddress(person_id)
        if current.usable == address:
            return current
        if oneself and current.pending_since is not None and now - current.pending_since < RESEND:
            wait = RESEND - (now - current.pending_since)
            raise DomainError("email_wait", count=max(1, ceil(wait.total_seconds() / 60)))
        token = secrets.token_urlsafe(24)
        current.pending_address = address
        current.pending_token_hash = token_hash(token)
        current.pending_since = now
        current.pending_problem = None
        await uow.emails.save(current)
        uow.notify(Notice(person_id, "email_confirm", {"address": address, "token": token}))
        await _noted(uow, actor_id, person_id, "person.email_changed", now)
        await uow.commit()
    return current


async def confirm_address(uow: UnitOfWork, *, token: str, now: datetime) -> EmailAddress:
    """Confirm the pending address the link ``token`` was sent to; it replaces the earlier
    one and counts as deliverable again.

    Raises DomainError ``email_link_invalid`` for an unknown, used or expired link."""
    async with uow:
        current = await uow.emails.by_token_hash(token_hash(token))
        if current is None or not current.pending_valid(now):
            raise DomainError("email_link_invalid")
        current.address = current.pending_address
        current.confirmed_at = now
        current.undeliverable_at = current.problem = None
        current.pending_address = current.pending_token_hash = current.pending_since = None
        current.pending_problem = None
        current.announcements = True
        await uow.emails.save(current)
        await uow.commit()
    return current


async def confirmation_waiting(uow: UnitOfWork, *, token: str, now: datetime) -> bool:
    """Whether the link ``token`` would confirm an address now (nothing changes)."""
    async with uow:
        current = await uow.emails.by_token_hash(token_hash(token))
    return current is not None and current.pending_valid(now)


async def address_of(uow: UnitOfWork, *, person_id: int) -> EmailAddress | None:
    async with uow:
        return await uow.emails.get(person_id)


async def remove_address(
    uow: UnitOfWork, *, actor_id: int | None, person_id: int, now: datetime
) -> bool:
    """Forget the person's addresses (confirmed and pending); ``False`` if there were none.
    Raises NotAllowed, NotFound."""
    async with uow:
        await _may_change(uow, actor_id, person_id)
        removed = await uow.emails.delete(person_id)
        if removed:
            await _noted(uow, actor_id, person_id, "person.email_removed", now)
        await uow.commit()
    return removed


async def remove_address_by_link(uow: UnitOfWork, *, person_id: int) -> bool:
    """:func:`remove_address` from the person's own signed link in a mail."""
    async with uow:
        removed = await uow.emails.delete(person_id)
        await uow.commit()
    return removed


async def unsubscribe(uow: UnitOfWork, *, person_id: int) -> bool:
    """No more information mails to the person (other notices are unaffected); ``False`` if
    there was no address or it was already unsubscribed. RFC 8058's one-click target."""
    async with uow:
        current = await uow.emails.get(person_id)
        if current is None or not current.announcements:
            return False
        current.announcements = False
        await uow.emails.save(current)
        await uow.commit()
    return True


async def resubscribe(uow: UnitOfWork, *, person_id: int) -> bool:
    """Information mails again (after :func:`unsubscribe`); ``False`` without an address."""
    async with uow:
        current = await uow.emails.get(person_id)
        if current is None:
            return False
        current.announcements = True
        await uow.emails.save(current)
        await uow.commit()
    return True


async def set_channel(
    uow: UnitOfWork, *, actor_id: int | None, person_id: int, channel: Channel, now: datetime
) -> bool:
    """How the person is reached (:class:`Channel`); ``False`` if it already was so.
    Raises NotAllowed, NotFound."""
    async with uow:
        await _may_change(uow, actor_id, person_id)
        prefs = await uow.preferences.get(person_id)
        if prefs.channel is channel:
            return False
        prefs.channel = channel
        await uow.preferences.save(prefs)
        await _noted(uow, actor_id, person_id, "person.channel_changed", now, channel=channel.value)
        await uow.commit()
    return True


async def queue_invitation_mail(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    person_id: int,
    address: str | None,
    params: dict[str, object],
) -> str:
    """Send a personal invitation (notice ``invitation_mail`` with ``params``: ``name``,
    ``code``, ``expires_at``, ``telegram_url``, ``matrix_command``, ``mxid``) to ``address``,
    or to the person's confirmed address when none is given; returns the address.

    Raises DomainError ``email_invalid``, ``email_missing`` (no address given and none
    confirmed); NotAllowed (the office's: ``MANAGE_PEOPLE``), NotFound."""
    async with uow:
        await require(uow, actor_id, Action.MANAGE_PEOPLE)
        if await uow.persons.get(person_id) is None:
            raise NotFound("person_not_found", id=person_id)
        if address is None:
            current = await uow.emails.get(person_id)
            address = current.usable if current is not None else None
            if address is None:
                raise DomainError("email_missing")
        else:
            address = check_address(address)
        uow.notify(Notice(person_id, "invitation_mail", {**params, "address": address}))
        await uow.commit()
    return address


async def wants_mail(
    uow: UnitOfWork, person_id: int, *, via_mail: bool = False, event_id: int | None = None
) -> bool:
    """Whether confirmations that only make sense by mail (calendar invitations) go to the
    person: they have a usable address and chose e-mail, acted from a mail (``via_mail``), or
    their calendar holds ``event_id`` from a mailed invitation. Call inside the unit of work."""
    email = await uow.emails.get(person_id)
    if email is None or email.usable is None:
        return False
    if via_mail or (event_id is not None and await uow.emails.has_calendar(person_id, event_id)):
        return True
    return (await uow.preferences.get(person_id)).channel is not Channel.CHAT


@dataclass(frozen=True, slots=True)
class Undeliverable:
    """An address the mail server refused: a confirmed one, or one waiting for confirmation
    (``pending``: its confirmation mail bounced, perhaps a typo)."""

    person_id: int
    name: str
    address: str
    problem: str
    since: datetime | None
    pending: bool


async def undeliverable_addresses(uow: UnitOfWork, *, actor_id: int | None) -> list[Undeliverable]:
    """Addresses the mail server refused for good, newest first, with their persons' names
    (organizers: ``VIEW_DELIVERY``). Raises NotAllowed."""
    async with uow:
        await require(uow, actor_id, Action.VIEW_DELIVERY)
        found = []
        for email in await uow.emails.undeliverable():
            person = await uow.persons.get(email.person_id)
            if person is None:
                continue
            if email.address and email.undeliverable_at is not None:
                found.append(
                    Undeliverable(
                        person.id,
                        person.display_name,
                        email.address,
                        email.problem or "",
                        email.undeliverable_at,
                        pending=False,
                    )
                )
            if email.pending_address and email.pending_problem:
                found.append(
                    Undeliverable(
                        person.id,
                        person.display_name,
                        email.pending_address,
                        email.pending_problem,
                        email.pending_since,
                        pending=True,
                    )
                )
        return found


async def mark_undeliverable(uow: UnitOfWork, *, address: str, problem: str, now: datetime) -> int:
    """The mail server refused ``address`` for good (an SMTP 5xx answer, RFC 5321 §4.2.1):
    no more mail goes there until it is confirmed again; organizers see ``problem``.
    Returns how many persons' addresses were marked; commits."""
    async with uow:
        marked = await uow.emails.mark_undeliverable(address, problem[:300], now)
        await uow.commit()
    return marked


# --- signed links in mails ------------------------------------------------------------------

#: What a signed link may do; part of the signature, so one kind cannot be used as another.
PURPOSES = ("abbestellen", "anmelden", "abmelden")
_SIGNATURE = 16  # bytes of HMAC-SHA-256 kept: 128 bits
_NEVER = 0


def sign_link(key: bytes, purpose: str, ids: tuple[int, ...], expires: datetime | None) -> str:
    """A URL-safe token carrying ``ids`` for ``purpose`` until ``expires`` (``None``: no end),
    signed with ``key`` (HMAC-SHA-256, RFC 2104). Nothing is stored: the token is the proof."""
    until = int(expires.timestamp()) if expires is not None else _NEVER
    body = struct.pack(f">Q{len(ids)}Q", until, *ids)
    mac = hmac.new(key, purpose.encode() + b"\x00" + body, hashlib.sha256).digest()[:_SIGNATURE]
    return base64.urlsafe_b64encode(body + mac).decode().rstrip("=")


def read_link(key: bytes, purpose: str, token: str, now: datetime) -> tuple[int, ...] | None:
    """The ids a token from :func:`sign_link` carries, or ``None`` if it is forged, damaged,
    for another purpose or expired."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        return None
    body, mac = raw[:-_SIGNATURE], raw[-_SIGNATURE:]
    if len(body) < 8 or len(body) % 8 or len(token) > 200:
        return None
    expected = hmac.new(key, purpose.encode() + b"\x00" + body, hashlib.sha256).digest()
    if not hmac.compare_digest(expected[:_SIGNATURE], mac):
        return None
    until, *ids = struct.unpack(f">{len(body) // 8}Q", body)
    if until != _NEVER and now > datetime.fromtimestamp(until, UTC):
        return None
    return tuple(ids)
