"""General German synonyms from OpenThesaurus, as related stems for query expansion.

The packaged file ``core/data/openthesaurus.txt.gz`` is a subset of OpenThesaurus
(https://www.openthesaurus.de, LGPL-2.1, © Daniel Naber and the OpenThesaurus contributors; the
notice is kept at the top of the file): one synset per line, words separated by ``;``.  Only
single words in neutral or colloquial register are kept (vulgar, dated, regional, figurative
and technical senses, and phrases, are dropped), since the FAQ uses them to connect a member's
everyday word with the word an entry happens to use.  Rebuild it from Debian's
``openthesaurus-de-text`` with ``python -m core.faq.thesaurus``.

A word with several meanings belongs to several synsets; the FAQ index weights every
thesaurus match below a literal one and below the domain vocabulary, so a wrong sense only
nudges.
"""

from __future__ import annotations

import gzip
import re
import sys
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

from core.faq.normalize import is_stop, stem, tokenize

__all__ = ["MAX_SYNSET", "Thesaurus", "build_subset", "load_thesaurus"]

MAX_SYNSET = 12
"""Larger synsets are lists of loosely related words ("Ding; Sache; Zeug; …") and are skipped."""

DEBIAN_SOURCE = Path("/usr/share/openthesaurus-de/openthesaurus.txt")
_PACKAGED = "openthesaurus.txt.gz"
_DROPPED_REGISTERS = re.compile(
    r"\((?:vulg\.|derb|veraltet|historisch|fig\.|Jargon|scherzh\.|abwertend|regional|schweiz\.|"
    r"österr\.|süddt\.|norddt\.|landschaftlich|bayr\.|selten|fachspr\.|Amtsdeutsch|Neologismus)\)"
)
_ANNOTATION = re.compile(r"\([^)]*\)")


class Thesaurus:
    """Stems that share a synset with a stem (both folded and Snowball-stemmed)."""

    __slots__ = ("_related",)

    def __init__(self, synsets: Iterable[Sequence[str]] = ()) -> None:
        related: dict[str, set[str]] = {}
        for synset in synsets:
            if len(synset) > MAX_SYNSET:
                continue
            stems = {
                stem(words[0])
                for word in synset
                if len(words := tokenize(word)) == 1 and not is_stop(words[0])
            }
            if len(stems) < 2:
                continue
            for term in stems:
                related.setdefault(term, set()).update(stems - {term})
        self._related: dict[str, tuple[str, ...]] = {
            term: tuple(sorted(others)) for term, others in related.items()
        }

    def related(self, term: str) -> tuple[str, ...]:
        """Stems sharing a synset with ``term`` (empty for unknown terms), sorted."""
        return self._related.get(term, ())

    def __len__(self) -> int:
        return len(self._related)


def _read_synsets(text: str) -> list[list[str]]:
    return [line.split(";") for line in text.splitlines() if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def load_thesaurus() -> Thesaurus:
    """The packaged OpenThesaurus subset (read once per process, about 0.5 s)."""
    data = resources.files("core.data").joinpath(_PACKAGED).read_bytes()
    return Thesaurus(_read_synsets(gzip.decompress(data).decode("utf-8")))


def build_subset(source: Path, target: Path) -> tuple[int, int]:
    """Write the packaged subset from an OpenThesaurus text export; returns (synsets, words).

    Keeps the source's licence header, drops the registers in ``_DROPPED_REGISTERS``,
    annotations such as "(ugs.)" or "(sich)", phrases and truncated words ("Deputat...").
    """
    header: list[str] = []
    synsets: list[str] = []
    words = 0
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            if not synsets:
                header.append(line)
            continue
        kept: list[str] = []
        for item in line.split(";"):
            if _DROPPED_REGISTERS.search(item):
                continue
            word = _ANNOTATION.sub("", item).strip()
            if word and " " not in word and "..." not in word and not word.endswith("-"):
                kept.append(word)
        kept = list(dict.fromkeys(kept))
        if 2 <= len(kept) <= MAX_SYNSET:
            synsets.append(";".join(kept))
            words += len(kept)
    header.append(
        "# Subset for engagiert-bot: single words, neutral and colloquial register "
        "(python -m core.faq.thesaurus)."
    )
    text = "\n".join(header + synsets) + "\n"
    target.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    return len(synsets), words


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEBIAN_SOURCE
    out = Path(__file__).resolve().parents[1] / "data" / _PACKAGED
    count, total = build_subset(source, out)
    print(f"{out}: {count} synsets, {total} words")
