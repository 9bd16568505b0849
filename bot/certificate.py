"""The Teilnahmebescheinigung as a PDF (fpdf2, with Noto Sans from PyPI so that names like
„Şahin Öztürk“ or „Łukasz Nowak“ come out as written).

The PDF is made when it is delivered and never stored: a reply or notice carries a
:class:`~bot.reply.MadeFile` (event id, person id, language), and the adapter calls
:func:`certificate_file` just before it sends. A check-in undone or a person erased
meanwhile makes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fontpkg_noto_sans
from fpdf import FPDF

from bot.i18n import Translator
from bot.reply import Attachment, MadeFile, plain_text
from core.attendance import certificate_facts
from core.domain.attendance import CertificateFacts

if TYPE_CHECKING:
    from bot.app import App

KIND = "certificate"
MIME = "application/pdf"
FONT = "NotoSans"
#: The network's colour (as the desk's), for the headings.
BLUE = (11, 37, 69)


@cache
def font_file() -> Path:
    """Noto Sans (upright) from the ``fontpkg-noto-sans`` package: its default instance
    is the regular weight (instancing other weights takes seconds; sizes set headings)."""
    files = sorted((Path(fontpkg_noto_sans.ROOT) / "files").glob("NotoSans*.ttf"))
    upright = [f for f in files if "Italic" not in f.name]
    if not upright:
        raise FileNotFoundError("fontpkg-noto-sans: no upright Noto Sans file")
    return upright[0]


def made_certificate(event_id: int, person_id: int, language: str) -> MadeFile:
    """What the outbox keeps for a certificate: enough to make it again, no bytes."""
    return MadeFile(KIND, {"event_id": event_id, "person_id": person_id, "language": language})


async def certificate_file(app: App, params: dict[str, Any]) -> Attachment | None:
    """The PDF for :func:`made_certificate`'s ``params``; ``None`` when the person is no
    longer checked in (undone, erased)."""
    async with app.uow() as uow:
        facts = await certificate_facts(
            uow, event_id=int(params["event_id"]), person_id=int(params["person_id"])
        )
    if facts is None:
        return None
    language = app.translator.language(params.get("language"))
    content = certificate_pdf(app.translator, language, facts, now=app.clock.now())
    return Attachment(filename(app.translator, language, facts), content, MIME)


def filename(translator: Translator, language: str, facts: CertificateFacts) -> str:
    return str(translator.t(language, "certificate.filename", id=facts.event.id))


def certificate_pdf(
    translator: Translator, language: str, facts: CertificateFacts, *, now: datetime
) -> bytes:
    """One A4 page: the network, the heading, the person and municipality, the event, its
    date and duration, and when it was issued. Raises nothing for any Unicode name the font
    covers (Latin, Greek, Cyrillic)."""

    def say(key: str, **params: Any) -> str:
        return plain_text(str(translator.t(language, key, **params)))

    event = facts.event
    pdf = FPDF(format="A4")
    pdf.set_creation_date(now)
    pdf.set_lang(language)
    pdf.set_title(say("certificate.heading"))
    pdf.set_creator("engagiert-bot")
    pdf.add_font(FONT, "", font_file())
    pdf.set_margins(25, 30, 25)
    pdf.add_page()

    def line(text: str, size: float, *, gap: float = 4, colour: tuple[int, int, int] = (0, 0, 0)):
        pdf.set_font(FONT, "", size)
        pdf.set_text_color(*colour)
        pdf.multi_cell(0, size * 0.55, text, align="C")
        pdf.ln(gap)

    line(say("calendar.feed_name"), 12, gap=18, colour=BLUE)
    line(say("certificate.heading"), 26, gap=14, colour=BLUE)
    line(say("certificate.intro"), 12)
    line(facts.person_name, 20, gap=2)
    if facts.member_name:
        line(say("certificate.of_member", member=facts.member_name), 12)
    pdf.ln(4)
    line(say("certificate.at_event"), 12)
    line(f"„{event.title}“" if language == "de" else f"“{event.title}”", 16, gap=2)
    line(say(f"kind.{event.kind.value}"), 11, gap=6)
    tz = translator.tz
    if event.starts_at.astimezone(tz).date() == event.ends_at.astimezone(tz).date():
        when = say(
            "certificate.when_day",
            date=translator.date(language, event.starts_at),
            start=translator.clock(event.starts_at),
            end=translator.clock(event.ends_at),
        )
    else:
        when = say(
            "certificate.when",
            start=translator.datetime(language, event.starts_at),
            end=translator.datetime(language, event.ends_at),
        )
    line(when, 12, gap=2)
    line(say("certificate.duration", duration=duration(translator, language, facts.duration)), 12)
    if event.place:
        line(say("certificate.place", place=event.place), 12)
    line(say("certificate.outro"), 12, gap=24)
    line(say("certificate.issued", date=translator.date(language, now)), 10, gap=2)
    line(say("certificate.machine"), 9, colour=(80, 80, 80))
    return bytes(pdf.output())


def duration(translator: Translator, language: str, span: timedelta) -> str:
    """``2 Stunden``, ``1 Stunde 30 Minuten``, ``45 Minuten`` (whole minutes)."""
    minutes = max(int(span.total_seconds() // 60), 0)
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(plain_text(str(translator.t(language, "certificate.hours", count=hours))))
    if rest or not hours:
        parts.append(plain_text(str(translator.t(language, "certificate.minutes", count=rest))))
    return " ".join(parts)
