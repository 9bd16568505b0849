"""E-mail through the whole service: ``engagiert-bot serve`` sending to a real SMTP server
(aiosmtpd), the office working next to it on the same database, a member who reads mail."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import icalendar
import pytest

from bot.app import App, build
from bot.settings import load_settings
from core.announcements import Audience, announce
from core.domain.events import Audience as EventAudience
from core.domain.events import Event, EventKind
from core.domain.mail import EmailAddress
from core.domain.members import MemberKind
from core.domain.notifications import AudienceKind
from core.domain.people import Person
from core.events import cancel_event, change_event, create_event
from core.mail import address_of, request_address
from core.members import add_member
from tests.support.process import clean_env, free_port, serve
from tests.support.smtp import SmtpServer, smtp_server

__all__ = ["smtp_server"]

SENDER = "Kommunen-Netzwerk engagiert in NRW <netzwerk@engagiert.example>"
LINK = re.compile(r"https?://\S+/e/(?:bestaetigen|anmelden|abmelden|abbestellen)/[A-Za-z0-9_-]+")


def mail_env(tmp_path: Path, server: SmtpServer, **settings: str) -> dict[str, str]:
    return clean_env(
        tmp_path,
        ENGAGIERT_HTTP_PORT=str(free_port()),
        ENGAGIERT_SMTP_URL=server.url(),
        ENGAGIERT_MAIL_FROM=SENDER,
        ENGAGIERT_INSTANCE="mail-1",
        **settings,
    )


@contextlib.asynccontextmanager
async def office(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    """The office's own process on the same database (as ``engagiert-bot`` commands are)."""
    with monkeypatch.context() as patch:
        for name, value in env.items():
            if name.startswith("ENGAGIERT_"):
                patch.setenv(name, value)
        app = await build(load_settings())
    try:
        yield app
    finally:
        await app.close()


@contextlib.asynccontextmanager
async def serving(env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    server = await serve(env)
    try:
        yield server
    finally:
        if server.returncode is None:
            server.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(server.communicate(), 30)
            assert "Traceback" not in output.decode()


def body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def links(message: EmailMessage) -> dict[str, str]:
    return {url.split("/e/")[1].split("/")[0]: url for url in LINK.findall(body(message))}


def calendar(message: EmailMessage) -> icalendar.Calendar:
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_content())


async def test_a_member_reached_only_by_mail_confirms_signs_up_and_follows_the_event(
    tmp_path, smtp_server, monkeypatch
):
    env = mail_env(tmp_path, smtp_server)
    async with office(env, monkeypatch) as app:
        town = await add_member(app.uow(), name="Kreis Beispiel", kind=MemberKind.KREIS)
        async with app.uow() as uow:
            anna = await uow.persons.add(
                Person("Anna Müller", member_id=town.id, created_at=app.clock.now())
            )
            await uow.commit()
        await request_address(
            app.uow(),
            actor_id=None,
            person_id=anna.id,
            address="anna@kreis-beispiel.de",
            now=app.clock.now(),
        )
    async with serving(env), httpx.AsyncClient(timeout=10) as web:
        (confirmation,) = await smtp_server.wait_for(1, timeout=30)
        assert list(confirmation.recipients) == ["anna@kreis-beispiel.de"]
        confirm = links(confirmation.message)["bestaetigen"]
        assert (await web.get(confirm)).status_code == 200  # a scanner opening the link …
        async with office(env, monkeypatch) as app:
            assert (
                await address_of(app.uow(), person_id=anna.id)
            ).usable is None  # … changes nothing
        assert "bestätigt" in (await web.post(confirm)).text

        async with office(env, monkeypatch) as app:
            start = app.clock.now() + timedelta(days=10)
            event = await create_event(
                app.uow(),
                actor_id=None,
                event=Event(
                    kind=EventKind.NETZWERKTREFFEN,
                    title="Netzwerktreffen in Köln",
                    starts_at=start,
                    ends_at=start + timedelta(hours=3),
                    place="Rathaus Köln",
                    audience=EventAudience.NETWORK,
                ),
                now=app.clock.now(),
            )
            await announce(
                app.uow(),
                actor_id=None,
                text="Wir laden **herzlich** ein.",
                audience=Audience(AudienceKind.ALL),
                now=app.clock.now(),
                subject="Einladung: Netzwerktreffen in Köln",
                event_id=event.id,
            )
        infomail = (await smtp_server.wait_for(2, timeout=30))[1].message
        assert infomail["Subject"] == "Einladung: Netzwerktreffen in Köln"
        assert infomail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        sign_up = links(infomail)["anmelden"]
        assert "Verbindlich anmelden" in (await web.get(sign_up)).text
        assert "angemeldet" in (await web.post(sign_up)).text

        invitation = (await smtp_server.wait_for(3, timeout=30))[2].message
        request = calendar(invitation)
        assert request["method"] == "REQUEST"
        (first,) = request.walk("VEVENT")
        assert str(first["location"]) == "Rathaus Köln"

        async with office(env, monkeypatch) as app:
            await change_event(
                app.uow(),
                actor_id=None,
                event_id=event.id,
                changes={"starts_at": start + timedelta(days=1)},
                now=app.clock.now(),
            )
        update = calendar((await smtp_server.wait_for(4, timeout=30))[3].message)
        (moved,) = update.walk("VEVENT")
        assert update["method"] == "REQUEST"
        assert int(moved["sequence"]) > int(first["sequence"])
        assert str(moved["uid"]) == str(first["uid"])

        async with office(env, monkeypatch) as app:
            await cancel_event(app.uow(), actor_id=None, event_id=event.id, now=app.clock.now())
        cancel = calendar((await smtp_server.wait_for(5, timeout=30))[4].message)
        assert cancel["method"] == "CANCEL"

        # One click in the mail program (RFC 8058): no more information mails.
        unsubscribe = infomail["List-Unsubscribe"].strip("<>")
        answer = await web.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
        assert answer.status_code == 200
        async with office(env, monkeypatch) as app:
            assert (await address_of(app.uow(), person_id=anna.id)).announcements is False
    assert len(smtp_server.received) == 5


async def test_kill_during_a_300_mail_send_loses_nothing(tmp_path, smtp_server, monkeypatch):
    """``kill -9`` halfway through an information mail to 300 persons; after the restart every
    person has the mail, and at most as many twice as there were SMTP connections."""
    connections = 3
    env = mail_env(
        tmp_path,
        smtp_server,
        ENGAGIERT_MAIL_RATE="150",
        ENGAGIERT_SMTP_CONNECTIONS=str(connections),
    )
    addresses = [f"person{n}@kommune{n % 7}.example" for n in range(300)]
    async with office(env, monkeypatch) as app:
        town = await add_member(app.uow(), name="Stadt Beispiel", kind=MemberKind.STADT)
        now = app.clock.now()
        async with app.uow() as uow:
            for n, address in enumerate(addresses):
                person = await uow.persons.add(
                    Person(f"Person {n}", member_id=town.id, created_at=now)
                )
                await uow.emails.save(EmailAddress(person.id, address, confirmed_at=now))
            await uow.commit()
        await announce(
            app.uow(),
            actor_id=None,
            text="Die Anmeldung zum Engagementkongress ist offen.",
            audience=Audience(AudienceKind.ALL),
            now=now,
            subject="Engagementkongress",
        )
    async with serving(env) as server:
        await smtp_server.wait_for(100, timeout=60)
        server.kill()  # SIGKILL: no clean stop
        await server.wait()
    async with serving(env):
        await smtp_server.wait_until(
            lambda: {r.recipients[0] for r in smtp_server.received} >= set(addresses), timeout=60
        )
    counts = Counter(r.recipients[0] for r in smtp_server.received)
    assert set(counts) == set(addresses)  # none lost
    doubled = sum(count - 1 for count in counts.values())
    assert doubled <= connections
