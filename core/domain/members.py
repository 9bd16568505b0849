"""Member municipalities and partner organisations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from core.domain.errors import InvalidInput

#: A member that joined within this period counts as a "new member municipality".
NEW_MEMBER_PERIOD = timedelta(days=730)


class MemberKind(StrEnum):
    KREIS = "kreis"
    KREISFREIE_STADT = "kreisfreie_stadt"
    STADT = "stadt"
    GEMEINDE = "gemeinde"
    BEZIRKSREGIERUNG = "bezirksregierung"
    KOOPERATIONSPARTNER = "kooperationspartner"


#: The kinds that are municipalities (Kreise, Städte, Gemeinden), not partners.
MUNICIPAL_KINDS = frozenset(
    {MemberKind.KREIS, MemberKind.KREISFREIE_STADT, MemberKind.STADT, MemberKind.GEMEINDE}
)


@dataclass(slots=True)
class Member:
    name: str
    kind: MemberKind
    municipality_key: str | None = None  # Amtlicher Gemeindeschlüssel, 8 digits
    joined_on: date | None = None
    id: int | None = None

    def is_new(self, today: date) -> bool:
        return self.joined_on is not None and today - self.joined_on <= NEW_MEMBER_PERIOD


#: The Amtlicher Gemeindeschlüssel of every municipality in North Rhine-Westphalia starts so.
NRW_KEY_PREFIX = "05"
#: North Rhine-Westphalia was founded on 23 August 1946: no member joined before.
FOUNDED = date(1946, 8, 23)


def validate_municipality_key(key: str) -> str:
    """The Amtlicher Gemeindeschlüssel has eight digits; NRW's start with 05 (Destatis,
    Gemeindeverzeichnis). Spaces are dropped. Raises InvalidInput ``municipality_key``."""
    cleaned = key.replace(" ", "")
    if not (cleaned.isdigit() and len(cleaned) == 8 and cleaned.startswith(NRW_KEY_PREFIX)):
        raise InvalidInput("municipality_key", value=key)
    return cleaned


def check_joined(joined_on: date | None, today: date) -> None:
    """Raise InvalidInput ``joined_on`` for a date of joining after ``today`` (a day's grace
    for time zones) or before the state existed."""
    if joined_on is not None and not FOUNDED <= joined_on <= today + timedelta(days=1):
        raise InvalidInput("joined_on")
