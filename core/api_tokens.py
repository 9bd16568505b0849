"""Tokens of the REST API: made by the operator (``api-token create``), shown once, kept as
SHA-256 hashes; a request names its token in ``Authorization: Bearer …`` (RFC 6750)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from core.domain.api import ApiToken, Scope, token_name
from core.domain.errors import DomainError, NotFound
from core.ports import UnitOfWork

#: How exactly ``api-token list`` says when a token was last used.
USED_EVERY = timedelta(minutes=1)
PREFIX = "eb_"  # tells a leaked token apart in logs and secret scanners


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(
    uow: UnitOfWork, *, name: str, scope: Scope, now: datetime
) -> tuple[ApiToken, str]:
    """A new token named ``name``; returns it and its secret (shown only now). Raises
    InvalidInput ``api_token_name``, DomainError ``api_token_exists``."""
    name = token_name(name)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name, scope, now)
    async with uow:
        if await uow.api_tokens.by_name(name) is not None:
            raise DomainError("api_token_exists", name=name)
        await uow.api_tokens.add(token, _hash(secret))
        await uow.commit()
    return token, secret


async def list_tokens(uow: UnitOfWork) -> list[ApiToken]:
    async with uow:
        return await uow.api_tokens.list()


async def revoke_token(uow: UnitOfWork, *, name: str, now: datetime) -> None:
    """Raises NotFound ``api_token_not_found`` (also for one revoked already)."""
    async with uow:
        if not await uow.api_tokens.revoke(token_name(name), now):
            raise NotFound("api_token_not_found", name=name)
        await uow.commit()


async def authenticate(uow: UnitOfWork, *, secret: str, now: datetime) -> ApiToken | None:
    """The live token behind ``secret`` (its use is noted), ``None`` if unknown or revoked."""
    async with uow:
        token = await uow.api_tokens.by_hash(_hash(secret))
        if token is None or token.revoked_at is not None:
            return None
        # Noted at most once a minute: not a write on every read request.
        if token.last_used_at is None or now - token.last_used_at >= USED_EVERY:
            await uow.api_tokens.used(token.name, now)
            await uow.commit()
    return token
