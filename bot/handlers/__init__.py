"""The command table: German names first, English aliases after."""

from __future__ import annotations

from bot.handlers import (
    announcements,
    attendance,
    calendar,
    desk,
    dialogue,
    email,
    events,
    faq,
    general,
    outreach,
    polls,
    privacy,
    questions,
    reminders,
    surveys,
)
from bot.router import Command
from core.domain.authority import Action

COMMANDS = (
    Command("start", (), general.start, listed=False),
    Command("hilfe", ("help",), general.hilfe),
    Command("termine", ("events",), events.termine, arguments=False),
    Command("termin", ("event",), events.termin),
    Command("anmelden", ("signup",), events.anmelden, Action.SIGN_UP),
    Command("abmelden", ("cancel",), events.abmelden),
    Command("annehmen", ("accept",), events.annehmen, Action.SIGN_UP),
    Command("angaben", ("registration",), questions.angaben),
    Command("meine", ("mine",), events.meine, arguments=False),
    Command("teilnehmende", ("attendees",), events.teilnehmende, Action.VIEW_ATTENDEES),
    Command(
        "termin_kommunen",
        ("event_municipalities",),
        outreach.termin_kommunen,
        Action.VIEW_ATTENDEES,
    ),
    Command("kalender", ("calendar",), calendar.kalender),
    Command("kalender_abo", ("calendar_feed",), calendar.kalender_abo),
    Command("erinnerungen", ("reminders",), reminders.erinnerungen),
    Command("email", ("mail",), email.email),
    Command("ankuendigung", ("announce",), announcements.ankuendigung, Action.ANNOUNCE),
    Command(
        "zustellung", ("delivery",), announcements.zustellung, Action.VIEW_DELIVERY, arguments=False
    ),
    Command("faq", ("frage", "ask"), faq.faq),
    Command("faq_zeigen", ("faq_show",), faq.faq_zeigen),
    Command("hilfreich", ("helpful",), faq.hilfreich),
    Command("weiterleiten", ("forward",), faq.weiterleiten, Action.FORWARD_QUESTION),
    Command("antworten", ("answer",), faq.antworten, Action.ANSWER_QUESTIONS),
    Command("faq_offen", ("faq_open",), faq.faq_offen, Action.ANSWER_QUESTIONS, arguments=False),
    Command("faq_aufnehmen", ("faq_adopt",), faq.faq_aufnehmen, Action.MANAGE_KB),
    Command("faq_luecken", ("faq_gaps",), faq.faq_luecken, Action.VIEW_FAQ_GAPS, arguments=False),
    Command("umfrage", ("poll",), polls.umfrage, Action.START_POLL),
    Command("umfrage_ende", ("poll_end",), polls.umfrage_ende, Action.CONTROL_POLL),
    Command("ergebnis", ("results",), polls.ergebnis),
    Command("abstimmen", ("vote",), polls.abstimmen, Action.VOTE),
    Command("termin_raum", ("event_room",), polls.termin_raum, Action.LINK_EVENT_ROOM),
    Command("anwesend", ("checkin",), attendance.anwesend, Action.CHECK_IN),
    Command("abwesend", ("checkin_undo",), attendance.abwesend, Action.CHECK_IN),
    Command("anwesenheitscode", ("attendance_code",), attendance.anwesenheitscode, Action.CHECK_IN),
    Command("bescheinigung", ("certificate",), attendance.bescheinigung),
    Command("befragung", ("survey",), surveys.befragung),
    Command(
        "befragung_auswertung",
        ("survey_results",),
        surveys.befragung_auswertung,
        Action.SEE_SURVEY_RESULTS,
    ),
    Command("webzugang", ("weblogin",), desk.webzugang, Action.USE_WEB_DESK, arguments=False),
    Command("datenschutz", ("privacy",), privacy.datenschutz, arguments=False),
    Command("meine_daten", ("mydata",), privacy.meine_daten, arguments=False),
    Command("daten_loeschen", ("deletedata",), privacy.daten_loeschen),
    Command("sprache", ("language",), general.sprache),
)

#: A message without a command in a private chat (not in the table: nobody types it).
PLAIN_TEXT = Command("faq", (), dialogue.plain, listed=False)


def spell(name: str, language: str, *args: object) -> str:
    """The command ``name`` as a person writing ``language`` types it (``/vote 3 1``), for
    texts made without a context (a poll posted into several chats)."""
    command = next(c for c in COMMANDS if c.name == name)
    return " ".join(["/" + command.spelled(language), *map(str, args)])
