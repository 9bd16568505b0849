"""Questions about the network's own dates ("Wann ist das nächste Netzwerktreffen?"): they are
answered from the event list, which is always current, not from a knowledge-base text."""

from __future__ import annotations

from core.domain.events import EventKind
from core.faq.normalize import fold, is_stop, tokenize

#: Words that ask when, where or for the next one (folded, as :func:`fold` writes them).
ASKING = frozenset(
    {"wann", "wo", "wohin", "when", "where", "next", "upcoming", "datum", "date"}
    | {"naechste", "naechster", "naechstes", "naechsten", "kommende", "kommender"}
    | {"kommendes", "kommenden", "stattfinden", "findet", "statt"}
)
#: Words that ask about the past ("Wann war das letzte …?"): the event list does not answer.
PAST = frozenset({"war", "waren", "letzte", "letzten", "letztes", "vergangene", "vergangenen"})
PAST |= {"last", "previous"}
#: The start of a word naming a kind of event (``workshops``, ``netzwerktreffens`` …).
KIND_WORDS: dict[str, frozenset[EventKind]] = {
    "netzwerktreffen": frozenset({EventKind.NETZWERKTREFFEN}),
    "network meeting": frozenset({EventKind.NETZWERKTREFFEN}),
    "initiativkreis": frozenset({EventKind.INITIATIVKREIS}),
    "kurzformat": frozenset({EventKind.KURZFORMAT}),
    "videokonferenz": frozenset({EventKind.KURZFORMAT}),
    "strategieworkshop": frozenset({EventKind.STRATEGIEWORKSHOP}),
    "workshop": frozenset({EventKind.STRATEGIEWORKSHOP, EventKind.OFFENER_WORKSHOP}),
    "spitzentreffen": frozenset({EventKind.SPITZENTREFFEN}),
    "engagementkongress": frozenset({EventKind.ENGAGEMENTKONGRESS}),
    "kongress": frozenset({EventKind.ENGAGEMENTKONGRESS}),
    "congress": frozenset({EventKind.ENGAGEMENTKONGRESS}),
    "veranstaltung": frozenset(EventKind),
    "termin": frozenset(EventKind),
    "event": frozenset(EventKind),
    "treffen": frozenset(EventKind),
}


def asked_kinds(question: str) -> frozenset[EventKind] | None:
    """The kinds of event a question asks the date or place of, or ``None`` when it does not
    ask about a date (then the knowledge base answers). The most specific word wins:
    ``Netzwerktreffen`` before ``Treffen``."""
    folded = fold(question)
    words = tokenize(question)
    if not ASKING & set(words) or PAST & set(words):
        return None
    found: list[tuple[int, frozenset[EventKind]]] = []
    for stem, kinds in KIND_WORDS.items():
        hit = stem in folded if " " in stem else any(word.startswith(stem) for word in words)
        if hit:
            found.append((len(kinds), kinds))
    return min(found, key=lambda pair: pair[0])[1] if found else None


def place_words(question: str) -> set[str]:
    """The question's words that may name a place ("… in Essen?"): neither asking words,
    nor words for a kind of event, nor stop words."""
    return {
        word
        for word in tokenize(question)
        if len(word) > 2
        and not is_stop(word)
        and word not in ASKING
        and not any(word.startswith(stem) for stem in KIND_WORDS)
    }
