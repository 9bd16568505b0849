"""Markdown answers rendered to the reply's HTML subset; the short form for groups."""

from __future__ import annotations

from markupsafe import Markup

from bot.markdown import markdown_blocks


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


def test_italics_in_both_spellings_but_not_inside_words_or_links() -> None:
    text = "Das ist _wichtig_ und *sehr* wichtig, __fett__ auch; /faq_luecken und a_b_c bleiben"
    assert render(text) == (
        "Das ist <i>wichtig</i> und <i>sehr</i> wichtig, <b>fett</b> auch; "
        "/faq_luecken und a_b_c bleiben"
    )
    link = "[die _Seite_](https://example.org/a_b_c/*x*)"
    assert render(link) == '<a href="https://example.org/a_b_c/*x*">die <i>Seite</i></a>'
    assert render("5 * 3 * 2 und ** allein") == "5 * 3 * 2 und ** allein"


def test_an_answer_to_a_forwarded_question_reaches_the_asker_formatted() -> None:
    from datetime import UTC, datetime

    from bot.i18n import Translator
    from bot.notifications import _rendered
    from core.domain.notifications import Notification

    answer = "Ja, **bis 31.12.** – siehe [Merkblatt](https://example.org/m_1) <script>"
    item = Notification(
        7,
        "faq_answered",
        {"question": "Gibt es **Fristen**?", "name": "Aylin", "answer": answer},
        datetime(2026, 11, 30, tzinfo=UTC),
    )
    text = Translator(UTC, "de").t("de", "notice.faq_answered", **_rendered(item))
    assert "Ja, <b>bis 31.12.</b>" in text and '<a href="https://example.org/m_1">' in text
    assert "&lt;script&gt;" in text and "Gibt es **Fristen**?" in text  # the question as asked
