"""What people and operators type for mail: SMTP URLs, senders, addresses on a phone."""

from __future__ import annotations

import pytest

from bot.handlers.email import typed_address
from bot.smtp_url import parse_smtp_url
from core.domain.errors import DomainError
from core.mail import check_address, check_mailbox


@pytest.mark.parametrize(
    ("url", "host", "port", "security", "user", "password"),
    [
        ("smtp://mail.example.org", "mail.example.org", 587, "starttls", None, None),
        ("smtps://u:p%40ss%25w@mail.example.org", "mail.example.org", 465, "tls", "u", "p@ss%w"),
        ("smtp://127.0.0.1:1025", "127.0.0.1", 1025, "optional", None, None),
        ("smtp://localhost:25", "localhost", 25, "optional", None, None),
        ("SMTP://[::1]:2525", "::1", 2525, "optional", None, None),
    ],
)
def test_smtp_urls_as_operators_write_them(url, host, port, security, user, password):
    target = parse_smtp_url(url)
    assert (target.host, target.port, target.security) == (host, port, security)
    assert (target.username, target.password) == (user, password)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://mail.example.org", "nicht unterstützt"),
        ("mail.example.org:587", "nicht unterstützt"),
        ("smtp://", "Server fehlt"),
        ("smtp://mail.example.org:0", "Port 0"),
        ("smtp://mail.example.org:99999", "keine gültige Adresse"),
        ("smtp://user@mail.example.org", "nur zusammen"),
        ("smtp://u:changeme@mail.example.org", "Platzhalter"),
        ("smtp://u:a%ZZb@mail.example.org", "%25"),
        ("smtp://mail.example.org/pfad", "nichts folgen"),
    ],
)
def test_a_wrong_smtp_url_is_explained_without_its_password(url, says):
    with pytest.raises(ValueError) as wrong:
        parse_smtp_url(url)
    assert says in str(wrong.value)
    assert "changeme" not in str(wrong.value) and "ZZb" not in str(wrong.value)


@pytest.mark.parametrize(
    "sender",
    ["a@b.de, c@d.de", "kaputt", "Netz <n@example.org>\r\nBcc: x@y.de", ""],
)
def test_a_sender_is_exactly_one_address_on_one_line(sender):
    with pytest.raises(ValueError):
        check_mailbox(sender)
    assert check_mailbox('"Netz, Werk (Köln)" <n@example.org>')


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("clara.chat @ kreis-bergen.de", "clara.chat@kreis-bergen.de"),
        ("„anna@kreis.de“", "anna@kreis.de"),
        ("<anna@kreis.de>", "anna@kreis.de"),
        ("mailto:anna@kreis.de", "anna@kreis.de"),
        ("anna@kreis.de.", "anna@kreis.de"),
        ("  Anna@Kreis.DE ", "Anna@Kreis.DE"),
        ("a@b.de c@d.de", None),
        ("meine Adresse ist a@b.de", None),
    ],
)
def test_addresses_as_people_type_them_on_a_phone(typed, meant):
    assert typed_address(typed) == meant


def test_an_umlaut_before_the_at_gets_a_suggestion():
    with pytest.raises(DomainError) as umlaut:
        check_address("jürgen.müller@kreis.de")
    assert umlaut.value.code == "email_umlaut"
    assert umlaut.value.params["suggestion"] == "juergen.mueller@kreis.de"
    assert check_address("anna@müller-kreis.de") == "anna@müller-kreis.de"  # IDN domains are fine
