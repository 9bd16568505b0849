"""No secret in any log line, whoever logs it and wherever the line goes.

The HTTP clients under python-telegram-bot and matrix-nio log request URLs, and Telegram's URLs
carry the bot token (``…/bot<TOKEN>/getUpdates``); exceptions may quote them too. Every secret
the settings hold is registered here when they are loaded (:func:`protect`); from then on the
process's log record factory replaces it — raw, percent-encoded or form-encoded — with ``***``
in each record's message, traceback and stack, before any handler or level sees the record.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["REDACTED", "protect", "redact"]

REDACTED = "***"
_MIN_SECRET = 4  # shorter values would redact ordinary words
_forms: list[str] = []  # every protected form, longest first
_plain_factory = logging.getLogRecordFactory()


def protect(*secrets: str | None) -> None:
    """Keep ``secrets`` out of every log record of this process from now on."""
    found = set(_forms)
    for secret in secrets:
        if secret and len(secret) >= _MIN_SECRET:
            found |= {secret, quote(secret, safe=""), quote_plus(secret)}
    _forms[:] = sorted(found, key=len, reverse=True)  # longest first: no partial leftovers
    if logging.getLogRecordFactory() is not _redacted_record:
        logging.setLogRecordFactory(_redacted_record)


def redact(text: str) -> str:
    """``text`` with every protected secret replaced by :data:`REDACTED`."""
    for form in _forms:
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def _redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _plain_factory(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: logging reports it when the line is emitted
        return record
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record
