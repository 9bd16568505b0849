"""The registry of personal data: for every table and every column, what it holds about people.

Erasure (DSGVO Art. 17), export (Art. 15) and the tests read this one declaration; a test fails
when a table or a column exists without one, so a table added later must say what it keeps.

Kinds of column:

- ``OWNER``: names the person the row belongs to. Erasure deletes the row, or, for a table
  declared ``detach`` (registrations: attendance figures must still add up), clears the column.
  Export includes the row.
- ``MENTION``: names a person in somebody else's row (the author of an announcement, who
  answered a question). Erasure clears it; export leaves it out of other people's rows.
- ``ACCOUNT``: a chat account's id on the table's ``platform`` column (a Telegram chat id, a
  Matrix user id or direct room). Erasure deletes rows addressed to the person's accounts.
- ``TRACE``: text kept while delivering or logging (an outgoing message, a notice's parameters,
  a counted search, a transport's state) that may quote a person: their name, chat id or a
  question they forwarded. Erasure deletes every row quoting the erased person.
- ``CONTENT``: text written by the office or a person for others to read (an event's
  description, a knowledge-base entry, a poll's question, an answer given). It stays; its
  author's link is a ``MENTION``.
- ``NONE``: nothing about a person (ids, counts, times, settings).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.faq.normalize import fold
from storage.tables import metadata

#: Shorter needles would match unrelated text ("Al" in "Allee").
MIN_NEEDLE = 4
#: Columns never exported (hashes and keys that are only meaningful to the bot).
SECRET_COLUMNS = frozenset(
    {
        "code_hash",
        "calendar_token_hash",
        "salt",
        "ballots",
        "token",
        "token_hash",
        "pending_token_hash",
    }
)


class Kind(StrEnum):
    OWNER = "owner"
    MENTION = "mention"
    ACCOUNT = "account"
    TRACE = "trace"
    CONTENT = "content"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class TableData:
    """One table's declaration: every column's kind, and what erasure does to owned rows."""

    columns: dict[str, Kind]
    on_erase: Literal["delete", "detach"] = "delete"
    #: The column that says on which platform an ``ACCOUNT`` column's ids live.
    platform: str | None = None
    #: German, for the export: what the person's own rows are.
    explanation: str = ""
    #: German, for the export: what the rows are that name the person (``MENTION``).
    mentioned: str = ""
    #: ``CONTENT`` column → the column naming its author; what others wrote in a row that
    #: only mentions the person is not theirs to export.
    authored: dict[str, str] | None = None

    def of(self, kind: Kind) -> list[str]:
        return [name for name, k in self.columns.items() if k is kind]


OWN, M, A, T, C, N = Kind.OWNER, Kind.MENTION, Kind.ACCOUNT, Kind.TRACE, Kind.CONTENT, Kind.NONE

REGISTRY: dict[str, TableData] = {
    "members": TableData({"id": N, "name": N, "kind": N, "municipality_key": N, "joined_on": N}),
    "persons": TableData(
        {
            "id": OWN,
            "display_name": N,
            "member_id": N,
            "roles": N,
            "supporter_topics": N,
            "language": N,
            "is_guest": N,
            "created_at": N,
            "self_registered": N,
            "privacy_notice_at": N,
        },
        explanation="Ihr Eintrag: Name, Kommune, Aufgaben im Netzwerk, Sprache, und wann ich "
        "Ihnen den Datenschutzhinweis gezeigt habe.",
    ),
    "chat_identities": TableData(
        {
            "id": N,
            "platform": N,
            "external_id": A,
            "person_id": OWN,
            "display_name": N,
            "created_at": N,
        },
        platform="platform",
        explanation="Ihre Chat-Konten (Telegram, Matrix, Terminal), über die ich Sie erreiche.",
    ),
    "events": TableData(
        {
            "id": N,
            "kind": N,
            "title": N,
            "description": C,
            "starts_at": N,
            "ends_at": N,
            "place": C,
            "video_url": N,
            "capacity": N,
            "online_capacity": N,
            "waitlist_offers": N,
            "registration_deadline": N,
            "audience": N,
            "cancelled": N,
            "speaker_id": M,
            "sequence": N,
            "updated_at": N,
            "series_id": N,
        },
        mentioned="Veranstaltungen, für die das Netzwerkbüro Sie als Sprecher(in) eingetragen hat.",
    ),
    "registrations": TableData(
        {
            "id": N,
            "event_id": N,
            "person_id": OWN,
            "status": N,
            "mode": N,
            "waitlist_position": N,
            "offered_until": N,
            "created_at": N,
            "updated_at": N,
        },
        on_erase="detach",
        explanation="Ihre Anmeldungen und Wartelistenplätze, auch abgesagte und vergangene.",
    ),
    "invitations": TableData(
        {
            "id": N,
            "code_hash": N,
            "member_id": N,
            "person_id": OWN,
            "created_by": M,
            "created_at": N,
            "expires_at": N,
            "max_uses": N,
            "uses": N,
        },
        explanation="Persönliche Einladungscodes für Sie (nur ihr Prüfwert ist gespeichert).",
        mentioned="Einladungscodes, die Sie erstellt haben.",
    ),
    "processed_inputs": TableData({"platform": N, "external_id": N, "processed_at": N}),
    "transport_state": TableData({"key": T, "value": T, "updated_at": N}),
    "dialogues": TableData(
        {"person_id": OWN, "kind": N, "data": T, "expires_at": N},
        explanation="Worauf der Bot gerade eine Antwort von Ihnen erwartet, etwa eine Auswahl "
        "aus einer Liste, die er Ihnen angeboten hat (gilt höchstens eine halbe Stunde).",
    ),
    "outbox": TableData(
        {
            "id": N,
            "platform": N,
            "chat_id": A,
            "payload": T,
            "tx_id": N,
            "created_at": N,
            "next_attempt_at": N,
            "claimed_until": N,
            "claimed_by": N,
            "attempts": N,
            "sent_at": N,
            "failed_at": N,
            "last_error": T,
        },
        platform="platform",
        explanation="Nachrichten an Sie, solange sie zugestellt werden (danach nur bis zur "
        "Aufbewahrungsfrist).",
    ),
    "faq_entries": TableData(
        {
            "id": N,
            "position": N,
            "question": C,
            "answer": C,
            "variants": C,
            "tags": N,
            "links": N,
            "topic": N,
            "updated_at": N,
        }
    ),
    "faq_questions": TableData(
        {
            "id": N,
            "asker_id": OWN,
            "text": C,
            "topic": N,
            "created_at": N,
            "answered_by": M,
            "answered_at": N,
            "answer": C,
        },
        explanation="Fragen, die Sie an das Netzwerk weitergeleitet haben, mit der Antwort.",
        mentioned="Antworten, die Sie auf weitergeleitete Fragen gegeben haben (ohne die Frage "
        "der anderen Person).",
        authored={"text": "asker_id", "answer": "answered_by"},
    ),
    "web_access": TableData(
        {
            "id": N,
            "token_hash": N,
            "kind": N,
            "person_id": OWN,
            "created_at": N,
            "expires_at": N,
            "used_at": N,
        },
        explanation="Ihre Anmeldungen am Web-Schreibtisch des Netzwerkbüros: Einmal-Links "
        "(zehn Minuten gültig) und Sitzungen (höchstens einen Arbeitstag).",
    ),
    "audit_log": TableData(
        {
            "id": N,
            "at": N,
            "actor_id": M,
            "via": N,
            "action": N,
            "subject": N,
            "details": N,
        },
        mentioned="Das Protokoll des Netzwerkbüros: was Sie dort angelegt, geändert, abgesagt, "
        "angekündigt oder exportiert haben.",
    ),
    "api_tokens": TableData(
        {
            "id": N,
            "name": N,
            "token_hash": N,
            "scope": N,
            "created_at": N,
            "last_used_at": N,
            "revoked_at": N,
        }
    ),
    "faq_gaps": TableData({"query": T, "count": N, "first_seen": N, "last_seen": N}),
    "faq_feedback": TableData({"entry_id": N, "helpful": N, "unhelpful": N}),
    "notifications": TableData(
        {
            "id": N,
            "person_id": OWN,
            "key": N,
            "params": T,
            "due_at": N,
            "dedupe_key": N,
            "event_id": N,
            "announcement_id": N,
            "platform": N,
            "outbox_id": N,
            "sent_at": N,
            "failed_at": N,
            "last_error": T,
        },
        explanation="Benachrichtigungen an Sie (Erinnerungen, Ankündigungen, Antworten).",
    ),
    "person_preferences": TableData(
        {
            "person_id": OWN,
            "reminders": N,
            "deadline_reminders": N,
            "preferred_platform": N,
            "calendar_token_hash": N,
            "channel": N,
        },
        explanation="Ihre Einstellungen: Erinnerungen, bevorzugter Kanal, Kalender-Abo.",
    ),
    "email_addresses": TableData(
        {
            "person_id": OWN,
            "address": N,
            "confirmed_at": N,
            "pending_address": N,
            "pending_token_hash": N,
            "pending_since": N,
            "undeliverable_at": N,
            "problem": N,
            "announcements": N,
            "pending_problem": N,
        },
        explanation=(
            "Ihre E-Mail-Adresse: bestätigt seit, eine noch zu bestätigende, ob Infomails "
            "erwünscht sind und ob der Mailserver sie abgelehnt hat."
        ),
    ),
    "event_reminders": TableData({"event_id": N, "minutes_before": N}),
    "mail_calendar": TableData(
        {"person_id": OWN, "event_id": N},
        explanation=(
            "Veranstaltungen, die per E-Mail-Einladung in Ihrem Kalender stehen (Änderungen "
            "und Absagen gehen Ihnen deshalb auch per E-Mail zu)."
        ),
    ),
    "announcements": TableData(
        {
            "id": N,
            "text": C,
            "audience": N,
            "audience_ref": N,
            "author_id": M,
            "created_at": N,
            "recipients": N,
            "completed_at": N,
            "draft": N,  # the desk's preview key, random
            "subject": C,
            "event_id": N,
        },
        mentioned="Ankündigungen, die Sie verfasst haben.",
        authored={"text": "author_id"},
    ),
    "polls": TableData(
        {
            "id": N,
            "question": C,
            "options": C,
            "max_choices": N,
            "anonymous": N,
            "hidden_results": N,
            "closes_at": N,
            "event_id": N,
            "creator_id": M,
            "created_at": N,
            "closed_at": N,
            "token": N,
            "join_code": N,
            "salt": N,
            "ballots": N,
            "result": N,
            "origin_platform": N,
            "origin_chat_id": A,
            "open_to_guests": N,
        },
        platform="origin_platform",
        explanation="Umfragen, die in Ihrem Chat gestartet wurden.",
        mentioned="Umfragen, die Sie gestartet haben.",
        authored={"question": "creator_id", "options": "creator_id"},
    ),
    "poll_rooms": TableData(
        {
            "poll_id": N,
            "platform": N,
            "chat_id": A,
            "external_poll_id": N,
            "message_id": N,
            "created_at": N,
        },
        platform="platform",
        explanation="Umfragen, die in Ihren Chat gesendet wurden.",
    ),
    "poll_votes": TableData(
        {"id": N, "poll_id": N, "person_id": OWN, "choices": N, "changes": N},
        explanation="Ihre Stimmen in namentlichen Umfragen (anonyme Stimmen sind Ihnen nicht "
        "zugeordnet).",
    ),
    "event_rooms": TableData(
        {"event_id": N, "platform": N, "chat_id": A, "linked_at": N},
        platform="platform",
        explanation="Ihr Chat als Raum einer Veranstaltung.",
    ),
    "attendance": TableData(
        {
            "id": N,
            "event_id": N,
            "person_id": OWN,
            "checked_in_at": N,
            "method": N,
            "certificate_sent_at": N,
        },
        explanation="Veranstaltungen, bei denen Sie als anwesend eingetragen sind (vom "
        "Netzwerkbüro oder mit dem Anwesenheitscode): für Ihre Teilnahmebescheinigung und die "
        "Zahl der Teilnehmenden je Kommune.",
    ),
    "attendance_codes": TableData({"event_id": N, "code": N, "created_at": N}),
    "event_questions": TableData(
        {
            "id": N,
            "event_id": N,
            "position": N,
            "kind": N,
            "prompt": N,
            "options": N,
            "required": N,
        }
    ),
    "registration_answers": TableData(
        {"question_id": N, "person_id": OWN, "value": C},
        explanation="Ihre Angaben zur Anmeldung bei einer Veranstaltung (etwa Verpflegung, "
        "Barrierefreiheit, Anreise): für die Planung des Netzwerkbüros, gelöscht einige Tage "
        "nach der Veranstaltung oder mit Ihrer Abmeldung.",
    ),
    "event_room_invitations": TableData(
        {"event_id": N, "platform": N, "chat_id": A, "since": N},
        platform="platform",
        explanation="Ihr Chat als Raum einer Veranstaltung, in den der Bot die Angemeldeten "
        "einlädt.",
    ),
    "event_room_invites": TableData(
        {
            "id": N,
            "event_id": N,
            "platform": N,
            "chat_id": N,
            "person_id": OWN,
            "user_id": A,
            "outbox_id": N,
            "invited_at": N,
        },
        platform="platform",
        explanation="In welchen Raum einer Veranstaltung der Bot Ihr Matrix-Konto eingeladen "
        "hat: damit er Sie wieder entfernt, wenn Sie sich abmelden. Gelöscht, wenn die "
        "Veranstaltung vorbei ist.",
    ),
    "series": TableData(
        {
            "id": N,
            "frequency": N,
            "first_start": N,
            "duration_seconds": N,
            "count": N,
            "until": N,
            "timezone": N,
            "created_at": N,
        }
    ),
    # Evaluation surveys: the responses carry no person (nor time, nor order); free texts in
    # them are content without an author.
    "surveys": TableData(
        {
            "id": N,
            "event_id": N,
            "title": C,
            "questions": C,
            "created_at": N,
            "send_at": N,
            "reminder_after_s": N,
            "open_for_s": N,
            "sent_at": N,
            "remind_at": N,
            "reminded_at": N,
            "closes_at": N,
            "closed_at": N,
            "invited": N,
            "salt": N,
            "responses": C,
        }
    ),
    "survey_recipients": TableData(
        {"survey_id": N, "person_id": OWN, "draft": N},
        explanation="Befragungen nach Veranstaltungen, die Ihnen geschickt wurden, und Ihre "
        "Antworten, solange Sie noch antworten (mit der letzten Antwort werden sie ohne Ihren "
        "Namen gespeichert und hier gelöscht; alles hier endet mit der Befragung).",
    ),
    "survey_answered": TableData({"survey_id": N, "voter_key": N}),
}


def declaration(table: str) -> TableData:
    """The declaration of ``table``; ``KeyError`` for a table nobody declared."""
    return REGISTRY[table]


def undeclared() -> list[str]:
    """Tables and columns of the schema without a declaration (``table`` or
    ``table.column``), and declarations of columns that do not exist."""
    problems = []
    for table in metadata.sorted_tables:
        declared = REGISTRY.get(table.name)
        if declared is None:
            problems.append(table.name)
            continue
        actual = set(table.c.keys())
        problems += [f"{table.name}.{c}" for c in sorted(actual ^ set(declared.columns))]
        if declared.of(Kind.ACCOUNT) and declared.platform not in actual:
            problems.append(f"{table.name}: ACCOUNT columns need a platform column")
    problems += [name for name in REGISTRY if name not in metadata.tables]
    return problems


Account = tuple[str, str]  # (platform, external id)


class PersonalDataRepository:
    """Erasure and export of one person, table by table, as :data:`REGISTRY` declares."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def erase(
        self, person_id: int, accounts: Sequence[Account], needles: Sequence[str]
    ) -> dict[str, int]:
        """Delete or detach the person's rows, clear mentions of them, delete rows addressed
        to their accounts and every trace quoting them (``needles``: their name, account ids,
        texts they wrote; case-insensitive, at least :data:`MIN_NEEDLE` characters).

        Returns the number of rows changed per table. Children first, the person last.
        """
        wanted = [fold(n) for n in needles if len(n.strip()) >= MIN_NEEDLE]
        # Each word of a name too: a counted search may hold "weissmuellers" for Weißmüller.
        wanted += [
            fold(w) for n in needles for w in n.split() if len(w) >= MIN_NEEDLE and w.isalpha()
        ]
        counts: dict[str, int] = {}
        for table in reversed(metadata.sorted_tables):
            declared = REGISTRY[table.name]
            changed = await self._erase_traces(table, declared, wanted)
            changed += await self._erase_accounts(table, declared, accounts)
            for name in declared.of(Kind.MENTION):
                column = table.c[name]
                result = await self.conn.execute(
                    table.update().where(column == person_id).values({name: None})
                )
                changed += result.rowcount
            for name in declared.of(Kind.OWNER):
                column = table.c[name]
                if declared.on_erase == "detach":
                    statement = table.update().where(column == person_id).values({name: None})
                else:
                    statement = table.delete().where(column == person_id)
                changed += (await self.conn.execute(statement)).rowcount
            counts[table.name] = changed
        return counts

    async def _erase_accounts(
        self, table: sa.Table, declared: TableData, accounts: Sequence[Account]
    ) -> int:
        changed = 0
        for name in declared.of(Kind.ACCOUNT):
            for platform, external_id in accounts:
                statement = table.delete().where(
                    table.c[declared.platform or ""] == platform, table.c[name] == external_id
                )
                changed += (await self.conn.execute(statement)).rowcount
        return changed

    async def _erase_traces(self, table: sa.Table, declared: TableData, wanted: list[str]) -> int:
        traces = declared.of(Kind.TRACE)
        if not traces or not wanted:
            return 0
        keys = list(table.primary_key.columns)
        rows = await self.conn.execute(sa.select(*keys, *(table.c[n] for n in traces)))
        quoting = [
            tuple(row[: len(keys)])
            for row in rows
            if any(needle in _text(row[len(keys) :]) for needle in wanted)
        ]
        for key in quoting:
            condition = sa.and_(*(column == value for column, value in zip(keys, key, strict=True)))
            await self.conn.execute(table.delete().where(condition))
        return len(quoting)

    async def export(self, person_id: int, accounts: Sequence[Account]) -> dict[str, Any]:
        """Every row of the person, by table, with the table's explanation.

        Their own rows and rows addressed to their accounts, without other people's ids
        (mentions), traces (a notice's parameters or a message's text may quote somebody
        else's question) and the bot's keys and hashes; and, as ``<table>_genannt``, rows that
        name them (what they started, wrote or answered), with only what they wrote there.
        """
        parts: dict[str, Any] = {}
        for table in metadata.sorted_tables:
            declared = REGISTRY[table.name]
            own = [table.c[name] == person_id for name in declared.of(Kind.OWNER)]
            for name in declared.of(Kind.ACCOUNT):
                own += [
                    sa.and_(table.c[declared.platform or ""] == p, table.c[name] == external)
                    for p, external in accounts
                ]
            if own:
                shown = [
                    c
                    for c in table.c
                    if declared.columns[c.name] not in (Kind.MENTION, Kind.TRACE)
                    and c.name not in SECRET_COLUMNS
                ]
                await self._section(parts, table.name, declared.explanation, shown, sa.or_(*own))
            for name in declared.of(Kind.MENTION):
                authored = declared.authored or {}
                shown = [
                    c
                    for c in table.c
                    if c.name not in SECRET_COLUMNS
                    and (
                        declared.columns[c.name] is Kind.NONE
                        or c.name == name
                        or authored.get(c.name) == name
                    )
                ]
                where = table.c[name] == person_id
                await self._section(
                    parts, f"{table.name}_genannt", declared.mentioned, shown, where
                )
        return parts

    async def _section(
        self,
        parts: dict[str, Any],
        title: str,
        explanation: str,
        columns: list[sa.Column[Any]],
        where: sa.ColumnElement[bool],
    ) -> None:
        rows = await self.conn.execute(sa.select(*columns).where(where))
        found = [{k: _plain(v) for k, v in row._mapping.items()} for row in rows]
        if found:
            parts.setdefault(title, {"erklaerung": explanation, "eintraege": []})
            parts[title]["eintraege"] += found


def _text(values: Sequence[Any]) -> str:
    """What a trace says, decoded (JSON with its non-ASCII letters), folded as the search folds
    (case, ä/ae, ß/ss)."""
    parts = []
    for value in values:
        if value is None:
            continue
        parts.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return fold(" ".join(parts))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value
