"""The command table: German names first, English aliases after."""

from __future__ import annotations

from bot.handlers import announcements, calendar, events, faq, general, polls, privacy, reminders
from bot.router import Command
from core.domain.authority import Action

COMMANDS = (
    Command("start", (), general.start, listed=False),
    Command("hilfe", ("help",), general.hilfe),
    Command("termine", ("events",), events.termine),
    Command("termin", ("event",), events.termin),
    Command("anmelden", ("signup",), events.anmelden, Action.SIGN_UP),
    Command("abmelden", ("cancel",), events.abmelden),
    Command("meine", ("mine",), events.meine),
    Command("teilnehmende", ("attendees",), events.teilnehmende, Action.VIEW_ATTENDEES),
    Command("kalender", ("calendar",), calendar.kalender),
    Command("kalender_abo", ("calendar_feed",), calendar.kalender_abo),
    Command("erinnerungen", ("reminders",), reminders.erinnerungen),
    Command("ankuendigung", ("announce",), announcements.ankuendigung, Action.ANNOUNCE),
    Command("zustellung", ("delivery",), announcements.zustellung, Action.VIEW_DELIVERY),
    Command("faq", ("frage", "ask"), faq.faq),
    Command("faq_zeigen", ("faq_show",), faq.faq_zeigen),
    Command("weiterleiten", ("forward",), faq.weiterleiten, Action.FORWARD_QUESTION),
    Command("antworten", ("answer",), faq.antworten, Action.ANSWER_QUESTIONS),
    Command("faq_offen", ("faq_open",), faq.faq_offen, Action.ANSWER_QUESTIONS),
    Command("faq_luecken", ("faq_gaps",), faq.faq_luecken, Action.VIEW_FAQ_GAPS),
    Command("umfrage", ("poll",), polls.umfrage, Action.START_POLL),
    Command("umfrage_ende", ("poll_end",), polls.umfrage_ende, Action.CONTROL_POLL),
    Command("ergebnis", ("results",), polls.ergebnis),
    Command("abstimmen", ("vote",), polls.abstimmen, Action.VOTE),
    Command("termin_raum", ("event_room",), polls.termin_raum, Action.LINK_EVENT_ROOM),
    Command("datenschutz", ("privacy",), privacy.datenschutz),
    Command("meine_daten", ("mydata",), privacy.meine_daten),
    Command("daten_loeschen", ("deletedata",), privacy.daten_loeschen),
    Command("sprache", ("language",), general.sprache),
)
