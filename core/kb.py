"""The knowledge base as use cases: entries stored in the database and mirrored in the
in-memory index, questions the index cannot answer forwarded to people, and unanswered queries
counted without names."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from core.audit import record
from core.authority import load_person, require
from core.domain import guests
from core.domain.authority import Action
from core.domain.errors import DomainError, InvalidInput, NotFound
from core.domain.faq import FaqEntry, topic_label
from core.domain.notices import Notice
from core.domain.people import Person, Role
from core.domain.text import is_web_address, without_markup
from core.faq import FaqIndex, FaqResult, Synonyms
from core.faq.normalize import fold, is_stop, tokenize
from core.faq.records import FaqGap, ForwardedQuestion
from core.ports import UnitOfWork

ID_MAX = 100
TOPIC_MAX = 100
GAP_MAX = 300
RESULTS = 3
#: How many of the most frequent gaps ``list_gaps`` checks against the current index.
GAP_SCAN = 100

_WORD = re.compile(r"\w+")
#: An entry's id: lower-case letters and digits, single hyphens between (as in the file).
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: E-mail and web addresses, removed before a search is counted.
_ADDRESS = re.compile(r"\S+@\S+|https?://\S+|www\.\S+", re.IGNORECASE)
#: Longer unanswered searches are counted without their text (they tend to tell a story).
GAP_WORDS = 12
LONG_GAP = "…"


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int
    updated: int
    unchanged: int
    removed: int


@dataclass(frozen=True, slots=True)
class ForwardReport:
    question: ForwardedQuestion
    recipients: int
    to_supporters: bool  # ``False``: nobody has the topic, the organizers were told


# --- entries ----------------------------------------------------------------------------


#: The knowledge base's revision, counted up by every change in any process (state key).
REVISION_KEY = "kb.revision"
#: More changed entries than this and a process builds a new index in a worker thread.
REBUILD_AT = 100


async def load_index(uow: UnitOfWork, synonyms: Synonyms | None = None) -> tuple[FaqIndex, int]:
    """Build the index from the stored entries (once, when the application starts); returns
    it with the revision it reflects (read first: a change meanwhile is caught up later)."""
    async with uow:
        revision = int(await uow.state.get(REVISION_KEY) or 0)
        entries = await uow.faq_entries.list()
    return FaqIndex(entries, synonyms), revision


async def sync_index(uow: UnitOfWork, index: FaqIndex, *, known: int) -> tuple[FaqIndex, int]:
    """Catch up with changes other processes made (an import, an adopted answer): returns
    the index to use and the revision it now reflects.

    Unchanged revision: nothing is read but the number. A few changed entries are applied to
    ``index`` in place, entry by entry; more than :data:`REBUILD_AT` build a new index in a
    worker thread (the event loop keeps answering: ``bench/faq_rebuild.py``), handed back to
    be swapped in at once."""
    async with uow:
        revision = int(await uow.state.get(REVISION_KEY) or 0)
        if revision == known:
            return index, revision
        entries = await uow.faq_entries.list()
    stored = {entry.id for entry in entries}
    current = {entry.id: entry for entry in index.entries()}
    changed = [entry for entry in entries if current.get(entry.id) != entry]
    removed = [entry_id for entry_id in current if entry_id not in stored]
    if len(changed) + len(removed) > REBUILD_AT:
        return await _built_aside(entries, index.synonyms), revision
    for entry_id in removed:
        index.remove(entry_id)
    for entry in changed:
        index.upsert(entry)
    return index, revision


#: While an index is built in a worker thread, the interpreter hands its lock between threads
#: this often (seconds; Python's default is 0.005): the event loop, which needs the lock back
#: after each database round trip, then waits a tenth as long each time.
REBUILD_SWITCH_INTERVAL = 0.0001


async def _built_aside(entries: list[FaqEntry], synonyms: Synonyms) -> FaqIndex:
    """A new index built in a worker thread while the event loop keeps answering."""
    default = sys.getswitchinterval()
    sys.setswitchinterval(min(default, REBUILD_SWITCH_INTERVAL))
    try:
        return await asyncio.to_thread(FaqIndex, entries, synonyms)
    finally:
        sys.setswitchinterval(default)


async def _count_revision(uow: UnitOfWork, now: datetime) -> None:
    """Within a changing transaction: tell every process the knowledge base changed."""
    revision = int(await uow.state.get(REVISION_KEY) or 0) + 1
    await uow.state.set(REVISION_KEY, str(revision), now)


async def list_entries(uow: UnitOfWork) -> list[FaqEntry]:
    async with uow:
        return await uow.faq_entries.list()


def check_entries(entries: Sequence[FaqEntry]) -> None:
    """What the file format leaves open: unique ids and the lengths the database keeps."""
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise InvalidInput("faq_duplicate_id", entry=entry.id)
        seen.add(entry.id)
        if len(entry.id) > ID_MAX:
            raise InvalidInput("faq_too_long", entry=entry.id[:40] + "…", field="id", max=ID_MAX)
        if entry.topic is not None and len(entry.topic) > TOPIC_MAX:
            raise InvalidInput("faq_too_long", entry=entry.id, field="topic", max=TOPIC_MAX)


async def import_entries(
    uow: UnitOfWork,
    index: FaqIndex,
    entries: Sequence[FaqEntry],
    *,
    replace_all: bool,
    now: datetime,
) -> ImportReport:
    """Add and update ``entries`` in one transaction; ``replace_all`` removes all others.

    Entries keep their order (new ones go to the end unless everything is replaced) and their
    ``updated`` time unless their content changes. After the commit the index follows, entry
    by entry.
    """
    check_entries(entries)
    incoming = {entry.id: entry for entry in entries}
    async with uow:
        current = await uow.faq_entries.list()
        old = {entry.id: (position, entry) for position, entry in enumerate(current)}
        removed = [entry_id for entry_id in old if entry_id not in incoming] if replace_all else []
        if replace_all:
            order = list(incoming)
        else:  # the stored order, then the new entries in the file's order
            order = [*old, *(entry_id for entry_id in incoming if entry_id not in old)]
        for entry_id in removed:
            await uow.faq_entries.delete(entry_id)
        changed: list[FaqEntry] = []
        unchanged = 0
        for position, entry_id in enumerate(order):
            if entry_id not in incoming:
                continue
            previous = old.get(entry_id)
            entry = incoming[entry_id]
            if previous is not None and _same(previous[1], entry):
                unchanged += 1
                if previous[0] != position:
                    await uow.faq_entries.update(previous[1], position)
                continue
            entry = replace(entry, updated=now)
            if previous is None:
                await uow.faq_entries.add(entry, position)
            else:
                await uow.faq_entries.update(entry, position)
            changed.append(entry)
        if changed or removed:
            await _count_revision(uow, now)
            await record(
                uow,
                actor_id=None,  # the operator (kb import) or the starter content
                action="faq.imported",
                subject="kb",
                now=now,
                saved=len(changed),
                removed=len(removed),
            )
        await uow.commit()
    for entry_id in removed:
        index.remove(entry_id)
    for entry in changed:
        index.upsert(entry)
    added = sum(1 for e in changed if e.id not in old)
    return ImportReport(added, len(changed) - added, unchanged, len(removed))


def _same(a: FaqEntry, b: FaqEntry) -> bool:
    return replace(a, updated=None) == replace(b, updated=None)


def entry_problems(entry: FaqEntry) -> list[InvalidInput]:
    """Everything wrong with one entry as the office wrote it, each as the error
    :func:`save_entry` would raise (the desk shows them all at once, by their fields):
    ``faq_id_invalid``, ``faq_question_empty``, ``faq_answer_empty``, ``faq_link_invalid``
    and :func:`check_entries`' ``faq_too_long``."""
    problems = []
    if not ID_PATTERN.match(entry.id):
        problems.append(InvalidInput("faq_id_invalid"))
    if not entry.question.strip():
        problems.append(InvalidInput("faq_question_empty"))
    if not entry.answer.strip():
        problems.append(InvalidInput("faq_answer_empty"))
    problems += [
        InvalidInput("faq_link_invalid", link=link[:60])
        for link in entry.links
        if not is_web_address(link)
    ]
    try:
        check_entries([entry])
    except InvalidInput as exc:
        problems.append(exc)
    return problems


async def get_entry(uow: UnitOfWork, *, actor_id: int | None, entry_id: str) -> FaqEntry:
    """The stored entry ``entry_id`` as the office edits it (organizers; ``None``: the
    operator or an API client). Raises NotFound ``faq_entry_not_found``, NotAllowed."""
    async with uow:
        await require(uow, actor_id, Action.REVIEW_KB)
        return _stored(await uow.faq_entries.list(), entry_id)[1]


async def entries_to_manage(uow: UnitOfWork, *, actor_id: int | None) -> list[FaqEntry]:
    """Every stored entry in its order, for the office's list (organizers). Raises
    NotAllowed."""
    async with uow:
        await require(uow, actor_id, Action.REVIEW_KB)
        return await uow.faq_entries.list()


def _stored(entries: Sequence[FaqEntry], entry_id: str) -> tuple[int, FaqEntry]:
    """The position and entry with ``entry_id``, or NotFound ``faq_entry_not_found``."""
    for position, entry in enumerate(entries):
        if entry.id == entry_id:
            return position, entry
    raise NotFound("faq_entry_not_found", id=entry_id[:40])


async def save_entry(
    uow: UnitOfWork,
    index: FaqIndex,
    entry: FaqEntry,
    *,
    actor_id: int | None,
    new: bool,
    now: datetime,
) -> FaqEntry:
    """Store one entry the office wrote (organizers): ``new`` adds it at the end, otherwise
    it replaces the stored entry with its id (in its place). Returns the entry as stored
    (``updated`` is ``now`` unless nothing changed, then nothing is written). ``index``
    follows at once; other processes catch up through the revision. Audit: ``faq.saved``
    with its question.

    Raises InvalidInput (the first of :func:`entry_problems`, or ``faq_id_taken`` for a new
    entry whose id is in use), NotFound ``faq_entry_not_found`` (no entry to replace),
    NotAllowed."""
    async with uow:
        await require(uow, actor_id, Action.MANAGE_KB)
        problems = entry_problems(entry)
        if problems:
            raise problems[0]
        entries = await uow.faq_entries.list()
        if new:
            if any(e.id == entry.id for e in entries):
                raise InvalidInput("faq_id_taken", id=entry.id)
            position, previous = len(entries), None
        else:
            position, previous = _stored(entries, entry.id)
            if _same(previous, entry):
                return previous
        entry = replace(entry, updated=now)
        if previous is None:
            await uow.faq_entries.add(entry, position)
        else:
            await uow.faq_entries.update(entry, position)
        await _count_revision(uow, now)
        await record(
            uow,
            actor_id=actor_id,
            action="faq.saved",
            subject=f"faq:{entry.id}",
            now=now,
        )
        await uow.commit()
    index.upsert(entry)
    return entry


async def delete_entry(
    uow: UnitOfWork, index: FaqIndex, *, actor_id: int | None, entry_id: str, now: datetime
) -> FaqEntry:
    """Remove one entry (organizers); the entries after it move up. Returns the entry as it
    was. ``index`` follows at once. Audit: ``faq.deleted`` with its question.

    Raises NotFound ``faq_entry_not_found``, NotAllowed."""
    async with uow:
        await require(uow, actor_id, Action.MANAGE_KB)
        entries = await uow.faq_entries.list()
        position, entry = _stored(entries, entry_id)
        await uow.faq_entries.delete(entry_id)
        for moved, later in enumerate(entries[position + 1 :], start=position):
            await uow.faq_entries.update(later, moved)
        await _count_revision(uow, now)
        await record(
            uow,
            actor_id=actor_id,
            action="faq.deleted",
            subject=f"faq:{entry_id}",
            now=now,
        )
        await uow.commit()
    index.remove(entry_id)
    return entry


def draft_entry(index: FaqIndex, text: str) -> FaqEntry:
    """A new entry to write from a query nobody found an answer to (a gap): an unused id
    from its words, the query as a heading, no answer yet."""
    taken = {entry.id for entry in index.entries()}
    return FaqEntry(_new_id(text, taken), as_heading(text), "")


def find_entry(index: FaqIndex, entry_id: str) -> FaqEntry:
    entry_id = entry_id.strip().lower()
    if not entry_id:
        raise InvalidInput("faq_id_missing")
    entry = index.get(entry_id)
    if entry is None:
        raise NotFound("faq_entry_not_found", id=entry_id[:40])
    return entry


# --- asking -------------------------------------------------------------------------------


async def ask(
    uow: UnitOfWork, index: FaqIndex, *, query: str, now: datetime, limit: int = RESULTS
) -> FaqResult:
    """Search the base; a query without a confident answer is counted, without the asker.

    Markup pasted into a question (HTML tags) is no part of it: it is neither searched nor
    counted. Raises :class:`InvalidInput` ``faq_question_missing`` when nothing is left."""
    result = search(index, query=query, limit=limit)
    if not result.answered:
        async with uow:
            names = {w for p in await uow.persons.list() for w in _WORD.findall(p.display_name)}
            gap = gap_text(result.query, names)
            if gap:
                await uow.faq_gaps.record(gap, now)
                await uow.commit()
    return result


def search(index: FaqIndex, *, query: str, limit: int = RESULTS) -> FaqResult:
    """What ``/faq`` finds for ``query``, best first, counting nothing (the office's own
    searches are no gaps). Pasted markup is no part of the query; raises InvalidInput
    ``faq_question_missing`` when nothing is left."""
    query = without_markup(query)
    if not query:
        raise InvalidInput("faq_question_missing")
    return index.search(query, limit)


def gap_text(query: str, names: Iterable[str] = ()) -> str:
    """The query as counted: lower case, words only, so that spellings of it add up; and
    without what could say who asked (data minimisation, DSGVO Art. 5(1)(c)): e-mail and web
    addresses, every word with a digit (phone numbers, dates, house numbers) and every word
    of a name the bot knows (``names``). A query still longer than :data:`GAP_WORDS` words
    is counted under :data:`LONG_GAP`, without its text."""
    text = _ADDRESS.sub(" ", query).casefold()
    known = {fold(n) for n in names}
    words = [
        w
        for w in _WORD.findall(text)
        if not any(c.isdigit() for c in w) and not _is_name(fold(w), known)
    ]
    if len(words) > GAP_WORDS:
        return LONG_GAP
    return " ".join(words)[:GAP_MAX].strip()


def _is_name(word: str, names: set[str]) -> bool:
    """A known name in any spelling the search also accepts (ä/ae, ß/ss), or its genitive."""
    return word in names or (word.endswith("s") and word[:-1] in names)


async def list_gaps(
    uow: UnitOfWork, index: FaqIndex, *, actor_id: int | None, limit: int = 20
) -> list[FaqGap]:
    """The most frequent unanswered queries that the base still cannot answer (organizers)."""
    async with uow:
        await require(uow, actor_id, Action.VIEW_FAQ_GAPS)
        gaps = await uow.faq_gaps.top(GAP_SCAN)
    return [gap for gap in gaps if not index.search(gap.query, 1).answered][:limit]


# --- questions for people -------------------------------------------------------------


async def forward_question(
    uow: UnitOfWork, index: FaqIndex, *, person_id: int, text: str, now: datetime
) -> ForwardReport:
    """Store the question and tell the supporters for its likeliest topic, else the organizers.

    The topic is that of the best hit, however weak: a question the base cannot answer is
    usually still closest to entries of the right topic.
    """
    text = without_markup(text)  # pasted markup is no part of the question (see ask)
    if not text:
        raise InvalidInput("faq_forward_missing")
    hits = index.search(text, 1).hits
    topic = hits[0].entry.topic if hits else None
    async with uow:
        asker = await load_person(uow, person_id)
        asked = await uow.faq_questions.asked_by(asker.id)
        same = fold(text).strip(" ?!.")
        for earlier in asked:  # the same question, still waiting: once is enough
            if not earlier.is_answered and fold(earlier.text).strip(" ?!.") == same:
                raise InvalidInput("faq_forwarded_already", id=earlier.id)
        if asker.is_guest:
            since = now - guests.FORWARD_WINDOW
            recent = [q for q in asked if q.created_at > since]
            if len(recent) >= guests.FORWARDS:
                raise DomainError("guest_forward_limit", max=guests.FORWARDS)
        people = [p for p in await uow.persons.list() if p.id != asker.id]
        recipients = _supporters(people, topic)
        to_supporters = bool(recipients)
        if not to_supporters:
            recipients = [p for p in people if p.is_organizer]
        question = await uow.faq_questions.add(ForwardedQuestion(asker.id, text, topic, now))
        key, params = "faq_forwarded", {"id": question.id, "question": text}
        if topic:
            key, params = "faq_forwarded_topic", {**params, "topic": topic_label(topic)}
        for person in recipients:
            uow.notify(Notice(person.id, key, params))
        await uow.commit()
    return ForwardReport(question, len(recipients), to_supporters)


def _supporters(people: Sequence[Person], topic: str | None) -> list[Person]:
    if not topic:
        return []
    wanted = fold(topic).strip()
    return [
        p
        for p in people
        if p.has_role(Role.SUPPORTER) and any(fold(t).strip() == wanted for t in p.supporter_topics)
    ]


async def answer_question(
    uow: UnitOfWork, *, actor_id: int, question_id: int, text: str, now: datetime
) -> ForwardedQuestion:
    """A supporter's or organizer's answer, sent to the asker through the bot; first one wins."""
    text = text.strip()
    if not text:
        raise InvalidInput("faq_answer_missing", id=question_id)
    async with uow:
        actor = await _require_helper(uow, actor_id)
        question = await uow.faq_questions.get(question_id)
        if question is None:
            raise NotFound("faq_question_not_found", id=question_id)
        if not _answers(actor, question):
            raise DomainError("faq_not_your_topic", id=question_id)
        if not await uow.faq_questions.answer(
            question_id, answered_by=actor.id, answer=text, now=now
        ):
            raise DomainError("faq_already_answered", id=question_id)
        uow.notify(
            Notice(
                question.asker_id,
                "faq_answered",
                {"question": question.text, "answer": text, "name": actor.display_name},
            )
        )
        await uow.commit()
    question.answered_by, question.answered_at, question.answer = actor.id, now, text
    return question


@dataclass(frozen=True, slots=True)
class Adopted:
    entry: FaqEntry
    created: bool  # a new entry (else the question became a variant of ``entry``)


async def adopt_answer(
    uow: UnitOfWork,
    index: FaqIndex,
    *,
    actor_id: int,
    question_id: int,
    entry_id: str | None,
    now: datetime,
) -> Adopted:
    """What the network learnt from a forwarded question goes into the knowledge base
    (organizers): with ``entry_id`` the question becomes a variant of that entry (so the
    next person asking it so gets that answer); without, a new entry with the question and
    the answer given, under the question's topic. The index follows at once.

    Raises NotFound ``faq_question_not_found`` / ``faq_entry_not_found``, InvalidInput
    ``faq_not_answered_yet``, NotAllowed."""
    async with uow:
        await require(uow, actor_id, Action.MANAGE_KB)
        question = await uow.faq_questions.get(question_id)
        if question is None:
            raise NotFound("faq_question_not_found", id=question_id)
        if question.answer is None:
            raise InvalidInput("faq_not_answered_yet", id=question_id)
        if not [w for w in tokenize(question.text) if not is_stop(w)]:
            raise InvalidInput("faq_adopt_empty", id=question_id)
        entries = await uow.faq_entries.list()
        asked = fold(question.text).strip(" ?!.")
        for known in entries:  # adopted before, or asked just so: once is enough
            if asked in {fold(t).strip(" ?!.") for t in (known.question, *known.variants)}:
                raise InvalidInput("faq_already_adopted", id=question_id, entry=known.id)
        if entry_id is not None:
            position, entry = next(
                ((i, e) for i, e in enumerate(entries) if e.id == entry_id), (None, None)
            )
            if entry is None or position is None:
                raise NotFound("faq_entry_not_found", id=entry_id)
            if question.text not in entry.variants:
                entry = replace(entry, variants=(*entry.variants, question.text), updated=now)
                check_entries([entry])
                await uow.faq_entries.update(entry, position)
            created = False
        else:
            taken = {e.id for e in entries}
            entry = FaqEntry(
                _new_id(question.text, taken),
                as_heading(question.text),
                question.answer,
                topic=question.topic,
                updated=now,
            )
            check_entries([entry])
            await uow.faq_entries.add(entry, len(entries))
            created = True
        await _count_revision(uow, now)
        subject = f"faq:{entry.id}"
        await record(uow, actor_id=actor_id, action="faq.adopted", subject=subject, now=now)
        await uow.commit()
    index.upsert(entry)
    return Adopted(entry, created)


def as_heading(text: str) -> str:
    """A question as typed on a phone made an entry's heading: one line, the first letter
    raised, a question mark where no sentence mark ends it: "was kostet die mitgliedschaft"
    → "Was kostet die mitgliedschaft?" (nouns are for the office to correct)."""
    text = " ".join(text.split())
    text = text[:1].upper() + text[1:]
    return text if text.endswith(("?", "!", ".", "…")) else f"{text}?"


def _new_id(question: str, taken: set[str]) -> str:
    """A slug of the question's first content words (``foerdermittel-ehrenamtsfest``),
    numbered when taken."""
    words = [w for w in tokenize(question) if not is_stop(w)][:4] or ["frage"]
    base = "-".join(re.sub(r"[^a-z0-9]+", "", w) for w in words).strip("-")[:60] or "frage"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


async def rate_answer(uow: UnitOfWork, index: FaqIndex, *, entry_id: str, helpful: bool) -> None:
    """Count one "Hat das geholfen? 👍/👎" for the entry, without the person's name (so one
    person can count twice; the counts are a hint, not a vote). Raises NotFound
    ``faq_entry_not_found``."""
    entry = find_entry(index, entry_id)  # its own spelling of the id: one row per entry
    async with uow:
        await uow.faq_feedback.count(entry.id, helpful=helpful)
        await uow.commit()


async def unhelpful_entries(
    uow: UnitOfWork, *, actor_id: int, limit: int = 10
) -> list[tuple[str, int, int]]:
    """Entries somebody found unhelpful: (id, 👍, 👎), most 👎 first (organizers)."""
    async with uow:
        await require(uow, actor_id, Action.VIEW_FAQ_GAPS)
        return await uow.faq_feedback.unhelpful_first(limit)


async def open_questions(
    uow: UnitOfWork, *, actor_id: int, limit: int = 20
) -> list[ForwardedQuestion]:
    """Forwarded questions nobody has answered yet, oldest first: those ``actor`` may
    answer (supporters with topics: those of their topics)."""
    async with uow:
        actor = await _require_helper(uow, actor_id)
        if actor.is_organizer:
            return await uow.faq_questions.unanswered(limit)
        questions = await uow.faq_questions.unanswered()
    return [q for q in questions if _answers(actor, q)][:limit]


@dataclass(frozen=True, slots=True)
class AnsweredQuestion:
    question: ForwardedQuestion
    by: str | None  # who answered; ``None``: they have since erased their data


async def answered_questions(
    uow: UnitOfWork, *, actor_id: int, limit: int = 20
) -> list[AnsweredQuestion]:
    """Forwarded questions with their answers, the newest answer first (organizers: what
    could go into the knowledge base). Raises NotAllowed."""
    async with uow:
        await require(uow, actor_id, Action.REVIEW_KB)
        questions = await uow.faq_questions.answered(limit)
        names = {p.id: p.display_name for p in await uow.persons.list()}
    return [AnsweredQuestion(q, names.get(q.answered_by)) for q in questions]


@dataclass(frozen=True, slots=True)
class TopicCover:
    topic: str  # as the office wrote it first
    entries: int
    supporters: tuple[Person, ...]  # who hears of forwarded questions of the topic


@dataclass(frozen=True, slots=True)
class Coverage:
    topics: list[TopicCover]  # by topic
    generalists: list[Person]  # supporters without topics: they may answer any question


async def topic_coverage(uow: UnitOfWork, *, actor_id: int) -> Coverage:
    """The topics of the entries and of the supporters (spellings that
    :func:`forward_question` treats alike count as one), each with its number of entries and
    its supporters (organizers). Raises NotAllowed."""
    async with uow:
        await require(uow, actor_id, Action.REVIEW_KB)
        entries = await uow.faq_entries.list()
        people = await uow.persons.list()
    supporters = [p for p in people if p.has_role(Role.SUPPORTER)]
    named: dict[str, str] = {}
    for topic in [e.topic for e in entries if e.topic] + [
        t for p in supporters for t in p.supporter_topics
    ]:
        named.setdefault(fold(topic).strip(), topic)
    covers = [
        TopicCover(
            topic,
            sum(1 for e in entries if e.topic and fold(e.topic).strip() == key),
            tuple(_supporters(supporters, topic)),
        )
        for key, topic in sorted(named.items())
    ]
    return Coverage(covers, [p for p in supporters if not p.supporter_topics])


def _answers(actor: Person, question: ForwardedQuestion) -> bool:
    """Whether ``actor`` may answer ``question``: organizers and supporters without topics
    (generalists) any, other supporters those of their topics."""
    if actor.is_organizer or not actor.supporter_topics:
        return True
    return question.topic is not None and actor in _supporters([actor], question.topic)


async def _require_helper(uow: UnitOfWork, person_id: int) -> Person:
    actor = await require(uow, person_id, Action.ANSWER_QUESTIONS)
    assert actor is not None
    return actor
