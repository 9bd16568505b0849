"""YAML import and export of the FAQ knowledge base.

The file is a list of entries with the keys ``id``, ``question``, ``answer`` (required),
``variants``, ``tags``, ``links`` (lists of strings, optional) and ``topic`` (optional).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import yaml

from core.domain.faq import FaqEntry

__all__ = ["FaqFileError", "FaqFileProblem", "dump_entries", "parse_entries"]

REQUIRED = ("id", "question", "answer")
LISTS = ("variants", "tags", "links")
OPTIONAL = (*LISTS, "topic")
KEYS = (*REQUIRED, *OPTIONAL)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class FaqFileProblem:
    """One validation problem: entry position (1-based), its id if known, the field.

    ``message`` is German (the CLI shows it inside a German sentence); ``str()`` names the
    place the same way the CLI does: ``Eintrag 2 (id „a“), Feld „tags“: …``.
    """

    index: int | None
    entry_id: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = " ".join(
            part
            for part in (
                f"Eintrag {self.index}" if self.index is not None else "",
                f"(id „{self.entry_id}“)" if self.entry_id is not None else "",
            )
            if part
        )
        if self.field is not None:
            where = f"{where}, Feld „{self.field}“" if where else f"Feld „{self.field}“"
        return f"{where}: {self.message}" if where else self.message


class FaqFileError(ValueError):
    """The file is not a valid knowledge base; ``problems`` lists every problem found."""

    def __init__(self, problems: list[FaqFileProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def parse_entries(text: str) -> list[FaqEntry]:
    """Parse and validate a knowledge-base file; raise ``FaqFileError`` on any problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" in Zeile {mark.line + 1}" if mark is not None else ""
        raise FaqFileError([FaqFileProblem(None, None, None, f"ungültiges YAML{where}")]) from exc
    if data is None:
        return []
    if not isinstance(data, list):
        problem = FaqFileProblem(None, None, None, "die Datei muss eine Liste von Einträgen sein")
        raise FaqFileError([problem])
    problems: list[FaqFileProblem] = []
    entries: list[FaqEntry] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(data, start=1):
        entry = _parse_item(index, item, problems)
        if entry is None:
            continue
        if entry.id in seen:
            message = f"doppelte Kennung, schon bei Eintrag {seen[entry.id]} verwendet"
            problems.append(FaqFileProblem(index, entry.id, "id", message))
            continue
        seen[entry.id] = index
        entries.append(entry)
    if problems:
        raise FaqFileError(problems)
    return entries


def _parse_item(index: int, item: Any, problems: list[FaqFileProblem]) -> FaqEntry | None:
    if not isinstance(item, dict):
        message = "ein Eintrag muss aus Schlüsseln mit Werten bestehen"
        problems.append(FaqFileProblem(index, None, None, message))
        return None
    raw_id = item.get("id")
    entry_id = raw_id if isinstance(raw_id, str) and raw_id else None
    before = len(problems)

    def problem(field: str, message: str) -> None:
        problems.append(FaqFileProblem(index, entry_id, field, message))

    for key in item:
        if key not in KEYS:
            problem(str(key), f"unbekannter Schlüssel (erlaubt: {', '.join(KEYS)})")
    values: dict[str, Any] = {}
    for key in REQUIRED:
        if key not in item or item[key] is None:
            problem(key, "Pflichtschlüssel fehlt")
        elif not isinstance(item[key], str):
            problem(key, f"muss ein Text sein, nicht {_kind(item[key])}")
        elif not item[key].strip():
            problem(key, "darf nicht leer sein")
        else:
            values[key] = item[key].strip()
    if "id" in values and not SLUG.match(values["id"]):
        problem(
            "id",
            "muss ein Kürzel aus Kleinbuchstaben a–z, Ziffern und einzelnen Bindestrichen sein",
        )
    for key in LISTS:
        value = item.get(key)
        if value is None:
            if key in item:
                problem(key, "muss eine Liste von Texten sein (oder weggelassen werden)")
            continue
        if not isinstance(value, list):
            problem(key, f"muss eine Liste von Texten sein, nicht {_kind(value)}")
            continue
        for n, element in enumerate(value, start=1):
            if not isinstance(element, str):
                problem(key, f"Element {n} muss ein Text sein, nicht {_kind(element)}")
            elif not element.strip():
                problem(key, f"Element {n} darf nicht leer sein")
            elif key == "links" and not _is_web_address(element.strip()):
                problem(key, f"Element {n} ist keine Webadresse (https://… oder http://…)")
        values[key] = tuple(e.strip() for e in value if isinstance(e, str))
    topic = item.get("topic")
    if topic is not None:
        if not isinstance(topic, str):
            problem("topic", f"muss ein Text sein, nicht {_kind(topic)}")
        elif not topic.strip():
            problem("topic", "darf nicht leer sein")
        else:
            values["topic"] = topic.strip()
    if len(problems) > before:
        return None
    return FaqEntry(
        id=values["id"],
        question=values["question"],
        answer=values["answer"],
        variants=values.get("variants", ()),
        tags=values.get("tags", ()),
        links=values.get("links", ()),
        topic=values.get("topic"),
    )


def _is_web_address(text: str) -> bool:
    """An absolute http(s) address with a host: what a member may safely be sent to
    ("javascript:…", "keine-url" or "//host" are not)."""
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in text


def _kind(value: Any) -> str:
    """What YAML made of a value, in words for the error message."""
    if isinstance(value, bool):
        return "Wahrheitswert"
    if isinstance(value, int | float):
        return "Zahl"
    if isinstance(value, datetime.date):
        return "Datum"
    if isinstance(value, str):
        return "Text"
    if isinstance(value, list):
        return "Liste"
    if isinstance(value, dict):
        return "Zuordnung"
    return type(value).__name__


class _Dumper(yaml.SafeDumper):
    """Safe dumper that writes multi-line strings (Markdown answers) as literal blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_entries(entries: Iterable[FaqEntry]) -> str:
    """Export entries in the import format (``parse_entries`` reads it back unchanged)."""
    data = []
    for entry in entries:
        item: dict[str, Any] = {"id": entry.id, "question": entry.question}
        for key in LISTS:
            value = getattr(entry, key)
            if value:
                item[key] = list(value)
        if entry.topic:
            item["topic"] = entry.topic
        item["answer"] = entry.answer
        data.append(item)
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
