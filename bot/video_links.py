"""Personal video links (``/v/<token>``): the way a hybrid or online event's video
conference reaches the people registered online, and nobody else.

The token names the event and the person, signed with a key derived from the server's
secret (:func:`core.mail.sign_link`); nothing is stored. The page behind it asks the core
(:func:`core.signup.video_access`) at the moment it is opened, so a link passed on, kept
after cancelling, or opened by someone waiting leads nowhere, and a changed meeting address
is followed. It redirects from ``ENGAGIERT_VIDEO_OPENS_MINUTES`` before the start.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from core.domain.registrations import Mode, RegistrationStatus
from core.mail import sign_link

PURPOSE = "video"
PREFIX = "/v"


def video_key(pepper: bytes) -> bytes:
    """The key that signs personal video links, derived from the server's secret key."""
    return hmac.new(pepper, b"engagiert-bot video links", hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class VideoLinks:
    public_url: str  # without a trailing slash
    key: bytes  # :func:`video_key`
    opens_before: timedelta

    @property
    def opens(self) -> dict[str, int]:
        """The ``minutes`` before the start the link opens (for the texts)."""
        return {"minutes": int(self.opens_before.total_seconds() // 60)}

    def link(self, event_id: int, person_id: int) -> str:
        """``https://…/v/<token>``: the person's own way into the event's conference."""
        token = sign_link(self.key, PURPOSE, (event_id, person_id), None)
        return f"{self.public_url}{PREFIX}/{token}"

    def for_registration(
        self, event_id: int, person_id: int, mode: Mode | None, status: RegistrationStatus | None
    ) -> str | None:
        """The person's link when they hold a confirmed online place, else ``None``."""
        if mode is Mode.ONLINE and status is RegistrationStatus.CONFIRMED:
            return self.link(event_id, person_id)
        return None
