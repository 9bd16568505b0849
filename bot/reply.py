"""What handlers return and adapters render: text with light formatting, buttons, files."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from markupsafe import Markup

_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    command: str  # the chat command the button stands for, e.g. "/anmelden 3"


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str


@dataclass(frozen=True, slots=True)
class Reply:
    text: Markup
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachment: Attachment | None = None
    #: Concerns one person only: in a group, adapters send it to the private chat.
    private: bool = False
    is_error: bool = False

    @property
    def plain(self) -> str:
        return plain_text(self.text)


def plain_text(markup: str) -> str:
    """The text without tags, links written out, entities decoded; line breaks kept."""

    def link(match: re.Match[str]) -> str:
        url, label = html.unescape(match.group(1)), match.group(2)
        return label if plain_text(label) == url else f"{label} ({url})"

    return html.unescape(_TAG.sub("", _LINK.sub(link, markup)))
