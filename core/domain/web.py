"""The office's web desk: how long a sign-in link and a session hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

#: A sign-in link from the chat works once, within this time.
LINK_LIFETIME = timedelta(minutes=10)
#: A session lasts a working day.
SESSION_LIFETIME = timedelta(hours=10)

GrantKind = Literal["link", "session"]


@dataclass(frozen=True, slots=True)
class WebGrant:
    """A stored link or session (found by its token's hash; the token itself is never kept)."""

    person_id: int
    expires_at: datetime
    used_at: datetime | None = None
