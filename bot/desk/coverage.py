"""The desk's coverage view (``/admin/teilnahme``): which member municipalities took part
in which of the year's events and named polls, which were not reached, as a page and as
CSV/XLSX. Aggregates only: leadership sees it too."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.desk.exports import Cell, as_csv, as_xlsx
from bot.desk.pages import HEADERS, Desk
from bot.reply import plain_text
from core.coverage import Coverage, coverage
from core.domain.events import Event
from core.web_access import Session

#: How many years back the page offers.
YEARS_BACK = 3


def add_coverage_routes(router: APIRouter, desk: Desk) -> None:
    app = desk.app
    t = app.translator

    def day(event: Event) -> str:
        return t.date("de", event.starts_at.astimezone(app.settings.tz).date())

    async def the_year(request: Request, session: Session) -> Coverage | Response:
        this_year = app.clock.now().astimezone(app.settings.tz).year
        asked = request.query_params.get("jahr", str(this_year))
        if not asked.isdigit() or not this_year - YEARS_BACK < int(asked) <= this_year:
            text = (
                f"Die Teilnahme gibt es für die Jahre {this_year - YEARS_BACK + 1} bis {this_year}."
            )
            return desk.message(request, "Nicht gefunden", text, 404, session)
        return await coverage(
            app.uow(),
            actor_id=session.person.id,
            year=int(asked),
            now=app.clock.now(),
            tz=app.settings.tz,
        )

    @router.get("/teilnahme", include_in_schema=False)
    async def coverage_page(request: Request) -> Response:
        async def page(session: Session) -> Response:
            found = await the_year(request, session)
            if isinstance(found, Response):
                return found
            this_year = app.clock.now().astimezone(app.settings.tz).year
            columns = [{"id": e.id, "day": day(e), "title": e.title} for e in found.events]
            return desk.page(
                request,
                "coverage.html",
                f"Teilnahme {found.year}",
                session=session,
                coverage=found,
                columns=columns,
                reached=sum(m.reached for m in found.members),
                held=plain_text(t.t("de", "web.coverage.events", count=len(found.events))),
                polled=plain_text(t.t("de", "web.coverage.polls", count=len(found.polls))),
                years=range(this_year, this_year - YEARS_BACK, -1),
            )

        return await desk.guarded(request, page)

    @router.get("/teilnahme.{suffix}", include_in_schema=False)
    async def coverage_file(request: Request, suffix: str) -> Response:
        if suffix not in ("csv", "xlsx"):
            return desk.message(request, "Nicht gefunden", "Diese Seite gibt es nicht.", 404)

        async def page(session: Session) -> Response:
            found = await the_year(request, session)
            if isinstance(found, Response):
                return found
            header, rows = _table(found, day)
            if suffix == "csv":
                body, media = as_csv(rows, header), "text/csv; charset=utf-8"
            else:
                body = as_xlsx(
                    rows,
                    f"Teilnahme {found.year}",
                    header=header,
                    sheet_name="Teilnahme",
                    widths=(32, 10, *(14,) * (len(header) - 2)),
                )
                media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            name = f"teilnahme-{found.year}.{suffix}"
            headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
            return Response(body, media_type=media, headers=headers)

        return await desk.guarded(request, page)


def _table(
    found: Coverage, day: Callable[[Event], str]
) -> tuple[tuple[str, ...], list[tuple[Cell, ...]]]:
    """The file's header and rows: a municipality per row, a column per event with its
    number of people registered, one per event with those checked in, then the named polls
    taken part in and whether it was reached. Events nobody was checked in at have no
    attendance column."""
    checked = [e for e in found.events if any(e.id in m.attended for m in found.members)]
    header = (
        "Kommune",
        "Personen",
        *(f"{e.title} ({day(e)})" for e in found.events),
        *(f"{e.title} ({day(e)}): anwesend" for e in checked),
        "Umfragen",
        "Erreicht",
    )
    rows: list[tuple[Cell, ...]] = [
        (
            m.member.name,
            m.people,
            *(m.events.get(e.id or 0, 0) for e in found.events),
            *(m.attended.get(e.id or 0, 0) for e in checked),
            len(m.polls),
            "ja" if m.reached else "nein",
        )
        for m in found.members
    ]
    return header, rows
