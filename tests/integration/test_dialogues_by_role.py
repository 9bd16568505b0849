"""Every command of /hilfe, as each role uses it, in German and in English (#14).

Each reply must be made of catalogue texts of the person's language plus data values (titles,
names, what the person typed): every text the catalogue renders during the dialogue is
recorded with its language and taken out of the reply, then the data; what remains may hold
no letters. So no argparse, pydantic or operating-system text, no hard-coded German in an
English reply and no English in a German one gets through. Buttons and the commands named in
replies use the language's spelling of the commands.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from bot.handlers import COMMANDS
from bot.messages import IncomingMessage
from bot.reply import Reply, plain_text
from core.domain.events import Audience
from core.domain.faq import FaqEntry
from core.domain.people import Platform, Role
from core.kb import import_entries
from tests.support import factories

#: The arguments each command is tried with: what works, and what people get wrong.
#: ``{event}``, ``{poll}``, ``{entry}`` and ``{question}`` are filled in per dialogue.
TRIES: dict[str, list[str]] = {
    "hilfe": ["", "anmelden", "quatsch"],
    "termine": ["", "morgen"],
    "termin": ["{event}", "", "drei", "99"],
    "anmelden": ["{event}", "{event}", "{event} 2", "Nr. x", "{event} online", "{event} ja"],
    "meine": [""],
    "kalender": ["{event}", ""],
    "kalender_abo": ["", "auss", "aus", "aus"],
    "erinnerungen": ["", "an", "anmeldeschluss aus", "hier", "vielleicht"],
    "email": ["", "anna@kreis", "kanal fax"],
    "teilnehmende": ["{event}", "99"],
    "ankuendigung": [
        "alle Hallo zusammen",
        "mitglied:Stadt Auenburg Hallo",
        "status 1",
        "status",
        "quatsch",
    ],
    "zustellung": ["", "x"],
    "faq": ["Wie wird eine Kommune Mitglied?", "", "Xylophon Zebra Quux"],
    "faq_zeigen": ["{entry}", "gibts-nicht", ""],
    "hilfreich": ["{entry} ja", "{entry} nein", "x", "{entry} vielleicht", "gibts-nicht ja"],
    "weiterleiten": ["Gibt es Geld für ein Ehrenamtsfest?", ""],
    "antworten": ["{question} Ja, beim Land.", "", "99 Antwort", "{question} zweimal"],
    "faq_offen": [""],
    "faq_aufnehmen": ["{question}", "", "99", "{question} {entry}", "{question} x y"],
    "faq_luecken": [""],
    "umfrage": ["Wann? | Mo | Di –dauer 2 Tage", "{poll}", "nur Text", "Frage? | A | B --quatsch"],
    "abstimmen": ["{poll} 1", "{poll} 1", "{poll} 9", "{poll}", "{poll} +2"],
    "ergebnis": ["{poll}", "", "x"],
    "umfrage_ende": ["", "{poll}"],
    "termin_raum": ["{event}", ""],
    "webzugang": ["", "jetzt"],
    "datenschutz": [""],
    "meine_daten": [""],
    "sprache": [""],
    "abmelden": ["{event}", "{event}", ""],
    "daten_loeschen": ["", "vielleicht", "nein"],
    "annehmen": ["{event}", "", "x"],
    "angaben": ["{event}", "{event} ja", "", "99"],
    "termin_kommunen": ["{event}", "", "99"],
    "anwesend": ["{event}", "{event} 1", "", "{event} Niemand Bekanntes"],
    "abwesend": ["{event} 1", ""],
    "anwesenheitscode": ["{event}", "", "{event} neu"],
    "bescheinigung": ["{event}", "", "{event} alle"],
    "befragung": ["1", "", "1 senden", "1 x"],
    "befragung_auswertung": ["1", ""],
}

ENTRY = FaqEntry(
    "mitglied-werden",
    "Wie wird eine Kommune Mitglied?",
    "Mit einem Beschluss und einer Mail an das Netzwerkbüro.",
    topic="netzwerk",
)

#: What a reply may contain besides catalogue texts: data the dialogue put in.
DATA = [
    "Netzwerktreffen Dialog",
    "Stadt Auenburg",
    "Miriam Mitglied",
    "Sina Sprecherin",
    "Olga Office",
    "Gustav Gast",
    "Wann?",
    "Mo",
    "Di",
    ENTRY.question,
    ENTRY.answer,
    "Gibt es Geld für ein Ehrenamtsfest?",
    "Ja, beim Land.",
    "Hallo zusammen",
    "Xylophon Zebra Quux",
    "xylophon zebra quux",
    "Hallo",
    "quatsch",
    "geld-ehrenamtsfest",  # the id of an adopted question
    "mitglied-werden",
]
MARKERS = ("usage:", "error:", "Traceback", "Errno", "validation error", "Field required")


def recording(app) -> list[tuple[str, str]]:
    """Record every catalogue text rendered from now on, with its language."""
    rendered: list[tuple[str, str]] = []
    original: Callable = app.translator.t

    def t(language, key, **params):
        text = original(language, key, **params)
        rendered.append((app.translator.language(language), plain_text(text)))
        return text

    app.translator.t = t
    return rendered


def leftover(reply_text: str, rendered: list[tuple[str, str]], language: str) -> str:
    """The reply with every catalogue text of ``language`` and every data value taken out."""
    text = reply_text
    pieces = {p for lang, p in rendered if lang == language and p.strip()}
    for piece in sorted(pieces | set(DATA), key=len, reverse=True):  # the longest first
        text = re.sub(rf"(?<!\w){re.escape(piece)}(?!\w)", " ", text)
    return text


def spellings(language: str) -> tuple[set[str], set[str]]:
    """The command names of ``language`` and those of the other language."""
    own = {c.spelled(language) for c in COMMANDS}
    other = {n for c in COMMANDS for n in (c.name, *c.aliases)} - own
    return own, other


async def prepare(app, role: str):
    auenburg = await factories.member(app, "Stadt Auenburg")
    await import_entries(app.uow(), app.faq, [ENTRY], replace_all=False, now=app.clock.now())
    speaker = await factories.person(app, "Sina Sprecherin", roles={Role.SPEAKER})
    await factories.person(app, "Olga Office", roles={Role.ORGANIZER})
    await factories.person(app, "Miriam Mitglied", member=auenburg)
    event = await factories.event(
        app, title="Netzwerktreffen Dialog", capacity=1, audience=Audience.EVERYONE
    )
    people = {
        "member": "Miriam Mitglied",
        "speaker": "Sina Sprecherin",
        "organizer": "Olga Office",
        "guest": None,
    }
    async with app.uow() as uow:
        persons = {p.display_name: p for p in await uow.persons.list()}
    person = persons.get(people[role] or "")
    from tests.support.chat import say

    await say(app, speaker, "/umfrage Wann? | Mo | Di")  # poll 1, run by the speaker
    return person, {"event": event.id, "poll": 1, "entry": ENTRY.id, "question": 1}


def message(person, text: str) -> IncomingMessage:
    if person is None:  # a guest: a chat account nobody linked
        return IncomingMessage(Platform.CONSOLE, "guest-4711", text, "Gustav Gast")
    return IncomingMessage(
        Platform.CONSOLE, f"person:{person.id}", text, person.display_name, person_id=person.id
    )


def check(reply: Reply, rendered, language: str, sent: str) -> None:
    text = plain_text(reply.text)
    for marker in MARKERS:
        assert marker not in text, (sent, text)
    rest = leftover(text, rendered, language)
    words = re.findall(r"[^\W\d_]{2,}", rest)
    assert not words, f"{sent!r} → {text!r}: not from the {language} catalogue: {words}"
    own, other = spellings(language)
    for button in (b for row in reply.buttons for b in row):
        assert leftover(button.label, rendered, language).strip(" .0123456789") == "", button
        assert button.command.split()[0].lstrip("/") in own, (sent, button)
    if sent.split()[0] in ("/hilfe", "/help"):
        return  # the help names every spelling on purpose
    # Not inside a link: a token may end in "-" before "/ergebnis.csv" (1 in 64 polls).
    for named in re.findall(r"(?<![\w/.\-])/([a-z_]+)", text):
        assert named not in other or named in own, f"{sent!r}: /{named} in a {language} reply"


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("role", ["member", "speaker", "organizer", "guest"])
async def test_every_command_of_help_speaks_one_language(app, role, language):
    person, ids = await prepare(app, role)
    rendered = recording(app)
    sprache = "/sprache en" if language == "en" else "/sprache de"
    await app.router.handle(message(person, sprache))
    if person is None:  # the guest exists now; answer its language question too
        await app.router.handle(message(person, sprache))
    rendered.clear()

    [help_reply] = await app.router.handle(message(person, "/hilfe"))
    check(help_reply, rendered, language, "/hilfe")
    by_spelling = {c.spelled(language): c for c in COMMANDS}
    listed = re.findall(r"^/([a-z_]+)", plain_text(help_reply.text), re.MULTILINE)
    assert listed and all(name in by_spelling for name in listed)
    assert set(listed) <= {c.spelled(language) for c in COMMANDS if c.name in TRIES}
    if role == "organizer":
        assert len(listed) == len([c for c in COMMANDS if c.listed])

    for sent in ("/quatsch", "Hallo, wer bist du?"):  # not a command: said in the language too
        for reply in await app.router.handle(message(person, sent)):
            check(reply, rendered, language, sent)
    for name in listed:
        command = by_spelling[name]
        for args in TRIES[command.name]:
            sent = f"/{name} {args.format(**ids)}".strip()
            replies = await app.router.handle(message(person, sent))
            assert replies, sent
            for reply in replies:
                check(reply, rendered, language, sent)
