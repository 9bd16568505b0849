"""Invitation codes: a municipality's (anyone of its staff joins as a plain member) or a
person's (links one chat account to the person the network office created, with their roles).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from core.domain.errors import DomainError

# No 0/O, 1/I/L: codes are read aloud and typed from paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


def hash_code(code: str) -> str:
    """Only a hash is stored, so a database dump does not reveal usable codes."""
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


@dataclass(slots=True)
class Invitation:
    code_hash: str
    member_id: int | None  # a municipality's invitation
    created_by: int | None
    created_at: datetime
    expires_at: datetime
    max_uses: int
    uses: int = 0
    person_id: int | None = None  # a personal invitation (one use)
    id: int | None = None

    def check_usable(self, now: datetime) -> None:
        if now >= self.expires_at:
            raise DomainError("invitation_expired")
        if self.uses >= self.max_uses:
            raise DomainError("invitation_used_up")
