"""E-mail on the desk: a person's address (double opt-in), its removal and their channel,
invitations and announcements by e-mail, the refused addresses and the settings at
``/admin/email``; organizers only, and a plain "not set up" without ``ENGAGIERT_SMTP_URL``."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from pydantic import SecretStr

from bot.app import App
from bot.mail_compose import MailSetup, link_key
from bot.notifications import NotificationHub
from core.accounts import change_roles
from core.domain.mail import Channel
from core.domain.people import Person, Role
from core.mail import confirm_address, mark_undeliverable, request_address, unsubscribe
from tests.integration.test_desk_announcements import hidden
from tests.integration.test_desk_people import csrf, text_of
from tests.support import factories
from tests.support.desk import signed_in

SENDER = "Netzwerk <n@example.org>"


def mail_on(app: App, url: str = "smtp://127.0.0.1:2525") -> None:
    app.settings.smtp_url = SecretStr(url)
    app.settings.mail_from = SENDER


async def confirmed(app: App, person: Person, address: str) -> None:
    """``address`` given and confirmed through the link of its confirmation notice."""
    await request_address(
        app.uow(), actor_id=None, person_id=person.id, address=address, now=app.clock.now()
    )
    token = [n for n in app.notifier.sent if n.key == "email_confirm"][-1].params["token"]
    await confirm_address(app.uow(), token=token, now=app.clock.now())


async def audited(app: App, person: Person) -> list[tuple[str, dict]]:
    async with app.uow() as uow:
        entries = await uow.audit.latest(50)
    mail = ("person.email_changed", "person.email_removed", "person.channel_changed")
    return [
        (e.action, e.details)
        for e in entries
        if e.subject == f"person:{person.id}" and e.action in mail
    ]


async def test_the_office_gives_an_address_which_waits_for_its_confirmation(any_app: App):
    app = any_app
    mail_on(app)
    auen = await factories.member(app, "Stadt Auenburg")
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    anna = await factories.person(app, "Anna Amt", member=auen)
    page_of = f"/admin/personen/{anna.id}"
    async with await signed_in(app, olga) as desk:
        page = await desk.get(page_of)
        assert page.status_code == 200 and "E-Mail-Adresse keine" in text_of(page.text)
        assert "<dt>Benachrichtigungen</dt><dd>im Chat (" in page.text
        token = csrf(page.text)

        # A typo: the German message by the field, nothing stored, nothing sent.
        for typed, said in (
            ("anna.amt-auenburg.de", "ist keine gültige E-Mail-Adresse"),
            ("jürgen@auenburg.de", "Meinten Sie juergen@auenburg.de?"),
        ):
            bad = await desk.post(f"{page_of}/email", data={"csrf": token, "email": typed})
            assert bad.status_code == 422, typed
            assert 'id="email-fehler"' in bad.text and said in text_of(bad.text)
            assert 'aria-invalid="true" aria-describedby="email-fehler"' in bad.text
            assert f'value="{typed}"' in bad.text  # what was typed stays
        async with app.uow() as uow:
            assert await uow.emails.get(anna.id) is None
        assert app.notifier.sent == []

        sent = await desk.post(
            f"{page_of}/email", data={"csrf": token, "email": " Anna.Amt@Auenburg.DE "}
        )
        assert sent.status_code == 303 and sent.headers["location"] == f"{page_of}?bestaetigung"
        assert "Anna" not in sent.headers["location"]  # the address stays out of the URL
        [notice] = app.notifier.sent
        assert (notice.person_id, notice.key) == (anna.id, "email_confirm")
        assert notice.params["address"] == "Anna.Amt@auenburg.de"
        async with app.uow() as uow:
            waiting = await uow.emails.get(anna.id)
        assert waiting.pending_address == "Anna.Amt@auenburg.de" and waiting.usable is None
        shown = text_of((await desk.get(sent.headers["location"])).text)
        assert (
            "Bestätigungslink an Anna.Amt@auenburg.de geschickt; "
            "erst nach der Bestätigung geht Post dorthin."
        ) in shown
        assert "Wartet auf Bestätigung Anna.Amt@auenburg.de" in shown
        listed = await desk.get("/admin/personen")
        assert re.search(
            r"Anna Amt</a></td><td>Stadt Auenburg</td><td></td><td>wartet<", listed.text
        )

        # Confirmed (by the link in the mail): the address counts; giving it again is no news.
        await confirm_address(app.uow(), token=notice.params["token"], now=app.clock.now())
        assert "Anna.Amt@auenburg.de (bestätigt)" in text_of((await desk.get(page_of)).text)
        assert "✓ bestätigt" in (await desk.get("/admin/personen")).text
        again = await desk.post(
            f"{page_of}/email", data={"csrf": token, "email": "Anna.Amt@auenburg.de"}
        )
        assert again.headers["location"] == f"{page_of}?bekannt"
        assert (
            "ist schon die bestätigte Adresse" in (await desk.get(again.headers["location"])).text
        )
        assert len(app.notifier.sent) == 1

        # The channel.
        odd = await desk.post(f"{page_of}/kanal", data={"csrf": token, "channel": "brieftaube"})
        assert odd.status_code == 422 and 'id="channel-fehler"' in odd.text
        chosen = await desk.post(f"{page_of}/kanal", data={"csrf": token, "channel": "email"})
        assert chosen.status_code == 303
        async with app.uow() as uow:
            assert (await uow.preferences.get(anna.id)).channel is Channel.EMAIL
        page = await desk.get(chosen.headers["location"])
        assert (
            "Gespeichert." in page.text
            and "<dt>Benachrichtigungen</dt><dd>per E-Mail<" in page.text
        )
        assert '<option value="email" selected>' in page.text
        await desk.post(f"{page_of}/kanal", data={"csrf": token, "channel": "email"})  # no change

        # Removing asks first.
        question = await desk.get(f"{page_of}/email/loeschen")
        assert question.status_code == 200
        assert "Soll die E-Mail-Adresse Anna.Amt@auenburg.de von Anna Amt gelöscht" in (
            text_of(question.text)
        )
        removed = await desk.post(f"{page_of}/email/loeschen", data={"csrf": csrf(question.text)})
        assert removed.headers["location"] == f"{page_of}?email-geloescht"
        page = text_of((await desk.get(removed.headers["location"])).text)
        assert "Die E-Mail-Adresse ist gelöscht." in page and "E-Mail-Adresse keine" in page
        assert (await desk.get(f"{page_of}/email/loeschen")).status_code == 303  # none left
    async with app.uow() as uow:
        assert await uow.emails.get(anna.id) is None
    # Noted like the person's other changes, without the address itself.
    assert await audited(app, anna) == [
        ("person.email_removed", {}),
        ("person.channel_changed", {"channel": "email"}),
        ("person.email_changed", {}),
    ]


async def test_a_personal_invitation_goes_by_mail_too(any_app: App):
    app = any_app
    mail_on(app)
    app.settings.telegram_bot_username = "engagiert_bot"
    app.settings.matrix_user_id = "@engagiert-bot:example.org"
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    eva = await factories.person(app, "Eva Engagiert")
    bea = await factories.person(app, "Bea Bürgerschaft")
    async with await signed_in(app, olga) as desk:
        page = await desk.get(f"/admin/personen/{bea.id}")
        assert "auch per E-Mail" not in page.text  # without a confirmed address
        token = csrf(page.text)
        # A stale form for a person without an address: nothing created, the reason by it.
        missing = await desk.post(
            f"/admin/personen/{bea.id}/einladung", data={"csrf": token, "per_email": "1"}
        )
        assert missing.status_code == 422 and 'id="per_email-fehler"' in missing.text
        assert "keine bestätigte E-Mail-Adresse" in missing.text

        await confirmed(app, eva, "eva@auenburg.de")
        page = await desk.get(f"/admin/personen/{eva.id}")
        assert "auch per E-Mail an eva@auenburg.de schicken" in page.text
        invited = await desk.post(
            f"/admin/personen/{eva.id}/einladung", data={"csrf": token, "per_email": "1"}
        )
        assert invited.status_code == 200
        assert "Die Einladung geht auch per E-Mail an eva@auenburg.de." in invited.text
        code = re.search(r"<code>([A-Z0-9]{10})</code>", invited.text)[1]
    [mail] = [n for n in app.notifier.sent if n.key == "invitation_mail"]
    assert mail.person_id == eva.id
    params = {k: v for k, v in mail.params.items() if k != "expires_at"}
    assert params == {
        "name": "Eva Engagiert",
        "code": code,
        "telegram_url": f"https://t.me/engagiert_bot?start=p_{code}",
        "mxid": "@engagiert-bot:example.org",
        "matrix_command": f"!start p_{code}",
        "start_command": f"/start p_{code}",
        "address": "eva@auenburg.de",
    }
    assert mail.params["expires_at"] == app.clock.now() + timedelta(days=14)
    async with app.uow() as uow:
        created = [
            e.subject for e in await uow.audit.latest(50) if e.action == "invitation.created"
        ]
    assert created == [f"person:{eva.id}"]  # Bea's stale form created no code


async def test_refused_addresses_on_the_person_page_and_the_settings_page(any_app: App):
    app = any_app
    mail_on(app, "smtp://bot%40netzwerk.example:Pw-geheim-4711@mail.netzwerk.example:587")
    app.settings.mail_reply_to = "Netzwerkbüro <buero@example.org>"
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    anna = await factories.person(app, "Anna Amt")
    bernd = await factories.person(app, "Bernd Bergen")
    await confirmed(app, anna, "anna@auenburg.de")
    await confirmed(app, bernd, "bernd@bergen.de")
    await unsubscribe(app.uow(), person_id=bernd.id)
    problem = "550 5.1.1 <anna@auenburg.de>: Recipient address rejected: User unknown"
    await mark_undeliverable(
        app.uow(), address="anna@auenburg.de", problem=problem, now=app.clock.now()
    )
    async with await signed_in(app, olga) as desk:
        page = html.unescape(text_of((await desk.get(f"/admin/personen/{anna.id}")).text))
        assert f"anna@auenburg.de – vom Mailserver abgelehnt: {problem}" in page
        assert "Infomails abbestellt" in text_of(
            (await desk.get(f"/admin/personen/{bernd.id}")).text
        )
        listed = text_of((await desk.get("/admin/personen")).text)
        assert "Anna Amt abgelehnt" in listed and "Bernd Bergen ✓ bestätigt" in listed

        settings = await desk.get("/admin/email")
        assert settings.status_code == 200
        shown = html.unescape(text_of(settings.text))
        for fact in (
            "Server mail.netzwerk.example",
            "Port 587",
            "Verschlüsselung STARTTLS (verlangt)",
            "Benutzername bot@netzwerk.example",
            f"Absender {SENDER}",
            "Antworten an (Reply-To) Netzwerkbüro <buero@example.org>",
            "Tempo höchstens 5 Mails je Sekunde",
            "Verbindungen 2 gleichzeitig",
        ):
            assert fact in shown, fact
        assert "Pw-geheim-4711" not in settings.text
        assert f'<a href="/admin/personen/{anna.id}">Anna Amt</a>' in settings.text
        assert "anna@auenburg.de" in settings.text and "User unknown" in settings.text
        assert "Bernd" not in settings.text
        nav = await desk.get("/admin")
        assert '<a href="/admin/email">E-Mail</a>' in nav.text

        app.settings.smtp_url = SecretStr("smtp://127.0.0.1:2525")
        local = text_of((await desk.get("/admin/email")).text)
        assert "STARTTLS wenn angeboten" in local and "keiner (ohne Anmeldung)" in local


async def test_only_organizers_change_addresses(app: App):
    mail_on(app)
    town = await factories.member(app, "Stadt Auenburg")
    lena = await factories.person(app, "Lena Landrätin", member=town, roles={Role.LEADERSHIP})
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    anna = await factories.person(app, "Anna Amt", member=town)
    await confirmed(app, anna, "anna@auenburg.de")
    sent_before = len(app.notifier.sent)
    async with await signed_in(app, lena) as desk:
        token = csrf((await desk.get("/admin")).text)
        base = f"/admin/personen/{anna.id}"
        for path, data in (
            ("/email", {"email": "lena@auenburg.de"}),
            ("/kanal", {"channel": "both"}),
            ("/email/loeschen", {}),
            ("/einladung", {"per_email": "1"}),
        ):
            refused = await desk.post(base + path, data={"csrf": token, **data})
            assert refused.status_code == 403, path
        for path in ("/admin/email", f"{base}/email/loeschen"):
            assert (await desk.get(path)).status_code == 403, path
        assert "/admin/email" not in (await desk.get("/admin")).text
    # An organizer who lost the role is refused at once, with the session still open.
    async with await signed_in(app, olga) as desk:
        token = csrf((await desk.get("/admin")).text)
        await change_roles(
            app.uow(),
            actor_id=None,
            person_ref=str(olga.id),
            remove=frozenset({Role.ORGANIZER}),
            now=app.clock.now(),
        )
        refused = await desk.post(f"/admin/personen/{anna.id}/email/loeschen", data={"csrf": token})
        assert refused.status_code == 403
    async with app.uow() as uow:
        email = await uow.emails.get(anna.id)
        assert email.usable == "anna@auenburg.de" and email.pending_address is None
        assert (await uow.preferences.get(anna.id)).channel is Channel.CHAT
    assert len(app.notifier.sent) == sent_before


async def test_an_announcement_with_subject_and_event_is_sent_as_previewed(any_app: App):
    app = any_app
    mail_on(app)
    auen = await factories.member(app, "Stadt Auenburg")
    anna = await factories.person(app, "Anna Amt", member=auen)
    await factories.person(app, "Bernd Bergen", member=auen)
    await confirmed(app, anna, "anna@auenburg.de")
    event = await factories.event(app, title="Netzwerktreffen Herbst")
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    async with await signed_in(app, olga) as desk:
        page = await desk.get("/admin/ankuendigungen")
        assert "Betreff (für E-Mails)" in page.text
        assert re.search(rf'<option value="{event.id}">Netzwerktreffen Herbst \(', page.text)
        token = hidden(page.text)["csrf"]
        draft = {"csrf": token, "audience": "all", "text": "Kommen Sie **vorbei**!"}
        too_long = await desk.post(
            "/admin/ankuendigungen/vorschau",
            data={**draft, "subject": "x" * 151, "event": "999"},
        )
        assert too_long.status_code == 422
        assert 'id="subject-fehler"' in too_long.text and "höchstens 150 Zeichen" in too_long.text
        assert 'id="event-fehler"' in too_long.text

        subject = "Einladung zum  Netzwerktreffen"
        preview = await desk.post(
            "/admin/ankuendigungen/vorschau",
            data={**draft, "subject": subject, "event": str(event.id)},
        )
        assert preview.status_code == 200
        shown = text_of(preview.text)
        assert "Betreff der E-Mails Einladung zum Netzwerktreffen" in shown
        assert "Lädt ein zu Netzwerktreffen Herbst" in shown
        form = hidden(preview.text)
        assert form["subject"] == "Einladung zum Netzwerktreffen" and form["event"] == str(event.id)
        changed = await desk.post("/admin/ankuendigungen/aendern", data=form)
        assert 'value="Einladung zum Netzwerktreffen"' in changed.text
        assert f'<option value="{event.id}" selected>' in changed.text
        for tampered in ({"subject": "Etwas anderes"}, {"event": ""}, {"event": "x"}):
            refused = await desk.post("/admin/ankuendigungen/senden", data={**form, **tampered})
            assert refused.status_code == 400, tampered
            assert "nicht die aus der Vorschau" in refused.text
        sent = await desk.post("/admin/ankuendigungen/senden", data=form)
        assert sent.status_code == 303
        announcement_id = int(sent.headers["location"].rsplit("/", 1)[1])
        async with app.uow() as uow:
            stored = await uow.announcements.get(announcement_id)
        assert (stored.subject, stored.event_id) == ("Einladung zum Netzwerktreffen", event.id)
        assert (
            "Betreff der E-Mails: Einladung zum Netzwerktreffen"
            in (await desk.get(sent.headers["location"])).text
        )

        # Anna gets it by mail (she has no chat), Bernd cannot be reached at all.
        setup = MailSetup("https://bot.example", link_key(app.database.pepper), SENDER)
        await NotificationHub(app.uow, app.translator, app.clock, mail=setup).deliver_due()
        follow = text_of((await desk.get(sent.headers["location"])).text)
        assert (
            "0 von 2 zugestellt, 1 nicht zustellbar (E-Mails: 0 von 1 zugestellt) – läuft noch."
        ) in follow
        async with app.uow() as uow:  # the SMTP side sent it
            [message] = await uow.outbox.claim_due(
                "email", app.clock.now(), 10, timedelta(minutes=1)
            )
            await uow.outbox.mark_sent(message.id, app.clock.now())
            await uow.commit()
        state = await desk.get(sent.headers["location"] + "/stand")
        assert state.json()["text"] == (
            "1 von 2 zugestellt, 1 nicht zustellbar (E-Mails: 1 von 1 zugestellt) – fertig."
        )


async def test_without_smtp_the_desk_says_e_mail_is_not_set_up(app: App):
    olga = await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    anna = await factories.person(app, "Anna Amt", member=await factories.member(app))
    async with await signed_in(app, olga) as desk:
        page = await desk.get(f"/admin/personen/{anna.id}")
        assert "E-Mail ist nicht eingerichtet (ENGAGIERT_SMTP_URL)" in page.text
        assert 'name="email"' not in page.text and 'name="channel"' not in page.text
        assert "auch per E-Mail" not in page.text
        token = csrf(page.text)
        for path, data in (
            ("/email", {"email": "anna@auenburg.de"}),
            ("/kanal", {"channel": "email"}),
        ):
            refused = await desk.post(
                f"/admin/personen/{anna.id}{path}", data={"csrf": token, **data}
            )
            assert refused.status_code == 400 and "nicht eingerichtet" in refused.text
        settings = await desk.get("/admin/email")
        assert settings.status_code == 200
        assert "E-Mail ist nicht eingerichtet (ENGAGIERT_SMTP_URL)" in settings.text
        assert "Server" not in text_of(settings.text)
        assert "Betreff" not in (await desk.get("/admin/ankuendigungen")).text
    async with app.uow() as uow:
        assert await uow.emails.get(anna.id) is None
    assert app.notifier.sent == []
