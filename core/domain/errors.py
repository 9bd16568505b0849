"""Domain errors carry a code and parameters; the bot layer turns them into sentences."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule was violated. ``code`` names the i18n message ``error.<code>``."""

    code = "domain"

    def __init__(self, code: str | None = None, **params: Any) -> None:
        self.code = code or self.code
        self.params = params
        super().__init__(f"{self.code} {params}" if params else self.code)


class NotFound(DomainError):
    code = "not_found"


class NotAllowed(DomainError):
    code = "not_allowed"


class SignupClosed(DomainError):
    code = "signup_closed"


class AlreadyRegistered(DomainError):
    code = "already_registered"


class NotRegistered(DomainError):
    code = "not_registered"


class InvalidInput(DomainError):
    code = "invalid_input"


class ModeRequired(DomainError):
    """A hybrid event: the person must say whether they come on site or online."""

    code = "mode_required"
