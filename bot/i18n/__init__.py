"""Message catalogues (German complete, English complete) and German/English date formats.

Catalogue entries are small HTML templates (``<b>``, ``<i>``, ``<code>``, ``<a>``); parameters
are escaped when they are filled in, so user content can never inject markup.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from markupsafe import Markup

LANGUAGES = ("de", "en")
DATETIME_PATTERNS = {"de": "EEE, d. MMMM y, HH:mm 'Uhr'", "en": "EEE, d MMMM y, HH:mm"}
TIME_PATTERNS = {"de": "HH:mm 'Uhr'", "en": "HH:mm"}
DATE_PATTERNS = {"de": "EEE, d. MMMM y", "en": "EEE, d MMMM y"}
LOCALES = {"de": "de_DE", "en": "en_GB"}


@cache
def catalogue(language: str) -> dict[str, str]:
    text = resources.files(__package__).joinpath(f"{language}.json").read_text("utf-8")
    return json.loads(text)


class Translator:
    def __init__(self, tz: ZoneInfo, default_language: str = "de") -> None:
        self.tz = tz
        self.default_language = default_language

    def language(self, requested: str | None) -> str:
        return requested if requested in LANGUAGES else self.default_language

    def t(self, language: str, key: str, **params: Any) -> Markup:
        """The message ``key`` in ``language`` (German when missing there), parameters filled."""
        template = catalogue(language).get(key) or catalogue("de").get(key)
        if template is None:
            raise KeyError(f"no message {key!r}")
        values = {name: self.format_value(language, value) for name, value in params.items()}
        return Markup(template).format(**values)

    def has(self, key: str) -> bool:
        return key in catalogue("de")

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

    def time(self, language: str, moment: datetime) -> str:
        return format_datetime(
            moment, TIME_PATTERNS[language], tzinfo=self.tz, locale=LOCALES[language]
        )
