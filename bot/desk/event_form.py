"""The desk's event form: its fields with the values shown, and what was sent read back as
event fields, each field with its German error. Dates are read as the chat reads them
(:func:`bot.dates.parse_moment`), so a typed „3.12. 14 Uhr“ works where the browser has
no date picker."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.dates import DateError, parse_moment
from bot.desk.pages import Field
from core.domain.errors import InvalidInput
from core.domain.events import LATEST, Audience, Event, EventKind, check_moments

#: Which form field a validation error of the core belongs to.
FIELD_OF = {
    "title": "title",
    "control_characters": "title",
    "description": "description",
    "capacity": "capacity",
    "capacity_max": "capacity",
    "online_capacity_hybrid": "online_capacity",
    "capacity_below_confirmed": "capacity",
    "mode_still_registered_online": "video_url",
    "mode_still_registered_on_site": "place",
    "end_before_start": "ends_at",
    "start_in_past": "starts_at",
    "deadline_after_start": "registration_deadline",
    "deadline_in_past": "registration_deadline",
    "place": "place",
    "video_url": "video_url",
}
LOCAL = "%Y-%m-%dT%H:%M"  # <input type="datetime-local">
#: The choices of the form's "Frei werdende Plätze".
DIRECT, OFFERS = "vergeben", "anbieten"


def local(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime(LOCAL) if moment is not None else ""


def event_fields(
    event: Event | None,
    tz: ZoneInfo,
    given: dict[str, str] | None = None,
    *,
    labels: dict[str, str] | None = None,
) -> list[Field]:
    """The form's fields with ``event``'s values or, when ``given``, what was sent. A new
    event (``event=None``) also chooses its kind and audience (``labels``: their German
    names by ``kind.…``/``audience.…`` key)."""
    new = event is None
    fields = []
    if new:
        names = labels or {}
        fields += [
            Field(
                "kind",
                "Art",
                "select",
                EventKind.KURZFORMAT.value,
                options=[(k.value, names.get(f"kind.{k.value}", k.value)) for k in EventKind],
            ),
            Field(
                "audience",
                "Für wen",
                "select",
                Audience.NETWORK.value,
                options=[(a.value, names.get(f"audience.{a.value}", a.value)) for a in Audience],
            ),
        ]
    fields += [
        Field("title", "Titel", "text", event.title if event else ""),
        Field("starts_at", "Beginn", "datetime-local", local(event and event.starts_at, tz)),
        Field(
            "ends_at",
            "Ende",
            "datetime-local",
            local(event and event.ends_at, tz),
            "Leer lassen: zwei Stunden nach Beginn."
            if new
            else "Verschieben Sie nur den Beginn, bleibt die Dauer gleich.",
        ),
        Field("place", "Ort", "text", (event and event.place) or ""),
        Field("video_url", "Link zur Videokonferenz", "url", (event and event.video_url) or ""),
        Field(
            "capacity",
            "Plätze",
            "number",
            str((event and event.capacity) or ""),
            "Leer lassen für unbegrenzt. Mit Ort und Link (hybrid): die Plätze vor Ort.",
        ),
        Field(
            "online_capacity",
            "Online-Kapazität (nur hybrid)",
            "number",
            str((event and event.online_capacity) or ""),
            "Nur mit Ort und Link; leer lassen für unbegrenzt.",
        ),
        Field(
            "waitlist_offers",
            "Wenn ein Platz frei wird",
            "select",
            OFFERS if event and event.waitlist_offers else DIRECT,
            options=[
                (DIRECT, "gleich an die nächste Person der Warteliste vergeben"),
                (OFFERS, "der Warteliste anbieten (24 Stunden zum Annehmen)"),
            ],
        ),
        Field(
            "registration_deadline",
            "Anmeldeschluss",
            "datetime-local",
            local(event and event.registration_deadline, tz),
            "Leer lassen: Anmeldung bis zum Beginn.",
        ),
        Field("description", "Beschreibung", "textarea", event.description if event else ""),
    ]
    if given is not None:
        for f in fields:
            if f.kind == "select" and f.name not in given:
                continue  # a choice the form did not send keeps its value (browsers send it)
            f.value = given.get(f.name, "").strip()
    return fields


def read_fields(fields: list[Field], tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    """The values of ``fields`` as :class:`Event` fields; a field that cannot be read gets
    its error and no value. An empty end is left out (the caller keeps the duration or
    takes the default length)."""
    values: dict[str, Any] = {}
    for f in fields:
        text = f.value
        if f.kind == "datetime-local":
            if not text:
                if f.name == "starts_at":
                    f.error = "Bitte geben Sie Datum und Uhrzeit des Beginns an."
                elif f.name == "registration_deadline":
                    values[f.name] = None
                continue
            day = values.get("starts_at") if f.name == "ends_at" else None
            try:
                values[f.name] = moment = parse_moment(text, now=now, tz=tz, day=day)
                check_moments(moment)
            except DateError as exc:
                f.error = str(exc)
                values.pop(f.name, None)
            except InvalidInput:
                f.error = f"Dieser Zeitpunkt liegt zu weit in der Zukunft (nach {LATEST.year})."
                values.pop(f.name, None)
        elif f.kind == "select":
            if text not in {value for value, _ in f.options}:
                f.error = "Bitte wählen Sie einen der Einträge."
            elif f.name == "waitlist_offers":
                values[f.name] = text == OFFERS
            else:
                values[f.name] = EventKind(text) if f.name == "kind" else Audience(text)
        elif f.name in ("capacity", "online_capacity"):
            if not text:
                values[f.name] = None
            elif text.isdigit() and int(text) >= 1:
                values[f.name] = int(text)
            else:
                f.error = "Bitte eine ganze Zahl ab 1 angeben oder das Feld leer lassen."
        elif f.name == "video_url":
            if text and not text.startswith(("https://", "http://")):
                f.error = "Bitte einen Link angeben, der mit https:// beginnt."
            values["video_url"] = text or None
        elif f.name == "title":
            if not text:
                f.error = "Bitte geben Sie einen Titel an."
            values["title"] = text
        elif f.name == "place":
            values["place"] = text or None
        else:
            values[f.name] = text
    return values
