"""Long messages in parts that Telegram accepts: each part is valid HTML on its own and at
most 4096 visible UTF-16 code units, as the strict stand-in parses them."""

import html
import re

import pytest

from bot.adapters.telegram_html import split_html, visible_length
from tests.support.telegram_api import ApiError, _plain_text


def shown(markup: str) -> str:
    """What Telegram shows for ``markup``; raises ApiError where Telegram would."""
    return _plain_text(markup, "HTML")


def test_short_text_stays_whole():
    assert split_html("<b>Hallo</b>\nWelt") == ["<b>Hallo</b>\nWelt"]
    assert split_html("") == [""]


def test_long_text_is_cut_at_line_breaks_within_the_limit():
    lines = [f"<b>{n}.</b> Teilnehmerin Nummer {n}" for n in range(1000)]
    parts = split_html("\n".join(lines), limit=4096)
    assert len(parts) > 1
    assert all(visible_length(p) <= 4096 for p in parts)
    assert "\n".join(parts).split("\n") == lines  # nothing lost, order kept, tags intact


def test_emoji_count_double_and_overlong_lines_are_cut_at_spaces():
    line = " ".join(["😀wort"] * 2000)
    parts = split_html(line, limit=4096)
    assert all(len(shown(p).encode("utf-16-le")) // 2 <= 4096 for p in parts)
    assert " ".join(parts).split() == line.split()


def test_a_paragraph_with_links_and_bold_is_cut_into_valid_parts():
    # The example: one ~8,000-character paragraph with bold text and a link whose
    # address holds "&"; the old splitter cut inside <a href=…> and Telegram refused it.
    sentence = (
        'Ein Absatz mit <b>fett</b> und <a href="https://example.org/a?b=1&amp;c=2">Seite</a> '
        "und weiterem Text über das Ehrenamt. "
    )
    markup = "<b>Titel</b>\n\n" + "<i>" + sentence * 90 + "</i>"
    parts = split_html(markup)
    assert len(parts) >= 2
    texts = [shown(part) for part in parts]  # every part parses
    assert all(len(t.encode("utf-16-le")) // 2 <= 4096 for t in texts)
    assert " ".join(" ".join(texts).split()) == " ".join(shown(markup).split())
    assert all(part.startswith("<i>") for part in parts[1:])  # the open tag goes on


@pytest.mark.parametrize("limit", [5, 7, 11])
def test_tiny_limits_cut_words_and_keep_entities_whole(limit):
    markup = "<b>Straßenfest&amp;Co</b> <a href='x'>Übersicht &lt;neu&gt;</a>"
    parts = split_html(markup, limit)
    for part in parts:
        text = shown(part)
        assert len(text) <= limit and not re.search(r"&\w*$", part.split("<")[0])
    joined = "".join(shown(p) for p in parts)
    assert joined.replace(" ", "") == html.unescape("Straßenfest&Co Übersicht <neu>").replace(
        " ", ""
    )


def test_the_stand_in_refuses_what_telegram_refuses():
    for bad in ("<b>offen", "<b>x</i>", "<x>y</x>", "a < b", "&nbsp;", "Zeile<br>"):
        with pytest.raises(ApiError, match="can't parse entities"):
            shown(bad)
