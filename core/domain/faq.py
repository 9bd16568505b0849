"""FAQ knowledge-base entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["FaqEntry", "topic_label"]


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One question of the knowledge base with its Markdown answer.

    ``variants`` are other phrasings of the question; ``tags`` are keywords; ``topic`` routes
    forwarded questions to the supporters for that topic.
    """

    id: str
    question: str
    answer: str
    variants: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    topic: str | None = None
    updated: datetime | None = None


def topic_label(topic: str) -> str:
    """A topic code as people read it: "digitale-werkzeuge" → "Digitale Werkzeuge",
    "ehrenamtskarte" → "Ehrenamtskarte" (each word's first letter raised, nothing else)."""
    words = topic.replace("-", " ").replace("_", " ").split()
    return " ".join(word[:1].upper() + word[1:] for word in words)
