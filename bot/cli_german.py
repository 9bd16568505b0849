"""The command line's German: its texts, operating-system errors in German, and argparse in
German (headings, usage errors as one line, options typed with a phone's dash)."""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import re
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from bot.dates import DASHES
from bot.i18n import Translator
from bot.reply import plain_text


def say(key: str, **params: Any) -> str:
    """A CLI text from the catalogue (``bot/i18n/cli.de.json``) in German, as plain text."""
    return plain_text(Translator(ZoneInfo("Europe/Berlin")).t("de", key, **params))


def os_problem(exc: OSError) -> str:
    """An operating-system error as one German sentence, chosen by its class and ``errno``
    (never the C library's English ``strerror``): a missing file or folder, no permission, a
    folder where a file was expected, a full or read-only disk, a refused or timed-out
    connection, an unknown host, a port in use; otherwise the error's symbolic name."""
    path = exc.filename
    if isinstance(exc, FileNotFoundError) and path is not None:
        parent = Path(os.fsdecode(path)).parent
        if str(parent) not in ("", ".") and not parent.exists():
            return say("cli.os.no_folder", path=str(parent))
        return say("cli.os.not_found", path=os.fsdecode(path))
    by_class: list[tuple[type[OSError], str]] = [
        (PermissionError, "cli.os.permission"),
        (IsADirectoryError, "cli.os.is_directory"),
        (NotADirectoryError, "cli.os.not_directory"),
        (FileExistsError, "cli.os.exists"),
    ]
    by_errno = {
        errno.ENOSPC: "cli.os.no_space",
        errno.EDQUOT: "cli.os.no_space",
        errno.EROFS: "cli.os.read_only",
        errno.ENAMETOOLONG: "cli.os.name_too_long",
    }
    if path is not None:
        key = next((k for kind, k in by_class if isinstance(exc, kind)), None)
        key = key or by_errno.get(exc.errno or 0)
        if key is not None:
            return say(key, path=os.fsdecode(path))
    if isinstance(exc, ConnectionRefusedError):
        return say("cli.os.refused")
    if isinstance(exc, TimeoutError):
        return say("cli.os.timeout")
    if isinstance(exc, socket.gaierror):
        return say("cli.os.unknown_host")
    if exc.errno == errno.EADDRINUSE:
        return say("cli.os.address_in_use")
    if isinstance(exc, PermissionError):
        return say("cli.os.permission_plain")
    code = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
    if path is not None:
        return say("cli.os.other_path", code=code, path=os.fsdecode(path))
    return say("cli.os.other", code=code)


def fail(message: str, status: int) -> NoReturn:
    """Print ``message`` as the one line on stderr and end with exit ``status``."""
    print(message, file=sys.stderr)
    sys.exit(status)


# argparse in German. argparse looks up every text it prints (headings, "usage: ", its error
# messages) through its module-level names ``_`` and ``ngettext`` (gettext) at the moment it
# needs them. ``german_argparse()`` binds German versions there, and only while the CLI builds
# and runs its parser; this table is the one place with those texts. A template whose wording
# depends on its values (singular or plural, quotes instead of Python's repr) is a function.


def _names(values: str, separator: str = ", ") -> list[str]:
    return [name for name in values.split(separator) if name]


def _unquoted(reprs: str) -> str:
    """``'chat', 'demo'`` (argparse's ``repr`` list) -> ``chat, demo``."""
    return re.sub(r"'([^']*)'", r"\1", reprs)


TYPE_NAMES = {"int": "ganze Zahl", "float": "Zahl"}
ARGPARSE_DE: dict[str, str | Callable[[Any], str]] = {
    "usage: ": "Aufruf: ",
    "positional arguments": "Argumente",
    "options": "Optionen",
    "optional arguments": "Optionen",
    "subcommands": "Befehle",
    "show this help message and exit": "diese Hilfe zeigen und beenden",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s: %(message)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s: Fehler: %(message)s\n",
    "the following arguments are required: %s": lambda names: (
        f"Es fehlt die Angabe {names}"
        if len(_names(names)) == 1
        else f"Es fehlen die Angaben {names}"
    ),
    "one of the arguments %s is required": "Eine dieser Angaben ist nötig: %s",
    "unrecognized arguments: %s": lambda words: (
        f"Diese Angabe verstehe ich nicht: {words}"
        if len(_names(words, " ")) == 1
        else f"Diese Angaben verstehe ich nicht: {words}"
    ),
    "not allowed with argument %s": "nicht zusammen mit %s möglich",
    "ignored explicit argument %r": lambda value: f"zu dieser Option gehört kein Wert („{value}“)",
    "expected one argument": "dahinter fehlt ein Wert",
    "expected at most one argument": "höchstens ein Wert erlaubt",
    "expected at least one argument": "mindestens ein Wert nötig",
    "ambiguous option: %(option)s could match %(matches)s": lambda v: (
        f"„{v['option']}“ ist mehrdeutig: gemeint sein könnte {v['matches']}"
    ),
    "unexpected option string: %s": "unerwartete Option %s",
    "invalid %(type)s value: %(value)r": lambda v: (
        f"„{v['value']}“ ist keine {TYPE_NAMES.get(v['type'], 'gültige Angabe')}"
    ),
    "invalid choice: %(value)r (choose from %(choices)s)": lambda v: (
        f"ungültige Auswahl „{v['value']}“ (möglich: {_unquoted(v['choices'])})"
    ),
    "unknown parser %(parser_name)r (choices: %(choices)s)": lambda v: (
        f"unbekannter Befehl „{v['parser_name']}“ (möglich: {v['choices']})"
    ),
    "can't open '%(filename)s': %(error)s": "„%(filename)s“ lässt sich nicht öffnen: %(error)s",
}
ARGPARSE_DE_PLURAL = {
    ("expected %s argument", "expected %s arguments"): (
        "genau %s Wert nötig",
        "genau %s Werte nötig",
    ),
}


class _GermanTemplate(str):
    """A German argparse template whose ``%`` chooses the wording from the values."""

    fill: Callable[[Any], str]

    def __new__(cls, text: str, fill: Callable[[Any], str]) -> _GermanTemplate:
        template = super().__new__(cls, text)
        template.fill = fill
        return template

    def __mod__(self, values: Any) -> str:
        return self.fill(values)


def _german(message: str) -> str:
    found = ARGPARSE_DE.get(message, message)
    return found if isinstance(found, str) else _GermanTemplate(message, found)


def _german_plural(singular: str, plural: str, count: int) -> str:
    german = ARGPARSE_DE_PLURAL.get((singular, plural))
    if german is None:
        return singular if count == 1 else plural
    return german[0] if count == 1 else german[1]


@contextlib.contextmanager
def german_argparse() -> Iterator[None]:
    """While active, argparse speaks German (its texts through ``ARGPARSE_DE``). Build the
    parser and parse inside it; the English originals are restored afterwards, so that other
    users of argparse in the same process (pytest) are not affected."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = _german, _german_plural  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


def phone_dashes(argv: Sequence[str]) -> list[str]:
    """``argv`` with an option typed with a phone's dash (``–start``, ``—start``,
    ``‐‐start``, ``–h``) written as the option (``--start``, ``-h``). Only words that then
    name a known option change; everything after ``--`` and every other word stays as typed
    (a text may well start with a dash)."""
    known = Parser.option_names
    result: list[str] = []
    for position, word in enumerate(argv):
        if word == "--":
            return [*result, *argv[position:]]
        lead = re.match(rf"[-{DASHES}]+", word)
        if lead and any(c in DASHES for c in lead.group(0)):
            name, equals, value = word[lead.end() :].partition("=")
            for candidate in (f"--{name}", f"-{name}"):
                if candidate in known:
                    word = f"{candidate}{equals}{value}"
                    break
        result.append(word)
    return result


class Parser(argparse.ArgumentParser):
    """Errors as ONE German line (no usage block) pointing to the help, exit status 2."""

    #: Every option string of every parser made, for :func:`phone_dashes`.
    option_names: set[str] = set()  # noqa: RUF012 - shared on purpose
    #: The innermost parser that has started parsing: its help is the one to point to.
    innermost: Parser | None = None

    def add_argument(self, *names: Any, **options: Any) -> argparse.Action:
        action = super().add_argument(*names, **options)
        Parser.option_names.update(action.option_strings)
        return action

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        Parser.innermost = self
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        where = (Parser.innermost or self).prog
        fail(f"Fehler: {message.rstrip('.')}. Hilfe: {where} --help", 2)
