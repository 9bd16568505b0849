"""Text normalisation for German FAQ retrieval: folding, tokens, stop words, stems, compounds.

Everything is folded to lower case ASCII-ish spelling first (``ä`` → ``ae``, ``ß`` → ``ss``), so
"Bürgermeister", "Buergermeister" and "BÜRGERMEISTER" are the same word.  The Snowball German
stemmer then maps ``ae``/``ä``/``a`` alike, which also tolerates a missing umlaut ("loschen").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import simplemma
import snowballstemmer

__all__ = [
    "PARTICLES",
    "STOP_WORDS",
    "fold",
    "is_stop",
    "lemma",
    "lemma_stem",
    "particle_verbs",
    "split_compound",
    "stem",
    "tokenize",
]

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
_WORD = re.compile(r"[a-z0-9]+")

# Folded spelling (ae/oe/ue/ss).  German function words, question words, auxiliaries and
# chat filler, plus common English function words for English phrasings.
_GERMAN_STOP = """
ab aber alle allem allen aller alles also am an andere anderen anderer anderes auch auf aus bei
beim bin bis bist bitte bzw da dabei dadurch dafuer dagegen daher damals damit danach danke dann
dar daran darauf daraus darf darfst darin darueber darum das dass davon dazu dein deine deinem
deinen deiner dem den denen denn der deren des deshalb dessen die dies diese diesem diesen dieser
dieses doch dort du durch eben eigentlich ein eine einem einen einer eines einfach einige er es
etwa etwas euch euer eure fuer fuers gab gar gegen gehen geht gemacht genau gerade gern gerne gibt
gibts ging habe haben habt halt hallo hat hatte hatten haette haetten hier hin hinter ich ihm ihn
ihnen ihr ihre ihrem ihren ihrer im immer in innen ins irgendwie ist ja je jede jedem jeden jeder
jedes jemand jetzt kann kannst koennen koennt koennte koennten kurz lassen mach mache machen
machst macht mal man manche mehr mein meine meinem meinen meiner meines mich mir mit moechte
moechten muss muessen musst nach nein nicht nichts noch nun nur ob oder ohne sehr sein seine
seinem seinen seiner seit selbst sich sie sind so soll sollen sollte sollten sondern sonst
ueber ueberhaupt um und uns unser unsere unserem unseren unserer unter viel viele vielen vom von
vor waere wann war waren warum was weil welche welchem welchen welcher welches wem wen wenn wer
werde werden werdet wessen wie wieso wieviel wieviele will wir wird wirst wo wobei woher wohin
wollen wollt worden wurde wurden zu zum zur zwar zwischen sagen sag sage zeig zeige zeigen
nenn nenne gib komme kommen kommst kommt sehe sehen siehst sieht finde finden
findet steht stehen passiert passieren funktioniert funktionieren klappt geben als hab hast
hatte wuerde wuerden wuerdest wuerdet sei seid waerst schon bereits bisher leider wirklich
vielleicht statt sowie kein keine keinem keinen keiner keines
nen ne nem ner irgendwo irgendwas irgendwer irgendwann grad eh echt bloss nochmal
hi hey moin servus
gilt gelten galt gelte
"""
_ENGLISH_STOP = """
a about an and any are as at be been can could did do does for from get has have how i if is it
its me my of on or our please should so than that the their them then there these they this to
us was we were what whats when where which who why will with would you your s t
don doesn didn isn aren wasn hello hi hey
"""

STOP_WORDS: frozenset[str] = frozenset((_GERMAN_STOP + _ENGLISH_STOP).split())

_stemmer = snowballstemmer.stemmer("german")

_LINKS = ("s", "es", "n", "en")
_PARTICLE_GAP = 7  # words between a verb and its particle ("treten wir zum Jahresende aus")
_MIN_PART = 4
_MIN_COMPOUND = 8


def fold(text: str) -> str:
    """Casefold, spell umlauts and ß out (ä → ae, ß → ss) and drop other accents."""
    text = text.casefold().translate(_UMLAUTS)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenize(text: str) -> list[str]:
    """Folded words of ``text``; punctuation is dropped, single letters too."""
    return [w for w in _WORD.findall(fold(text)) if len(w) > 1 or w.isdigit()]


def is_stop(word: str) -> bool:
    """Whether a folded word is a stop word."""
    return word in STOP_WORDS


@lru_cache(maxsize=262_144)
def stem(word: str) -> str:
    """Snowball German stem of a folded word (numbers are kept as they are)."""
    if word.isdigit():
        return word
    return _stemmer.stemWord(word)


@lru_cache(maxsize=262_144)
def lemma(word: str) -> str:
    """Dictionary form of a folded word, folded ("tritt" → "treten"; simplemma's German
    dictionary; the word itself when it knows none)."""
    return word if word.isdigit() else fold(simplemma.lemmatize(word, lang="de"))


def lemma_stem(word: str) -> str | None:
    """Stem of a folded word's dictionary form when it differs from the word's own stem.

    Irregular forms ("tritt", "trat", "bekam") then meet their infinitive; ``None`` when the
    lemmatiser knows nothing better than the stem, or the lemma is a stop word.
    """
    found = lemma(word)
    if is_stop(found):
        return None
    term = stem(found)
    return term if term != stem(word) else None


PARTICLES = frozenset(
    [
        "ab",
        "an",
        "auf",
        "aus",
        "bei",
        "ein",
        "fest",
        "fort",
        "her",
        "hin",
        "los",
        "mit",
        "nach",
        "vor",
        "weg",
        "weiter",
        "zu",
        "zurueck",
        "zusammen",
        "teil",
    ]
)
"""Separable verb particles: "wir treten aus" is "austreten", "sie nimmt teil" "teilnehmen"."""


def particle_verbs(words: list[str], is_known: Callable[[str], bool]) -> dict[int, tuple[str, int]]:
    """Separated particle verbs in folded ``words``: verb position → (joined infinitive,
    particle position), for verbs followed within a few words by a particle with which they
    form a known word ("treten wir aus" → "austreten" when ``is_known("austreten")``)."""
    found: dict[int, tuple[str, int]] = {}
    used: set[int] = set()
    for i, word in enumerate(words):
        if word in PARTICLES or word.isdigit():
            continue
        for j in range(i + 1, min(len(words), i + 1 + _PARTICLE_GAP)):
            if words[j] in PARTICLES and j not in used:
                joined = words[j] + lemma(word)
                if is_known(joined):
                    found[i] = (joined, j)
                    used.add(j)
                    break
    return found


def split_compound(word: str, is_known: Callable[[str], bool]) -> list[str] | None:
    """Split a folded compound into known parts, allowing a linking element (Fugen-s, -n).

    Every part has at least four letters and satisfies ``is_known``; the split with the fewest
    parts wins (ties: the longest first part).  ``None`` when there is no split into ≥ 2 parts.
    "ehrenamtskarte" → ["ehrenamt", "karte"] when both words occur in the base.
    """
    n = len(word)
    if n < _MIN_COMPOUND:
        return None
    memo: dict[int, list[str] | None] = {}

    def best_from(i: int) -> list[str] | None:
        if i in memo:
            return memo[i]
        best: list[str] | None = None
        for j in range(n if i else n - _MIN_PART, i + _MIN_PART - 1, -1):
            part = word[i:j]
            if not is_known(part):
                continue
            if j == n:
                rest: list[str] | None = []
            else:
                rest = best_from(j)
                if rest is None:
                    for link in _LINKS:
                        if word.startswith(link, j) and j + len(link) < n:
                            rest = best_from(j + len(link))
                            if rest is not None:
                                break
            if rest is not None and (best is None or len(rest) + 1 < len(best)):
                best = [part, *rest]
        memo[i] = best
        return best

    parts = best_from(0)
    return parts if parts is not None and len(parts) >= 2 else None
