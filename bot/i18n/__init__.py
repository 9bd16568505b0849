"""Message catalogues (German complete, English complete) and German/English date formats.

Catalogue entries are small HTML templates (``<b>``, ``<i>``, ``<code>``, ``<a>``); parameters
are escaped when they are filled in, so user content can never inject markup. An entry where a
number meets a noun is an object of CLDR plural categories (``{"one": …, "other": …}``); the
form is chosen by Babel's plural rule of the language from the parameter ``count``.

A language's catalogue is ``<language>.json`` plus every ``<area>.<language>.json`` beside it
(``cli.de.json`` …); a key may appear in only one of them.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from markupsafe import Markup

from core.domain.errors import DomainError

log = logging.getLogger(__name__)
LANGUAGES = ("de", "en")
DATETIME_PATTERNS = {"de": "EEE, d. MMMM y, HH:mm 'Uhr'", "en": "EEE, d MMMM y, HH:mm"}
TIME_PATTERNS = {"de": "HH:mm 'Uhr'", "en": "HH:mm"}
DATE_PATTERNS = {"de": "EEE, d. MMMM y", "en": "EEE, d MMMM y"}
LOCALES = {"de": "de_DE", "en": "en_GB"}


Template = str | dict[str, str]


@cache
def catalogue(language: str) -> dict[str, Template]:
    """Every message of ``language``: key -> template, or plural category -> template.

    Raises ValueError when two files of the language define the same key."""
    merged: dict[str, Template] = {}
    folder = resources.files(__package__)
    names = sorted(f.name for f in folder.iterdir() if f.name.endswith(f"{language}.json"))
    for name in names:
        if name != f"{language}.json" and not name.endswith(f".{language}.json"):
            continue
        entries = json.loads(folder.joinpath(name).read_text("utf-8"))
        if twice := merged.keys() & entries.keys():
            raise ValueError(f"{name}: keys defined twice: {sorted(twice)}")
        merged.update(entries)
    return merged


def plural_category(language: str, count: int) -> str:
    """The CLDR plural category (``one``, ``other`` …) of ``count`` in ``language``."""
    return Locale.parse(LOCALES.get(language, LOCALES["de"])).plural_form(abs(count))


def select(language: str, template: Template, params: dict[str, Any]) -> str:
    """The template's text for ``params``: a plural entry needs the parameter ``count``.

    Raises KeyError for a plural entry without ``count`` or without the needed category."""
    if isinstance(template, str):
        return template
    category = plural_category(language, int(params["count"]))
    return template.get(category) or template["other"]


class Translator:
    def __init__(self, tz: ZoneInfo, default_language: str = "de") -> None:
        self.tz = tz
        self.default_language = default_language

    def language(self, requested: str | None) -> str:
        return requested if requested in LANGUAGES else self.default_language

    def t(self, language: str, key: str, /, **params: Any) -> Markup:
        """The message ``key`` in ``language`` (German when missing there), parameters filled."""
        found = catalogue(language).get(key) or catalogue("de").get(key)
        if found is None:
            raise KeyError(f"no message {key!r}")
        if language not in LANGUAGES or key not in catalogue(language):
            language = "de"
        template = select(language, found, params)
        values = {name: self.format_value(language, value) for name, value in params.items()}
        return Markup(template).format(**values)

    def has(self, key: str) -> bool:
        return key in catalogue("de")

    def error(self, language: str, error: DomainError, *, channel: str = "") -> Markup:
        """The message for ``error``: the ``channel``'s own wording where it has one
        (``web.error.…`` names no chat command), else the chat's (``error.…``); an error
        without a message is logged and apologised for (``error.internal``)."""
        for key in (f"{channel}.error.{error.code}" if channel else "", f"error.{error.code}"):
            if key and self.has(key):
                return self.t(language, key, **error.params)
        log.error("no message for error code %r", error.code)
        return self.t(language, "error.internal")

    def format_value(self, language: str, value: Any) -> Any:
        if isinstance(value, datetime):
            return self.datetime(language, value)
        if isinstance(value, date):
            return format_date(value, DATE_PATTERNS[language], locale=LOCALES[language])
        return value

    def datetime(self, language: str, moment: datetime) -> str:
        return format_datetime(
            moment, DATETIME_PATTERNS[language], tzinfo=self.tz, locale=LOCALES[language]
        )

    def date(self, language: str, moment: datetime) -> str:
        """The day of ``moment`` in Berlin time: ``Do., 3. Dezember 2026``."""
        return format_datetime(
            moment, DATE_PATTERNS[language], tzinfo=self.tz, locale=LOCALES[language]
        )

    def clock(self, moment: datetime) -> str:
        """The bare time of day in Berlin time, ``14:00`` (for spans: ``14:00–15:30 Uhr``)."""
        return format_datetime(moment, "HH:mm", tzinfo=self.tz, locale=LOCALES["de"])

    def time(self, language: str, moment: datetime) -> str:
        return format_datetime(
            moment, TIME_PATTERNS[language], tzinfo=self.tz, locale=LOCALES[language]
        )
