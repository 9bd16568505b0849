"""Messages that are only a greeting, thanks or goodbye: answered kindly, never counted as
unanswered questions, never taken as the answer to a question the bot asked."""

from __future__ import annotations

import re

from core.faq.normalize import fold

#: Whole messages that are only a greeting or thanks (folded: lower case, umlauts spelled out).
SMALL_TALK = {
    "greeting": {
        "hallo",
        "hallo zusammen",
        "hi",
        "hey",
        "moin",
        "moin moin",
        "servus",
        "guten tag",
        "guten morgen",
        "guten abend",
        "gruess gott",
        "hello",
        "good morning",
    },
    "thanks": {
        "danke",
        "danke schoen",
        "dankeschoen",
        "vielen dank",
        "besten dank",
        "herzlichen dank",
        "danke sehr",
        "super danke",
        "thanks",
        "thank you",
        "thx",
        "merci",
    },
    "goodbye": {"tschuess", "tschuss", "ciao", "bis bald", "auf wiedersehen", "bye"},
}
#: Words a message of only thanks or agreement is made of ("Vielen lieben Dank!", "ok").
ACKNOWLEDGING = {
    "danke", "dank", "dankeschoen", "vielen", "lieben", "herzlichen", "besten", "schoen",
    "super", "top", "prima", "toll", "klasse", "perfekt", "gut", "ok", "okay", "alles", "klar",
    "fuer", "die", "schnelle", "hilfe", "antwort", "hat", "geklappt", "sehr", "thanks",
    "thank", "you", "thx", "great", "fine", "merci", "👍", "🙂", "😊", "🙏",
}  # fmt: skip
#: What may follow a greeting without making it a question ("Hallo zusammen, kurze Frage").
ANNOUNCING = {"kurze", "kleine", "eine", "frage", "ich", "hab", "habe", "hatte", "mal", "noch"}


def small_talk(text: str) -> str | None:
    """``greeting``, ``thanks`` or ``goodbye`` when the whole message is just that; a message
    made only of thanks and agreement ("Vielen lieben Dank!", "ok", "👍") is thanks."""
    words = re.sub(r"[^\w\s👍🙂😊🙏]", " ", fold(text)).split()
    phrase = " ".join(w for w in words if w not in ("bot", "engagiert", "und", "an", "euch"))
    found = next((kind for kind, phrases in SMALL_TALK.items() if phrase in phrases), None)
    if found is None and words and all(w in ACKNOWLEDGING for w in words):
        return "thanks"
    if found is None:  # a greeting that announces a question still to come
        for size in (2, 1):
            head, rest = " ".join(phrase.split()[:size]), phrase.split()[size:]
            if head in SMALL_TALK["greeting"] and rest and all(w in ANNOUNCING for w in rest):
                return "greeting"
    return found
