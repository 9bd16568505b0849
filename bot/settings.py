"""Configuration from the environment (prefix ``ENGAGIERT_``)."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as PydanticSettingsError
from sqlalchemy.engine import make_url

from bot.redaction import protect
from bot.smtp_url import SmtpTarget, parse_smtp_url
from core.mail import check_mailbox
from core.retention import RetentionPeriods
from storage.database import async_url

log = logging.getLogger(__name__)

SECRET_FILE = "secret.key"
PLACEHOLDERS = {"changeme", "change-me", "secret", "token", "password", "xxx", "todo", "", "..."}


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "engagiert-bot"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ENGAGIERT_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    timezone: str = "Europe/Berlin"
    default_language: Literal["de", "en"] = "de"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: Everything from DEBUG on also into this file (troubleshooting); secrets stay out.
    log_file: Path | None = None
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)
    #: Where members reach the HTTP app (calendar feeds); default http://HOST:PORT.
    public_url: str | None = None
    #: A personal video link (``/v/…``) opens the meeting this many minutes before the start.
    video_opens_minutes: int = Field(default=30, ge=0, le=24 * 60)
    #: DSGVO: registrations, named votes and unanswered questions, this long after the fact.
    retention_months: int = Field(default=12, ge=1, le=120)
    #: Forwarded questions and their answers, this long after the answer.
    retention_answered_days: int = Field(default=90, ge=1, le=3650)
    #: Searches the knowledge base could not answer, after they were last asked.
    retention_gaps_months: int = Field(default=12, ge=1, le=120)
    #: Delivered messages and handled notices (texts and chat ids).
    retention_delivered_days: int = Field(default=30, ge=1, le=3650)
    #: Answers to registration questions, days after the event.
    retention_answers_days: int = Field(default=30, ge=1, le=3650)
    #: The office's full privacy notice on the web, linked from the short one in the chat.
    privacy_url: str | None = None
    #: This process's name among those sharing the database: the leases on messages it is
    #: sending carry it, and a restart under the same name takes them back at once.
    instance: str = Field(default_factory=socket.gethostname, min_length=1, max_length=60)
    #: Per chat account: this many messages in a burst, refilled over ``flood_seconds``.
    flood_messages: int = Field(default=20, ge=1, le=10_000)
    flood_seconds: float = Field(default=60, gt=0, le=3600)

    #: The server's secret key for anonymous voters' pseudonyms, never stored in the database.
    #: Required for ``serve`` and with PostgreSQL; otherwise ``<data dir>/secret.key``.
    secret_key: SecretStr | None = None

    telegram_token: SecretStr | None = None
    #: python-telegram-bot's ``base_url`` form: the token is appended to it.
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_mode: Literal["polling", "webhook"] = "polling"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    #: For ``invite`` links (t.me/<bot>?start=…); ``serve`` also stores it from getMe.
    telegram_bot_username: str | None = None

    #: Outgoing e-mail (``bot.smtp_url``): ``smtp://user:pass@host:587`` with STARTTLS or
    #: ``smtps://user:pass@host:465``; unset: e-mail is off.
    smtp_url: SecretStr | None = None
    #: The sender of every mail, e.g. ``Kommunen-Netzwerk engagiert in NRW <netzwerk@example.org>``.
    mail_from: str | None = None
    #: Where answers to mails go (the network office); default: the sender.
    mail_reply_to: str | None = None
    #: Mails per second at most (information mails to many are paced to it).
    mail_rate: float = Field(default=5.0, gt=0, le=1000)
    #: SMTP connections used at once.
    smtp_connections: int = Field(default=2, ge=1, le=20)

    matrix_homeserver: str | None = None
    matrix_user_id: str | None = None
    matrix_password: SecretStr | None = None
    matrix_access_token: SecretStr | None = None
    matrix_device_id: str = "ENGAGIERTBOT"
    matrix_command_prefix: str = "!"
    matrix_allowed_servers: Annotated[list[str], NoDecode] = []
    matrix_allowed_users: Annotated[list[str], NoDecode] = []

    @field_validator("matrix_allowed_servers", "matrix_allowed_users", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator(
        "secret_key",
        "telegram_token",
        "telegram_webhook_secret",
        "matrix_password",
        "matrix_access_token",
        "smtp_url",
        mode="before",
    )
    @classmethod
    def _no_placeholder_secret(cls, value: object) -> object:
        if isinstance(value, str):
            if not value.strip():
                return None
            if value.strip().lower().strip("<>.… ") in PLACEHOLDERS:
                raise ValueError("Platzhalter statt eines echten Geheimnisses")
        return value

    @model_validator(mode="after")
    def _complete_transports(self) -> Settings:
        webhook = self.telegram_mode == "webhook" and self.telegram_token is not None
        if webhook and (not self.telegram_webhook_url or self.telegram_webhook_secret is None):
            raise ValueError(
                "telegram_mode: webhook braucht ENGAGIERT_TELEGRAM_WEBHOOK_URL und "
                "ENGAGIERT_TELEGRAM_WEBHOOK_SECRET"
            )
        if self.matrix_homeserver:
            if not self.matrix_user_id:
                raise ValueError("matrix_user_id: fehlt (z. B. @engagiert-bot:example.org)")
            if self.matrix_password is None and self.matrix_access_token is None:
                raise ValueError(
                    "matrix_password: ENGAGIERT_MATRIX_PASSWORD oder "
                    "ENGAGIERT_MATRIX_ACCESS_TOKEN angeben"
                )
        if self.smtp_url is not None:
            try:
                target = parse_smtp_url(self.smtp_url.get_secret_value())
            except ValueError as exc:
                raise ValueError(f"smtp_url: {exc}") from None
            protect(target.password)
            if not self.mail_from:
                raise ValueError(
                    "mail_from: fehlt (Absender der Mails, z. B. "
                    "Kommunen-Netzwerk engagiert in NRW <netzwerk@example.org>)"
                )
        for name in ("mail_from", "mail_reply_to"):
            value = getattr(self, name)
            if value is not None:
                try:
                    check_mailbox(value)
                except ValueError as exc:
                    raise ValueError(f"{name}: {exc}") from None
        # From here on no log line of this process shows them (bot.redaction).
        protect(
            *(value.get_secret_value() for name in SECRET_FIELDS if (value := getattr(self, name)))
        )
        if self.database_url is not None:
            protect(make_url(self.database_url).password)
        return self

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unbekannte Zeitzone {value!r}") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        """``postgresql://``, ``postgres://``, ``postgresql+asyncpg://``, ``sqlite:///…`` and
        ``sqlite+aiosqlite:///…``, stored with the async driver (asyncpg, aiosqlite) chosen;
        anything else is refused with a German message."""
        if value is None or not value.strip():
            return None
        return async_url(value.strip()).render_as_string(hide_password=False)

    def pepper(self, *, serving: bool = False) -> bytes:
        """The 32-byte key for voter pseudonyms: from ``ENGAGIERT_SECRET_KEY``; else, on
        SQLite and not for ``serve``, from ``<data dir>/secret.key`` (created with mode 0600).

        Raises :class:`SettingsError` when the key is required but missing.
        """
        if self.secret_key is not None:
            return hashlib.sha256(self.secret_key.get_secret_value().encode()).digest()
        if serving or not self.effective_database_url.startswith("sqlite"):
            raise SettingsError(
                "Ungültige Einstellung ENGAGIERT_SECRET_KEY: fehlt (für serve und PostgreSQL "
                "nötig; z. B. python3 -c 'import secrets; print(secrets.token_hex(32))')"
            )
        path = self.data_dir / SECRET_FILE
        if not path.exists():
            if (self.data_dir / "engagiert.db").exists():
                log.warning(
                    "%s was missing and is made anew: in open anonymous polls everybody "
                    "can vote once more",
                    path,
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_hex(32))
        return hashlib.sha256(path.read_text().strip().encode()).digest()

    def retention(self, months: int | None = None) -> RetentionPeriods:
        """The retention periods; ``months`` overrides the general one (the CLI's)."""
        return RetentionPeriods(
            months or self.retention_months,
            self.retention_answered_days,
            self.retention_gaps_months,
            self.retention_delivered_days,
            answers_days=self.retention_answers_days,
        )

    @property
    def smtp(self) -> SmtpTarget | None:
        """Where mail goes out; ``None``: e-mail is off."""
        if self.smtp_url is None:
            return None
        return parse_smtp_url(self.smtp_url.get_secret_value())

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def effective_public_url(self) -> str:
        """Where members reach the HTTP server (links in chats): the setting, or the listener."""
        host = "localhost" if self.http_host in ("0.0.0.0", "::") else self.http_host
        return (self.public_url or f"http://{host}:{self.http_port}").rstrip("/")

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'engagiert.db'}"


class SettingsError(Exception):
    """A setting is wrong; the message is one line naming it."""


def load_settings(**overrides: object) -> Settings:
    """The settings from the environment (and ``overrides``).

    Raises :class:`SettingsError` with one German line, ``Ungültige Einstellung
    ENGAGIERT_<NAME>: <what is wrong>``, for the first wrong setting; pydantic's English
    messages never reach the user, and the value of a secret is never repeated.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        if first["loc"]:
            field, message = str(first["loc"][0]), german_problem(first)
        else:  # a model-level check says "field: explanation"
            field, _, message = str(first["msg"]).removeprefix("Value error, ").partition(":")
            message = message.strip()
        raise SettingsError(f"Ungültige Einstellung ENGAGIERT_{field.upper()}: {message}") from None
    except PydanticSettingsError as exc:  # a value the source could not even decode
        field = re.search(r'field "(\w+)"', str(exc))
        name = f"ENGAGIERT_{field.group(1).upper()}" if field else "(unbekannt)"
        raise SettingsError(f"Ungültige Einstellung {name}: nicht lesbar") from None


#: pydantic's error types in German; ``{…}`` are filled from the error's ``ctx``.
PROBLEMS = {
    "int_parsing": "„{input}“ ist keine ganze Zahl",
    "int_type": "„{input}“ ist keine ganze Zahl",
    "int_from_float": "„{input}“ ist keine ganze Zahl",
    "float_parsing": "„{input}“ ist keine Zahl",
    "float_type": "„{input}“ ist keine Zahl",
    "bool_parsing": "„{input}“ ist weder ja (true, 1) noch nein (false, 0)",
    "greater_than": "„{input}“ ist zu klein (muss größer als {gt} sein)",
    "greater_than_equal": "„{input}“ ist zu klein (mindestens {ge})",
    "less_than": "„{input}“ ist zu groß (muss kleiner als {lt} sein)",
    "less_than_equal": "„{input}“ ist zu groß (höchstens {le})",
    "literal_error": "„{input}“ ist nicht erlaubt (möglich: {expected})",
    "string_type": "muss ein Text sein",
    "path_type": "„{input}“ ist kein Pfad",
    "missing": "fehlt",
}
SECRET_FIELDS = {
    "smtp_url",
    "secret_key",
    "telegram_token",
    "telegram_webhook_secret",
    "matrix_password",
    "matrix_access_token",
}


def german_problem(error: Mapping[str, Any]) -> str:
    """One pydantic error (``ValidationError.errors()`` item) as a German phrase. Our own
    validators' ``ValueError`` messages are German already and are passed on."""
    kind = error["type"]
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    template = PROBLEMS.get(kind)
    secret = bool(error["loc"]) and error["loc"][0] in SECRET_FIELDS
    if template is None or (secret and "{input}" in template):
        return "ungültiger Wert"
    context = {name: _shown(value) for name, value in error.get("ctx", {}).items()}
    return template.format_map({**context, "input": error.get("input", "")})


def _shown(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("' or '", "', '")
