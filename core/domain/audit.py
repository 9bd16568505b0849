"""The audit log's entries: who did what to what, and when."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    #: The person who acted; ``None``: the operator at the command line or an API client.
    actor_id: int | None
    #: Where it was done: ``chat``, ``web``, ``Kommandozeile``, ``api:NAME``.
    via: str
    #: ``event.created``, ``event.changed``, ``event.cancelled``, ``announcement.sent``,
    #: ``attendees.exported``.
    action: str
    #: What it was done to: ``event:3``, ``announcement:7``.
    subject: str
    #: Never personal data: changed field names, a format, a count.
    details: dict[str, Any] = field(default_factory=dict)
    actor_name: str | None = None  # filled when read, for the office's list
    id: int | None = None
