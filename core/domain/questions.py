"""Registration questions: what an organizer asks everyone who signs up for an event, and
how an answer typed in the chat is read."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.domain.errors import InvalidInput
from core.domain.text import has_control_characters
from core.faq.normalize import fold

PROMPT_MAX = 300
OPTION_MAX = 100
OPTIONS_MAX = 10
ANSWER_MAX = 500
#: More questions than this would keep people from signing up.
QUESTIONS_MAX = 10
#: What skips an optional question.
SKIP = {"ueberspringen", "skip", "-", "keine angabe", "weiter", "nichts", "egal"}
YES = {"ja", "j", "yes", "y", "jawohl", "gerne", "klar"}
NO = {"nein", "n", "no", "noe", "nee"}
#: The stored values of a yes/no question (exported as written).
YES_VALUE, NO_VALUE = "ja", "nein"


class QuestionKind(StrEnum):
    TEXT = "text"  # free text (e.g. "Besondere Bedürfnisse?")
    CHOICE = "choice"  # one of the options (e.g. Mittagessen: vegetarisch, vegan, mit Fleisch)
    YES_NO = "yes_no"  # ja / nein


@dataclass(slots=True)
class EventQuestion:
    event_id: int
    position: int
    kind: QuestionKind
    prompt: str
    options: tuple[str, ...] = ()
    required: bool = False
    id: int | None = None

    def validate(self) -> None:
        """Raise InvalidInput ``question_prompt``, ``question_options``, ``question_option``
        (a choice needs 2 to 10 distinct options of at most 100 characters; others none)."""
        prompt = self.prompt.strip()
        if not prompt or len(prompt) > PROMPT_MAX or "\n" in prompt:
            raise InvalidInput("question_prompt", max=PROMPT_MAX)
        if has_control_characters(prompt):
            raise InvalidInput("control_characters")
        if self.kind is QuestionKind.CHOICE:
            folded = {fold(o.strip()) for o in self.options}
            if not 2 <= len(self.options) <= OPTIONS_MAX or len(folded) != len(self.options):
                raise InvalidInput("question_options", max=OPTIONS_MAX)
            if any(not o.strip() or len(o) > OPTION_MAX for o in self.options):
                raise InvalidInput("question_option", max=OPTION_MAX)
        elif self.options:
            raise InvalidInput("question_options_kind")

    def read(self, text: str) -> str | None:
        """The value to store for the answer ``text``; ``None`` to skip an optional question.

        Yes/no: ``ja``/``nein`` (also ``j``, ``yes``, ``nö`` …); a choice: its number or its
        text (case and umlauts aside); free text as written, at most 500 characters. Raises
        InvalidInput ``answer_required``, ``answer_yes_no``, ``answer_choice``,
        ``answer_too_long``."""
        said = " ".join(text.split())
        folded = fold(said).strip(" .!")
        if folded in SKIP or not folded:
            if self.required:
                raise InvalidInput("answer_required")
            return None
        if self.kind is QuestionKind.YES_NO:
            if folded in YES:
                return YES_VALUE
            if folded in NO:
                return NO_VALUE
            raise InvalidInput("answer_yes_no")
        if self.kind is QuestionKind.CHOICE:
            if folded.isdigit() and 1 <= int(folded) <= len(self.options):
                return self.options[int(folded) - 1]
            for option in self.options:
                if fold(option) == folded:
                    return option
            raise InvalidInput("answer_choice", count=len(self.options))
        if len(said) > ANSWER_MAX or has_control_characters(said):
            raise InvalidInput("answer_too_long", max=ANSWER_MAX)
        return said
