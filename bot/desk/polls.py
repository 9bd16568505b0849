"""The desk's polls: the list (newest first), one poll's results with the live page's bars and
the turnout by municipality, and the results as CSV and XLSX. For the office and leadership:
numbers only, never who voted (:func:`core.polls.office_poll`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from bot.app import App
from bot.desk.exports import Cell, as_csv, as_xlsx
from bot.desk.pages import HEADERS, Desk
from bot.live import bars_svg
from core.polls import OfficePoll, PollResults, export_poll_results, office_poll, office_polls
from core.web_access import Session

RESULT_HEADER = ("Antwort", "Stimmen", "Anteil in %")
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
HIDDEN = "Das Ergebnis wird erst nach dem Ende der Umfrage gezeigt."


def add_poll_routes(router: APIRouter, desk: Desk) -> None:
    app = desk.app

    @router.get("/umfragen", include_in_schema=False)
    async def polls(request: Request) -> Response:
        async def page(session: Session) -> Response:
            found = await office_polls(app.uow(), actor_id=session.person.id, now=app.clock.now())
            rows = [_row(app, o) for o in found]
            return desk.page(request, "polls.html", "Umfragen", session=session, polls=rows)

        return await desk.guarded(request, page)

    @router.get("/umfragen/{poll_id:id}", include_in_schema=False)
    async def poll(request: Request, poll_id: int) -> Response:
        async def page(session: Session) -> Response:
            found = await office_poll(
                app.uow(), actor_id=session.person.id, poll_id=poll_id, now=app.clock.now()
            )
            return desk.page(
                request,
                "poll.html",
                f"Umfrage Nr. {poll_id}",
                session=session,
                poll=_row(app, found),
                bars=_bars(found),
                results=[] if found.hidden else _results(found),
                turnout=found.turnout,
                hidden=HIDDEN if found.hidden else "",
            )

        return await desk.guarded(request, page)

    @router.get("/umfragen/{poll_id:id}/ergebnis.{suffix}", include_in_schema=False)
    async def export(request: Request, poll_id: int, suffix: str) -> Response:
        if suffix not in MEDIA:
            return desk.message(request, "Nicht gefunden", "Diese Seite gibt es nicht.", 404)

        async def download(session: Session) -> Response:
            found = await export_poll_results(
                app.uow(),
                actor_id=session.person.id,
                poll_id=poll_id,
                form=suffix,
                now=app.clock.now(),
            )
            rows = result_rows(found)
            if suffix == "csv":
                body = as_csv(rows, RESULT_HEADER)
            else:
                title = f"Umfrage Nr. {poll_id}: {found.poll.question} ({_state(app, found)})"
                body = as_xlsx(
                    rows,
                    title,
                    header=RESULT_HEADER,
                    sheet_name="Ergebnis",
                    widths=(40, 12, 12),
                )
            name = f"umfrage-{poll_id}.{suffix}"
            headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
            return Response(body, media_type=MEDIA[suffix], headers=headers)

        return await desk.guarded(request, download)


def result_rows(found: OfficePoll) -> list[tuple[Cell, ...]]:
    """Per option its votes and share of the participants, then the participants; for named
    polls after an empty row the voters by member municipality (those without any: 0)."""
    rows: list[tuple[Cell, ...]] = list(_results(found))
    rows.append(("Teilgenommen", found.tally.participants, ""))
    if found.turnout is not None:
        rows += [(), ("Kommune", "Abstimmende", "")]
        rows += [(name, voters, "") for name, voters in found.turnout.voted]
        rows += [(name, 0, "") for name in found.turnout.not_yet]
    return rows


def _results(found: OfficePoll) -> list[tuple[str, int, int]]:
    tally = found.tally
    return [(o, tally.counts[i], tally.percent(i)) for i, o in enumerate(found.poll.options)]


def _bars(found: OfficePoll) -> Markup:
    """The live page's bars, named for screen readers (the numbers follow in a table)."""
    svg = bars_svg(PollResults(found.poll, found.tally), visible=not found.hidden)
    label = "Die Antworten, noch ohne Ergebnis" if found.hidden else "Das Ergebnis als Balken"
    return Markup(str(svg).replace("<svg ", f'<svg aria-label="{label}" ', 1))


def _state(app: App, found: OfficePoll) -> str:
    poll = found.poll
    if found.open:
        ends = poll.closes_at
        return f"läuft bis {app.translator.datetime('de', ends)}" if ends else "läuft"
    ended = poll.closed_at or poll.closes_at
    return f"beendet am {app.translator.datetime('de', ended)}" if ended else "beendet"


def _row(app: App, found: OfficePoll) -> dict[str, Any]:
    poll = found.poll
    return {
        "id": poll.id,
        "question": poll.question,
        "state": _state(app, found),
        "open": found.open,
        "created": app.translator.datetime("de", poll.created_at),
        "participants": found.tally.participants,
        "event": found.event_title,
        "anonymous": poll.anonymous,
        "hidden_results": poll.hidden_results,
        "choices": f"bis zu {poll.max_choices} Antworten" if poll.multiple else "eine Antwort",
    }
