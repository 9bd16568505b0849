"""One tolerant reading of what people type after a command, for every command.

Phone keyboards turn ``--`` into a dash (``–``, ``—``) and quotes into typographic ones
(„…“, “…”, »…«); people write durations as ``2 Tage``, ``48h`` or ``5 Minuten``. Everything a
command reads from its arguments goes through here, so a flag typed on a phone means the same
as one typed on a keyboard, and a word the command does not expect is refused, never ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from bot.dates import DASHES
from core.domain.errors import InvalidInput

#: ``--flag``, ``–flag``, ``—flag`` or ``-flag`` at the start of a word, before a letter.
_FLAG_START = re.compile(rf"(?<!\S)(?:--|[{DASHES}]+|-)(?=[^\W\d_])")
#: Opening quotation marks and the marks that close them.
_QUOTE_PAIRS = {'"': '"“”', "'": "'‘’", "„": '“”"', "“": "”“", "‚": "‘’'", "«": "»", "»": "«"}

_NUMBER = r"\d{1,6}(?:[.,]\d{1,3})?"
#: Duration units in German and English, singular, plural and short, in seconds.
DURATION_UNITS: dict[str, int] = {
    **dict.fromkeys(("s", "sek", "sec", "sekunde", "sekunden", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minuten", "minutes"), 60),
    **dict.fromkeys(("h", "std", "stunde", "stunden", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "t", "tag", "tage", "tagen", "day", "days"), 86400),
    **dict.fromkeys(("w", "woche", "wochen", "week", "weeks"), 604800),
}
_UNIT = "|".join(sorted(map(re.escape, DURATION_UNITS), key=len, reverse=True))
DURATION = re.compile(rf"(?P<number>{_NUMBER})\s*(?P<unit>{_UNIT})?\.?", re.IGNORECASE)
_DURATION_VALUE = rf"{_NUMBER}(?:\s*(?:{_UNIT})\b\.?)?"
#: One duration with its unit, in a list of them ("1 Tag, 2 Stunden", "48h; 30 min").
_LISTED = rf"{_NUMBER}\s*(?:{_UNIT})\b\.?"
_SEPARATOR = r"\s*(?:[,;/+]|\bund\b|\band\b)?\s*"
DURATIONS = re.compile(rf"\s*{_LISTED}(?:{_SEPARATOR}{_LISTED})*\s*", re.IGNORECASE)


def normalize(text: str) -> str:
    """``text`` with a dash before a word made ``--`` (what people wrote stays as it is).

    ``Nein –anonym`` → ``Nein --anonym``; a dash between words (``Ja – gern``) stays."""
    return _FLAG_START.sub("--", text)


def parse_duration(text: str) -> timedelta:
    """``90s``, ``5 min``, ``5 Minuten``, ``2h``, ``1,5 Stunden``, ``2d``, ``2 Tage``, ``1 Woche``;
    a bare number means minutes. Raises InvalidInput("poll_duration") for anything else."""
    match = DURATION.fullmatch(text.strip())
    if match is None:
        raise InvalidInput("poll_duration")
    number = float(match.group("number").replace(",", "."))
    unit = DURATION_UNITS[(match.group("unit") or "min").lower()]
    return timedelta(seconds=round(number * unit))


def parse_durations(text: str) -> tuple[timedelta, ...]:
    """Several durations, each with its unit, separated by commas, semicolons, spaces or
    "und": ``1 Tag, 2 Stunden``, ``48h 30min``, ``1,5 Stunden und 10 Minuten`` (a decimal
    comma belongs to its number). Empty text: none. Raises InvalidInput("durations") for
    anything else, a bare number included (minutes or hours? the unit decides)."""
    if not text.strip():
        return ()
    if DURATIONS.fullmatch(text) is None:
        raise InvalidInput("durations")
    return tuple(parse_duration(m.group()) for m in re.finditer(_LISTED, text, re.IGNORECASE))


@dataclass(frozen=True, slots=True)
class Flag:
    """A flag the command knows: its canonical name, all spellings, and its value."""

    name: str
    spellings: tuple[str, ...]
    value: str = ""  # "" no value; "number"; "optional-number"; "duration"
    #: The error code when the flag is there but its value is not as expected.
    invalid: str = ""

    def pattern(self) -> str:
        if self.value == "duration":
            return rf"\s*[= ]\s*(?P<value>{_DURATION_VALUE})"
        if self.value == "number":
            return r"\s*[= ]\s*(?P<value>#?\d+)"
        if self.value == "optional-number":
            return r"(?:\s*[= ]\s*(?P<value>\d+))?"
        return ""


def take_flags(text: str, flags: tuple[Flag, ...], unknown: str) -> tuple[str, dict[str, str]]:
    """Split ``text`` into what is left and the flags found (name → value, ``""`` when the
    flag takes none). A flag takes its value only in the form it expects (``--dauer 2 Tage``
    takes ``2 Tage``). Raises InvalidInput(``unknown``, flag=…) for a flag the command does not
    know, and the flag's own ``invalid`` code for a known flag whose value is missing or not
    understood (``--dauer -5m``)."""
    text = normalize(text)
    found: dict[str, str] = {}
    for flag in flags:
        names = "|".join(map(re.escape, flag.spellings))
        pattern = re.compile(rf"(?<!\S)--(?:{names})(?![\w-]){flag.pattern()}", re.IGNORECASE)
        for match in pattern.finditer(text):
            found[flag.name] = (match.groupdict().get("value") or "").strip()
        text = pattern.sub(" ", text)
    if leftover := re.search(r"(?<!\S)--([^\W\d_]\S*)", text):
        name = leftover.group(1).split("=")[0].lower()
        known = next((f for f in flags if name in f.spellings), None)
        if known is not None:  # there, but its value is missing or not understood
            raise InvalidInput(known.invalid or unknown, flag=name[:20])
        raise InvalidInput(unknown, flag=leftover.group(1)[:20])
    return text, found


#: The most digits an id has (a database integer holds any number of nine).
ID_DIGITS = 9


def number(word: str) -> int | None:
    """The id a word gives (``3``, ``#3``, ``3.``), or ``None`` when it is no id (at most
    :data:`ID_DIGITS` digits)."""
    word = word.removeprefix("#").removesuffix(".")
    return int(word) if word.isdigit() and len(word) <= ID_DIGITS else None


def split_words(text: str) -> list[str]:
    """The whitespace-separated words of ``text`` after :func:`normalize`."""
    return normalize(text).split()


def quoted_prefix(text: str) -> tuple[str, str] | None:
    """``"Stadt Auenburg" Hallo`` → ``("Stadt Auenburg", "Hallo")``; ``None`` when ``text``
    does not start with a quote (typographic quotes count)."""
    text = normalize(text).lstrip()
    closing = _QUOTE_PAIRS.get(text[:1])
    if closing is None:
        return None
    end = next((i for i, c in enumerate(text[1:], 1) if c in closing), None)
    if end is None:
        return None
    return text[1:end].strip(), text[end + 1 :].strip()
