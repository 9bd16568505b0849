"""The live results page's event stream, read by an HTTP client from a real server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx

from bot.web import create_web_app
from core.domain.people import Role
from core.polls import cast_vote, close_poll, start_poll
from tests.support import factories
from tests.support.web_server import serving


async def events(response: httpx.Response) -> AsyncIterator[dict]:
    """The ``tally`` events of a Server-Sent Events stream, decoded."""
    name, data = None, []
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data.append(line.split(":", 1)[1].strip())
        elif line == "" and data:
            if name == "tally":
                yield json.loads("\n".join(data))
            name, data = None, []


async def test_the_event_stream_follows_votes_and_the_close(any_app):
    app = any_app
    sara = await factories.person(app, "Sara", roles={Role.SPEAKER})
    anna, bernd = await factories.person(app, "Anna"), await factories.person(app, "Bernd")
    poll = await start_poll(
        app.uow(), actor_id=sara.id, question="Q?", options=["A", "B"], now=app.clock.now()
    )

    async def vote(person, choice):
        await cast_vote(
            app.uow(), poll_id=poll.id, person_id=person.id, choices=[choice], now=app.clock.now()
        )

    async with (
        serving(create_web_app(app)) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as client,
        client.stream("GET", f"/live/poll/{poll.token}/events") as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = events(response)
        first = await anext(stream)  # the current state, at once
        assert first["participants"] == 0 and not first["closed"]
        await vote(anna, 0)
        loop = asyncio.get_running_loop()
        voted_at = loop.time()
        second = await asyncio.wait_for(anext(stream), 2)
        assert loop.time() - voted_at < 1.0  # within a second of the vote
        assert second["participants"] == 1 and 'data-count="1"' in second["svg"]
        await vote(bernd, 1)
        await vote(anna, 1)  # Anna changes her mind
        latest = await asyncio.wait_for(anext(stream), 2)
        while "100 % (2)" not in latest["svg"]:  # pushes may combine the two votes or not
            latest = await asyncio.wait_for(anext(stream), 2)
        assert latest["participants"] == 2 and "100 % (2)" in latest["svg"]
        await close_poll(app.uow(), actor_id=sara.id, poll_id=poll.id, now=app.clock.now())
        final = await asyncio.wait_for(anext(stream), 2)
        assert final["closed"] and "Beendet" in final["status"]


async def test_hidden_results_stay_off_the_wire_until_closing(app):
    sara = await factories.person(app, "Sara", roles={Role.SPEAKER})
    anna = await factories.person(app, "Anna")
    poll = await start_poll(
        app.uow(),
        actor_id=sara.id,
        question="Geheim?",
        options=["Ja", "Nein"],
        hidden_results=True,
        now=app.clock.now(),
    )
    await cast_vote(app.uow(), poll_id=poll.id, person_id=anna.id, choices=[0], now=app.clock.now())
    async with (
        serving(create_web_app(app)) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as client,
    ):
        page = await client.get(f"/live/poll/{poll.token}")
        assert "data-count" not in page.text and "100 %" not in page.text
        assert 'data-participants="1"' in page.text
        assert (await client.get(f"/live/poll/{poll.token}/ergebnis.csv")).status_code == 403
        async with client.stream("GET", f"/live/poll/{poll.token}/events") as response:
            view = await anext(events(response))
        assert "data-count" not in view["svg"] and view["participants"] == 1
