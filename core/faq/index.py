"""In-memory FAQ index: BM25-style rarity weighting over slots, incremental updates.

Score of an entry for a query (0..1, independent of the query's length)::

    coverage  = Σ w(slot) · match(slot, entry fields) / Σ w(slot)      # how much of the query
    precision = best over question, variants and tags of the same, the other way round
    score     = coverage · (PRECISION_FLOOR + (1 - PRECISION_FLOOR) · precision)

``w`` is the BM25 IDF of the slot's term (unknown words weigh like rare ones, so a query about
something the base never mentions scores low; a word known only through a synonym weighs as
its group); ``match`` is 1 for the literal word in the question or a variant, less for tags
and the answer, for lemmas, the synonym tables, compound parts, typos and — least — general
synonyms from OpenThesaurus (``core.faq.thesaurus``).

Three bands (:class:`FaqResult`): answer at :data:`ANSWER_THRESHOLD`, offer what is near from
:data:`OFFER_THRESHOLD`, abstain below.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from core.domain.faq import FaqEntry
from core.faq.analyze import SYNONYM_FACTOR, Analyzer, Slot
from core.faq.normalize import is_stop, stem, tokenize
from core.faq.synonyms import Synonyms, load_synonyms
from core.faq.thesaurus import Thesaurus, load_thesaurus

__all__ = [
    "AMBIGUITY_MARGIN",
    "ANSWER_THRESHOLD",
    "OFFER_THRESHOLD",
    "FaqHit",
    "FaqIndex",
    "FaqResult",
]

ANSWER_THRESHOLD = 0.30
"""A top score at or above this is a confident answer."""
OFFER_THRESHOLD = 0.22
"""Below the answer threshold, hits at or above this are offered as "did you mean"; a top
score below it means nothing is near and the bot abstains (calibrated on
``bench/data/kb_tuning*.yaml`` and the starter base, never on the second base)."""
AMBIGUITY_MARGIN = 0.06
"""A runner-up within this distance of the top score makes the result ambiguous."""

FIELD_WEIGHTS = {"question": 1.0, "variants": 1.0, "tags": 0.8, "answer": 0.5}
PRECISION_FLOOR = 0.4
MIN_INFORMATION = 0.45  # share of a unique term's weight a query needs for full confidence
UNKNOWN_WEIGHT = 0.8  # weight of a word the base does not know, relative to the rarest term
MIN_SCORE = 0.05
_CANDIDATES = 40
_COMMON_SHARE = 0.25  # terms in more than this share of entries do not generate candidates


@dataclass(frozen=True)
class FaqHit:
    """One result: an entry and its confidence (0..1)."""

    entry: FaqEntry
    score: float


@dataclass(frozen=True)
class FaqResult:
    """Best hits first. Three bands: ``answered`` when the top one is confident (then
    ``ambiguous`` when the runner-up is about as good: offer the top three); ``near`` when it
    is not confident but close (offer what is near); otherwise nothing is near (abstain)."""

    query: str
    hits: tuple[FaqHit, ...]
    answered: bool
    ambiguous: bool

    @property
    def best(self) -> FaqHit | None:
        """The confident answer, if any."""
        return self.hits[0] if self.answered else None

    @property
    def near(self) -> tuple[FaqHit, ...]:
        """Without a confident answer: the hits close enough to offer (may be empty)."""
        if self.answered:
            return ()
        return tuple(hit for hit in self.hits if hit.score >= OFFER_THRESHOLD)


@dataclass(slots=True)
class _Doc:
    entry: FaqEntry
    fields: dict[str, float]  # term -> best field weight
    texts: tuple[tuple[tuple[Slot, ...], float], ...]  # question, variants, tags; weight
    words: frozenset[str]  # folded content words
    unsplit: frozenset[str]  # long folded words without a compound split
    weighed: list[tuple[float, _Compiled]] | None = None  # ``texts`` weighed as of ``epoch``
    epoch: int = -1


Part = tuple[str, ...]
_Compiled = list[tuple[float, list[tuple[float, list[tuple[float, Part]]]]]]
# Per slot: its weight and per option (factor, parts with their shares of the option's weight).


class _Idf(dict[str, float]):
    """A term's BM25 IDF, computed on first use (the postings do not change during a search)."""

    __slots__ = ("_index",)

    def __init__(self, index: FaqIndex) -> None:
        super().__init__()
        self._index = index

    def __missing__(self, term: str) -> float:
        value = self[term] = self._index._idf(term)
        return value


class FaqIndex:
    """The FAQ knowledge base, indexed once and updated entry by entry."""

    def __init__(
        self,
        entries: Iterable[FaqEntry] = (),
        synonyms: Synonyms | None = None,
        thesaurus: Thesaurus | None = None,
    ) -> None:
        self._synonyms = synonyms if synonyms is not None else load_synonyms()
        self._thesaurus = thesaurus  # the packaged one is read at the first search
        self._docs: dict[str, _Doc] = {}
        self._epoch = 0  # counts changes; cached per-entry weights of another epoch are stale
        self._postings: dict[str, dict[str, float]] = {}
        self._word_df: Counter[str] = Counter()  # folded words, for compound splitting
        self._stem_df: Counter[str] = Counter()  # their stems, for typo correction
        self._analyzer = Analyzer(self._synonyms, self._word_df.__contains__)
        self._by_len: dict[int, set[str]] = {}
        self._by_len_lists: dict[int, list[str]] = {}
        for term in self._synonyms.vocabulary:
            self._by_len.setdefault(len(term), set()).add(term)
        entries = list(entries)
        for entry in entries:  # vocabulary first, so compounds split against all entries
            for word in self._entry_words(entry):
                self._add_word(word)
        self._analyzer.vocabulary_changed()
        for entry in entries:
            self._remove_doc(entry.id)
            self._add_doc(self._analyse(entry))

    # -- public API -----------------------------------------------------------------

    def upsert(self, entry: FaqEntry) -> None:
        """Add an entry or replace the one with the same id."""
        old = self._remove_doc(entry.id)
        if old is not None:
            for word in self._entry_words(old.entry):
                self._drop_word(word)
        new_words = [w for w in self._entry_words(entry) if w not in self._word_df]
        for word in self._entry_words(entry):
            self._add_word(word)
        if new_words:
            self._analyzer.vocabulary_changed()
        self._add_doc(self._analyse(entry))
        if new_words:
            self._resplit(entry.id, new_words)

    def remove(self, entry_id: str) -> None:
        """Remove an entry (no-op when absent)."""
        doc = self._remove_doc(entry_id)
        if doc is not None:
            for word in self._entry_words(doc.entry):
                self._drop_word(word)

    @property
    def synonyms(self) -> Synonyms:
        return self._synonyms

    def entries(self) -> list[FaqEntry]:
        """All entries, in insertion order."""
        return [doc.entry for doc in self._docs.values()]

    def get(self, entry_id: str) -> FaqEntry | None:
        """The entry with this id, or ``None``."""
        doc = self._docs.get(entry_id)
        return doc.entry if doc else None

    def __len__(self) -> int:
        return len(self._docs)

    def search(self, query: str, limit: int = 3) -> FaqResult:
        """Best entries for ``query`` with confidence scores; never rebuilds anything."""
        # Repeating a word adds no information: one slot per term.
        slots = list({slot.key: slot for slot in self._analyzer.slots(query, self)}.values())
        if not slots or not self._docs or limit < 1:
            return FaqResult(query, (), False, False)
        idf = _Idf(self)  # every term's weight, worked out once per search
        compiled = self._weigh(slots, idf)
        weight_sum = sum(weight for weight, _ in compiled)
        # A query made only of words found nearly everywhere ("Netzwerk") says too little
        # to be answered confidently: normalise by at least a share of the rarest term's weight.
        total = max(weight_sum, MIN_INFORMATION * self._idf_rarest())
        estimate = self._coverage(compiled)
        shortlist = sorted(estimate, key=estimate.__getitem__, reverse=True)[:_CANDIDATES]
        coverage = {
            entry_id: self._exact_coverage(compiled, self._docs[entry_id].fields) / total
            for entry_id in shortlist
        }
        query_terms = {t for slot in slots for t in slot.terms()}
        ranked = sorted(coverage.items(), key=lambda kv: kv[1], reverse=True)
        scored: list[tuple[float, str]] = []
        for entry_id, cov in ranked:
            if len(scored) >= limit and cov <= scored[limit - 1][0]:
                break
            precision = self._precision(self._docs[entry_id], query_terms, idf)
            score = cov * (PRECISION_FLOOR + (1.0 - PRECISION_FLOOR) * precision)
            scored.append((score, entry_id))
            scored.sort(key=lambda se: (-se[0], se[1]))
        hits = tuple(
            FaqHit(self._docs[entry_id].entry, round(score, 4))
            for score, entry_id in scored[:limit]
            if score >= MIN_SCORE
        )
        answered = bool(hits) and hits[0].score >= ANSWER_THRESHOLD
        ambiguous = answered and len(hits) > 1 and hits[1].score >= hits[0].score - AMBIGUITY_MARGIN
        return FaqResult(query, hits, answered, ambiguous)

    # -- weighting --------------------------------------------------------------------

    def _idf(self, term: str) -> float:
        n = len(self._docs)
        df = len(self._postings.get(term, ()))
        if df == 0:
            return UNKNOWN_WEIGHT * math.log(1.0 + (n + 0.5) / 0.5)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _idf_rarest(self) -> float:
        n = len(self._docs)
        return math.log(1.0 + (n - 0.5) / 1.5)

    def _part_weight(self, part: Part, idf: _Idf) -> float:
        """A part's rarity: its own term's, or — for a word the base knows only through
        synonyms ("membership" ~ "Mitgliedschaft") — its most common group's."""
        if part[0] in self._postings:
            return idf[part[0]]
        groups = [idf[group] for group in part[1:] if group in self._postings]
        return min(groups) if groups else idf[part[0]]

    def _slot_weight(self, slot: Slot, idf: _Idf) -> float:
        if slot.key in self._postings:
            return idf[slot.key]
        return max(
            sum(self._part_weight(part, idf) for part in option.parts) / len(option.parts)
            for option in slot.options
        )

    def _coverage(self, compiled: _Compiled) -> dict[str, float]:
        """Candidate entries with a coverage estimate, from the postings of the query's terms.

        Terms found in more than ``_COMMON_SHARE`` of the entries do not nominate candidates
        (unless the query has nothing rarer); ``_exact_coverage`` counts them afterwards.
        """
        postings = self._postings
        cap = max(_CANDIDATES, _COMMON_SHARE * len(self._docs))
        terms = {t for _, options in compiled for _, parts in options for _, p in parts for t in p}
        if all(len(postings.get(t, ())) > cap for t in terms):
            cap = len(self._docs)
        totals: dict[str, float] = {}
        for weight, options in compiled:
            best: dict[str, float] = {}
            for factor, parts in options:
                acc: dict[str, float] = {}
                for share, part in parts:
                    values: dict[str, float] = {}
                    for n, term in enumerate(part):
                        posting = postings.get(term)
                        if not posting or len(posting) > cap:
                            continue
                        scale = 1.0 if n == 0 else SYNONYM_FACTOR
                        for entry_id, fw in posting.items():
                            v = scale * fw
                            if v > values.get(entry_id, 0.0):
                                values[entry_id] = v
                    for entry_id, v in values.items():
                        acc[entry_id] = acc.get(entry_id, 0.0) + share * v
                for entry_id, v in acc.items():
                    v *= factor
                    if v > best.get(entry_id, 0.0):
                        best[entry_id] = v
            for entry_id, v in best.items():
                totals[entry_id] = totals.get(entry_id, 0.0) + weight * v
        return totals

    @staticmethod
    def _exact_coverage(compiled: _Compiled, fields: dict[str, float]) -> float:
        """Unnormalised query coverage of one entry (all terms, common ones included)."""
        total = 0.0
        for weight, options in compiled:
            best = 0.0
            for factor, parts in options:
                value = 0.0
                for share, part in parts:
                    v = fields.get(part[0], 0.0)
                    for group in part[1:]:
                        v = max(v, SYNONYM_FACTOR * fields.get(group, 0.0))
                    value += share * v
                best = max(best, factor * value)
            total += weight * best
        return total

    def _precision(self, doc: _Doc, query_terms: set[str], idf: _Idf) -> float:
        """Best share of a question, variant or tag (by weight) that the query's terms cover,
        scaled by the field's weight."""
        if doc.epoch != self._epoch or doc.weighed is None:
            doc.weighed = [
                (field_weight, self._weigh(text, idf)) for text, field_weight in doc.texts
            ]
            doc.epoch = self._epoch
        best = 0.0
        for field_weight, slots in doc.weighed:
            if field_weight <= best:  # a text covers at most all of itself
                continue
            got = total = 0.0
            for weight, options in slots:
                total += weight
                value = 0.0
                for factor, parts in options:
                    matched = 0.0
                    for share, part in parts:
                        if part[0] in query_terms:
                            matched += share
                        elif len(part) > 1 and not query_terms.isdisjoint(part[1:]):
                            matched += SYNONYM_FACTOR * share
                    if factor * matched > value:
                        value = factor * matched
                got += weight * value
            if total and field_weight * got / total > best:
                best = field_weight * got / total
        return best

    def _weigh(self, slots: Iterable[Slot], idf: _Idf) -> _Compiled:
        """Slots with their weights and each option's parts with their shares."""
        weighed: _Compiled = []
        for slot in slots:
            options = []
            for option in slot.options:
                idfs = [self._part_weight(part, idf) for part in option.parts]
                norm = sum(idfs) or 1.0
                shares = [(i / norm, p) for i, p in zip(idfs, option.parts, strict=True)]
                options.append((option.factor, shares))
            weighed.append((self._slot_weight(slot, idf), options))
        return weighed

    # -- typo correction --------------------------------------------------------------

    def related(self, term: str) -> tuple[list[str], bool]:
        """General synonyms (OpenThesaurus) of a query stem that the base uses, and whether
        the base uses the stem itself (then a synonym, maybe of another sense, must not
        compete with the word's own matches: "Treffen" → "Date" → "Daten")."""
        if self._thesaurus is None:
            self._thesaurus = load_thesaurus()
        postings = self._postings
        return [other for other in self._thesaurus.related(term) if other in postings], (
            term in postings
        )

    def similar(self, term: str) -> list[tuple[str, int]]:
        """Known terms within one edit (two for long words) of an unknown query stem."""
        if term in self._postings or term in self._synonyms.vocabulary or term.isdigit():
            return []
        if len(term) < 5:
            return []
        max_dist = 2 if len(term) >= 8 else 1
        choices: list[str] = []
        for length in range(len(term) - max_dist, len(term) + max_dist + 1):
            choices.extend(self._length_bucket(length))
        found = process.extract(term, choices, scorer=OSA.distance, score_cutoff=max_dist, limit=5)
        if not found:
            return []
        best = min(d for _, d, _ in found)
        return [(choice, int(d)) for choice, d, _ in found if d == best and d > 0]

    def _length_bucket(self, length: int) -> list[str]:
        cached = self._by_len_lists.get(length)
        if cached is None:
            cached = sorted(self._by_len.get(length, ()))
            self._by_len_lists[length] = cached
        return cached

    # -- maintenance --------------------------------------------------------------------

    @staticmethod
    def _entry_texts(entry: FaqEntry) -> Iterable[tuple[str, str]]:
        yield "question", entry.question
        for variant in entry.variants:
            yield "variants", variant
        for tag in entry.tags:
            yield "tags", tag
        yield "answer", entry.answer

    def _entry_words(self, entry: FaqEntry) -> set[str]:
        words: set[str] = set()
        for _, text in self._entry_texts(entry):
            words |= self._analyzer.words(text)
        return words

    def _add_word(self, word: str) -> None:
        self._word_df[word] += 1
        term = stem(word)
        if self._stem_df[term] == 0:
            bucket = self._by_len.setdefault(len(term), set())
            if term not in bucket:
                bucket.add(term)
                self._by_len_lists.pop(len(term), None)
        self._stem_df[term] += 1

    def _drop_word(self, word: str) -> None:
        self._word_df[word] -= 1
        if self._word_df[word] <= 0:
            del self._word_df[word]
            self._analyzer.vocabulary_changed()
        term = stem(word)
        self._stem_df[term] -= 1
        if self._stem_df[term] <= 0:
            del self._stem_df[term]
            if term not in self._synonyms.vocabulary:
                self._by_len.get(len(term), set()).discard(term)
                self._by_len_lists.pop(len(term), None)

    def _analyse(self, entry: FaqEntry) -> _Doc:
        fields: dict[str, float] = {}
        for field, text in self._entry_texts(entry):
            weight = FIELD_WEIGHTS[field]
            for term in self._analyzer.terms(text):
                if weight > fields.get(term, 0.0):
                    fields[term] = weight
        texts = tuple(
            (tuple(self._analyzer.slots(text)), FIELD_WEIGHTS[field])
            for field, text in self._entry_texts(entry)
            if field != "answer"
        )
        unsplit = frozenset(
            word
            for _, text in self._entry_texts(entry)
            for word in tokenize(text)
            if len(word) >= 8 and not is_stop(word) and not self._analyzer.compound_parts(word)
        )
        return _Doc(entry, fields, texts, frozenset(self._entry_words(entry)), unsplit)

    def _add_doc(self, doc: _Doc) -> None:
        self._epoch += 1  # every weight may have changed
        self._docs[doc.entry.id] = doc
        for term, weight in doc.fields.items():
            self._postings.setdefault(term, {})[doc.entry.id] = weight

    def _remove_doc(self, entry_id: str) -> _Doc | None:
        doc = self._docs.pop(entry_id, None)
        if doc is not None:
            self._epoch += 1
            for term in doc.fields:
                posting = self._postings.get(term)
                if posting is not None:
                    posting.pop(entry_id, None)
                    if not posting:
                        del self._postings[term]
        return doc

    def _resplit(self, changed_id: str, new_words: list[str]) -> None:
        """Re-analyse entries with compounds that the new words may now split."""
        probes = [w for w in new_words if len(w) >= 4]
        for entry_id, doc in list(self._docs.items()):
            if entry_id != changed_id and any(p in w for w in doc.unsplit for p in probes):
                self._remove_doc(entry_id)
                self._add_doc(self._analyse(doc.entry))
