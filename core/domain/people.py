"""Persons, their roles and the chat identities that point to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    MEMBER = "member"  # engagement officer of a member municipality
    SPEAKER = "speaker"  # Sprecher(innen)team, or a speaker in a short format
    SUPPORTER = "supporter"  # pool of Unterstützer(innen), with topics
    LEADERSHIP = "leadership"  # Verwaltungsspitze: (Ober-)Bürgermeister(in), Landrat/Landrätin
    ORGANIZER = "organizer"  # network office
    ADMIN = "admin"


class Platform(StrEnum):
    CONSOLE = "console"
    TELEGRAM = "telegram"
    MATRIX = "matrix"
    #: Not a chat: the outbox's channel for e-mail (``core.mail``); no chat account has it.
    EMAIL = "email"


LANGUAGES = ("de", "en")


@dataclass(slots=True)
class Person:
    display_name: str
    member_id: int | None = None
    roles: frozenset[Role] = frozenset()
    supporter_topics: tuple[str, ...] = ()
    language: str = "de"
    is_guest: bool = False
    created_at: datetime | None = None
    id: int | None = None
    #: Came in through a chat account (a guest, or a member by a municipality's code) under a
    #: name of its own choosing; the office's persons (``person add``) are not.
    self_registered: bool = False
    #: When the short privacy notice was shown (DSGVO Art. 13); ``None``: not yet.
    privacy_notice_at: datetime | None = None

    @property
    def office_entry(self) -> bool:
        """Created by the network office: may hold network roles, is never merged away."""
        return not self.self_registered

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_organizer(self) -> bool:
        return self.has_role(Role.ORGANIZER, Role.ADMIN)


@dataclass(slots=True, frozen=True)
class ChatIdentity:
    platform: Platform
    external_id: str
    person_id: int
    display_name: str | None = None
    created_at: datetime | None = field(default=None, compare=False)


#: Quotation marks people put around a name they type (German, English, French, plain).
QUOTES = "\"'„“”‚‘’«»‹›"


def unquote(ref: str) -> str:
    """``„Stadt Auenburg“`` → ``Stadt Auenburg``: a reference without the quotes around it."""
    return ref.strip().strip(QUOTES).strip()
