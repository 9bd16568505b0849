"""The editable synonym tables (``core/data/faq_synonyms.yaml``, the network's own terms, and
``core/data/faq_domain.yaml``, the field's vocabulary) in analysed form."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from core.faq.normalize import is_stop, stem, tokenize

__all__ = ["SynonymFileError", "Synonyms", "load_synonyms"]

_MAX_GAP = 6  # other words allowed between the words of a phrase ("Mitglied zu werden")


class SynonymFileError(ValueError):
    """The synonym file is not a list of lists of phrases."""


class Synonyms:
    """Groups of equivalent words and phrases.

    Every group gets an id (``~`` plus its first phrase); analysis adds that id as an extra
    term wherever a member of the group occurs, in entries and queries alike.
    """

    __slots__ = ("_phrases", "_single", "groups", "vocabulary", "words")

    def __init__(self, groups: Iterable[Sequence[str]] = ()) -> None:
        self.groups: tuple[tuple[str, ...], ...] = tuple(tuple(g) for g in groups)
        single: dict[str, list[str]] = {}
        phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        vocabulary: set[str] = set()
        surface: set[str] = set()
        for group in self.groups:
            if not group:
                continue
            gid = "~" + "_".join(tokenize(group[0])) if tokenize(group[0]) else "~" + group[0]
            for phrase in group:
                words = tokenize(phrase)
                content = [w for w in words if not is_stop(w)]
                vocabulary.update(stem(w) for w in content)
                surface.update(content)
                # A phrase is matched on its content words; a phrase with fewer than two
                # (a separable verb like "melde an", or "wie viele") on all of its words.
                pattern = tuple(stem(w) for w in (content if len(content) >= 2 else words))
                if len(pattern) == 1:
                    single.setdefault(pattern[0], []).append(gid)
                elif pattern:
                    for first in dict.fromkeys(pattern):
                        phrases.setdefault(first, []).append((pattern, gid))
        self._single = {k: tuple(dict.fromkeys(v)) for k, v in single.items()}
        for options in phrases.values():
            options.sort(key=lambda p: -len(p[0]))
        self._phrases = phrases
        self.vocabulary: frozenset[str] = frozenset(vocabulary)  # stems
        self.words: frozenset[str] = frozenset(surface)  # folded words

    def groups_of(self, term: str) -> tuple[str, ...]:
        """Group ids of a single stem (empty when it has no synonyms)."""
        return self._single.get(term, ())

    def match_phrase(
        self, stems: Sequence[str], taken: Sequence[bool], i: int
    ) -> tuple[tuple[int, ...], str]:
        """Longest phrase using token ``i``, its words in any order within a short window.

        Returns the positions it covers and the group id, or ``((), "")``.  German moves verbs
        and their particles around ("tritt … bei", "kommt … ins Netzwerk"), hence no order.
        """
        for pattern, gid in self._phrases.get(stems[i], ()):
            window = range(i, min(len(stems), i + len(pattern) + _MAX_GAP))
            used: list[int] = []
            for want in pattern:
                pos = next(
                    (j for j in window if stems[j] == want and not taken[j] and j not in used),
                    None,
                )
                if pos is None:
                    break
                used.append(pos)
            else:
                if i in used:
                    return tuple(sorted(used)), gid
        return (), ""

    def __len__(self) -> int:
        return len(self.groups)


PACKAGED = ("faq_synonyms.yaml", "faq_domain.yaml")
"""The network's own terms and the field's vocabulary (engagement promotion, administration)."""


def load_synonyms(path: str | Path | None = None) -> Synonyms:
    """Read a synonym file; default: the packaged files :data:`PACKAGED`, together.

    Raises :class:`SynonymFileError` when a file is not a list of lists of phrases."""
    if path is None:
        return _packaged()
    return Synonyms(_groups(Path(path).read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def _packaged() -> Synonyms:
    """The packaged tables, read once per process (every index shares them; never changed)."""
    data: list = []
    for name in PACKAGED:
        data.extend(_groups(resources.files("core.data").joinpath(name).read_text("utf-8")))
    return Synonyms(data)


def _groups(text: str) -> list:
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or []
    if not isinstance(data, list):
        raise SynonymFileError("the synonym file must be a list of groups")
    for n, group in enumerate(data, start=1):
        if not isinstance(group, list) or not all(isinstance(p, str) and p for p in group):
            raise SynonymFileError(f"group {n} must be a list of non-empty strings")
    return data
