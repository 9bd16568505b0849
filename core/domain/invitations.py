"""Invitation codes that link a chat identity to a member municipality."""

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
    member_id: int
    created_by: int | None
    created_at: datetime
    expires_at: datetime
    max_uses: int
    uses: int = 0
    id: int | None = None

    def check_usable(self, now: datetime) -> None:
        if now >= self.expires_at:
            raise DomainError("invitation_expired")
        if self.uses >= self.max_uses:
            raise DomainError("invitation_used_up")
