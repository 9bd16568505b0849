"""What is wrong with an API request, in German: pydantic's validation errors by their type
(https://docs.pydantic.dev/latest/errors/validation_errors/), each with the field it is about."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: Error type → German sentence; ``{…}`` are the error's context values.
MESSAGES = {
    "missing": "Diese Angabe fehlt.",
    "json_invalid": "Der Inhalt ist kein gültiges JSON.",
    "json_type": "Der Inhalt ist kein gültiges JSON.",
    "model_attributes_type": "Hier wird ein JSON-Objekt erwartet.",
    "dict_type": "Hier wird ein JSON-Objekt erwartet.",
    "list_type": "Hier wird eine Liste erwartet.",
    "string_type": "Hier wird ein Text erwartet.",
    "string_too_short": "Der Text ist zu kurz (mindestens {min_length} Zeichen).",
    "string_too_long": "Der Text ist zu lang (höchstens {max_length} Zeichen).",
    "int_type": "Hier wird eine ganze Zahl erwartet.",
    "int_parsing": "Hier wird eine ganze Zahl erwartet.",
    "int_from_float": "Hier wird eine ganze Zahl erwartet.",
    "greater_than_equal": "Die Zahl muss mindestens {ge} sein.",
    "less_than_equal": "Die Zahl darf höchstens {le} sein.",
    "bool_type": "Hier wird true oder false erwartet.",
    "bool_parsing": "Hier wird true oder false erwartet.",
    "datetime_type": "Hier wird ein Zeitpunkt erwartet (ISO 8601, z. B. 2026-12-03T14:00).",
    "datetime_parsing": "Kein gültiger Zeitpunkt (ISO 8601, z. B. 2026-12-03T14:00).",
    "datetime_from_date_parsing": "Kein gültiger Zeitpunkt (ISO 8601, z. B. 2026-12-03T14:00).",
    "date_type": "Hier wird ein Datum erwartet (ISO 8601, z. B. 2026-12-03).",
    "date_parsing": "Kein gültiges Datum (ISO 8601, z. B. 2026-12-03).",
    "date_from_datetime_parsing": "Kein gültiges Datum (ISO 8601, z. B. 2026-12-03).",
    "enum": "Erlaubt sind: {expected}.",
    "literal_error": "Erlaubt sind: {expected}.",
    "extra_forbidden": "Diese Angabe gibt es nicht.",
}
OTHER = "Dieser Wert ist ungültig."


def problems(errors: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """One ``{"field": "title", "problem": "…"}`` per error; a value error of our own
    validators keeps its (German) message."""
    found = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())[1:]]
        if error["type"] == "value_error":
            text = str(error.get("ctx", {}).get("error", OTHER))
        else:
            context = {
                key: str(value).replace(" or ", " oder ")  # pydantic's list of choices
                for key, value in error.get("ctx", {}).items()
            }
            text = MESSAGES.get(error["type"], OTHER).format_map(_Context(context))
        found.append({"field": ".".join(location), "problem": text})
    return found


class _Context(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "…"
