"""A signed-in client of the office's web desk, as after the chat's link."""

from __future__ import annotations

import httpx

from bot.app import App
from bot.desk import COOKIE
from bot.web import create_web_app
from core.domain.people import Person
from core.web_access import issue_link, redeem_link


async def signed_in(app: App, person: Person) -> httpx.AsyncClient:
    """A browser-like client (ASGI, no server) with a desk session of ``person``."""
    token = await issue_link(app.uow(), actor_id=None, person_id=person.id, now=app.clock.now())
    session = await redeem_link(app.uow(), token=token, now=app.clock.now())
    transport = httpx.ASGITransport(app=create_web_app(app))
    client = httpx.AsyncClient(transport=transport, base_url="http://test")
    client.cookies.set(COOKIE, session.token)
    return client
