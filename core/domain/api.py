"""Bearer tokens of the REST API: a named client acting with the office's rights within
its scope (``read``: look; ``write``: also change)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.domain.errors import InvalidInput

NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"

    def allows(self, needed: Scope) -> bool:
        return self is Scope.WRITE or needed is Scope.READ


@dataclass(frozen=True, slots=True)
class ApiToken:
    name: str
    scope: Scope
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def actor(self) -> str:
        """How the audit log names the client: ``api:NAME``."""
        return f"api:{self.name}"


def token_name(text: str) -> str:
    """A token's name: lower-case letters, digits, ``.``, ``_``, ``-`` (up to 64), e.g.
    ``kreis-bergen-intranet``. Raises InvalidInput ``api_token_name``."""
    name = text.strip().lower()
    if not NAME.fullmatch(name):
        raise InvalidInput("api_token_name", name=text[:40])
    return name
