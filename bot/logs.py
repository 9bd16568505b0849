"""Logging for every command: one line format, the libraries' chatter kept off the terminal,
and optionally everything into a file. Secrets never reach a line (:mod:`bot.redaction`)."""

from __future__ import annotations

import logging

from bot.settings import Settings

__all__ = ["FORMAT", "QUIET", "configure_logging", "quiet_terminal"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Libraries that say too much below WARNING for a terminal (requests, migrations, jobs).
QUIET = ("alembic", "apscheduler", "httpx", "httpcore", "fontTools")
#: Libraries whose DEBUG lines carry whole messages and updates (names, texts, invitation
#: codes, calendar links): from INFO on only, also in the log file.
PAYLOADS = ("telegram", "nio")


class _Quiet(logging.Filter):
    """Drops what the libraries in :data:`QUIET` say below WARNING."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not record.name.startswith(QUIET)


_terminal = logging.StreamHandler()
_terminal.addFilter(_Quiet())
_installed: list[logging.Handler] = []


def configure_logging(settings: Settings) -> None:
    """Log to standard error from ``settings.log_level`` on, without :data:`QUIET`'s chatter;
    with ``settings.log_file`` also everything from DEBUG on into that file."""
    root = logging.getLogger()
    for handler in _installed:
        root.removeHandler(handler)
        if handler is not _terminal:
            handler.close()
    _installed[:] = [_terminal]
    _terminal.setLevel(settings.log_level)
    if settings.log_file is not None:
        _installed.append(logging.FileHandler(settings.log_file, encoding="utf-8"))
    for handler in _installed:
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if settings.log_file is not None else settings.log_level)
    for name in PAYLOADS:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))


def quiet_terminal() -> None:
    """Only warnings and errors on the terminal (it is the chat); a log file keeps all."""
    _terminal.setLevel(logging.WARNING)
