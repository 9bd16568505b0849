"""Attendee lists for the sign-in sheet: CSV (semicolons and a byte order mark, as German
Excel opens it) and XLSX (openpyxl)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from bot.i18n import Translator
from core.signup import AttendeeList

HEADER = ("Nr.", "Name", "Kommune", "Status", "Angemeldet am")


def attendee_rows(listing: AttendeeList, translator: Translator) -> list[tuple[str, ...]]:
    """One row per registration: the confirmed in order of signing up, then the waiting list
    in its order. A person who erased their data appears as such."""
    statuses = ["angemeldet"] * len(listing.confirmed)
    statuses += [f"Warteliste {rank}" for rank in range(1, len(listing.waitlisted) + 1)]
    return [
        (
            str(number),
            view.person_name or "(gelöscht)",
            view.member_name or "",
            state,
            translator.datetime("de", view.registration.created_at),
        )
        for number, (view, state) in enumerate(
            zip([*listing.confirmed, *listing.waitlisted], statuses, strict=True), 1
        )
    ]


def as_csv(rows: list[tuple[str, ...]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(rows: list[tuple[str, ...]], title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Teilnehmende"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True)
    sheet.append(list(HEADER))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([int(row[0]), *row[1:]])
    for column, width in zip("ABCDE", (6, 32, 32, 16, 30), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
