"""An information mail to 300 persons with mixed choices, through the real hub, the outbox
and a real SMTP server: exactly once per chosen channel and person, unsubscribable."""

from __future__ import annotations

from collections import Counter

import httpx
import sqlalchemy as sa

from bot.adapters.mail import MailTransport
from bot.app import build
from bot.settings import Settings
from bot.web import create_web_app
from core.announcements import Audience, announce, progress
from core.domain.mail import Channel, EmailAddress
from core.domain.members import MemberKind
from core.domain.notifications import AudienceKind, Preferences
from core.domain.people import ChatIdentity, Person, Platform
from core.mail import address_of
from core.members import add_member
from storage.tables import email_addresses, outbox
from tests.support.smtp import smtp_server

__all__ = ["smtp_server"]

SENDER = "Kommunen-Netzwerk engagiert in NRW <netzwerk@engagiert.example>"
CHOICES = (Channel.CHAT, Channel.EMAIL, Channel.BOTH)


async def test_300_persons_get_it_once_on_each_channel_they_chose(
    database, clock, tmp_path, smtp_server
):
    settings = Settings(
        data_dir=tmp_path,
        smtp_url=smtp_server.url(),
        mail_from=SENDER,
        mail_rate=1000,
        smtp_connections=3,
        telegram_token="123:" + "a" * 35,
    )
    app = await build(settings, database=database, clock=clock, migrate=False)
    town = await add_member(app.uow(), name="Kreis Beispiel", kind=MemberKind.KREIS)
    now = clock.now()
    by_mail: set[str] = set()
    in_chat: set[str] = set()
    async with app.uow() as uow:
        for n in range(300):
            person = await uow.persons.add(Person(f"Person {n}", member_id=town.id, created_at=now))
            channel = CHOICES[n % 3]
            has_chat = n % 5 != 0  # every fifth uses no chat app
            has_mail = n % 7 != 0  # every seventh gave no address
            if has_chat:
                chat = str(5000 + n)
                await uow.identities.add(
                    ChatIdentity(Platform.TELEGRAM, chat, person.id, created_at=now)
                )
            address = f"p{n}@kommune.example"
            if has_mail:
                await uow.emails.save(EmailAddress(person.id, address, confirmed_at=now))
            await uow.preferences.save(Preferences(person.id, channel=channel))
            wants_mail = has_mail and (channel is not Channel.CHAT or not has_chat)
            if wants_mail:
                by_mail.add(address)
            if has_chat and (not wants_mail or channel is Channel.BOTH):
                in_chat.add(chat)
        await uow.commit()

    transport = MailTransport(app)
    await transport.start()
    try:
        sent = await announce(
            app.uow(),
            actor_id=None,
            text="Die Anmeldung zum **Engagementkongress** ist offen.",
            audience=Audience(AudienceKind.ALL),
            now=now,
            subject="Engagementkongress: Anmeldung offen",
        )
        received = await smtp_server.wait_for(len(by_mail), timeout=30)
    finally:
        await transport.stop()

    counts = Counter(r.recipients[0] for r in received)
    assert set(counts) == by_mail and set(counts.values()) == {1}
    async with app.database.engine.connect() as conn:
        query = sa.select(outbox.c.chat_id).where(outbox.c.platform == "telegram")
        chats = Counter((await conn.execute(query)).scalars())
    assert set(chats) == in_chat and set(chats.values()) == {1}
    _, mails = await progress(app.uow(), actor_id=None, announcement_id=sent.id, platform="email")
    assert (mails.total, mails.delivered) == (len(by_mail), len(by_mail))

    message = received[0].message
    assert message["Subject"] == "Engagementkongress: Anmeldung offen"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<b>Engagementkongress</b>" in html
    url = message["List-Unsubscribe"].strip("<>")
    async with app.database.engine.connect() as conn:
        query = sa.select(email_addresses.c.person_id).where(
            email_addresses.c.address == received[0].recipients[0]
        )
        person_id = (await conn.execute(query)).scalar_one()
    web = create_web_app(app)
    asgi = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=asgi, base_url="http://bot") as client:
        path = url.split("://", 1)[1].split("/", 1)[1]
        answer = await client.post(
            "/" + path,
            content="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 200
    assert (await address_of(app.uow(), person_id=person_id)).announcements is False
