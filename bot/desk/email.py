"""The desk's e-mail settings (``/admin/email``, read-only): whether e-mail is on, the SMTP
server as ``ENGAGIERT_SMTP_URL`` names it (never its password), sender, Reply-To and pace,
and the addresses the mail server refused for good. Also the German words the person pages
use for an address's state and a person's channel."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.desk.pages import Desk
from core.domain.mail import Channel, EmailAddress
from core.mail import undeliverable_addresses
from core.web_access import Session

#: What the page says when ``ENGAGIERT_SMTP_URL`` is unset.
MAIL_OFF = "E-Mail ist nicht eingerichtet (ENGAGIERT_SMTP_URL)."
#: A person's channel (``core.domain.mail.Channel``) as the office reads it.
CHANNELS = {
    Channel.CHAT: "im Chat (per E-Mail nur, wenn der Chat die Person nicht erreicht)",
    Channel.EMAIL: "per E-Mail",
    Channel.BOTH: "Infomails auf beiden Wegen, alles andere im Chat",
}
#: How the connection to the SMTP server is secured (``bot.smtp_url.Security``).
SECURITY = {
    "tls": "TLS (verschlüsselt von Anfang an, smtps://)",
    "starttls": "STARTTLS (verlangt)",
    "optional": "STARTTLS wenn angeboten (nur auf diesem Rechner)",
}


def mail_state(email: EmailAddress | None) -> str:
    """The persons list's column: ``✓ bestätigt``, ``wartet``, ``abgelehnt`` or ``–``."""
    if email is None:
        return "–"
    if email.address and email.undeliverable_at is not None:
        return "abgelehnt"
    if email.usable:
        return "✓ bestätigt"
    if email.pending_address:
        return "wartet"
    return "–"


def add_email_routes(router: APIRouter, desk: Desk) -> None:
    app = desk.app
    t = app.translator

    def when(moment: datetime | None) -> str:
        return t.datetime("de", moment) if moment is not None else ""

    @router.get("/email", include_in_schema=False)
    async def settings(request: Request) -> Response:
        async def page(session: Session) -> Response:
            refused = await undeliverable_addresses(app.uow(), actor_id=session.person.id)
            given = app.settings
            target = given.smtp
            facts: list[tuple[str, str]] = []
            if target is not None:
                facts = [
                    ("Server", target.host),
                    ("Port", str(target.port)),
                    ("Verschlüsselung", SECURITY.get(target.security, target.security)),
                    ("Benutzername", target.username or "keiner (ohne Anmeldung)"),
                    ("Absender", given.mail_from or "–"),
                    ("Antworten an (Reply-To)", given.mail_reply_to or "an den Absender"),
                    ("Tempo", f"höchstens {_number(given.mail_rate)} Mails je Sekunde"),
                    ("Verbindungen", f"{given.smtp_connections} gleichzeitig"),
                ]
            rows = [
                {
                    "id": found.person_id,
                    "name": found.name,
                    "address": found.address
                    + (
                        " (noch nicht bestätigt: die Bestätigungsmail kam zurück)"
                        if found.pending
                        else ""
                    ),
                    "problem": found.problem,
                    "since": when(found.since),
                }
                for found in refused
            ]
            return desk.page(
                request,
                "email_settings.html",
                "E-Mail",
                session=session,
                on=target is not None,
                off=MAIL_OFF,
                facts=facts,
                refused=rows,
            )

        return await desk.guarded(request, page)


def _number(value: float) -> str:
    """``5.0`` → ``5``, ``0.5`` → ``0,5``."""
    return f"{value:g}".replace(".", ",")
