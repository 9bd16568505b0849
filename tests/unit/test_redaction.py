"""No secret reaches a log line: not in the message, an argument, a URL-encoded form, a
traceback or a stack, at any level, whatever handler takes it."""

from __future__ import annotations

import logging

import pytest

from bot.logs import configure_logging
from bot.redaction import REDACTED, redact
from bot.settings import Settings

TOKEN = "123456:ABC-def_ghi+jkl/mno=="  # "+", "/" and "=" differ when URL-encoded


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        telegram_token=TOKEN,
        database_url="postgresql://bot:pass-w0rd-xyz@127.0.0.1:5432/test",
        log_file=tmp_path / "everything.log",
        log_level="WARNING",
    )


def test_loading_the_settings_protects_their_secrets(settings) -> None:
    url = f"https://api.telegram.org/bot{TOKEN}/getUpdates"
    assert TOKEN not in redact(url) and REDACTED in redact(url)
    assert "pass-w0rd-xyz" not in redact("postgresql://bot:pass-w0rd-xyz@db/test")
    encoded = "https://x/bot123456%3AABC-def_ghi%2Bjkl%2Fmno%3D%3D/getMe"
    assert "%2Bjkl" not in redact(encoded)


def test_every_record_is_redacted_before_any_handler(settings, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("httpx")
    log.debug("HTTP Request: POST %s", f"http://127.0.0.1/bot{TOKEN}/sendMessage")
    try:
        raise ConnectionError(f"cannot reach /bot{TOKEN}/getMe")
    except ConnectionError:
        logging.getLogger("telegram.ext").exception("failed", stack_info=True)
    text = caplog.text + "".join(str(r.exc_text) + str(r.stack_info) for r in caplog.records)
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    assert f"/bot{REDACTED}/sendMessage" in text


def test_the_log_file_takes_everything_and_no_secret(settings) -> None:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    configure_logging(settings)
    try:
        logging.getLogger("httpcore.http11").debug("send_request_headers url=/bot%s/", TOKEN)
        logging.getLogger("engagiert").warning("db at %s", settings.database_url)
        # PTB's DEBUG lines carry whole updates (names, texts, invitation codes): not kept.
        logging.getLogger("telegram.Bot").debug("Call finished with return value p_SECRET12")
        for handler in root.handlers:
            handler.flush()
        written = settings.log_file.read_text("utf-8")
    finally:  # pytest's own handlers as they were
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)
    assert "send_request_headers" in written and "db at" in written  # DEBUG is in the file
    assert TOKEN not in written and "pass-w0rd-xyz" not in written
    assert "p_SECRET12" not in written
