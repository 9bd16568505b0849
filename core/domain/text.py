"""Rules for text people type that the bot stores and shows to others."""

from __future__ import annotations

import unicodedata
from html.parser import HTMLParser
from urllib.parse import urlsplit

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


def without_control_characters(text: str) -> str:
    """``text`` without the characters :func:`has_control_characters` refuses: for names a
    platform hands over (a Telegram first name with a NUL byte), which nobody can retype."""
    return "".join(
        char
        for char in text
        if char in ALLOWED_CONTROL or unicodedata.category(char) not in ("Cc", "Cf", "Cs")
    )


class _Text(HTMLParser):
    """The text of an HTML fragment as the standard library's parser reads it, without
    the content of scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        if self.cdata_elem is None:
            self.parts.append(data)


def without_markup(text: str) -> str:
    """``text`` as read: HTML tags out, entities decoded, on one line
    ("<b>Wie</b> werde ich &quot;Mitglied&quot;?" becomes: Wie werde ich "Mitglied"?).
    A ``<`` that opens no tag stays ("<5000 Einwohner", "a < b")."""
    parser = _Text()
    parser.feed(text)
    parser.close()
    return " ".join("".join(parser.parts).split())


def is_web_address(text: str, max_length: int = 2000) -> bool:
    """An absolute ``http``/``https`` address with a host, without spaces, at most
    ``max_length`` characters (RFC 3986; other schemes such as ``javascript:`` are not
    addresses a person should be sent to)."""
    parts = urlsplit(text)
    return (
        len(text) <= max_length
        and parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not any(c.isspace() for c in text)
    )
