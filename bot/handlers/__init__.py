"""The command table: German names first, English aliases after."""

from __future__ import annotations

from bot.handlers import events, general, privacy
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
    Command("meine_daten", ("mydata",), privacy.meine_daten),
    Command("daten_loeschen", ("deletedata",), privacy.daten_loeschen),
    Command("sprache", ("language",), general.sprache),
)
