"""Quick polls: the question, its options, the rules for choices, closing and anonymity.

Choices are option indices counted from 0 (chat commands count from 1; adapters translate).
Anonymous votes are stored under :func:`voter_key`, an HMAC of the person id with the poll's
random salt; the salt is destroyed when the poll closes, so the key no longer leads anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.domain.errors import DomainError, InvalidInput
from core.domain.people import Platform
from core.domain.text import has_control_characters

MAX_QUESTION = 300
MAX_OPTION = 100  # Telegram's limit for a native poll option
MIN_OPTIONS, MAX_OPTIONS = 2, 10
MAX_DURATION = timedelta(days=14)
MIN_DURATION = timedelta(seconds=10)
SALT_BYTES = 32
_JOIN_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


@dataclass(slots=True)
class Poll:
    question: str
    options: tuple[str, ...]
    created_at: datetime
    creator_id: int | None = None
    max_choices: int = 1  # 1: single choice
    anonymous: bool = False
    hidden_results: bool = False  # results only after closing
    closes_at: datetime | None = None
    event_id: int | None = None
    token: str = ""  # the live page's unguessable token
    join_code: str = ""  # the short link to take part
    closed_at: datetime | None = None
    #: Anonymous polls only, until closing; never shown.
    salt: bytes | None = field(default=None, repr=False)
    #: The chat it was started in; its moderators may run it there (``None``: a direct chat).
    origin: tuple[Platform, str] | None = None
    #: ``--offen``: anyone in the poll's rooms may vote, guests included.
    open_to_guests: bool = False
    id: int | None = None

    @property
    def multiple(self) -> bool:
        return self.max_choices > 1

    def is_open(self, now: datetime) -> bool:
        return self.closed_at is None and (self.closes_at is None or now < self.closes_at)

    def check_open(self, now: datetime) -> None:
        if not self.is_open(now):
            raise DomainError("poll_closed", id=self.id)

    def results_visible(self, now: datetime) -> bool:
        return not self.hidden_results or not self.is_open(now)

    def check_choices(self, choices: Iterable[int]) -> tuple[int, ...]:
        """The choices sorted and without repeats, or an error naming the rule broken."""
        chosen = tuple(sorted(set(choices)))
        if any(not 0 <= c < len(self.options) for c in chosen):
            raise InvalidInput("poll_choice_range", count=len(self.options))
        if len(chosen) > self.max_choices:
            raise InvalidInput("poll_too_many_choices", max=self.max_choices)
        return chosen


def new_poll(
    question: str,
    options: Iterable[str],
    *,
    now: datetime,
    creator_id: int | None,
    max_choices: int = 1,
    anonymous: bool = False,
    hidden_results: bool = False,
    duration: timedelta | None = None,
    event_id: int | None = None,
    origin: tuple[Platform, str] | None = None,
    open_to_guests: bool = False,
) -> Poll:
    """A checked, open poll with fresh token, join code and (if anonymous) salt."""
    question = " ".join(question.split())
    cleaned = tuple(" ".join(o.split()) for o in options)
    if not question or len(question) > MAX_QUESTION:
        raise InvalidInput("poll_question", max=MAX_QUESTION)
    if not MIN_OPTIONS <= len(cleaned) <= MAX_OPTIONS:
        raise InvalidInput("poll_option_count", min=MIN_OPTIONS, max=MAX_OPTIONS)
    if any(not o or len(o) > MAX_OPTION for o in cleaned):
        raise InvalidInput("poll_option_length", max=MAX_OPTION)
    if len({o.casefold() for o in cleaned}) < len(cleaned):
        raise InvalidInput("poll_option_twice")
    if any(has_control_characters(t) for t in (question, *cleaned)):
        raise InvalidInput("control_characters")
    if not 1 <= max_choices <= len(cleaned):
        raise InvalidInput("poll_max_choices", count=len(cleaned))
    if duration is not None and not MIN_DURATION <= duration <= MAX_DURATION:
        raise InvalidInput("poll_duration")
    return Poll(
        question,
        cleaned,
        now,
        creator_id,
        max_choices,
        anonymous,
        hidden_results,
        now + duration if duration else None,
        event_id,
        token=secrets.token_urlsafe(24),
        join_code="".join(secrets.choice(_JOIN_ALPHABET) for _ in range(8)),
        salt=secrets.token_bytes(SALT_BYTES) if anonymous else None,
        origin=origin,
        open_to_guests=open_to_guests,
    )


def voter_key(salt: bytes, person_id: int) -> str:
    """The per-poll pseudonym of a voter: HMAC-SHA256 of the person id under the poll's salt."""
    return hmac.new(salt, str(person_id).encode(), hashlib.sha256).hexdigest()


def to_mask(choices: Iterable[int]) -> int:
    mask = 0
    for choice in choices:
        mask |= 1 << choice
    return mask


def from_mask(mask: int) -> tuple[int, ...]:
    return tuple(i for i in range(MAX_OPTIONS) if mask >> i & 1)


def toggled(current: tuple[int, ...], option: int) -> tuple[int, ...]:
    """The choices after switching one option on or off (multiple-choice buttons)."""
    return tuple(sorted(set(current) ^ {option}))


@dataclass(frozen=True, slots=True)
class Tally:
    counts: tuple[int, ...]
    participants: int

    def percent(self, index: int) -> int:
        """Share of the participants who chose the option, rounded to whole percent."""
        if not self.participants:
            return 0
        return round(100 * self.counts[index] / self.participants)


@dataclass(frozen=True, slots=True)
class MemberTurnout:
    """Named polls: which member municipalities took part (with how many people) and which not."""

    voted: tuple[tuple[str, int], ...]
    not_yet: tuple[str, ...]
