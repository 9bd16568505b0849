"""``ENGAGIERT_SMTP_URL``: where e-mail goes out, read once at the start."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, urlsplit

#: RFC 8314 §3.3: implicit TLS on 465; RFC 6409: submission with STARTTLS on 587.
DEFAULT_PORTS = {"smtps": 465, "smtp": 587}
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}
#: Passwords that are examples, not secrets (as ``bot.settings`` refuses for the others).
PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "passwort", "xxx", "todo", "..."}
#: A ``%`` not followed by two hex digits: percent-decoding would keep it as is.
_BROKEN_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")

#: ``tls``: implicit TLS; ``starttls``: STARTTLS required; ``optional``: STARTTLS when the
#: server offers it (loopback only, where nothing crosses a network).
Security = Literal["tls", "starttls", "optional"]


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    """An SMTP server: host, port, how the connection is secured, the login (if any)."""

    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_smtp_url(url: str) -> SmtpTarget:
    """``smtp://user:pass@host:587`` (STARTTLS, required unless the host is loopback, where a
    server without it is used as is) or ``smtps://user:pass@host:465`` (implicit TLS, RFC 8314).
    User and password are percent-decoded; both or neither.

    Raises ValueError with a German explanation that never repeats the password."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError(
            "keine gültige Adresse (Form: smtp://benutzer:passwort@host:587)"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(
            f"„{scheme or '(ohne)'}://“ wird nicht unterstützt (smtp:// mit STARTTLS oder "
            "smtps:// mit TLS)"
        )
    host = parts.hostname
    if not host:
        raise ValueError("der Server fehlt (Form: smtp://benutzer:passwort@host:587)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("nach Server und Port darf nichts folgen")
    if port == 0:
        raise ValueError("Port 0 gibt es nicht (üblich: 587 für smtp://, 465 für smtps://)")
    if _BROKEN_ESCAPE.search(parts.netloc):
        raise ValueError("ein %-Zeichen in Benutzer oder Passwort als %25 schreiben")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if (username is None) != (password is None):
        raise ValueError("Benutzer und Passwort nur zusammen angeben")
    if password is not None and password.strip().lower() in PLACEHOLDERS:
        raise ValueError("Platzhalter statt eines echten Passworts")
    if scheme == "smtps":
        security: Security = "tls"
    else:
        security = "optional" if is_loopback(host) else "starttls"
    return SmtpTarget(host, port or DEFAULT_PORTS[scheme], security, username, password)
