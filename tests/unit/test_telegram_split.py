from bot.adapters.telegram import split_text


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_short_text_stays_whole():
    assert split_text("<b>Hallo</b>\nWelt") == ["<b>Hallo</b>\nWelt"]
    assert split_text("") == [""]


def test_long_text_is_cut_at_line_breaks_within_the_limit():
    lines = [f"<b>{n}.</b> Teilnehmerin Nummer {n}" for n in range(1000)]
    parts = split_text("\n".join(lines), limit=4096)
    assert len(parts) > 1
    assert all(utf16(p) <= 4096 for p in parts)
    assert "\n".join(parts).split("\n") == lines  # nothing lost, order kept, tags intact


def test_emoji_count_double_and_overlong_lines_are_cut_at_spaces():
    line = " ".join(["😀wort"] * 2000)
    parts = split_text(line, limit=4096)
    assert all(utf16(p) <= 4096 for p in parts)
    assert " ".join(parts).split() == line.split()
