"""E-mail as a channel: a person's address (confirmed by double opt-in) and their choice of
channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

#: A confirmation link works this long.
CONFIRM_WITHIN = timedelta(days=7)
#: A person asking for themselves gets at most one confirmation mail in this time.
RESEND = timedelta(minutes=5)
#: RFC 5321 §4.5.3.1.3: a path is at most 256 octets, so an address at most 254 characters.
MAX_ADDRESS = 254


class Channel(StrEnum):
    """How a person wants to be reached."""

    CHAT = "chat"  # chat first; e-mail only when no chat account can be reached
    EMAIL = "email"  # e-mail first; the chat when there is no usable address
    BOTH = "both"  # information mails by e-mail *and* in the chat; other notices chat first


@dataclass(slots=True)
class EmailAddress:
    """A person's e-mail address: the confirmed one (if any) and one waiting for confirmation."""

    person_id: int
    address: str | None = None
    confirmed_at: datetime | None = None
    pending_address: str | None = None
    pending_token_hash: str | None = None
    pending_since: datetime | None = None
    #: The server refused it for good (a 5xx answer); ``problem`` quotes the answer.
    undeliverable_at: datetime | None = None
    problem: str | None = None
    #: Information mails (announcements) to this address; off after "abbestellen".
    announcements: bool = True
    #: The server refused the pending address (its confirmation mail bounced at once).
    pending_problem: str | None = None

    @property
    def usable(self) -> str | None:
        """The address mail may go to: confirmed and not refused by the server."""
        if self.address and self.confirmed_at and self.undeliverable_at is None:
            return self.address
        return None

    def pending_valid(self, now: datetime) -> bool:
        return self.pending_since is not None and now - self.pending_since <= CONFIRM_WITHIN
