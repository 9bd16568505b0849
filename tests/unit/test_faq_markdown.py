"""Markdown answers rendered to the reply's HTML subset; the short form for groups."""

from __future__ import annotations

from markupsafe import Markup

from bot.handlers.faq import markdown_blocks


def render(text: str) -> str:
    return str(Markup("\n\n").join(markdown_blocks(text)))


def test_bold_code_and_links_are_kept_everything_else_escaped() -> None:
    text = "Mit **Gemeinsamer Erklärung** & `/faq` – [Website](https://example.org/a?b=1&c=2) <i>"
    assert render(text) == (
        "Mit <b>Gemeinsamer Erklärung</b> &amp; <code>/faq</code> – "
        '<a href="https://example.org/a?b=1&amp;c=2">Website</a> &lt;i&gt;'
    )


def test_only_web_and_mail_links_become_anchors() -> None:
    assert render("[x](javascript:alert(1))") == "[x](javascript:alert(1))"
    assert (
        render('[x](https://a.org/"onclick=")')
        == '<a href="https://a.org/&#34;onclick=&#34;">x</a>'
    )


def test_code_spans_are_not_formatted_inside() -> None:
    assert render("`**nicht fett**`") == "<code>**nicht fett**</code>"


def test_wrapped_lines_join_and_list_items_become_lines() -> None:
    text = (
        "Das Netzwerk ist offen für Kommunen,\ndie Folgendes erfüllen:\n\n"
        "1. eine Ansprechperson\n   haben,\n2. mitarbeiten.\n\n- erstens\n* zweitens\n\n# Kontakt"
    )
    assert markdown_blocks(text) == [
        "Das Netzwerk ist offen für Kommunen, die Folgendes erfüllen:",
        "1. eine Ansprechperson haben,\n2. mitarbeiten.",
        "• erstens\n• zweitens",
        "<b>Kontakt</b>",
    ]


def test_a_paragraph_followed_directly_by_a_list() -> None:
    assert render("Drei Dinge:\n- a\n- b") == "Drei Dinge:\n• a\n• b"
