"""The live results page of a poll, its Server-Sent Events, the CSV export and the join page.

``/live/poll/<token>`` is made for full-screen screen sharing: the question, large bars as
server-rendered SVG, a QR code and short link to take part. The page listens to
``/live/poll/<token>/events``; each event carries the newly rendered bars.

Updates come from the database, not from an in-process message bus: one watcher task per
poll and process runs a single aggregate query every ``interval`` seconds and pushes to all
of that poll's pages only when the tally changed. So votes taken by any process (Telegram
webhooks on several workers, the Matrix sync loop elsewhere) show within about
``interval`` seconds, and a hundred open pages cost the database the same as one.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from string import Template
from typing import TYPE_CHECKING

import segno
from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from markupsafe import Markup, escape

from bot.outages import Retrying
from bot.reply import plain_text
from bot.settings import Settings
from core.domain.polls import Poll
from core.polls import PollResults, live_results, poll_for_join

if TYPE_CHECKING:
    from bot.app import App


WATCH_INTERVAL = 0.2
KEEPALIVE = 15.0
#: An event stream ends after this long and the browser reconnects at once (``retry``), so
#: that a shutting-down server is not held open by pages left on screen.
STREAM_LIFETIME = 30.0
NO_STORE = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}
WIDTH, ROW, BAR_X, BAR_MAX = 1200, 120, 0, 1000


def live_url(settings: Settings, token: str) -> str:
    return f"{settings.effective_public_url}/live/poll/{token}"


def csv_url(settings: Settings, token: str) -> str:
    return f"{live_url(settings, token)}/ergebnis.csv"


def join_url(settings: Settings, join_code: str) -> str:
    return f"{settings.effective_public_url}/live/j/{join_code}"


# --- rendering ------------------------------------------------------------------------------


def bars_svg(results: PollResults, *, visible: bool) -> Markup:
    """Large horizontal bars, one per option, with share and count; only labels if hidden."""
    poll, tally = results.poll, results.tally
    height = ROW * len(poll.options)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        'role="img" class="bars">'
    ]
    for index, option in enumerate(poll.options):
        y = index * ROW
        count = tally.counts[index]
        share = count / tally.participants if visible and tally.participants else 0.0
        parts.append(
            f'<g class="option" data-index="{index}"'
            + (f' data-count="{count}"' if visible else "")
            + ">"
            f'<text x="{BAR_X}" y="{y + 42}" class="label">{escape(option)}</text>'
            f'<rect x="{BAR_X}" y="{y + 56}" width="{BAR_MAX}" height="48" class="track"/>'
            f'<rect x="{BAR_X}" y="{y + 56}" width="{round(share * BAR_MAX)}" height="48" '
            'class="fill"/>'
        )
        if visible:
            parts.append(
                f'<text x="{WIDTH}" y="{y + 96}" text-anchor="end" class="value">'
                f"{tally.percent(index)} % ({count})</text>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True, slots=True)
class LiveView:
    """What a page shows at one moment, rendered; compared to decide whether to push."""

    svg: str
    status: str
    participants: int
    closed: bool

    def event(self) -> str:
        data = {
            "svg": self.svg,
            "status": self.status,
            "participants": self.participants,
            "closed": self.closed,
        }
        return f"event: tally\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def live_view(app: App, results: PollResults) -> LiveView:
    poll, now = results.poll, app.clock.now()
    t = _t(app)
    visible = poll.results_visible(now)
    count = results.tally.participants
    if poll.closed_at is not None:
        status = t("live.closed", count=count)
    elif visible:
        status = t("live.open", count=count)
    else:
        status = t("live.hidden", count=count)
    svg = bars_svg(results, visible=visible)
    return LiveView(str(svg), plain_text(status), count, poll.closed_at is not None)


def _t(app: App) -> Callable[..., Markup]:
    language = app.settings.default_language
    return lambda key, **params: app.translator.t(language, key, **params)


def live_page(app: App, results: PollResults) -> str:
    poll, t = results.poll, _t(app)
    view = live_view(app, results)
    join = join_url(app.settings, poll.join_code)
    qr = segno.make(join, error="m").svg_inline(scale=6, dark="#0b2545", light=None)
    return _fill(
        _PAGE,
        lang=app.settings.default_language,
        title=t("live.title", id=poll.id),
        question=poll.question,
        bars=Markup(view.svg),
        status=view.status,
        participants=view.participants,
        qr=Markup(qr),
        join_label=t("live.join"),
        join=join,
        how=t("live.how", id=poll.id),
        events=f"/live/poll/{poll.token}/events",
    )


def join_page(app: App, poll: Poll) -> str:
    t = _t(app)
    options = Markup("").join(Markup("<li>{}</li>").format(o) for o in poll.options)
    how = "poll.how_to_vote_multiple" if poll.multiple else "poll.how_to_vote"
    return _fill(
        _JOIN,
        lang=app.settings.default_language,
        title=t("live.title", id=poll.id),
        question=poll.question,
        options=options,
        how=t(how, id=poll.id),
        where=t("live.where"),
    )


def _fill(template: Template, **values: object) -> str:
    """Fill an HTML template; values are escaped unless they are ``Markup`` already."""
    return template.substitute({k: escape(v) for k, v in values.items()})


def results_csv(app: App, results: PollResults) -> str:
    """Semicolon-separated (as German spreadsheets expect), for the minutes."""
    poll, tally, t = results.poll, results.tally, _t(app)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    tr, language = app.translator, app.settings.default_language
    state = (
        t("csv.closed", time=tr.datetime(language, poll.closed_at))
        if poll.closed_at
        else t("csv.as_of", time=tr.datetime(language, app.clock.now()))
    )
    writer.writerow([str(t("csv.poll")), str(poll.id), poll.question])
    writer.writerow([str(state)])
    writer.writerow([])
    writer.writerow([str(t("csv.option")), str(t("csv.votes")), str(t("csv.share"))])
    for index, option in enumerate(poll.options):
        writer.writerow([option, tally.counts[index], tally.percent(index)])
    writer.writerow([str(t("csv.participants")), tally.participants])
    if results.turnout is not None:
        writer.writerow([])
        writer.writerow([str(t("csv.member")), str(t("csv.voters"))])
        for name, count in results.turnout.voted:
            writer.writerow([name, count])
        for name in results.turnout.not_yet:
            writer.writerow([name, 0])
    return out.getvalue()


# --- updates ----------------------------------------------------------------------------------


@dataclass(eq=False)
class _Watch:
    token: str
    subscribers: set[asyncio.Queue[LiveView]] = field(default_factory=set)
    latest: LiveView | None = None
    task: asyncio.Task[None] | None = None


class LiveTallies:
    """One database watcher per poll, shared by every page showing it."""

    def __init__(self, app: App, *, interval: float = WATCH_INTERVAL) -> None:
        self.app = app
        self.interval = interval
        self._watches: dict[str, _Watch] = {}

    @contextlib.asynccontextmanager
    async def subscribe(self, token: str) -> AsyncIterator[asyncio.Queue[LiveView]]:
        """A queue that receives the current view at once and every change after."""
        watch = self._watches.get(token)
        if watch is None:
            watch = self._watches[token] = _Watch(token)
            watch.task = asyncio.create_task(self._run(watch), name=f"live-{token[:6]}")
        queue: asyncio.Queue[LiveView] = asyncio.Queue(maxsize=1)
        if watch.latest is not None:
            queue.put_nowait(watch.latest)
        watch.subscribers.add(queue)
        try:
            yield queue
        finally:
            watch.subscribers.discard(queue)
            if not watch.subscribers and self._watches.get(token) is watch:
                del self._watches[token]
                if watch.task is not None:
                    watch.task.cancel()

    async def _run(self, watch: _Watch) -> None:
        reading = Retrying(f"live page: reading poll {watch.token[:6]}…")
        while True:
            try:
                results = await live_results(self.app.uow(), token=watch.token)
            except Exception as exc:
                reading.failed(exc)  # one line per outage; the page keeps its last view
                results = None
            else:
                reading.worked()
            if results is not None:
                view = live_view(self.app, results)
                if view != watch.latest:
                    watch.latest = view
                    for queue in watch.subscribers:
                        _offer(queue, view)
                if view.closed:
                    return  # final: nothing changes any more
            await asyncio.sleep(self.interval)


def _offer(queue: asyncio.Queue[LiveView], view: LiveView) -> None:
    """Keep only the newest view for a slow page."""
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(view)


# --- routes ---------------------------------------------------------------------------------


def live_router(
    app: App, *, interval: float = WATCH_INTERVAL, lifetime: float = STREAM_LIFETIME
) -> APIRouter:
    router = APIRouter(prefix="/live")
    tallies = LiveTallies(app, interval=interval)

    async def results_for(token: str, *, with_turnout: bool = False) -> PollResults:
        results = None
        if 16 <= len(token) <= 64:
            results = await live_results(app.uow(), token=token, with_turnout=with_turnout)
        if results is None:
            raise HTTPException(status_code=404)
        return results

    @router.get("/poll/{token}", response_class=HTMLResponse)
    async def page(token: str) -> HTMLResponse:
        return HTMLResponse(live_page(app, await results_for(token)), headers=NO_STORE)

    @router.get("/poll/{token}/events")
    async def events(token: str) -> StreamingResponse:
        await results_for(token)

        async def stream() -> AsyncIterator[str]:
            yield "retry: 1000\n\n"
            loop = asyncio.get_running_loop()
            ends = loop.time() + lifetime
            stopping = asyncio.ensure_future(app.stopping.wait())
            try:
                async with tallies.subscribe(token) as queue:
                    while (left := ends - loop.time()) > 0 and not stopping.done():
                        getter = asyncio.ensure_future(queue.get())
                        await asyncio.wait(
                            {getter, stopping},
                            timeout=min(KEEPALIVE, left),
                            return_when=asyncio.FIRST_COMPLETED,
                        )
                        if getter.done():
                            yield getter.result().event()
                            continue
                        getter.cancel()
                        if not stopping.done():
                            yield ": keep-alive\n\n"
            finally:
                stopping.cancel()  # the service stops: the page reconnects to the next one

        headers = {**NO_STORE, "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    @router.get("/poll/{token}/ergebnis.csv")
    async def export(token: str) -> Response:
        results = await results_for(token, with_turnout=True)
        if not results.poll.results_visible(app.clock.now()):
            raise HTTPException(status_code=403, detail="results hidden until the poll closes")
        name = f"umfrage-{results.poll.id}.csv"
        return Response(
            "\ufeff" + results_csv(app, results),  # the BOM makes spreadsheets read UTF-8
            media_type="text/csv; charset=utf-8",
            headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'},
        )

    @router.get("/j/{code}", response_class=HTMLResponse)
    async def join(code: str) -> HTMLResponse:
        poll = await poll_for_join(app.uow(), join_code=code[:16])
        if poll is None:
            raise HTTPException(status_code=404)
        return HTMLResponse(join_page(app, poll), headers=NO_STORE)

    return router


_STYLE = """
:root { color-scheme: light; --ink: #0b2545; --fill: #13315c; --track: #dde6f0; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); background: #fff; }
"""

_PAGE = Template(
    """<!doctype html>
<html lang="$lang"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>$title</title>
<style>"""
    + _STYLE
    + """
main { display: grid; grid-template-columns: 1fr auto; gap: 3vw; min-height: 100vh;
       padding: 4vh 4vw; }
h1 { font-size: clamp(28px, 3.6vw, 72px); line-height: 1.15; margin: 0 0 4vh; }
.bars { width: 100%; height: auto; }
.bars .label { font-size: 40px; font-weight: 600; fill: var(--ink); }
.bars .value { font-size: 40px; font-weight: 700; fill: var(--ink); }
.bars .track { fill: var(--track); } .bars .fill { fill: var(--fill); }
#status { font-size: clamp(20px, 2.2vw, 44px); margin-top: 3vh; }
aside { display: flex; flex-direction: column; align-items: center; justify-content: center;
        gap: 2vh; text-align: center; font-size: clamp(16px, 1.5vw, 30px); max-width: 24vw; }
aside svg { width: min(22vw, 40vh); height: auto; }
.link { font-weight: 700; word-break: break-all; }
</style></head>
<body><main>
<section><h1>$question</h1><div id="bars">$bars</div>
<p id="status" data-participants="$participants">$status</p></section>
<aside><div>$join_label</div>$qr<div class="link">$join</div><div>$how</div></aside>
</main>
<script>
const source = new EventSource("$events");
source.addEventListener("tally", (event) => {
  const view = JSON.parse(event.data);
  document.getElementById("bars").innerHTML = view.svg;
  const status = document.getElementById("status");
  status.textContent = view.status;
  status.dataset.participants = view.participants;
});
</script>
</body></html>
"""
)

_JOIN = Template(
    """<!doctype html>
<html lang="$lang"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>$title</title>
<style>"""
    + _STYLE
    + """
main { max-width: 40rem; margin: 0 auto; padding: 1.5rem; font-size: 1.2rem; }
code { font-size: 1.3rem; background: #eef2f7; padding: .1rem .3rem; }
</style></head>
<body><main><h1>$question</h1><ol>$options</ol><p>$how</p><p>$where</p></main></body>
</html>
"""
)
