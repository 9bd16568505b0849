"""The pages behind the links in mails (``/e/…``): a GET shows one button and changes
nothing (mail scanners and link previews follow links), only the POST acts; the signed token
is the authorisation and is checked again on every request; no cookie is needed."""

from __future__ import annotations

import base64
import struct
from datetime import timedelta

import httpx

from bot.mail_compose import link_key
from bot.web import create_web_app
from core.domain.events import Audience
from core.domain.registrations import RegistrationStatus
from core.events import cancel_event
from core.mail import address_of, confirm_address, request_address, sign_link
from core.signup import sign_up
from tests.conftest import snapshot
from tests.support import factories


def client(app) -> httpx.AsyncClient:
    """A client without any cookie: what a mail program or a browser opening a link is."""
    transport = httpx.ASGITransport(app=create_web_app(app))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def confirmation_token(app, notifier, person, address: str) -> str:
    """Give ``person`` an address; the token of the confirmation link the bot mails."""
    await request_address(
        app.uow(), actor_id=None, person_id=person.id, address=address, now=app.clock.now()
    )
    sent = [n for n in notifier.sent if n.person_id == person.id and n.key == "email_confirm"]
    return sent[-1].params["token"]


async def with_address(app, notifier, name: str, address: str):
    """A person with a confirmed address."""
    person = await factories.person(app, name)
    token = await confirmation_token(app, notifier, person, address)
    await confirm_address(app.uow(), token=token, now=app.clock.now())
    return person


def token(app, purpose: str, ids: tuple[int, ...], expires=None) -> str:
    return sign_link(link_key(app.database.pepper), purpose, ids, expires)


def link(app, purpose: str, ids: tuple[int, ...], expires=None) -> str:
    return f"/e/{purpose}/{token(app, purpose, ids, expires)}"


async def registrations(app, person_id: int) -> list[RegistrationStatus]:
    async with app.uow() as uow:
        views = await uow.registrations.for_person(person_id, active_only=True)
    return [v.registration.status for v in views]


def assert_page(response: httpx.Response, status: int, *texts: str) -> None:
    """A German page of ours with the desk's headers, ``status`` and every one of ``texts``."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="de">' in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert response.text.count("<h1>") == 1
    for text in texts:
        assert text in response.text, (text, response.text)


# --- double opt-in -----------------------------------------------------------------------------


async def test_the_confirmation_link_confirms_only_when_the_button_is_pressed(any_app, notifier):
    app = any_app
    anna = await factories.person(app, "Anna Amt")
    secret = await confirmation_token(app, notifier, anna, "anna@kreis-beispiel.de")
    path = f"/e/bestaetigen/{secret}"
    async with client(app) as web:
        before = await snapshot(app.database)
        shown = await web.get(path)  # a link preview: only the button, nothing confirmed
        assert_page(shown, 200, "E-Mail-Adresse bestätigen", "Adresse bestätigen</button>")
        assert '<form method="post">' in shown.text
        assert "anna@" not in shown.text and secret not in shown.text  # names nothing secret
        assert await snapshot(app.database) == before
        assert (await address_of(app.uow(), person_id=anna.id)).confirmed_at is None

        done = await web.post(path)
        assert_page(done, 200, "Ihre Adresse anna@kreis-beispiel.de ist bestätigt.")
        email = await address_of(app.uow(), person_id=anna.id)
        assert email.usable == "anna@kreis-beispiel.de" and email.confirmed_at == app.clock.now()
        assert email.pending_address is None

        again = await web.post(path)  # the link works once
        assert_page(again, 410, "ungültig, abgelaufen oder schon benutzt")
        assert_page(await web.get("/e/bestaetigen/" + "x" * 201), 404)
        assert_page(await web.post("/e/bestaetigen/" + "x" * 201), 404)
        assert_page(await web.post("/e/bestaetigen/erfunden"), 410, "ungültig")


async def test_a_confirmation_link_older_than_a_week_confirms_nothing(app, notifier, clock):
    bea = await factories.person(app, "Bea Bürgerschaft")
    secret = await confirmation_token(app, notifier, bea, "bea@kreis-beispiel.de")
    clock.advance(timedelta(days=7, seconds=1))
    async with client(app) as web:
        assert_page(await web.post(f"/e/bestaetigen/{secret}"), 410, "abgelaufen")
    email = await address_of(app.uow(), person_id=bea.id)
    assert email.confirmed_at is None and email.pending_address == "bea@kreis-beispiel.de"


# --- unsubscribing -----------------------------------------------------------------------------


async def test_one_click_unsubscribe_works_without_cookies_and_twice(any_app, notifier):
    app = any_app
    anna = await with_address(app, notifier, "Anna Amt", "anna@kreis-beispiel.de")
    bea = await with_address(app, notifier, "Bea Bürgerschaft", "bea@kreis-beispiel.de")
    path = link(app, "abbestellen", (anna.id,))
    async with client(app) as web:
        before = await snapshot(app.database)
        shown = await web.get(path)
        assert_page(shown, 200, "Infomails abbestellen</button>", "E-Mail-Adresse ganz löschen")
        assert 'name="aktion" value="loeschen"' in shown.text
        assert "anna@" not in shown.text
        assert await snapshot(app.database) == before

        # RFC 8058 §3.1: the mail program POSTs exactly this, urlencoded, nothing else.
        one_click = await web.post(path, data={"List-Unsubscribe": "One-Click"})
        assert_page(one_click, 200, "Sie erhalten keine Infomails mehr.")
        assert "Termin-Benachrichtigungen kommen weiter" in one_click.text
        email = await address_of(app.uow(), person_id=anna.id)
        assert email.announcements is False and email.usable == "anna@kreis-beispiel.de"
        again = await web.post(path, data={"List-Unsubscribe": "One-Click"})
        assert_page(again, 200, "Sie erhalten keine Infomails mehr.")
        assert not web.cookies

        # ... or as multipart/form-data, which RFC 8058 allows as well.
        multipart = await web.post(
            link(app, "abbestellen", (bea.id,)), files={"List-Unsubscribe": (None, "One-Click")}
        )
        assert multipart.request.headers["content-type"].startswith("multipart/form-data")
        assert_page(multipart, 200, "Sie erhalten keine Infomails mehr.")
        assert (await address_of(app.uow(), person_id=bea.id)).announcements is False


async def test_forged_links_unsubscribe_no_one_and_the_second_button_deletes(any_app, notifier):
    app = any_app
    anna = await with_address(app, notifier, "Anna Amt", "anna@kreis-beispiel.de")
    path = link(app, "abbestellen", (anna.id,))
    forged = [
        f"/e/abbestellen/{token(app, 'anmelden', (anna.id,))}",  # another purpose
        f"/e/abbestellen/{token(app, 'abmelden', (anna.id, 1))}",
        f"/e/abbestellen/{sign_link(b'k' * 32, 'abbestellen', (anna.id,), None)}",  # other key
        f"/e/abbestellen/{tampered(token(app, 'abbestellen', (anna.id,)), anna.id + 1)}",
        "/e/abbestellen/erfunden",
        "/e/abbestellen/" + "A" * 201,
    ]
    async with client(app) as web:
        before = await snapshot(app.database)
        for forgery in forged:
            assert_page(await web.get(forgery), 404, "Dieser Link ist ungültig.")
            refused = await web.post(forgery, data={"List-Unsubscribe": "One-Click"})
            assert_page(refused, 404, "Dieser Link ist ungültig.")
            deleted = await web.post(forgery, data={"aktion": "loeschen"})
            assert_page(deleted, 404)
        assert await snapshot(app.database) == before

        gone = await web.post(path, data={"aktion": "loeschen"})
        assert_page(gone, 200, "Ihre E-Mail-Adresse ist gelöscht")
        assert await address_of(app.uow(), person_id=anna.id) is None
        again = await web.post(path, data={"aktion": "loeschen"})
        assert_page(again, 200, "keine E-Mail-Adresse (mehr) gespeichert")


def tampered(signed: str, person_id: int, index: int = 0) -> str:
    """``signed`` with its ``index``-th id replaced and its signature kept."""
    raw = bytearray(base64.urlsafe_b64decode(signed + "=" * (-len(signed) % 4)))
    start = 8 + 8 * index
    raw[start : start + 8] = struct.pack(">Q", person_id)
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


# --- signing up and withdrawing ------------------------------------------------------------------


async def test_signing_up_from_a_mail_takes_the_button_and_happens_once(any_app, notifier):
    app = any_app
    anna = await with_address(app, notifier, "Anna Amt", "anna@kreis-beispiel.de")
    event = await factories.event(app, title="Netzwerktreffen Köln", capacity=10)
    path = link(app, "anmelden", (anna.id, event.id), event.ends_at)
    when = app.translator.datetime("de", event.starts_at)
    async with client(app) as web:
        before = await snapshot(app.database)
        shown = await web.get(path)
        assert_page(shown, 200, "Anmelden: Netzwerktreffen Köln", "Verbindlich anmelden</button>")
        assert when in shown.text and "10 von 10 frei" in shown.text
        assert await snapshot(app.database) == before
        assert await registrations(app, anna.id) == []

        done = await web.post(path)
        assert_page(done, 200, "Sie sind für „Netzwerktreffen Köln“ verbindlich angemeldet")
        assert await registrations(app, anna.id) == [RegistrationStatus.CONFIRMED]
        assert "registered" in notifier.keys_for(anna.id)  # the mail with the invitation

        again = await web.post(path)
        assert_page(again, 409, "Sie sind für „Netzwerktreffen Köln“ bereits angemeldet.")
        assert await registrations(app, anna.id) == [RegistrationStatus.CONFIRMED]
        shown_again = await web.get(path)  # says so before any button
        assert_page(shown_again, 409, "bereits angemeldet")
        assert "</button>" not in shown_again.text

        # The purpose is signed: an "abmelden" token does nothing at the "anmelden" page.
        withdraw_token = token(app, "abmelden", (anna.id, event.id), event.ends_at)
        assert_page(await web.post(f"/e/anmelden/{withdraw_token}"), 404, "/anmelden NR")

        # The result page links to the withdrawal page (a GET: nothing withdrawn).
        withdraw = f"/e/abmelden/{withdraw_token}"
        assert f'href="{withdraw}"' in done.text
        page = await web.get(withdraw)
        assert_page(page, 200, "Abmelden: Netzwerktreffen Köln", "Abmelden</button>")
        assert "sind angemeldet" in page.text
        assert await registrations(app, anna.id) == [RegistrationStatus.CONFIRMED]

        out = await web.post(withdraw)
        assert_page(out, 200, "Sie sind von „Netzwerktreffen Köln“", "abgemeldet")
        assert await registrations(app, anna.id) == []
        assert "unregistered" in notifier.keys_for(anna.id)
        twice = await web.post(withdraw)
        assert_page(twice, 409, "Sie sind für „Netzwerktreffen Köln“ nicht angemeldet.")
        assert_page(await web.get(withdraw), 409, "nicht angemeldet")


async def test_a_full_event_puts_the_person_on_the_waiting_list(any_app, notifier):
    app = any_app
    event = await factories.event(app, title="Strategieworkshop", capacity=1)
    first = await factories.person(app, "Erika Erste")
    await sign_up(app.uow(), person_id=first.id, event_id=event.id, now=app.clock.now())
    anna = await with_address(app, notifier, "Anna Amt", "anna@kreis-beispiel.de")
    path = link(app, "anmelden", (anna.id, event.id), event.ends_at)
    async with client(app) as web:
        assert_page(await web.get(path), 200, "ausgebucht", "Warteliste")
        done = await web.post(path)
        assert_page(done, 200, "Auf der Warteliste", "auf Platz 1")
        assert await registrations(app, anna.id) == [RegistrationStatus.WAITLISTED]
        assert "waitlisted" in notifier.keys_for(anna.id)
        withdraw = link(app, "abmelden", (anna.id, event.id), event.ends_at)
        assert_page(await web.get(withdraw), 200, "stehen auf der Warteliste, auf Platz 1")
        out = await web.post(withdraw)
        assert_page(out, 200, "nicht mehr auf der Warteliste für „Strategieworkshop“")
    assert await registrations(app, first.id) == [RegistrationStatus.CONFIRMED]


async def test_a_hybrid_event_is_signed_up_for_with_the_mode_button_pressed(app, notifier):
    event = await factories.event(
        app,
        title="Netzwerktreffen",
        place="Rathaus Köln",
        capacity=1,
        video_url="https://meet.example.org/n",
        online_capacity=5,
    )
    anna = await with_address(app, notifier, "Anna Amt", "anna@kreis-beispiel.de")
    path = link(app, "anmelden", (anna.id, event.id), event.ends_at)
    async with client(app) as web:
        shown = await web.get(path)
        assert_page(shown, 200, "Plätze vor Ort", "1 von 1 frei", "Plätze online", "5 von 5")
        assert 'name="modus" value="vor_ort"' in shown.text
        assert 'name="modus" value="online"' in shown.text
        before = await snapshot(app.database)
        # A POST without a mode (a scanner, a garbled form) signs no one up.
        assert_page(await web.post(path), 409, "vor Ort und online statt")
        assert await snapshot(app.database) == before
        done = await web.post(path, data={"modus": "online"})
        assert_page(done, 200, "verbindlich angemeldet")
        withdraw = link(app, "abmelden", (anna.id, event.id), event.ends_at)
        assert_page(await web.get(withdraw), 200, "sind angemeldet (online)")
    (registered,) = [n for n in notifier.sent if n.key == "registered"]
    assert registered.params["mode"] == "online"


async def test_expired_tampered_and_foreign_tokens_are_refused(any_app, notifier, clock):
    app = any_app
    anna = await with_address(app, notifier, "Anna Amt", "anna@kreis-beispiel.de")
    bea = await with_address(app, notifier, "Bea Bürgerschaft", "bea@kreis-beispiel.de")
    event = await factories.event(app, title="Kurzformat Ehrenamt", capacity=5)
    annas = token(app, "anmelden", (anna.id, event.id), event.ends_at)
    for_bea = tampered(annas, bea.id)  # one byte of the person changed, signature kept
    assert for_bea != annas
    other_event = tampered(annas, event.id + 1, index=1)
    soon = token(app, "anmelden", (anna.id, event.id), clock.now() + timedelta(hours=1))
    async with client(app) as web:
        before = await snapshot(app.database)
        for bad in (for_bea, other_event, annas[:-2], annas + "A", "x" * 201):
            assert_page(await web.get(f"/e/anmelden/{bad}"), 404, "ungültig oder abgelaufen")
            assert_page(await web.post(f"/e/anmelden/{bad}"), 404, "/anmelden NR")
            assert_page(await web.post(f"/e/abmelden/{bad}"), 404, "/abmelden NR")
        clock.advance(timedelta(hours=1, seconds=1))  # the link ended; the event is still open
        assert_page(await web.get(f"/e/anmelden/{soon}"), 410, "ungültig oder abgelaufen")
        assert_page(await web.post(f"/e/anmelden/{soon}"), 410, "/anmelden NR")
        clock.current = event.ends_at + timedelta(seconds=1)  # the mail's own link ended too
        assert_page(await web.post(f"/e/anmelden/{annas}"), 410, "ungültig oder abgelaufen")
        assert await snapshot(app.database) == before


async def test_what_the_core_refuses_is_said_in_german_and_changes_nothing(app, notifier, clock):
    anna = await with_address(app, notifier, "Anna Amt", "anna@kreis-beispiel.de")
    cancelled = await factories.event(app, title="Abgesagtes Treffen")
    await cancel_event(app.uow(), actor_id=None, event_id=cancelled.id, now=clock.now())
    members_only = await factories.event(app, title="Nur Mitglieder", audience=Audience.MEMBERS)
    closed = await factories.event(app, title="Spitzentreffen", days=7, deadline_days=1)
    async with client(app) as web:
        before = await snapshot(app.database)
        path = link(app, "anmelden", (anna.id, cancelled.id), cancelled.ends_at)
        assert_page(await web.get(path), 410, "„Abgesagtes Treffen“ wurde abgesagt")
        assert_page(await web.post(path), 410, "Anmeldung nicht möglich", "wurde abgesagt")
        # an event the person may not see: as if the link were invalid, its title not named
        path = link(app, "anmelden", (anna.id, members_only.id), members_only.ends_at)
        for response in (await web.get(path), await web.post(path)):
            assert_page(response, 404, "ungültig oder abgelaufen")
            assert "Nur Mitglieder" not in response.text
        clock.advance(timedelta(days=2))  # the registration deadline has passed
        path = link(app, "anmelden", (anna.id, closed.id), closed.ends_at)
        assert_page(await web.post(path), 410, "Die Anmeldefrist für „Spitzentreffen“")
        assert await snapshot(app.database) == before


async def test_other_methods_and_addresses_under_e_answer_in_german(app):
    async with client(app) as web:
        assert_page(await web.get("/e/gibt-es-nicht"), 404, "Diese Seite gibt es nicht.")
        refused = await web.put(link(app, "abbestellen", (1,)))
        assert_page(refused, 405, "Nicht erlaubt")
        assert refused.headers["allow"] == "GET, HEAD, POST"
        assert_page(await web.delete("/e/bestaetigen/abc"), 405)
        checked = await web.head(link(app, "abbestellen", (1,)))  # some link checkers ask so
        assert checked.status_code == 200 and checked.headers["cache-control"] == "no-store"
