"""What handlers return and adapters render: text with light formatting, buttons, files."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from typing import Any

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
class MadeFile:
    """A file made only when the message is sent (a Teilnahmebescheinigung): the outbox
    keeps what is needed to make it again, never its bytes. ``kind`` names the maker in
    :data:`bot.delivery.FILE_MAKERS`; ``params`` are JSON values."""

    kind: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PollSpec:
    """A poll in a reply. Open: adapters post it natively where they can (the reply's text
    and buttons are the fallback). ``closed``: the poll ended; adapters stop their posted
    poll in the chat, and the text carries the result."""

    poll_id: int
    question: str
    options: tuple[str, ...]
    max_choices: int = 1
    anonymous: bool = False
    hidden_results: bool = False
    closes_at: str | None = None  # ISO 8601, UTC
    closed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "poll_id": self.poll_id,
            "question": self.question,
            "options": list(self.options),
            "max_choices": self.max_choices,
            "anonymous": self.anonymous,
            "hidden_results": self.hidden_results,
            "closes_at": self.closes_at,
            "closed": self.closed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PollSpec:
        return cls(**{**data, "options": tuple(data["options"])})


@dataclass(frozen=True, slots=True)
class Reply:
    text: Markup
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachment: Attachment | None = None
    #: Concerns one person only: in a group, adapters send it to the private chat.
    private: bool = False
    is_error: bool = False
    poll: PollSpec | None = None
    #: The command this answers should come down (it showed what an anonymous vote hides):
    #: adapters delete or redact it where the bot has the right to.
    retract_command: bool = False
    #: Forget this message once it is delivered (the confirmation of an erasure: it must not
    #: stay in the outbox, addressed to the erased person's chat).
    ephemeral: bool = False
    #: A file the adapter makes when it sends the reply (instead of ``attachment``).
    made_file: MadeFile | None = None

    @property
    def plain(self) -> str:
        return plain_text(self.text)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the outbox."""
        data: dict[str, Any] = {
            "text": str(self.text),
            "buttons": [[[b.label, b.command] for b in row] for row in self.buttons],
            "private": self.private,
            "is_error": self.is_error,
        }
        if self.attachment is not None:
            data["attachment"] = {
                "filename": self.attachment.filename,
                "content": base64.b64encode(self.attachment.content).decode(),
                "mime_type": self.attachment.mime_type,
            }
        if self.poll is not None:
            data["poll"] = self.poll.to_dict()
        if self.retract_command:
            data["retract_command"] = True
        if self.ephemeral:
            data["ephemeral"] = True
        if self.made_file is not None:
            data["made_file"] = {"kind": self.made_file.kind, "params": self.made_file.params}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        attachment = None
        if "attachment" in data:
            file = data["attachment"]
            attachment = Attachment(
                file["filename"], base64.b64decode(file["content"]), file["mime_type"]
            )
        return cls(
            Markup(data["text"]),
            tuple(
                tuple(Button(label, command) for label, command in row) for row in data["buttons"]
            ),
            attachment,
            data["private"],
            data["is_error"],
            PollSpec.from_dict(data["poll"]) if "poll" in data else None,
            data.get("retract_command", False),
            data.get("ephemeral", False),
            made_file=MadeFile(**data["made_file"]) if "made_file" in data else None,
        )


def plain_text(markup: str) -> str:
    """The text without tags, links written out, entities decoded; line breaks kept."""

    def link(match: re.Match[str]) -> str:
        url, label = html.unescape(match.group(1)), match.group(2)
        return label if plain_text(label) == url else f"{label} ({url})"

    return html.unescape(_TAG.sub("", _LINK.sub(link, markup)))
