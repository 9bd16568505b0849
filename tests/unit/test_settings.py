import pytest

from bot.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    import os

    for key in list(os.environ):
        if key.startswith("ENGAGIERT_"):
            monkeypatch.delenv(key)


def test_defaults_are_the_embedded_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGIERT_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path}/engagiert.db"
    assert settings.timezone == "Europe/Berlin" and settings.default_language == "de"
    assert settings.telegram_token is None and settings.matrix_homeserver is None


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ENGAGIERT_TIMEZONE": "Mars/Olympus"}, "ENGAGIERT_TIMEZONE"),
        ({"ENGAGIERT_DEFAULT_LANGUAGE": "fr"}, "ENGAGIERT_DEFAULT_LANGUAGE"),
        ({"ENGAGIERT_HTTP_PORT": "99999"}, "ENGAGIERT_HTTP_PORT"),
        ({"ENGAGIERT_TELEGRAM_TOKEN": "changeme"}, "ENGAGIERT_TELEGRAM_TOKEN"),
        (
            {"ENGAGIERT_TELEGRAM_TOKEN": "123:abc", "ENGAGIERT_TELEGRAM_MODE": "webhook"},
            "ENGAGIERT_TELEGRAM_MODE",
        ),
        ({"ENGAGIERT_MATRIX_HOMESERVER": "http://127.0.0.1:8008"}, "ENGAGIERT_MATRIX_USER_ID"),
        (
            {"ENGAGIERT_MATRIX_HOMESERVER": "http://h", "ENGAGIERT_MATRIX_USER_ID": "@b:h"},
            "ENGAGIERT_MATRIX_PASSWORD",
        ),
    ],
)
def test_a_bad_setting_is_named_in_one_line(monkeypatch, env, named):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"Ungültige Einstellung {named}:")
    assert "\n" not in message


def test_lists_are_comma_separated_and_secrets_hidden(monkeypatch):
    monkeypatch.setenv("ENGAGIERT_MATRIX_ALLOWED_SERVERS", "example.org, kommune.nrw.de")
    monkeypatch.setenv("ENGAGIERT_TELEGRAM_TOKEN", "123456:real-looking-token")
    settings = load_settings()
    assert settings.matrix_allowed_servers == ["example.org", "kommune.nrw.de"]
    assert "real-looking-token" not in repr(settings)
    assert settings.telegram_token.get_secret_value() == "123456:real-looking-token"
