"""E-mail as a channel, up to the outbox: double opt-in, the channel each person chose,
information mails with List-Unsubscribe, calendar invitations that follow the event.

What the SMTP side does with the outbox rows is in ``test_mail_transport.py``."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from bot.app import App
from bot.mail_compose import MailSetup, link_key
from bot.notifications import NotificationHub
from core.announcements import Audience, announce, progress
from core.domain.errors import DomainError
from core.domain.mail import Channel
from core.domain.notifications import AudienceKind
from core.domain.people import Person, Platform
from core.events import cancel_event, change_event
from core.mail import (
    address_of,
    confirm_address,
    read_link,
    request_address,
    set_channel,
    unsubscribe,
)
from core.privacy import erase_person, export_person_data
from core.signup import cancel_signup, sign_up
from storage.tables import notifications, outbox
from tests.support import factories
from tests.support.notices import link

SENDER = "Kommunen-Netzwerk engagiert in NRW <netzwerk@engagiert.example>"


def mail_hub(app: App) -> NotificationHub:
    setup = MailSetup("https://bot.example", link_key(app.database.pepper), SENDER)
    hub = NotificationHub(
        app.uow, app.translator, app.clock, queued={Platform.TELEGRAM}, mail=setup
    )
    app.notifier = hub
    return hub


async def mails(app: App) -> list[dict]:
    """The mails in the outbox, oldest first."""
    async with app.database.engine.connect() as conn:
        query = outbox.select().where(outbox.c.platform == "email").order_by(outbox.c.id)
        return [row.payload["mail"] for row in await conn.execute(query)]


async def chats(app: App) -> list[str]:
    async with app.database.engine.connect() as conn:
        query = sa.select(outbox.c.chat_id).where(outbox.c.platform == "telegram")
        return list((await conn.execute(query)).scalars())


async def confirm_token(app: App, person: Person) -> str:
    async with app.database.engine.connect() as conn:
        query = (
            notifications.select()
            .where(notifications.c.key == "email_confirm")
            .where(notifications.c.person_id == person.id)
            .order_by(notifications.c.id.desc())
        )
        return (await conn.execute(query)).first().params["token"]


async def confirmed(app: App, person: Person, address: str) -> None:
    await request_address(
        app.uow(), actor_id=None, person_id=person.id, address=address, now=app.clock.now()
    )
    token = await confirm_token(app, person)
    await confirm_address(app.uow(), token=token, now=app.clock.now())


async def test_an_address_is_used_only_after_its_link_was_confirmed(any_app: App):
    app = any_app
    mail_hub(app)
    town = await factories.member(app)
    anna = await factories.person(app, "Anna Bäcker", member=town)
    await request_address(
        app.uow(),
        actor_id=None,
        person_id=anna.id,
        address="  Anna.Baecker@Kreis-Beispiel.DE ",
        now=app.clock.now(),
    )
    (confirmation,) = await mails(app)
    assert confirmation["to"] == "Anna.Baecker@kreis-beispiel.de"  # domain normalised
    assert confirmation["subject"] == "Bitte bestätigen Sie Ihre E-Mail-Adresse"
    token = await confirm_token(app, anna)
    assert f"https://bot.example/e/bestaetigen/{token}" in confirmation["text"]
    assert (await address_of(app.uow(), person_id=anna.id)).usable is None

    # Before the confirmation nothing else goes there: an announcement reaches nobody by mail.
    await announce(
        app.uow(),
        actor_id=None,
        text="Hallo",
        audience=Audience(AudienceKind.ALL),
        now=app.clock.now(),
    )
    assert len(await mails(app)) == 1

    await confirm_address(app.uow(), token=token, now=app.clock.now())
    assert (await address_of(app.uow(), person_id=anna.id)).usable == (
        "Anna.Baecker@kreis-beispiel.de"
    )
    with pytest.raises(DomainError) as used:  # a link works once
        await confirm_address(app.uow(), token=token, now=app.clock.now())
    assert used.value.code == "email_link_invalid"


async def test_a_link_expires_and_a_new_address_waits_while_the_old_one_works(app: App):
    mail_hub(app)
    anna = await factories.person(app)
    await confirmed(app, anna, "anna@alt.example")
    await request_address(
        app.uow(), actor_id=None, person_id=anna.id, address="anna@neu.example", now=app.clock.now()
    )
    token = await confirm_token(app, anna)
    current = await address_of(app.uow(), person_id=anna.id)
    assert (current.usable, current.pending_address) == ("anna@alt.example", "anna@neu.example")
    app.clock.advance(timedelta(days=8))
    with pytest.raises(DomainError):
        await confirm_address(app.uow(), token=token, now=app.clock.now())
    assert (await address_of(app.uow(), person_id=anna.id)).usable == "anna@alt.example"


@pytest.mark.parametrize(
    "typed",
    ["anna", "anna@", "anna@kreis", "anna kreis@x.de", "anna@@x.de", "a" * 250 + "@x.de", ""],
)
async def test_an_invalid_address_is_explained_and_stores_nothing(app: App, typed: str):
    mail_hub(app)
    anna = await factories.person(app)
    with pytest.raises(DomainError) as refused:
        await request_address(
            app.uow(), actor_id=None, person_id=anna.id, address=typed, now=app.clock.now()
        )
    assert refused.value.code == "email_invalid"
    assert await address_of(app.uow(), person_id=anna.id) is None
    assert await mails(app) == []


async def test_each_person_is_reached_on_the_channels_they_chose(any_app: App):
    app = any_app
    mail_hub(app)
    town = await factories.member(app)
    chat_only = await factories.person(app, "Chat Ohne Mail", member=town)
    chat_first = await factories.person(app, "Chat Zuerst", member=town)
    mail_first = await factories.person(app, "Mail Zuerst", member=town)
    both = await factories.person(app, "Beide Wege", member=town)
    mail_only = await factories.person(app, "Ohne Chat", member=town)
    unsubscribed = await factories.person(app, "Abbestellt", member=town)
    for number, person in enumerate([chat_only, chat_first, mail_first, both, unsubscribed]):
        await link(app, person, Platform.TELEGRAM, str(1000 + number))
    for person in (chat_first, mail_first, both, mail_only, unsubscribed):
        await confirmed(app, person, f"p{person.id}@kommune.example")
    await set_channel(
        app.uow(),
        actor_id=None,
        person_id=mail_first.id,
        channel=Channel.EMAIL,
        now=app.clock.now(),
    )
    await set_channel(
        app.uow(), actor_id=None, person_id=both.id, channel=Channel.BOTH, now=app.clock.now()
    )
    await set_channel(
        app.uow(),
        actor_id=None,
        person_id=unsubscribed.id,
        channel=Channel.BOTH,
        now=app.clock.now(),
    )
    await unsubscribe(app.uow(), person_id=unsubscribed.id)
    confirmations = len(await mails(app))

    sent = await announce(
        app.uow(),
        actor_id=None,
        text="**Netzwerktreffen** im Dezember: [Programm](https://example.org/p?a=1&b=2)",
        audience=Audience(AudienceKind.ALL),
        now=app.clock.now(),
        subject="Einladung zum Netzwerktreffen",
    )

    infomails = (await mails(app))[confirmations:]
    assert sorted(m["to"] for m in infomails) == sorted(
        f"p{p.id}@kommune.example" for p in (mail_first, both, mail_only)
    )
    in_chat = await chats(app)
    assert sorted(in_chat) == ["1000", "1001", "1003", "1004"]  # chat first, both, unsubscribed
    mail = infomails[0]
    assert mail["subject"] == "Einladung zum Netzwerktreffen"
    assert "<b>Netzwerktreffen</b>" in mail["html"]
    assert '<a href="https://example.org/p?a=1&amp;b=2">Programm</a>' in mail["html"]
    assert "Programm (https://example.org/p?a=1&b=2)" in mail["text"]
    unsubscribe_url = mail["headers"]["List-Unsubscribe"].strip("<>")
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = unsubscribe_url.rsplit("/", 1)[1]
    key = link_key(app.database.pepper)
    person_id = next(p.id for p in (mail_first, both, mail_only) if f"p{p.id}@" in mail["to"])
    assert read_link(key, "abbestellen", token, app.clock.now()) == (person_id,)
    assert read_link(key, "anmelden", token, app.clock.now()) is None  # another purpose

    _, by_mail = await progress(app.uow(), actor_id=None, announcement_id=sent.id, platform="email")
    _, everything = await progress(app.uow(), actor_id=None, announcement_id=sent.id)
    assert (by_mail.total, everything.total) == (3, 7)  # "both" counts on each channel


async def test_the_calendar_entry_follows_registration_move_and_cancellation(any_app: App):
    app = any_app
    mail_hub(app)
    anna = await factories.person(app, "Anna Bäcker")
    await link(app, anna, Platform.TELEGRAM, "77")
    await confirmed(app, anna, "anna@kreis.example")
    event = await factories.event(app, title="Netzwerktreffen Köln", capacity=10)

    # Chat first: the chat confirms the signup, no invitation mail.
    await sign_up(app.uow(), person_id=anna.id, event_id=event.id, now=app.clock.now())
    await cancel_signup(app.uow(), person_id=anna.id, event_id=event.id, now=app.clock.now())
    assert len(await mails(app)) == 1  # the address confirmation

    await set_channel(
        app.uow(), actor_id=None, person_id=anna.id, channel=Channel.EMAIL, now=app.clock.now()
    )
    await sign_up(app.uow(), person_id=anna.id, event_id=event.id, now=app.clock.now())
    invitation = (await mails(app))[-1]
    assert invitation["subject"] == "Anmeldung bestätigt: Netzwerktreffen Köln"
    assert invitation["calendar"]["method"] == "REQUEST"
    first = Calendar.from_ical(invitation["calendar"]["ics"])
    assert first["method"] == "REQUEST"
    (vevent,) = first.walk("VEVENT")
    assert str(vevent["uid"]) == f"event-{event.id}@engagiert-bot"
    attendee = vevent["attendee"]
    assert str(attendee) == "mailto:anna@kreis.example"
    assert attendee.params["RSVP"] == "FALSE"
    assert "Abmelden über den Link in dieser Mail" in str(vevent["description"])
    assert "/e/abmelden/" in invitation["text"]

    moved = await change_event(
        app.uow(),
        actor_id=None,
        event_id=event.id,
        changes={"starts_at": event.starts_at + timedelta(days=1)},
        now=app.clock.now(),
    )
    update = (await mails(app))[-1]
    assert update["calendar"]["method"] == "REQUEST"
    (changed,) = Calendar.from_ical(update["calendar"]["ics"]).walk("VEVENT")
    assert int(changed["sequence"]) > int(vevent["sequence"])
    assert changed.decoded("dtstart") == moved.starts_at

    await cancel_event(app.uow(), actor_id=None, event_id=event.id, now=app.clock.now())
    cancellation = (await mails(app))[-1]
    assert cancellation["calendar"]["method"] == "CANCEL"
    (gone,) = Calendar.from_ical(cancellation["calendar"]["ics"]).walk("VEVENT")
    assert str(gone["status"]) == "CANCELLED"
    assert int(gone["sequence"]) >= int(changed["sequence"])
    assert "/e/abmelden/" not in cancellation["text"]  # nothing left to cancel
    assert await chats(app) == []  # e-mail first: nothing of it in the chat


async def test_addresses_are_exported_and_erased_with_the_person(app: App):
    mail_hub(app)
    anna = await factories.person(app, "Anna Bäcker")
    await confirmed(app, anna, "anna@kreis.example")
    data = await export_person_data(app.uow(), person_id=anna.id, now=app.clock.now())
    (row,) = data["daten"]["email_addresses"]["eintraege"]
    assert row["address"] == "anna@kreis.example"
    assert "pending_token_hash" not in row
    mails_to_her = [m for m in data["daten"]["outbox"]["eintraege"] if m["platform"] == "email"]
    assert mails_to_her  # the confirmation mail, addressed to her
    await erase_person(app.uow(), person_id=anna.id, now=app.clock.now())
    assert await mails(app) == []
    assert await address_of(app.uow(), person_id=anna.id) is None


async def test_the_email_command_as_people_type_it(app: App):
    from pydantic import SecretStr

    from tests.support.chat import say_text

    mail_hub(app)
    app.settings.smtp_url = SecretStr("smtp://127.0.0.1:2525")
    anna = await factories.person(app, "Anna Bäcker")
    assert "Keine E-Mail-Adresse hinterlegt" in await say_text(app, anna, "/email")
    refused = await say_text(app, anna, "/email anna.baecker@kreis")
    assert "keine gültige E-Mail-Adresse" in refused
    assert await address_of(app.uow(), person_id=anna.id) is None
    umlaut = await say_text(app, anna, "/email Anna.Bäcker@Kreis-Beispiel.de")
    assert "Meinten Sie Anna.Baecker@Kreis-Beispiel.de?" in umlaut
    sent = await say_text(app, anna, "/email Anna.Baecker@Kreis-Beispiel.de")
    assert "Bestätigungslink an Anna.Baecker@kreis-beispiel.de" in sent
    assert "Wartet auf Bestätigung" in await say_text(app, anna, "/email")
    later = await say_text(app, anna, "/email kanal E-Mail")
    assert "sobald Ihre Adresse bestätigt ist" in later
    assert await confirm_address(
        app.uow(), token=await confirm_token(app, anna), now=app.clock.now()
    )
    status = await say_text(app, anna, "/email")
    assert "Anna.Baecker@kreis-beispiel.de (bestätigt)" in status
    assert "per E-Mail" in status
    assert "Infomails" in await say_text(app, anna, "/email infomails aus")
    assert "abbestellt" in await say_text(app, anna, "/email")
    assert "So geht es" in await say_text(app, anna, "/email kanal fax")
    assert "gelöscht" in await say_text(app, anna, "/email löschen")
    assert await address_of(app.uow(), person_id=anna.id) is None


async def test_without_smtp_the_email_command_says_so_and_stores_nothing(app: App):
    from tests.support.chat import say_text

    anna = await factories.person(app)
    assert "nicht eingerichtet" in await say_text(app, anna, "/email anna@kreis.example")
    assert await address_of(app.uow(), person_id=anna.id) is None


async def test_nobody_can_make_the_bot_send_mail_after_mail(app: App):
    """One confirmation mail per person in five minutes when they ask themselves; guests
    cannot give an address at all (a chat account anybody can make)."""
    from core.domain.errors import NotAllowed

    mail_hub(app)
    anna = await factories.person(app)
    ask = dict(actor_id=anna.id, person_id=anna.id, now=app.clock.now())
    await request_address(app.uow(), address="opfer@example.org", **ask)
    for address in ("opfer@example.org", "Opfer@example.org", "opfer+1@example.org"):
        with pytest.raises(DomainError) as waiting:
            await request_address(app.uow(), address=address, **ask)
        assert waiting.value.code == "email_wait"
    assert len(await mails(app)) == 1
    app.clock.advance(timedelta(minutes=5))
    await request_address(
        app.uow(),
        actor_id=anna.id,
        person_id=anna.id,
        address="anna@kreis.example",
        now=app.clock.now(),
    )
    assert len(await mails(app)) == 2

    async with app.uow() as uow:
        guest = await uow.persons.add(
            Person("Gast", is_guest=True, self_registered=True, created_at=app.clock.now())
        )
        await uow.commit()
    with pytest.raises(NotAllowed) as refused:
        await request_address(
            app.uow(),
            actor_id=guest.id,
            person_id=guest.id,
            address="x@example.org",
            now=app.clock.now(),
        )
    assert refused.value.code == "email_guest"
    assert len(await mails(app)) == 2


async def test_a_bounced_confirmation_shows_where_the_office_looks(app: App):
    """A typo in a new address: its confirmation mail is refused (550) at once; the office
    sees it with the server's answer, and the person is told in ``/email``."""
    from core.mail import mark_undeliverable, undeliverable_addresses
    from tests.support.chat import say_text

    mail_hub(app)
    from pydantic import SecretStr

    app.settings.smtp_url = SecretStr("smtp://127.0.0.1:2525")  # e-mail on for the chat
    rita = await factories.person(app, "Rita Vertipper")
    await request_address(
        app.uow(),
        actor_id=None,
        person_id=rita.id,
        address="rita@kreis-bergn.de",
        now=app.clock.now(),
    )
    problem = "550 5.1.1 User unknown"
    assert await mark_undeliverable(
        app.uow(), address="Rita@Kreis-Bergn.de", problem=problem, now=app.clock.now()
    )
    (found,) = await undeliverable_addresses(app.uow(), actor_id=None)
    assert (found.name, found.address, found.problem, found.pending) == (
        "Rita Vertipper",
        "rita@kreis-bergn.de",
        problem,
        True,
    )
    assert "Bestätigungsmail kam zurück" in await say_text(app, rita, "/email")


async def test_whoever_unsubscribed_is_not_counted_as_unreachable(app: App):
    from bot.delivery import reason

    mail_hub(app)
    town = await factories.member(app)
    olga = await factories.person(app, "Olga Ohnechat", member=town)
    await confirmed(app, olga, "olga@kreis.example")
    await unsubscribe(app.uow(), person_id=olga.id)
    await announce(
        app.uow(),
        actor_id=None,
        text="Hallo",
        audience=Audience(AudienceKind.ALL),
        now=app.clock.now(),
        subject="Info",
    )
    async with app.database.engine.connect() as conn:
        query = notifications.select().where(notifications.c.key == "announcement")
        (row,) = await conn.execute(query)
    assert reason(row.last_error) == "declined"


async def test_nobody_is_invited_to_an_event_that_is_cancelled(app: App):
    from core.domain.errors import InvalidInput

    mail_hub(app)
    town = await factories.member(app)
    await factories.person(app, member=town)
    event = await factories.event(app)
    await cancel_event(app.uow(), actor_id=None, event_id=event.id, now=app.clock.now())
    with pytest.raises(InvalidInput) as closed:
        await announce(
            app.uow(),
            actor_id=None,
            text="Kommen Sie!",
            audience=Audience(AudienceKind.ALL),
            now=app.clock.now(),
            subject="Einladung",
            event_id=event.id,
        )
    assert closed.value.code == "announcement_event_closed"


async def test_an_invitation_mail_says_how_to_use_the_code_without_any_link(app: App):
    """Neither a Telegram username nor Matrix configured: the mail still says what to type."""
    from bot.invitation_mail import invitation_params
    from core.accounts import create_personal_invitation
    from core.mail import queue_invitation_mail

    mail_hub(app)
    eva = await factories.person(app, "Eva Einladung")
    created = await create_personal_invitation(
        app.uow(), actor_id=None, person_ref=str(eva.id), now=app.clock.now()
    )
    await queue_invitation_mail(
        app.uow(),
        actor_id=None,
        person_id=eva.id,
        address="eva@kreis.example",
        params=invitation_params(app.settings, created, ""),
    )
    (mail,) = await mails(app)
    assert mail["to"] == "eva@kreis.example"
    assert f"/start p_{created.code}" in mail["text"]
    assert created.code in mail["subject"] or created.code in mail["text"]


async def test_a_calendar_entry_from_a_mail_follows_the_event_whatever_the_channel(any_app: App):
    """Chat first, but signed up from a mail: the invitation came by mail, so do the update
    and the cancellation (besides the chat), until the entry is gone."""
    app = any_app
    mail_hub(app)
    carla = await factories.person(app, "Carla Chat")
    await link(app, carla, Platform.TELEGRAM, "88")
    await confirmed(app, carla, "carla@kreis.example")
    event = await factories.event(app, title="Kurzformat Ehrenamt")
    await sign_up(
        app.uow(), person_id=carla.id, event_id=event.id, now=app.clock.now(), via_mail=True
    )
    assert (await mails(app))[-1]["calendar"]["method"] == "REQUEST"

    await change_event(
        app.uow(),
        actor_id=None,
        event_id=event.id,
        changes={"starts_at": event.starts_at + timedelta(hours=2)},
        now=app.clock.now(),
    )
    update = (await mails(app))[-1]
    assert update["subject"] == "Geändert: Kurzformat Ehrenamt"
    assert update["calendar"]["method"] == "REQUEST"
    assert await chats(app) == ["88"]  # the chat is told as well

    await cancel_signup(app.uow(), person_id=carla.id, event_id=event.id, now=app.clock.now())
    assert (await mails(app))[-1]["calendar"]["method"] == "CANCEL"
    count = len(await mails(app))
    await cancel_event(app.uow(), actor_id=None, event_id=event.id, now=app.clock.now())
    assert len(await mails(app)) == count  # no longer registered, no longer in her calendar


async def test_an_invitation_to_those_not_registered_is_named_by_its_event(app: App):
    mail_hub(app)
    town = await factories.member(app, "Gemeinde Öhringen")
    anna = await factories.person(app, "Anna Bäcker", member=town)
    await request_address(
        app.uow(),
        actor_id=None,
        person_id=anna.id,
        address="anna@oehringen.de",
        now=app.clock.now(),
    )
    await confirm_address(app.uow(), token=await confirm_token(app, anna), now=app.clock.now())
    event = await factories.event(app, title="Netzwerktreffen Süd")
    await announce(
        app.uow(),
        actor_id=None,
        text="Wir würden uns freuen, Sie zu sehen!",
        audience=Audience(AudienceKind.NOT_REGISTERED, str(event.id)),
        now=app.clock.now(),
    )
    invitation = (await mails(app))[-1]
    assert invitation["subject"].startswith("Einladung: Netzwerktreffen Süd am ")
    assert "https://bot.example/e/anmelden/" in invitation["text"]
