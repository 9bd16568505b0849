"""Command spellings and reply rendering of the Matrix adapter (pure functions, no server)."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from bot.adapters.matrix.text import button_commands, command_text, notice_content
from bot.reply import Button, Reply

NAMES = ("@engagiert:example.org", "engagiert", "@engagiert", "Engagiert Bot")


def is_command(word: str) -> bool:  # as the router decides
    return word.lower() in {"termine", "anmelden", "hilfe"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("!termine", "/termine"),
        ("! anmelden 3", "/anmelden 3"),
        ("/termine", "/termine"),
        ("@engagiert: termine", "/termine"),
        ("@engagiert:example.org: anmelden 3", "/anmelden 3"),
        ("Engagiert Bot: !termine", "/termine"),
        ("engagiert, hilfe", "/hilfe"),
        ("> <@anna:example.org> !termine\n\n!anmelden 2", "/anmelden 2"),
        ("Hallo zusammen", "Hallo zusammen"),
        ("engagierte Leute: willkommen", "engagierte Leute: willkommen"),
        ("engagiert:", "engagiert:"),
    ],
)
def test_people_write_commands_in_several_ways(body, expected):
    text, addressed = command_text(body, "!", NAMES, is_command)
    assert text == expected
    assert addressed == (body.lower().startswith(("@engagiert", "engagiert bot", "engagiert,")))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("@engagiert: Wie werde ich Mitglied?", "Wie werde ich Mitglied?"),
        (
            "Engagiert Bot, wann ist das nächste Netzwerktreffen?",
            "wann ist das nächste Netzwerktreffen?",
        ),
        ("@engagiert: Termine im Mai?", "/Termine im Mai?"),  # a command word stays a command
    ],
)
def test_a_question_that_names_the_bot_is_addressed_plain_text(body, expected):
    assert command_text(body, "!", NAMES, is_command) == (expected, True)


def test_a_reply_is_a_notice_with_html_and_plain_text():
    content = notice_content(Markup("<b>Titel</b> &amp; mehr\nZeile 2"), reply_to="$cmd")
    assert content == {
        "msgtype": "m.notice",
        "body": "Titel & mehr\nZeile 2",
        "format": "org.matrix.custom.html",
        "formatted_body": "<b>Titel</b> &amp; mehr<br>Zeile 2",
        "m.relates_to": {"m.in_reply_to": {"event_id": "$cmd"}},
    }


def test_buttons_become_prefixed_commands():
    reply = Reply(
        Markup("x"), buttons=((Button("Abmelden", "/abmelden 3"), Button("Details", "/termin 3")),)
    )
    assert button_commands(reply, "!") == ["!abmelden 3", "!termin 3"]
