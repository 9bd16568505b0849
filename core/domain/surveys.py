"""Evaluation surveys ("Befragungen"): questions, answers as typed, and their summary.

A survey belongs to one event and asks its attendees a few questions after it: Likert items
(1–5, each point labelled), single or multiple choice, and free text. Answers are anonymous:
what a person answered is stored without the person, without an order and without a time
(``storage.surveys``); here are only the pure rules.

Answer values, one per question: Likert ``1``–``5``; single choice the option's index
(from 0); multiple choice a sorted list of indices; free text the text; ``None`` skipped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from core.domain.errors import InvalidInput

#: Limits of what the office defines.
MAX_QUESTIONS = 30
MAX_OPTIONS = 12
MAX_QUESTION_LENGTH = 300
MAX_OPTION_LENGTH = 120
MAX_TITLE_LENGTH = 200
#: A free-text answer longer than this is refused (a chat message, not an essay).
MAX_TEXT_ANSWER = 2000
LIKERT_POINTS = 5
#: The labels of a Likert item unless the office gives its own (agreement with a statement).
AGREEMENT = (
    "stimme gar nicht zu",
    "stimme eher nicht zu",
    "teils, teils",
    "stimme eher zu",
    "stimme voll zu",
)
SATISFACTION = (
    "sehr unzufrieden",
    "eher unzufrieden",
    "teils, teils",
    "eher zufrieden",
    "sehr zufrieden",
)
#: Sent this long after sending to whoever has not answered (once).
REMINDER_AFTER = timedelta(days=3)
#: Answers are taken this long after sending; then the survey closes.
OPEN_FOR = timedelta(days=14)
#: What a person types to skip an optional question (folded: lower case, umlauts spelled out).
SKIP_WORDS = frozenset({"ueberspringen", "uberspringen", "skip", "-", "weiter", "keine angabe"})
#: What pauses answering (the answers so far are kept until the survey closes).
PAUSE_WORDS = frozenset({"abbrechen", "pause", "spaeter", "spater", "stop", "stopp", "cancel"})

Answer = int | str | list[int] | None


class QuestionKind(StrEnum):
    LIKERT = "likert"
    SINGLE = "single"
    MULTI = "multi"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class Question:
    kind: QuestionKind
    text: str
    #: Likert: the five labels from 1 to 5; choices: the options; free text: none.
    options: tuple[str, ...] = ()
    optional: bool = False


@dataclass(slots=True)
class Survey:
    event_id: int
    title: str
    questions: tuple[Question, ...]
    created_at: datetime
    #: When it goes out by itself (the event's end unless the office says otherwise).
    send_at: datetime
    reminder_after: timedelta = REMINDER_AFTER
    open_for: timedelta = OPEN_FOR
    sent_at: datetime | None = None
    remind_at: datetime | None = None
    reminded_at: datetime | None = None
    closes_at: datetime | None = None
    closed_at: datetime | None = None
    #: How many people it was sent to.
    invited: int = 0
    #: How many answered (the number of stored responses).
    answered: int = 0
    #: The key "has answered" pseudonyms are made with (derived from the stored salt and the
    #: server's secret); ``None`` once closed.
    key: bytes | None = field(default=None, repr=False)
    id: int | None = None

    def is_open(self, now: datetime) -> bool:
        """Sent, and still taking answers."""
        return (
            self.sent_at is not None
            and self.closed_at is None
            and (self.closes_at is None or now < self.closes_at)
        )


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """One question's answers: ``counts`` per option (Likert: per point 1–5), how many
    answered it, the Likert mean, and free texts (sorted, so no order of answering shows)."""

    question: Question
    answered: int
    counts: tuple[int, ...] = ()
    mean: float | None = None
    texts: tuple[str, ...] = ()

    def percent(self, count: int) -> int:
        """``count`` as a whole percentage of those who answered this question."""
        return round(100 * count / self.answered) if self.answered else 0


def question(
    kind: QuestionKind | str,
    text: str,
    options: Sequence[str] = (),
    *,
    optional: bool = False,
) -> Question:
    """A checked question. Likert without labels gets :data:`AGREEMENT`. Raises InvalidInput
    ``survey_question_kind``, ``survey_question_empty``, ``survey_question_long``,
    ``survey_likert_labels`` (not five), ``survey_options_count`` (choices: 2 to
    :data:`MAX_OPTIONS`), ``survey_option_empty``, ``survey_option_long``,
    ``survey_text_options``."""
    try:
        kind = QuestionKind(kind)
    except ValueError:
        raise InvalidInput(
            "survey_question_kind", kind=str(kind)[:20], kinds=", ".join(QuestionKind)
        ) from None
    text = " ".join(text.split())
    if not text:
        raise InvalidInput("survey_question_empty")
    if len(text) > MAX_QUESTION_LENGTH:
        raise InvalidInput("survey_question_long", limit=MAX_QUESTION_LENGTH)
    cleaned = tuple(" ".join(str(o).split()) for o in options)
    if any(not o for o in cleaned):
        raise InvalidInput("survey_option_empty")
    if any(len(o) > MAX_OPTION_LENGTH for o in cleaned):
        raise InvalidInput("survey_option_long", limit=MAX_OPTION_LENGTH)
    if kind is QuestionKind.LIKERT:
        cleaned = cleaned or AGREEMENT
        if len(cleaned) != LIKERT_POINTS:
            raise InvalidInput("survey_likert_labels", count=len(cleaned))
    elif kind is QuestionKind.TEXT:
        if cleaned:
            raise InvalidInput("survey_text_options")
    elif not 2 <= len(cleaned) <= MAX_OPTIONS:
        raise InvalidInput("survey_options_count", count=len(cleaned), limit=MAX_OPTIONS)
    return Question(kind, text, cleaned, optional)


def check_questions(questions: Sequence[Question]) -> tuple[Question, ...]:
    """Raise InvalidInput ``survey_questions_count`` unless there are 1 to
    :data:`MAX_QUESTIONS`."""
    if not 1 <= len(questions) <= MAX_QUESTIONS:
        raise InvalidInput("survey_questions_count", count=len(questions), limit=MAX_QUESTIONS)
    return tuple(questions)


def standard_evaluation() -> tuple[Question, ...]:
    """The network's built-in evaluation of an event (German, six questions)."""
    return (
        question(
            QuestionKind.LIKERT,
            "Wie zufrieden sind Sie insgesamt mit der Veranstaltung?",
            SATISFACTION,
        ),
        question(QuestionKind.LIKERT, "Die Inhalte sind für meine Arbeit in der Kommune nützlich."),
        question(
            QuestionKind.LIKERT, "Es blieb genug Zeit für den Austausch mit anderen Kommunen."
        ),
        question(
            QuestionKind.SINGLE,
            "Würden Sie die Veranstaltung Kolleginnen und Kollegen empfehlen?",
            ("ja", "vielleicht", "nein"),
        ),
        question(
            QuestionKind.MULTI,
            "Welche Formate wünschen Sie sich künftig?",
            ("Netzwerktreffen vor Ort", "Kurzformate online", "Workshops", "Hospitationen"),
            optional=True,
        ),
        question(
            QuestionKind.TEXT,
            "Was möchten Sie dem Netzwerkbüro noch mitgeben?",
            optional=True,
        ),
    )


def folded(text: str) -> str:
    """Lower case, umlauts spelled out, spaces squeezed: how typed words are compared."""
    text = unicodedata.normalize("NFKC", text).casefold().strip(" .!")
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, spelled)
    return " ".join(text.split())


def is_skip(text: str) -> bool:
    return folded(text) in SKIP_WORDS


def is_pause(text: str) -> bool:
    return folded(text) in PAUSE_WORDS


_NUMBERS = re.compile(r"\d{1,2}")


def parse_answer(item: Question, text: str) -> Answer:
    """The answer ``text`` gives to ``item`` (numbers count from 1, as shown).

    Likert: a number 1–5 or a label (``stimme eher zu``); single choice: a number or the
    option's text; multiple choice: numbers separated by spaces or commas (``1, 3``); free
    text: the text. A skip word (:data:`SKIP_WORDS`) skips an optional question. Raises
    InvalidInput ``survey_required``, ``survey_likert_answer``, ``survey_choice_answer``,
    ``survey_multi_answer``, ``survey_text_long``.
    """
    if is_skip(text) or not text.strip():
        if not item.optional:
            raise InvalidInput("survey_required")
        return None
    if item.kind is QuestionKind.TEXT:
        text = text.strip()
        if len(text) > MAX_TEXT_ANSWER:
            raise InvalidInput("survey_text_long", limit=MAX_TEXT_ANSWER)
        return text
    labels = [folded(o) for o in item.options]
    given = folded(text)
    if item.kind is QuestionKind.MULTI:
        if given in labels:
            return [labels.index(given)]
        parts = [p for p in re.split(r"[\s,;+]+|\bund\b|\band\b", given) if p]
        if not parts or not all(_NUMBERS.fullmatch(p) for p in parts):
            raise InvalidInput("survey_multi_answer", count=len(item.options))
        chosen = sorted({int(p) for p in parts})
        if not all(1 <= n <= len(item.options) for n in chosen):
            raise InvalidInput("survey_multi_answer", count=len(item.options))
        return [n - 1 for n in chosen]
    if given in labels:
        index = labels.index(given)
    elif _NUMBERS.fullmatch(given) and 1 <= int(given) <= len(item.options):
        index = int(given) - 1
    else:
        code = (
            "survey_likert_answer" if item.kind is QuestionKind.LIKERT else "survey_choice_answer"
        )
        raise InvalidInput(code, count=len(item.options))
    return index + 1 if item.kind is QuestionKind.LIKERT else index


def summarize(
    questions: Sequence[Question], responses: Sequence[Sequence[Answer]]
) -> list[QuestionResult]:
    """Per question: the distribution (counts per option or Likert point), how many answered
    it, the Likert mean (rounded to two places) and the free texts in alphabetical order."""
    results = []
    for n, item in enumerate(questions):
        given = [r[n] for r in responses if n < len(r) and r[n] is not None]
        if item.kind is QuestionKind.TEXT:
            texts = tuple(sorted((str(t) for t in given), key=str.casefold))
            results.append(QuestionResult(item, len(texts), texts=texts))
            continue
        counts = [0] * len(item.options)
        for answer in given:
            if item.kind is QuestionKind.MULTI:
                for index in answer if isinstance(answer, list) else ():
                    counts[index] += 1
            elif isinstance(answer, int):
                counts[answer - 1 if item.kind is QuestionKind.LIKERT else answer] += 1
        mean = None
        if item.kind is QuestionKind.LIKERT and given:
            mean = round(sum(int(a) for a in given if isinstance(a, int)) / len(given), 2)
        results.append(QuestionResult(item, len(given), tuple(counts), mean))
    return results
