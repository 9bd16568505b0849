"""What the core wants a person to be told; the bot layer renders it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Notice:
    person_id: int
    key: str  # i18n key below ``notice.``
    params: dict[str, Any] = field(default_factory=dict)
