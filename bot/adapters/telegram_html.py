"""Long Telegram HTML messages in parts that are each valid on their own.

Telegram counts a message's length after parsing its HTML: the visible text, in UTF-16 code
units, at most 4096 (Bot API, "sendMessage"; "Formatting options: HTML style"). A part cut
inside ``<a href=…>`` or between ``<b>`` and ``</b>`` is refused ("can't parse entities"),
so the cut closes the tags open there and the next part opens them again.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = ["MAX_TEXT", "split_html", "visible_length"]

MAX_TEXT = 4096


@dataclass(frozen=True, slots=True)
class _Atom:
    """A start tag, an end tag, or a piece of text that is never cut (a word, a space)."""

    markup: str
    visible: int  # UTF-16 code units it shows
    kind: str  # "start", "end", "word", "space", "break"
    tag: str = ""


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def visible_length(markup: str) -> int:
    """Length of the text Telegram shows for ``markup`` (tags out, entities decoded), in
    UTF-16 code units."""
    return sum(atom.visible for atom in _atoms(markup))


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.atoms: list[_Atom] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.atoms.append(_Atom(self.get_starttag_text() or f"<{tag}>", 0, "start", tag))

    def handle_endtag(self, tag: str) -> None:
        self.atoms.append(_Atom(f"</{tag}>", 0, "end", tag))

    def handle_data(self, data: str) -> None:
        word = ""
        for char in data:
            if char in " \n":
                if word:
                    self.atoms.append(_Atom(word, _utf16(word), "word"))
                    word = ""
                kind = "break" if char == "\n" else "space"
                self.atoms.append(_Atom(char, 1, kind))
            else:
                word += char
        if word:
            self.atoms.append(_Atom(word, _utf16(word), "word"))

    def handle_entityref(self, name: str) -> None:
        self._entity(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._entity(f"&#{name};")

    def _entity(self, markup: str) -> None:
        shown = html.unescape(markup)
        last = self.atoms[-1] if self.atoms else None
        if last is not None and last.kind == "word":  # part of the word: never cut
            self.atoms[-1] = _Atom(last.markup + markup, last.visible + _utf16(shown), "word")
        else:
            self.atoms.append(_Atom(markup, _utf16(shown), "word"))


def _atoms(markup: str) -> list[_Atom]:
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    return reader.atoms


def split_html(markup: str, limit: int = MAX_TEXT) -> list[str]:
    """``markup`` in parts of at most ``limit`` visible UTF-16 code units, each a complete
    HTML fragment: cut after a line break in the second half of a part, else at the last
    space, else inside a word (entities stay whole); tags open at a cut are closed before it
    and opened again after it. A text that fits is returned as it is (``""`` gives ``[""]``).
    """
    atoms: list[_Atom] = []
    for atom in _atoms(markup):
        atoms.extend(_pieces(atom, limit) if atom.visible > limit else [atom])
    if sum(atom.visible for atom in atoms) <= limit:
        return [markup]
    opened = _open_before(atoms)
    parts: list[str] = []
    start = 0
    while start < len(atoms):
        end, used = start, 0
        while end < len(atoms) and used + atoms[end].visible <= limit:
            used += atoms[end].visible
            end += 1
        if end < len(atoms):
            end = _cut(atoms, start, end)
        first, last = start, end  # the part without the blanks at its ends
        while first < last and atoms[first].kind in _BLANK:
            first += 1
        while last > first and atoms[last - 1].kind in _BLANK:
            last -= 1
        if any(atom.visible for atom in atoms[first:last]):
            parts.append(
                "".join(tag.markup for tag in opened[first])
                + "".join(atom.markup for atom in atoms[first:last])
                + "".join(f"</{tag.tag}>" for tag in reversed(opened[last]))
            )
        start = end
    return parts


_BLANK = ("space", "break")


def _open_before(atoms: list[_Atom]) -> list[tuple[_Atom, ...]]:
    """For each position (and the end), the start tags open there, outermost first."""
    stack: list[_Atom] = []
    opened: list[tuple[_Atom, ...]] = []
    for atom in atoms:
        opened.append(tuple(stack))
        if atom.kind == "start":
            stack.append(atom)
        elif atom.kind == "end":
            for index in range(len(stack) - 1, -1, -1):
                if stack[index].tag == atom.tag:
                    del stack[index : index + 1]
                    break
    opened.append(tuple(stack))
    return opened


def _cut(atoms: list[_Atom], start: int, end: int) -> int:
    """Where a part that cannot hold ``atoms[end]`` ends: after the last line break in its
    second half, else after its last space, else at ``end`` (inside a word)."""
    total = sum(atom.visible for atom in atoms[start:end])
    seen = 0
    last_break = last_space = None
    for index in range(start, end):
        seen += atoms[index].visible
        if atoms[index].kind == "break" and seen * 2 >= total:
            last_break = index + 1
        elif atoms[index].kind == "space":
            last_space = index + 1
    return last_break or last_space or end


def _pieces(atom: _Atom, limit: int) -> list[_Atom]:
    """A word longer than a whole part, in pieces that fit (entities kept whole)."""
    pieces: list[_Atom] = []
    text = html.unescape(atom.markup)
    start = 0
    while start < len(text):
        used, end = 0, start
        while end < len(text) and used + _utf16(text[end]) <= limit:
            used += _utf16(text[end])
            end += 1
        chunk = text[start:end]
        pieces.append(_Atom(html.escape(chunk, quote=False), used, "word"))
        start = end
    return pieces
