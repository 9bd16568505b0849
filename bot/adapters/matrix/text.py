"""Matrix text in and out: command spellings to router text, replies to ``m.notice`` content."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from markupsafe import Markup

from bot.reply import Reply, plain_text

HTML_FORMAT = "org.matrix.custom.html"
#: Characters that may follow a mention of the bot: ``@bot: termine``, ``bot, termine``.
MENTION_SEPARATORS = (":", ",", " ")


def strip_reply_fallback(body: str) -> str:
    """A reply's body without the quoted ``> <@user> …`` lines clients put in front."""
    if not body.startswith("> "):
        return body
    lines = body.split("\n")
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    return "\n".join(lines[index:]).lstrip("\n")


def command_text(
    body: str,
    prefix: str,
    bot_names: Iterable[str],
    is_command: Callable[[str], bool] = lambda word: True,
) -> tuple[str, bool]:
    """Router text for a message body, and whether it addresses the bot by name.

    ``!termine``, ``/termine`` and ``@bot: termine`` become ``/termine``; ``@bot: Wie werde
    ich Mitglied?`` — a mention followed by no command (``is_command`` of its first word) —
    becomes the question ``Wie werde ich Mitglied?``, addressed; other text is unchanged.
    ``bot_names`` are the spellings people use for the bot (user id, localpart, display name).
    """
    text = strip_reply_fallback(body).strip()
    if text.startswith("/"):
        return text, False
    if prefix and text.startswith(prefix):
        return "/" + text[len(prefix) :].lstrip(), False
    lowered = text.lower()
    for name in sorted({n.lower() for n in bot_names if n}, key=len, reverse=True):
        rest = text[len(name) :]
        if lowered.startswith(name) and rest[:1] in MENTION_SEPARATORS:
            rest = rest[1:].strip()
            command = rest.removeprefix(prefix).removeprefix("/").strip()
            if not command:
                break
            if rest != command or is_command(command.split()[0]):
                return "/" + command, True
            return rest, True
    return text, False


def button_commands(reply: Reply, prefix: str) -> list[str]:
    """The commands behind a reply's buttons, written the Matrix way (``!anmelden 3``)."""
    return [prefix + button.command.removeprefix("/") for row in reply.buttons for button in row]


def hint_commands(commands: Iterable[str]) -> Markup:
    """``!abmelden 3, !termin 3`` as code spans, for the ``adapter.hint_buttons`` line."""
    return Markup(", ").join(Markup("<code>{}</code>").format(command) for command in commands)


def notice_content(
    text: Markup, reply_to: str | None = None, thread: str | None = None
) -> dict[str, Any]:
    """An ``m.notice`` with a plain ``body`` and an HTML ``formatted_body``, maybe a reply,
    maybe in the thread whose root is ``thread`` (Matrix spec, "Threading")."""
    content: dict[str, Any] = {
        "msgtype": "m.notice",
        "body": plain_text(text),
        "format": HTML_FORMAT,
        "formatted_body": str(text).replace("\n", "<br>"),
    }
    if thread:
        content["m.relates_to"] = {
            "rel_type": "m.thread",
            "event_id": thread,
            "is_falling_back": not reply_to,
            "m.in_reply_to": {"event_id": reply_to or thread},
        }
    elif reply_to:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
    return content


def file_content(
    filename: str, url: str, mime_type: str, size: int, encryption: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An ``m.file`` message; with ``encryption`` (nio's key, iv and hashes) for encrypted rooms,
    where the (ciphertext's) address goes into ``file`` instead of ``url``."""
    content: dict[str, Any] = {
        "msgtype": "m.file",
        "body": filename,
        "filename": filename,
        "info": {"mimetype": mime_type, "size": size},
    }
    if encryption is None:
        content["url"] = url
    else:
        content["file"] = {**encryption, "url": url, "mimetype": mime_type}
    return content
