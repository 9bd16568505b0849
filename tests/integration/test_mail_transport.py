"""E-mail leaves through the outbox and a real SMTP server (aiosmtpd): the message as mail
clients expect it, refusals for good and for now, TLS and login, and many mails over a few
connections, each exactly once."""

from __future__ import annotations

import asyncio
import io
import secrets
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import icalendar
import pytest
from pypdf import PdfReader

from bot.adapters.mail import MailTransport, classify
from bot.app import App, build
from bot.delivery import OutboxDispatcher
from bot.mail_message import build_message, message_id_for
from bot.notifications import NotificationHub
from bot.settings import Settings
from core.attendance import check_in, send_certificates, undo_check_in
from core.domain.mail import EmailAddress
from core.domain.outbox import OutgoingMessage
from core.domain.people import Platform
from storage.database import Database
from storage.tables import outbox
from tests.conftest import FakeClock
from tests.support import factories
from tests.support.credentials import made
from tests.support.smtp import SmtpServer, smtp_server, smtp_server_factory

__all__ = ["smtp_server", "smtp_server_factory"]

SENDER = "Kommunen-Netzwerk engagiert in NRW <netzwerk@example.org>"
REPLY_TO = "Geschäftsstelle <buero@example.org>"
ANNA = "anna@kreis-beispiel.de"
ICS = (
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//engagiert-bot//DE\r\n"
    "METHOD:{method}\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:event-17@example.org\r\n"
    "DTSTAMP:20261125T090000Z\r\n"
    "DTSTART:20261201T140000Z\r\n"
    "DTEND:20261201T160000Z\r\n"
    "SUMMARY:Netzwerktreffen in Köln – Größe zählt\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


def a_mail(to: str = ANNA, **fields: Any) -> dict[str, Any]:
    mail: dict[str, Any] = {
        "to": to,
        "to_name": "Anna Müller-Lüdenscheidt",
        "subject": "Einladung: Netzwerktreffen in Köln – bitte antworten",
        "text": "Liebe Anna,\n\nwir laden Sie herzlich ein. Grüße aus Düsseldorf\n",
        "html": "<p>Liebe Anna,</p><p>wir laden Sie <b>herzlich</b> ein. Grüße</p>",
        "headers": {
            "List-Unsubscribe": "<https://bot.example.org/e/abbestellen/TOKEN>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        "calendar": None,
        "attachments": [],
    }
    mail.update(fields)
    return mail


async def mail_app(
    database: Database, clock: FakeClock, tmp_path: Path, server: SmtpServer, **options: Any
) -> App:
    settings = Settings(
        data_dir=tmp_path,
        smtp_url=server.url(),
        mail_from=SENDER,
        mail_reply_to=REPLY_TO,
        mail_rate=1000,
        **options,
    )
    return await build(settings, database=database, clock=clock, migrate=False)


async def queue(app: App, mail: dict[str, Any], tx_id: str | None = None) -> OutgoingMessage:
    [message] = await queue_all(app, [mail], [tx_id or secrets.token_hex(8)])
    return message


async def queue_all(
    app: App, mails: list[dict[str, Any]], tx_ids: list[str] | None = None
) -> list[OutgoingMessage]:
    """Outbox rows for ``mails``, in one transaction (as the core queues them)."""
    tx_ids = tx_ids or [secrets.token_hex(8) for _ in mails]
    async with app.uow() as uow:
        messages = [
            await uow.outbox.add(
                OutgoingMessage(
                    Platform.EMAIL.value,
                    mail["to"],
                    {"mail": mail},
                    tx_id,
                    app.clock.now(),
                )
            )
            for mail, tx_id in zip(mails, tx_ids, strict=True)
        ]
        await uow.commit()
    return messages


async def row(app: App, message: OutgoingMessage) -> Any:
    async with app.database.engine.connect() as conn:
        result = await conn.execute(outbox.select().where(outbox.c.id == message.id))
        return result.one()


async def dispatch(app: App, transport: MailTransport) -> int:
    dispatcher = OutboxDispatcher(app.uow, app.clock)
    return await dispatcher.dispatch("email", transport.send, concurrency=transport.pool.size)


async def with_confirmed_address(app: App, address: str) -> int:
    person = await factories.person(app)
    async with app.uow() as uow:
        await uow.emails.save(
            EmailAddress(person.id, address=address, confirmed_at=app.clock.now())
        )
        await uow.commit()
    return person.id


async def address_of(app: App, person_id: int) -> EmailAddress:
    async with app.uow() as uow:
        found = await uow.emails.get(person_id)
    assert found is not None
    return found


def parts(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


# --- the message ----------------------------------------------------------------------------


async def test_a_mail_with_an_invitation_arrives_as_mail_clients_expect_it(
    sqlite_database, clock, tmp_path, smtp_server
):
    app = await mail_app(sqlite_database, clock, tmp_path, smtp_server)
    transport = MailTransport(app)
    calendar = {"method": "REQUEST", "ics": ICS.format(method="REQUEST")}
    attachment = {"filename": "Übersicht.txt", "content_type": "text/plain", "data": "Tagesordnung"}
    message = await queue(app, a_mail(calendar=calendar, attachments=[attachment]), "tx-17")
    try:
        assert await dispatch(app, transport) == 1
    finally:
        await transport.stop()
    [received] = smtp_server.received
    assert received.sender == "netzwerk@example.org"
    assert received.recipients == (ANNA,)
    mail = received.message
    assert mail["From"] == SENDER
    assert mail["Reply-To"] == REPLY_TO
    assert mail["To"].addresses[0].display_name == "Anna Müller-Lüdenscheidt"
    assert mail["To"].addresses[0].addr_spec == ANNA
    assert mail["Subject"] == "Einladung: Netzwerktreffen in Köln – bitte antworten"
    assert mail["Message-ID"] == "<tx-17@example.org>" == message_id_for("tx-17", SENDER)
    assert mail["Date"].datetime == clock.now()
    assert mail["List-Unsubscribe"] == "<https://bot.example.org/e/abbestellen/TOKEN>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received.raw.isascii()  # 7-bit: no server needs 8BITMIME for it
    assert parts(mail) == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
        "text/plain",
    ]
    alternative = mail.get_payload()[0]
    plain, html, itip = alternative.get_payload()
    text = "Liebe Anna,\n\nwir laden Sie herzlich ein. Grüße aus Düsseldorf\n"
    assert plain.get_content().replace("\r\n", "\n") == text
    document = html.get_content().replace("\r\n", "\n")
    assert document.startswith('<!DOCTYPE html>\n<html lang="de">')
    assert "<b>herzlich</b> ein. Grüße" in document
    assert itip.get_param("method") == "REQUEST"
    assert itip.get_content_charset() == "utf-8"
    event = icalendar.Calendar.from_ical(itip.get_content()).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Netzwerktreffen in Köln – Größe zählt"
    file, extra = mail.get_payload()[1:]
    assert file.get_filename() == "einladung.ics"
    assert file.get_content().decode() == ICS.format(method="REQUEST")
    assert extra.get_filename() == "Übersicht.txt"
    assert (await row(app, message)).sent_at is not None


async def test_a_cancellation_without_html_and_the_same_id_on_a_second_send(
    sqlite_database, clock, tmp_path, smtp_server
):
    """A mail sent twice (a crash between sending and recording it) carries the same
    Message-ID both times, so that mail clients show it once."""
    app = await mail_app(sqlite_database, clock, tmp_path, smtp_server)
    transport = MailTransport(app)
    calendar = {"method": "CANCEL", "ics": ICS.format(method="CANCEL")}
    mail = a_mail(html=None, calendar=calendar, headers={})
    message = OutgoingMessage("email", ANNA, {"mail": mail}, "tx-abc", clock.now(), id=1)
    other = OutgoingMessage("email", ANNA, {"mail": mail}, "tx-def", clock.now(), id=2)
    try:
        for sending in (message, message, other):
            await transport.send(sending)
    finally:
        await transport.stop()
    first, again, third = (r.message for r in await smtp_server.wait_for(3))
    assert first["Message-ID"] == again["Message-ID"] == "<tx-abc@example.org>"
    assert third["Message-ID"] == "<tx-def@example.org>"
    assert "List-Unsubscribe" not in first
    assert parts(first) == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/calendar",
        "application/ics",
    ]
    assert first.get_payload()[0].get_payload()[1].get_param("method") == "CANCEL"
    assert first.get_payload()[1].get_filename() == "absage.ics"
    assert transport.pool.opened == 1  # one connection carried all three


def test_a_plain_mail_is_a_single_part_and_header_injection_is_refused():
    mail = a_mail("anna@straße.de", html=None, subject="Zeile 1\r\nBcc: x@evil.example")
    built = build_message(mail, sender=SENDER, reply_to=None, message_id="<x@example.org>")
    assert built.get_content_type() == "text/plain"
    assert built["To"].addresses[0].addr_spec == "anna@xn--strae-oqa.de"  # IDNA 2008
    assert built["Subject"] == "Zeile 1 Bcc: x@evil.example"
    assert "Bcc" not in built and "Reply-To" not in built
    with pytest.raises(ValueError):
        build_message(
            a_mail(headers={"From": "x@evil.example"}),
            sender=SENDER,
            reply_to=None,
            message_id="<x@example.org>",
        )


# --- refusals ------------------------------------------------------------------------------


async def test_a_refused_address_is_marked_undeliverable_and_not_tried_again(
    database, clock, tmp_path, smtp_server
):
    app = await mail_app(database, clock, tmp_path, smtp_server)
    person_id = await with_confirmed_address(app, "Weg@Kreis-Beispiel.de")
    smtp_server.refuse("weg@kreis-beispiel.de", "550 5.1.1 <weg@kreis-beispiel.de>: unknown")
    transport = MailTransport(app)
    message = await queue(app, a_mail("weg@kreis-beispiel.de"))
    try:
        assert await dispatch(app, transport) == 0
        gone = await row(app, message)
        assert gone.failed_at is not None and gone.attempts == 1
        assert "mailbox refused: 550 5.1.1" in gone.last_error
        marked = await address_of(app, person_id)
        assert marked.undeliverable_at == clock.now() and marked.usable is None
        assert marked.problem == "550 5.1.1 <weg@kreis-beispiel.de>: unknown"
        tried = smtp_server.mail_commands
        clock.advance(timedelta(hours=1))
        assert await dispatch(app, transport) == 0
        assert smtp_server.mail_commands == tried  # given up, not retried
    finally:
        await transport.stop()
    assert smtp_server.received == []


async def test_a_mail_refused_as_spam_or_broken_is_given_up_but_the_address_kept(
    sqlite_database, clock, tmp_path, smtp_server
):
    app = await mail_app(sqlite_database, clock, tmp_path, smtp_server)
    person_id = await with_confirmed_address(app, ANNA)
    smtp_server.refuse(ANNA, "554 5.7.1 Message rejected as spam", stage="data")
    transport = MailTransport(app)
    spam = await queue(app, a_mail())
    broken = await queue(app, {"to": ANNA, "text": "ohne Betreff"})
    try:
        assert await dispatch(app, transport) == 0
    finally:
        await transport.stop()
    refused, unbuilt = await row(app, spam), await row(app, broken)
    assert refused.failed_at is not None and "mail rejected: 554 5.7.1" in refused.last_error
    assert unbuilt.failed_at is not None and "broken mail payload" in unbuilt.last_error
    assert unbuilt.attempts == 1
    assert smtp_server.mail_commands == 1  # the broken one never reached the server
    assert (await address_of(app, person_id)).usable == ANNA


async def test_a_deferred_mail_goes_out_on_the_retry(sqlite_database, clock, tmp_path, smtp_server):
    app = await mail_app(sqlite_database, clock, tmp_path, smtp_server)
    smtp_server.defer(ANNA, "451 4.3.0 Try again later", times=1)
    transport = MailTransport(app)
    message = await queue(app, a_mail())
    try:
        assert await dispatch(app, transport) == 0
        waiting = await row(app, message)
        assert waiting.failed_at is None and waiting.sent_at is None
        assert waiting.attempts == 1 and "451 4.3.0" in waiting.last_error
        assert await dispatch(app, transport) == 0  # its backoff is not over
        clock.advance(timedelta(seconds=3))
        assert await dispatch(app, transport) == 1
    finally:
        await transport.stop()
    assert len(smtp_server.to(ANNA)) == 1
    assert (await row(app, message)).sent_at is not None


@pytest.mark.parametrize(
    ("code", "text", "stage", "verdict"),
    [
        (550, "5.1.1 Mailbox unavailable", "recipient", "address"),
        (550, "Mailbox unavailable", "recipient", "address"),
        (553, "5.1.3 Bad recipient address syntax", "recipient", "address"),
        (550, "5.1.1 User unknown", "data", "address"),
        (552, "5.2.2 Mailbox full", "recipient", "retry"),
        (554, "5.7.1 <a@b.de>: Relay access denied", "recipient", "config"),
        (550, "Relaying denied", "recipient", "config"),
        (530, "Authentication required", "recipient", "config"),
        (553, "5.7.1 Sender address rejected", "sender", "config"),
        (554, "5.7.1 Message rejected as spam", "data", "rejected"),
        (552, "5.3.4 Message size exceeds fixed limit", "data", "rejected"),
        (451, "4.3.0 Try again later", "recipient", "retry"),
        (421, "4.4.2 Timeout", "data", "retry"),
    ],
)
def test_what_an_answer_means(code, text, stage, verdict):
    assert classify(code, text, stage) == verdict


# --- the connection -------------------------------------------------------------------------


async def test_starttls_and_login_work_and_the_password_is_never_logged(
    sqlite_database, clock, tmp_path, smtp_server_factory, caplog
):
    password = made(secrets.token_urlsafe(18))
    server = await smtp_server_factory(tls=True, username="engagiert", password=password)
    app = await mail_app(sqlite_database, clock, tmp_path, server)
    transport = MailTransport(
        app, target=server.target("starttls"), ssl_context=server.client_context
    )
    assert "starttls" in repr(transport.target) and password not in repr(transport.target)
    await queue(app, a_mail())
    try:
        assert await dispatch(app, transport) == 1
    finally:
        await transport.stop()
    [received] = server.received
    assert received.tls and received.login == "engagiert"
    assert password not in caplog.text


async def test_a_refused_login_is_logged_once_for_the_admin_and_the_mail_kept(
    sqlite_database, clock, tmp_path, smtp_server_factory, caplog
):
    server = await smtp_server_factory(
        tls=True, username="engagiert", password=made(secrets.token_urlsafe(18))
    )
    app = await mail_app(sqlite_database, clock, tmp_path, server)
    wrong = made(secrets.token_urlsafe(18))
    target = server.target("starttls")
    transport = MailTransport(
        app,
        target=type(target)(target.host, target.port, "starttls", "engagiert", wrong),
        ssl_context=server.client_context,
    )
    message = await queue(app, a_mail())
    try:
        assert await dispatch(app, transport) == 0
        assert transport.state == "degraded"
        clock.advance(timedelta(seconds=3))
        assert await dispatch(app, transport) == 0
    finally:
        await transport.stop()
    kept = await row(app, message)
    assert kept.failed_at is None and kept.attempts == 0  # the server refuses us: kept, not used up
    complaints = [
        r for r in caplog.records if r.name == "bot.adapters.mail" and r.levelname == "ERROR"
    ]
    assert len(complaints) == 1 and "SMTPAuthenticationError" in complaints[0].getMessage()
    assert wrong not in caplog.text
    assert server.mail_commands == 0


async def test_without_starttls_offered_nothing_is_sent_in_clear(
    sqlite_database, clock, tmp_path, smtp_server, caplog
):
    app = await mail_app(sqlite_database, clock, tmp_path, smtp_server)
    transport = MailTransport(app, target=smtp_server.target("starttls"))
    message = await queue(app, a_mail())
    try:
        assert await dispatch(app, transport) == 0
        assert transport.state == "degraded"
    finally:
        await transport.stop()
    assert smtp_server.greetings == 1 and smtp_server.mail_commands == 0
    kept = await row(app, message)
    assert kept.failed_at is None and kept.sent_at is None and kept.attempts == 0
    assert any("offers no STARTTLS" in r.getMessage() for r in caplog.records)


async def test_implicit_tls(sqlite_database, clock, tmp_path, smtp_server_factory):
    server = await smtp_server_factory(implicit_tls=True)
    app = await mail_app(sqlite_database, clock, tmp_path, server)
    transport = MailTransport(app, ssl_context=server.client_context)
    assert transport.target.security == "tls"
    await queue(app, a_mail())
    try:
        assert await dispatch(app, transport) == 1
    finally:
        await transport.stop()
    assert [r.tls for r in server.received] == [True]


async def test_a_connection_the_server_dropped_is_replaced(
    sqlite_database, clock, tmp_path, smtp_server_factory, monkeypatch
):
    """The mail server restarts: the pooled connection is replaced whether the drop was
    noticed before the next mail or only when that mail is sent on it."""
    first = await smtp_server_factory()
    app = await mail_app(sqlite_database, clock, tmp_path, first, smtp_connections=1)
    transport = MailTransport(app)
    try:
        await queue(app, a_mail())
        assert await dispatch(app, transport) == 1
        assert transport.pool.idle == 1
        await first.stop()
        second = await smtp_server_factory(port=first.port)
        await queue(app, a_mail("bert@kreis-beispiel.de"))
        assert await dispatch(app, transport) == 1
        assert transport.pool.opened == 2
        # Not noticed: the pool lends out the dropped connection as if it were alive.
        [stale] = [idle.client for idle in transport.pool._idle]
        await second.stop()
        third = await smtp_server_factory(port=first.port)
        monkeypatch.setattr(transport.pool, "_take_idle", lambda: stale)
        await queue(app, a_mail("carl@kreis-beispiel.de"))
        assert await dispatch(app, transport) == 1  # at once, on a new connection
        monkeypatch.undo()
    finally:
        await transport.stop()
    assert len(second.to("bert@kreis-beispiel.de")) == 1
    assert len(third.to("carl@kreis-beispiel.de")) == 1
    assert transport.pool.opened == 3


async def test_a_server_that_is_down_does_not_stop_the_start(
    sqlite_database, clock, tmp_path, smtp_server_factory
):
    server = SmtpServer()  # its port is chosen, nothing listens there yet
    app = await mail_app(sqlite_database, clock, tmp_path, server)
    transport = MailTransport(app)
    await transport.start()
    try:
        assert not await transport.check()
        assert transport.state == "degraded"
        async with server:
            assert await transport.check()
            assert transport.state == "sending"
            await queue(app, a_mail())
            transport.kick()
            await server.wait_for(1)
    finally:
        await transport.stop()
    assert transport.state == "stopped"


async def test_fifty_mails_over_three_connections_arrive_once_each(
    database, clock, tmp_path, smtp_server
):
    app = await mail_app(database, clock, tmp_path, smtp_server, smtp_connections=3)
    transport = MailTransport(app)
    assert (transport.limiter.max_rate, transport.limiter.time_period) == (1, 1 / 1000)
    await transport.start()
    try:
        addresses = [f"person{n}@kreis-beispiel.de" for n in range(50)]
        messages = await queue_all(app, [a_mail(address) for address in addresses])
        assert isinstance(app.notifier, NotificationHub)
        app.notifier.wake({"email"})  # as after a commit that queued mail
        received = await smtp_server.wait_for(50)
    finally:
        await transport.stop()
    assert sorted(r.recipients[0] for r in received) == sorted(addresses)
    assert len({r.message["Message-ID"] for r in received}) == 50
    assert 1 <= transport.pool.opened <= 3
    assert [(await row(app, m)).sent_at is not None for m in messages] == [True] * 50
    assert len(smtp_server.received) == 50


async def test_stopping_finishes_the_mail_in_hand_and_begins_no_other(
    sqlite_database, clock, tmp_path, smtp_server
):
    app = await mail_app(sqlite_database, clock, tmp_path, smtp_server, smtp_connections=1)
    transport = MailTransport(app)
    smtp_server.hold()
    await transport.start()
    in_hand = await queue(app, a_mail())
    later = await queue(app, a_mail("bert@kreis-beispiel.de"))
    transport.kick()
    await smtp_server.wait_until(lambda: smtp_server.holding == 1)
    stopping = asyncio.create_task(transport.stop())
    # Callbacks run in order: stop() begins (no new mail from now on), then the server answers.
    asyncio.get_running_loop().call_soon(smtp_server.release)
    async with asyncio.timeout(5):
        await stopping
    assert [r.recipients for r in smtp_server.received] == [(ANNA,)]
    assert (await row(app, in_hand)).sent_at is not None
    untouched = await row(app, later)
    assert untouched.sent_at is None and untouched.failed_at is None and untouched.attempts == 0
    assert transport.state == "stopped" and transport.pool.idle == 0


async def test_a_long_outage_of_the_mail_server_loses_no_mail(
    database, clock, tmp_path, smtp_server
):
    """Far longer than eight retries take: the mail waits for its server, its attempts
    untouched, and goes out once the server answers again."""
    from dataclasses import replace

    from tests.support.smtp import free_port

    app = await mail_app(database, clock, tmp_path, smtp_server)
    message = await queue(app, a_mail())
    away = MailTransport(app, target=replace(smtp_server.target(), port=free_port()))
    for _ in range(12):  # twelve hours of the server being away
        assert await dispatch(app, away) == 0
        clock.advance(timedelta(hours=1))
    kept = await row(app, message)
    assert (kept.failed_at, kept.sent_at, kept.attempts) == (None, None, 0)
    assert "ServerUnavailable" in kept.last_error
    assert await dispatch(app, MailTransport(app)) == 1
    (received,) = await smtp_server.wait_for(1)
    assert list(received.recipients) == [ANNA]


def test_headers_mail_programs_read_as_they_are():
    """``List-Unsubscribe`` stays ``<URL>`` on its line (no RFC 2047 encoded words: mail
    programs would not offer the one-click unsubscribe), and a long name with commas and
    parentheses stays one quoted display name (not two addresses)."""
    url = "https://bot.netzwerk.example/e/abbestellen/" + "A" * 60
    name = "Schmidt-Hoffmann, Katharina (Kreisverwaltung Rhein-Sieg-Kreis, Stabsstelle Engagement)"
    mail = a_mail(to_name=name, headers={"List-Unsubscribe": f"<{url}>"})
    raw = build_message(mail, sender=SENDER, reply_to=None, message_id="<x@example.org>").as_bytes()
    lines = raw.split(b"\r\n")
    assert f"List-Unsubscribe: <{url}>".encode() in lines
    assert f'To: "{name}" <{ANNA}>'.encode() in lines
    assert all(len(line) <= 998 for line in lines)


async def test_a_certificate_by_mail_is_made_when_it_is_sent(
    sqlite_database, clock, tmp_path, smtp_server
):
    """A person reached only by mail gets the Teilnahmebescheinigung as a PDF attachment;
    the outbox holds only what makes it, and an undone check-in sends nothing."""
    app = await mail_app(sqlite_database, clock, tmp_path, smtp_server)
    app.notifier = NotificationHub(app.uow, app.translator, app.clock, mail=app.notifier.mail)
    event = await factories.event(app, title="3. Netzwerktreffen")
    anna_id = await with_confirmed_address(app, ANNA)
    ben_id = await with_confirmed_address(app, "ben@kreis-beispiel.de")
    clock.current = event.starts_at + timedelta(minutes=10)
    for person_id in (anna_id, ben_id):
        await check_in(
            app.uow(), actor_id=None, event_id=event.id, person_ref=str(person_id), now=clock.now()
        )
    await send_certificates(app.uow(), actor_id=None, event_id=event.id, now=clock.now())
    await undo_check_in(
        app.uow(), actor_id=None, event_id=event.id, person_id=ben_id, now=clock.now()
    )
    async with app.database.engine.connect() as conn:
        stored = repr((await conn.execute(outbox.select())).all())
    assert "%PDF" not in stored and "JVBERi" not in stored
    transport = MailTransport(app)
    try:
        assert await dispatch(app, transport) == 2
    finally:
        await transport.stop()
    [received] = smtp_server.received  # Ben's was not sent: he is no longer checked in
    assert received.recipients == (ANNA,)
    [pdf] = [p for p in received.message.walk() if p.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == f"teilnahmebescheinigung-{event.id}.pdf"
    words = " ".join(PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text().split())
    assert "Teilnahmebescheinigung" in words and "3. Netzwerktreffen" in words
