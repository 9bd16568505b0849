"""Markdown as people write it in answers (the knowledge base, ``/antworten``), in the
reply's HTML subset: bold, italics, inline code, links, lists and headings."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_ITEM = re.compile(r"^\s*(?:[-*+]|(\d{1,3})[.)])\s+(.*)$")
_HEADING = re.compile(r"^\s*#{1,6}\s+(.*)$")
_CODE = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\[([^\]\n]+)\]\(((?:https?://|mailto:)[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(\S(?:.*?\S)?)\*\*|__(\S(?:.*?\S)?)__")
#: ``*kursiv*`` and ``_kursiv_``, but not the underscores inside ``faq_luecken``.
_ITALIC = re.compile(r"(?<![*\w])\*(\S(?:.*?\S)?)\*(?![*\w])|(?<![\w])_(\S(?:.*?\S)?)_(?!\w)")


def markdown(text: str) -> Markup:
    """``text``'s paragraphs (:func:`markdown_blocks`), separated by blank lines."""
    return Markup("\n\n").join(markdown_blocks(text))


def markdown_blocks(text: str) -> list[Markup]:
    """The paragraphs of a Markdown text in the reply's HTML subset.

    Bold, italics, inline code, links and headings (as bold lines) are kept; list items
    become lines of their own; wrapped lines are joined; everything else is escaped.
    """
    blocks = []
    for block in re.split(r"\n[ \t]*\n", text.strip()):
        rows: list[list[str]] = []  # [prefix, text]
        for line in block.splitlines():
            item, heading = _ITEM.match(line), _HEADING.match(line)
            if item:
                rows.append([f"{item[1]}. " if item[1] else "• ", item[2].strip()])
            elif heading:
                rows.append(["#", heading[1].strip()])
            elif rows and rows[-1][0] != "#":
                rows[-1][1] += " " + line.strip()
            else:
                rows.append(["", line.strip()])
        blocks.append(Markup("\n").join(_row(prefix, body) for prefix, body in rows))
    return blocks


def _row(prefix: str, body: str) -> Markup:
    if prefix == "#":
        return Markup("<b>{}</b>").format(body)
    return escape(prefix) + _inline(body)


def _inline(text: str) -> Markup:
    parts = _CODE.split(text)  # odd positions are code spans
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if n % 2 else _emphasis(part)
        for n, part in enumerate(parts)
    )


def _emphasis(text: str) -> Markup:
    html = str(escape(text))  # links and emphasis are found in the escaped text: nothing leaks
    links: list[str] = []

    def keep(match: re.Match[str]) -> str:  # URLs keep their underscores and asterisks
        links.append(f'<a href="{match[2]}">{_emphasised(match[1])}</a>')
        return f"\x00{len(links) - 1}\x00"

    html = _emphasised(_LINK.sub(keep, html))
    return Markup(re.sub(r"\x00(\d+)\x00", lambda m: links[int(m[1])], html))


def _emphasised(html: str) -> str:
    html = _BOLD.sub(lambda m: f"<b>{m[1] or m[2]}</b>", html)
    return _ITALIC.sub(lambda m: f"<i>{m[1] or m[2]}</i>", html)
