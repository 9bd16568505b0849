"""``ENGAGIERT_DATABASE_URL`` in the forms hosting panels and images give, and bad settings
named in one German line."""

from __future__ import annotations

import os

import pytest

from bot.settings import SettingsError, load_settings
from storage.database import Database, async_url


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith("ENGAGIERT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ENGAGIERT_DATA_DIR", str(tmp_path))


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("postgresql://user@host/db", "postgresql+asyncpg://user@host/db"),
        ("postgres://user:secret@host:5433/db", "postgresql+asyncpg://user:secret@host:5433/db"),
        ("postgresql+asyncpg://user@host/db", "postgresql+asyncpg://user@host/db"),
        ("POSTGRESQL://user@host/db", "postgresql+asyncpg://user@host/db"),
        (
            "postgresql://user@host/db?sslmode=require",
            "postgresql+asyncpg://user@host/db?ssl=require",
        ),
        ("sqlite:////var/lib/bot/x.db", "sqlite+aiosqlite:////var/lib/bot/x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("  sqlite:///x.db ", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_common_url_forms_get_the_async_driver(monkeypatch, given, stored):
    monkeypatch.setenv("ENGAGIERT_DATABASE_URL", given)
    settings = load_settings()
    assert settings.database_url == stored
    assert settings.effective_database_url == stored


def test_a_password_with_special_characters_survives():
    url = "postgres://bot:p%40ss%2Fw@db.example.org/engagiert"
    assert load_settings(database_url=url).database_url == (
        "postgresql+asyncpg://bot:p%40ss%2Fw@db.example.org/engagiert"
    )
    assert async_url(url).password == "p@ss/w"


def test_an_empty_url_means_the_embedded_database(tmp_path):
    settings = load_settings(database_url="")
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path}/engagiert.db"


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("mysql://user@host/db", "„mysql://“ wird nicht unterstützt"),
        ("postgresql+psycopg2://user@host/db", "„postgresql+psycopg2://“ wird nicht unterstützt"),
        ("not a url", "keine Datenbank-URL"),
    ],
)
def test_an_unsupported_url_is_refused_in_german(monkeypatch, given, said):
    monkeypatch.setenv("ENGAGIERT_DATABASE_URL", given)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("Ungültige Einstellung ENGAGIERT_DATABASE_URL: ")
    assert said in message and "postgresql://" in message and "\n" not in message


def test_the_database_itself_accepts_the_plain_forms(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    assert database.url.drivername == "sqlite+aiosqlite" and database.is_sqlite
    postgres = Database("postgres://user@127.0.0.1:1/db")  # no connection is made yet
    assert postgres.url.drivername == "postgresql+asyncpg" and not postgres.is_sqlite


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("ENGAGIERT_FLOOD_MESSAGES", "abc", "„abc“ ist keine ganze Zahl"),
        ("ENGAGIERT_FLOOD_SECONDS", "schnell", "„schnell“ ist keine Zahl"),
        ("ENGAGIERT_FLOOD_SECONDS", "0", "„0“ ist zu klein (muss größer als 0 sein)"),
        ("ENGAGIERT_HTTP_PORT", "99999", "„99999“ ist zu groß (höchstens 65535)"),
        ("ENGAGIERT_RETENTION_MONTHS", "0", "„0“ ist zu klein (mindestens 1)"),
        ("ENGAGIERT_DEFAULT_LANGUAGE", "fr", "„fr“ ist nicht erlaubt (möglich: 'de', 'en')"),
    ],
)
def test_pydantic_problems_are_german(monkeypatch, variable, value, said):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value) == f"Ungültige Einstellung {variable}: {said}"
