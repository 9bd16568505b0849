"""Signing in to the office's web desk without a password: a one-time link from the private
chat (or the operator's ``admin-link``) opens a session for a working day. Tokens are random
(``secrets``, 256 bits) and stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from core.authority import require
from core.domain.authority import Action
from core.domain.errors import DomainError
from core.domain.people import Person
from core.domain.web import LINK_LIFETIME, SESSION_LIFETIME, WebGrant
from core.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in person: ``token`` goes into the cookie, ``csrf`` into every form."""

    person: Person
    token: str
    expires_at: datetime

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_token: str) -> str:
    """The form token of a session (OWASP: a synchronizer token derived from the session,
    so nothing more is stored); compare with :func:`csrf_ok`."""
    return hmac.new(session_token.encode(), b"engagiert-desk-csrf", hashlib.sha256).hexdigest()


def csrf_ok(session_token: str, given: str) -> bool:
    return hmac.compare_digest(csrf_token(session_token), given)


def seal(session_token: str, *values: str) -> str:
    """A seal over ``values`` for a session (HMAC-SHA-256, 32 hex digits): a form that
    carries what was shown (a previewed announcement) proves it was not changed since."""
    message = "\x1f".join(values).encode()
    return hmac.new(session_token.encode(), message, hashlib.sha256).hexdigest()[:32]


def seal_ok(session_token: str, given: str, *values: str) -> bool:
    return hmac.compare_digest(seal(session_token, *values), given)


async def issue_link(
    uow: UnitOfWork, *, actor_id: int | None, person_id: int, now: datetime
) -> str:
    """A sign-in link's token for ``person_id``, valid once within ``LINK_LIFETIME``.

    ``actor_id`` asks for it (``None``: the operator at the command line); a person asks
    for themselves only. Raises NotAllowed (``web_desk_only``) unless the person may use the
    desk (organizers, leadership), NotFound for an unknown person."""
    token = secrets.token_urlsafe(32)
    async with uow:
        if actor_id is not None and actor_id != person_id:
            raise DomainError("web_link_for_oneself")
        await require(uow, person_id, Action.USE_WEB_DESK)
        await uow.web_access.add("link", _hash(token), person_id, now, now + LINK_LIFETIME)
        await uow.commit()
    return token


async def check_link(uow: UnitOfWork, *, token: str, now: datetime) -> None:
    """Whether a link would still sign in, without using it up (the page before the button
    says at once what is wrong). Raises as :func:`redeem_link` does."""
    async with uow:
        grant = await _live_link(uow, token, now)
        await require(uow, grant.person_id, Action.USE_WEB_DESK)


async def _live_link(uow: UnitOfWork, token: str, now: datetime) -> WebGrant:
    grant = await uow.web_access.get("link", _hash(token))
    if grant is None:
        raise DomainError("web_link_unknown")
    if grant.used_at is not None:
        raise DomainError("web_link_used")
    if grant.expires_at <= now:
        raise DomainError("web_link_expired")
    return grant


async def redeem_link(uow: UnitOfWork, *, token: str, now: datetime) -> Session:
    """Open a session with a link's token. Raises DomainError ``web_link_unknown``,
    ``web_link_used`` or ``web_link_expired``; NotAllowed if the person lost the right."""
    session = secrets.token_urlsafe(32)
    async with uow:
        grant = await _live_link(uow, token, now)
        person = await require(uow, grant.person_id, Action.USE_WEB_DESK)
        assert person is not None
        if not await uow.web_access.use(_hash(token), now):
            raise DomainError("web_link_used")  # a second click at the same moment
        expires = now + SESSION_LIFETIME
        await uow.web_access.add("session", _hash(session), grant.person_id, now, expires)
        await uow.commit()
    return Session(person, session, expires)


async def signed_in(uow: UnitOfWork, *, token: str, now: datetime) -> Session | None:
    """The session of a cookie's token, ``None`` if unknown, ended or expired. Raises
    NotAllowed if the person may no longer use the desk (a role taken away counts at once)."""
    async with uow:
        grant = await uow.web_access.get("session", _hash(token))
        if grant is None or grant.expires_at <= now:
            return None
        person = await require(uow, grant.person_id, Action.USE_WEB_DESK)
    assert person is not None
    return Session(person, token, grant.expires_at)


async def sign_out(uow: UnitOfWork, *, token: str) -> None:
    async with uow:
        await uow.web_access.delete("session", _hash(token))
        await uow.commit()
