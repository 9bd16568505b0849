"""Rules for text people type that the bot stores and shows to others."""

from __future__ import annotations

import unicodedata

#: Line breaks and tabs are fine; so are the joiners inside emoji. Other control and format
#: characters (escape sequences, bidirectional overrides, NUL) are refused.
ALLOWED_CONTROL = frozenset({"\n", "\r", "\t", "\u200c", "\u200d"})


#: Invisible characters that copying text on a phone brings along (zero-width space, soft
#: hyphen, word joiner, byte-order mark): harmless, so taken out rather than refused.
INVISIBLE = str.maketrans(dict.fromkeys(("\u200b", "\u00ad", "\u2060", "\ufeff")))


def without_invisible(text: str) -> str:
    """``text`` without :data:`INVISIBLE` characters (``Mit\u200bglied`` → ``Mitglied``)."""
    return text.translate(INVISIBLE)


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a control, format or surrogate character (Unicode categories
    Cc, Cf, Cs) other than line breaks, tabs and emoji joiners."""
    return any(
        char not in ALLOWED_CONTROL and unicodedata.category(char) in ("Cc", "Cf", "Cs")
        for char in text
    )
