"""The desk's tables as files: CSV (semicolons and a byte order mark, as German Excel opens
it) and XLSX (openpyxl) — attendee lists for the sign-in sheet, poll results."""

from __future__ import annotations

import csv
import io
from collections import Counter

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bot.i18n import Translator
from core.domain.registrations import Mode
from core.signup import AttendeeList

HEADER = ("Nr.", "Name", "Kommune", "Status", "Teilnahme", "Angemeldet am")
WIDTHS = (6, 32, 32, 16, 12, 30)
#: How a person takes part, as the office's lists write it.
MODE_LABELS = {Mode.ON_SITE: "vor Ort", Mode.ONLINE: "online"}
#: A cell: text, or a number that a spreadsheet can count with.
Cell = str | int | float


def attendee_header(listing: AttendeeList) -> tuple[str, ...]:
    """:data:`HEADER` and a column per registration question of the event."""
    return (*HEADER, *(q.prompt for q in listing.questions))


def attendee_rows(listing: AttendeeList, translator: Translator) -> list[tuple[Cell, ...]]:
    """One row per registration: the confirmed in order of signing up, then the waiting list
    in its order (a hybrid event's two lists each numbered from 1). A person who erased their
    data appears as such."""
    statuses = ["angemeldet"] * len(listing.confirmed)
    ranks: Counter[Mode] = Counter()
    for view in listing.waitlisted:
        ranks[view.registration.mode] += 1
        statuses.append(f"Warteliste {ranks[view.registration.mode]}")
    return [
        (
            number,
            view.person_name or "(gelöscht)",
            view.member_name or "",
            state,
            MODE_LABELS[view.registration.mode],
            translator.datetime("de", view.registration.created_at),
            *_answers(listing, view.registration.person_id),
        )
        for number, (view, state) in enumerate(
            zip([*listing.confirmed, *listing.waitlisted], statuses, strict=True), 1
        )
    ]


#: What makes a spreadsheet read a CSV cell as a formula (OWASP "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_csv(rows: list[tuple[Cell, ...]], header: tuple[str, ...] = HEADER) -> bytes:
    """Semicolon-separated with a byte order mark; text that a spreadsheet would run as a
    formula (``=HYPERLINK(…)`` as a name) gets a leading apostrophe, as OWASP advises."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(tuple(_inert(cell) for cell in row) for row in rows)
    return out.getvalue().encode("utf-8-sig")


def _inert(cell: Cell) -> Cell:
    return "'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_START) else cell


def as_xlsx(
    rows: list[tuple[Cell, ...]],
    title: str,
    *,
    header: tuple[str, ...] = HEADER,
    sheet_name: str = "Teilnehmende",
    widths: tuple[int, ...] = WIDTHS,
) -> bytes:
    """One sheet: ``title`` in bold, the bold ``header``, then ``rows``."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name
    sheet.append([title])
    sheet["A1"].font = Font(bold=True)
    sheet.append(list(header))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for cells in sheet.iter_rows():
        for cell in cells:
            if cell.data_type == "f":  # text from a chat is never a formula: "=…" stays text
                cell.data_type = "s"
    for column, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _answers(listing: AttendeeList, person_id: int | None) -> list[str]:
    given = listing.answers.get(person_id, {}) if person_id is not None else {}
    return [given.get(q.id, "") for q in listing.questions if q.id is not None]
