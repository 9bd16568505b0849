"""Turn a text into *slots*: one per content word or synonym phrase, each with alternatives.

A slot is matched by the best of its options: the literal stem (factor 1), a synonym group,
the parts of a compound, or — for queries — a typo correction.  Each option lists parts; a part
is a stem followed by the ids of its synonym groups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from core.faq.normalize import (
    is_stop,
    lemma_stem,
    particle_verbs,
    split_compound,
    stem,
    tokenize,
)
from core.faq.synonyms import Synonyms

__all__ = [
    "COMPOUND_FACTOR",
    "FUZZY_FACTORS",
    "SYNONYM_FACTOR",
    "THESAURUS_FACTOR",
    "Analyzer",
    "Expansion",
    "Option",
    "Slot",
]

SYNONYM_FACTOR = 0.9
COMPOUND_FACTOR = 0.9
FUZZY_FACTORS = {1: 0.85, 2: 0.7}
LEMMA_FACTOR = 0.95
THESAURUS_FACTOR = 0.5
"""A general synonym (OpenThesaurus) counts less than a literal word or the domain's own."""
THESAURUS_KNOWN_FACTOR = 0.3
"""… and less still when the base uses the query's own word (which may mean something else)."""

Part = tuple[str, ...]
_ENDINGS = ("s", "n", "e", "en", "es", "er")


class Expansion(Protocol):
    """What a query word may also mean, as far as the base knows it."""

    def similar(self, term: str) -> list[tuple[str, int]]:
        """Typo corrections ``(stem, edit distance)`` of an unknown stem."""

    def related(self, term: str) -> tuple[list[str], bool]:
        """General synonyms of a stem that occur in the base; whether the stem itself does."""


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

    ``is_word`` tells whether a folded word occurs in the base (compounds split against it).
    For queries, a :class:`Expansion` adds typo corrections and general synonyms.
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

    def _word_slot(self, word: str, term: str, expansion: Expansion | None) -> Slot:
        if expansion is None:
            cached = self._slot_cache.get(word)
            if cached is None:
                cached = self._slot_cache[word] = self._build_word_slot(word, term, None)
            return cached
        return self._build_word_slot(word, term, expansion)

    def _build_word_slot(self, word: str, term: str, expansion: Expansion | None) -> Slot:
        options = [Option(1.0, (self._part(term),))]
        lemma = lemma_stem(word)
        if lemma is not None:
            options.append(Option(LEMMA_FACTOR, (self._part(lemma),)))
        parts = self.compound_parts(word)
        if parts:
            options.append(Option(COMPOUND_FACTOR, tuple(self._part(p) for p in parts)))
        if expansion is not None:
            for fixed, distance in expansion.similar(term):
                options.append(Option(FUZZY_FACTORS[distance], (self._part(fixed),)))
            related, known = expansion.related(term)
            factor = THESAURUS_KNOWN_FACTOR if known else THESAURUS_FACTOR
            for other in related:
                options.append(Option(factor, (self._part(other),)))
        return Slot(term, tuple(options))

    def slots(self, text: str, expansion: Expansion | None = None) -> list[Slot]:
        """Non-overlapping slots of ``text``; phrases from the synonym table take precedence.

        A separated particle verb counts as the joined verb ("treten … aus" → "austreten")
        when the base or the synonym tables know it. In a query (``expansion``), a word
        unknown to the base takes part in phrases as its closest typo correction
        ("wird mitglid" → "wird Mitglied"), at a typo's weight.
        """
        words = tokenize(text)
        stops = [is_stop(w) for w in words]
        for i, (joined, particle) in particle_verbs(words, self._known_word).items():
            words[i], stops[i], stops[particle] = joined, False, True
        stems = [stem(w) for w in words]
        fixes = self._typo_fixes(stems, stops, expansion)
        taken = [False] * len(words)
        slots: list[Slot] = []
        for i in range(len(words)):
            if taken[i]:
                continue
            covered, gid = self.synonyms.match_phrase(stems, taken, i)
            factor = 1.0
            if not gid and fixes:
                covered, gid = self.synonyms.match_phrase(
                    [fixes.get(k, (t, 0))[0] for k, t in enumerate(stems)], taken, i
                )
                worst = max((fixes[k][1] for k in covered if k in fixes), default=0)
                factor = FUZZY_FACTORS.get(worst, 1.0)
            if gid:
                for k in covered:
                    taken[k] = True
                # A phrase of content words also matches them literally; one that needs stop
                # words ("melde an", "kommt ins Netzwerk") only as a whole, through its group.
                content = tuple(self._part(stems[k]) for k in covered)
                if not any(stops[k] for k in covered):
                    options = (
                        Option(factor, content),
                        Option(factor * SYNONYM_FACTOR, ((gid,),)),
                    )
                else:
                    options = (Option(factor, ((gid,),)),)
                slots.append(Slot(gid, options))
            elif not stops[i]:
                slots.append(self._word_slot(words[i], stems[i], expansion))
        return slots

    def _known_word(self, word: str) -> bool:
        return self._is_word(word) or word in self.synonyms.words

    @staticmethod
    def _typo_fixes(
        stems: list[str], stops: list[bool], expansion: Expansion | None
    ) -> dict[int, tuple[str, int]]:
        """Position → (the one closest correction, its distance) of unknown query stems."""
        if expansion is None:
            return {}
        fixes: dict[int, tuple[str, int]] = {}
        for i, term in enumerate(stems):
            if not stops[i]:
                found = expansion.similar(term)
                if len(found) == 1:
                    fixes[i] = found[0]
        return fixes

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
