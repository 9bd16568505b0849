"""The desk's audit log (``/admin/protokoll``): who created, changed, cancelled, announced
or exported what, and when, in the office's words."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.desk.pages import Desk
from bot.reply import plain_text
from core.audit import latest_entries
from core.domain.people import Role
from core.web_access import Session

#: The audit log's actions as the office reads them.
ACTIONS = {
    "event.created": "Veranstaltung angelegt",
    "event.changed": "Veranstaltung geändert",
    "event.cancelled": "Veranstaltung abgesagt",
    "announcement.sent": "Ankündigung verschickt",
    "attendees.exported": "Teilnehmendenliste exportiert",
    "faq.saved": "Wissenseintrag gespeichert",
    "faq.deleted": "Wissenseintrag gelöscht",
    "poll_results.exported": "Umfrageergebnis exportiert",
    "registration.removed": "Anmeldung zurückgenommen",
    "registration.moved_up": "von der Warteliste nachgerückt",
    "member.created": "Mitgliedskommune angelegt",
    "member.changed": "Mitgliedskommune geändert",
    "person.created": "Person angelegt",
    "person.changed": "Person geändert",
    "person.unlinked": "Chat-Konten getrennt",
    "person.email_changed": "E-Mail-Adresse angegeben (Bestätigungslink verschickt)",
    "person.email_removed": "E-Mail-Adresse gelöscht",
    "person.channel_changed": "Benachrichtigungsweg geändert",
    "invitation.created": "Einladung erzeugt",
    "event.speaker": "Sprecherin oder Sprecher festgelegt",
    "event.reminders": "Erinnerungen geändert",
    "faq.imported": "Wissensbasis übernommen",
    "faq.adopted": "Antwort in die Wissensbasis übernommen",
}
#: What a subject's prefix names.
SUBJECTS = {
    "event": "Veranstaltung",
    "announcement": "Ankündigung",
    "poll": "Umfrage",
    "faq": "Wissenseintrag",
    "kb": "Wissensbasis",
    "member": "Mitgliedskommune",
    "person": "Person",
}


def add_audit_routes(router: APIRouter, desk: Desk) -> None:
    app = desk.app

    @router.get("/protokoll", include_in_schema=False)
    async def audit(request: Request) -> Response:
        async def page(session: Session) -> Response:
            found = await latest_entries(app.uow(), actor_id=session.person.id)
            roles = {r.value: plain_text(app.translator.t("de", f"role.{r.value}")) for r in Role}
            rows = [
                {
                    "at": app.translator.datetime("de", entry.at),
                    "who": entry.actor_name or ("–" if entry.actor_id is None else "(gelöscht)"),
                    "via": entry.via,
                    "action": ACTIONS.get(entry.action, entry.action),
                    "subject": _subject(entry.subject),
                    "details": "; ".join(_detail(k, v, roles) for k, v in entry.details.items()),
                }
                for entry in found
            ]
            return desk.page(request, "audit.html", "Protokoll", session=session, entries=rows)

        return await desk.guarded(request, page)


def _subject(subject: str) -> str:
    kind, _, ref = subject.partition(":")
    if kind not in SUBJECTS:
        return subject
    return f"{SUBJECTS[kind]} {ref}".strip()


#: The details' names and the changed fields as the office reads them.
DETAILS = {
    "fields": "geändert",
    "roles": "Aufgaben",
    "recipients": "Empfängerinnen und Empfänger",
    "uses": "Einlösungen",
    "days": "Tage gültig",
    "minutes": "Minuten vor Beginn",
    "form": "Format",
    "rows": "Zeilen",
    "person": "Person",
    "platform": "Plattform",
    "saved": "gespeichert",
    "removed": "entfernt",
    "channel": "Weg",
}
PLATFORMS = {"telegram": "Telegram", "matrix": "Matrix", "console": "Konsole"}
CHANNELS = {"chat": "im Chat", "email": "per E-Mail", "both": "Infomails auf beiden Wegen"}
FIELDS = {
    "title": "Titel",
    "starts_at": "Beginn",
    "ends_at": "Ende",
    "place": "Ort",
    "video_url": "Link",
    "capacity": "Plätze",
    "registration_deadline": "Anmeldeschluss",
    "description": "Beschreibung",
    "kind": "Art",
    "audience": "Zielgruppe",
    "speaker_id": "Sprecherin oder Sprecher",
    "display_name": "Name",
    "name": "Name",
    "member_id": "Kommune",
    "roles": "Aufgaben",
    "supporter_topics": "Themen",
    "municipality_key": "Gemeindeschlüssel",
    "joined_on": "Beitrittsdatum",
}


def _detail(key: str, value: object, roles: dict[str, str]) -> str:
    """One detail in German: ``geändert: Beginn, Ort``, ``Aufgaben: Netzwerkbüro``."""
    names = {"fields": FIELDS, "roles": roles, "platform": PLATFORMS, "channel": CHANNELS}.get(
        key, {}
    )
    values = value if isinstance(value, list) else [value]
    shown = ", ".join(names.get(str(v), str(v)) for v in values)
    return f"{DETAILS.get(key, key)}: {shown or '–'}"
