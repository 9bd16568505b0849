"""The command table: German names first, English aliases after."""

from __future__ import annotations

from bot.handlers import announcements, calendar, events, faq, general, polls, privacy, reminders
from bot.router import Command

COMMANDS = (
    Command("start", (), general.start, listed=False),
    Command("hilfe", ("help",), general.hilfe),
    Command("termine", ("events",), events.termine),
    Command("termin", ("event",), events.termin),
    Command("anmelden", ("signup",), events.anmelden),
    Command("abmelden", ("cancel",), events.abmelden),
    Command("meine", ("mine",), events.meine),
    Command("teilnehmende", ("attendees",), events.teilnehmende, organizers_only=True),
    Command("kalender", ("calendar",), calendar.kalender),
    Command("kalender_abo", ("calendar_feed",), calendar.kalender_abo),
    Command("erinnerungen", ("reminders",), reminders.erinnerungen),
    Command("ankuendigung", ("announce",), announcements.ankuendigung, organizers_only=True),
    Command("zustellung", ("delivery",), announcements.zustellung, organizers_only=True),
    Command("faq", ("frage", "ask"), faq.faq),
    Command("faq_zeigen", ("faq_show",), faq.faq_zeigen),
    Command("weiterleiten", ("forward",), faq.weiterleiten),
    Command("antworten", ("answer",), faq.antworten),
    Command("faq_offen", ("faq_open",), faq.faq_offen),
    Command("faq_luecken", ("faq_gaps",), faq.faq_luecken, organizers_only=True),
    Command("umfrage", ("poll",), polls.umfrage),
    Command("umfrage_ende", ("poll_end",), polls.umfrage_ende),
    Command("ergebnis", ("results",), polls.ergebnis),
    Command("abstimmen", ("vote",), polls.abstimmen),
    Command("termin_raum", ("event_room",), polls.termin_raum),
    Command("meine_daten", ("mydata",), privacy.meine_daten),
    Command("daten_loeschen", ("deletedata",), privacy.daten_loeschen),
    Command("sprache", ("language",), general.sprache),
)
