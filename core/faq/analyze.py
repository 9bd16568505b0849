"""Turn a text into *slots*: one per content word or synonym phrase, each with alternatives.

A slot is matched by the best of its options: the literal stem (factor 1), a synonym group,
the parts of a compound, or — for queries — a typo correction.  Each option lists parts; a part
is a stem followed by the ids of its synonym groups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from core.faq.normalize import is_stop, split_compound, stem, tokenize
from core.faq.synonyms import Synonyms

__all__ = [
    "COMPOUND_FACTOR",
    "FUZZY_FACTORS",
    "SYNONYM_FACTOR",
    "Analyzer",
    "Option",
    "Slot",
]

SYNONYM_FACTOR = 0.9
COMPOUND_FACTOR = 0.9
FUZZY_FACTORS = {1: 0.85, 2: 0.7}

Part = tuple[str, ...]
_ENDINGS = ("s", "n", "e", "en", "es", "er")


@dataclass(frozen=True, slots=True)
class Option:
    """One way to match a slot: all ``parts`` (weighted by rarity), scaled by ``factor``."""

    factor: float
    parts: tuple[Part, ...]


@dataclass(frozen=True, slots=True)
class Slot:
    """A content word or phrase: ``key`` is its literal term, ``options`` its alternatives."""

    key: str
    options: tuple[Option, ...]

    def terms(self) -> Iterator[str]:
        """Every term any option can match."""
        for option in self.options:
            for part in option.parts:
                yield from part


class Analyzer:
    """Analyses entries and queries against the base's vocabulary.

    ``is_word`` tells whether a folded word occurs in the base (compounds split against it);
    ``similar`` returns typo corrections ``(stem, distance)`` for an unknown query stem.
    """

    __slots__ = ("_is_word", "_slot_cache", "_split_cache", "synonyms")

    def __init__(self, synonyms: Synonyms, is_word: Callable[[str], bool]) -> None:
        self.synonyms = synonyms
        self._is_word = is_word
        self._split_cache: dict[str, tuple[str, ...] | None] = {}
        self._slot_cache: dict[str, Slot] = {}  # word slots without typo options

    def vocabulary_changed(self) -> None:
        """Forget cached compound splits (the set of known words changed)."""
        self._split_cache.clear()
        self._slot_cache.clear()

    def compound_parts(self, word: str) -> tuple[str, ...] | None:
        """Stems of the parts of a folded compound word, or ``None``."""
        try:
            return self._split_cache[word]
        except KeyError:
            pass
        parts = split_compound(word, self._known_part)
        result = tuple(stem(p) for p in parts) if parts else None
        self._split_cache[word] = result
        return result

    def _known_part(self, part: str) -> bool:
        if is_stop(part):
            return False
        if self._is_word(part) or part in self.synonyms.words:
            return True
        for ending in _ENDINGS:  # an inflected part: "karten", "ehrenamts"
            if part.endswith(ending) and len(part) - len(ending) >= 4:
                base = part[: -len(ending)]
                if self._is_word(base) or base in self.synonyms.words:
                    return True
        return False

    def _part(self, term: str) -> Part:
        return (term, *self.synonyms.groups_of(term))

    def _word_slot(
        self, word: str, term: str, similar: Callable[[str], list[tuple[str, int]]] | None
    ) -> Slot:
        if similar is None:
            cached = self._slot_cache.get(word)
            if cached is None:
                cached = self._slot_cache[word] = self._build_word_slot(word, term, None)
            return cached
        return self._build_word_slot(word, term, similar)

    def _build_word_slot(
        self, word: str, term: str, similar: Callable[[str], list[tuple[str, int]]] | None
    ) -> Slot:
        options = [Option(1.0, (self._part(term),))]
        parts = self.compound_parts(word)
        if parts:
            options.append(Option(COMPOUND_FACTOR, tuple(self._part(p) for p in parts)))
        if similar is not None:
            for fixed, distance in similar(term):
                options.append(Option(FUZZY_FACTORS[distance], (self._part(fixed),)))
        return Slot(term, tuple(options))

    def slots(
        self, text: str, similar: Callable[[str], list[tuple[str, int]]] | None = None
    ) -> list[Slot]:
        """Non-overlapping slots of ``text``; phrases from the synonym table take precedence."""
        words = tokenize(text)
        stems = [stem(w) for w in words]
        stops = [is_stop(w) for w in words]
        taken = [False] * len(words)
        slots: list[Slot] = []
        for i in range(len(words)):
            if taken[i]:
                continue
            covered, gid = self.synonyms.match_phrase(stems, taken, i)
            if gid:
                for k in covered:
                    taken[k] = True
                # A phrase of content words also matches them literally; one that needs stop
                # words ("melde an", "kommt ins Netzwerk") only as a whole, through its group.
                content = tuple(self._part(stems[k]) for k in covered)
                if not any(stops[k] for k in covered):
                    options = (Option(1.0, content), Option(SYNONYM_FACTOR, ((gid,),)))
                else:
                    options = (Option(1.0, ((gid,),)),)
                slots.append(Slot(gid, options))
            elif not stops[i]:
                slots.append(self._word_slot(words[i], stems[i], similar))
        return slots

    def terms(self, text: str) -> set[str]:
        """Every term an entry's text contributes to the index (overlapping phrases included)."""
        found: set[str] = set()
        for slot in self.slots(text):
            found.update(slot.terms())
        for word in tokenize(text):
            if not is_stop(word):
                found.update(self._word_slot(word, stem(word), None).terms())
        return found

    def words(self, text: str) -> set[str]:
        """Folded content words of a text (the vocabulary compounds are split against)."""
        return {w for w in tokenize(text) if not is_stop(w) and not w.isdigit()}
