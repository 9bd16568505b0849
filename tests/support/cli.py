"""``engagiert-bot`` for the tests: in this process (:func:`run_cli`; a process start costs
seconds of imports) or as a real process (:func:`run_process`, for what only a process
shows: the whole terminal of a start, output at the interpreter's exit, signals, modes).

:func:`run_cli` gives what the process would: the same environment (``env`` replaces
``os.environ`` for the call), stdin from the text (not a terminal), stdout and stderr as text
(log lines and warnings included), the exit status (``SystemExit``; a traceback on stderr and
1 for an exception the CLI lets through). Afterwards the test process is as before: environment,
working directory, umask, ``sys.std*``, the logging set-up (handlers, levels) and the warning
filters.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
import traceback
import warnings
from collections.abc import Iterator
from typing import Any, TextIO

import bot.cli
import bot.logs
from bot.adapters.console import ConsoleChat

__all__ = ["CLI", "Result", "run_cli", "run_process"]

CLI = [sys.executable, "-m", "bot.cli"]
Result = subprocess.CompletedProcess[str]


def run_process(env: dict[str, str], *args: str, stdin: str = "") -> Result:
    """``engagiert-bot ARGS`` as a real process with ``env`` as its whole environment."""
    return subprocess.run(
        [*CLI, *args], input=stdin, env=env, capture_output=True, text=True, timeout=120
    )


def run_cli(env: dict[str, str], *args: str, stdin: str = "") -> Result:
    """``engagiert-bot ARGS`` in this process (``bot.cli.main``), as :func:`run_process`
    would run it: ``env`` is the whole environment, ``stdin`` the standard input."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with _process_like(env, stdin, out, err):
        try:
            bot.cli.main(list(args))
        except SystemExit as exc:  # as the interpreter turns it into an exit status
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except Exception as exc:  # what the interpreter does with an uncaught exception
            traceback.print_exception(exc, file=sys.stderr)
            code = 1
    return subprocess.CompletedProcess(
        ["engagiert-bot", *args], code, out.getvalue(), err.getvalue()
    )


class _ConsoleChat(ConsoleChat):
    """The terminal chat writing to ``sys.stdout`` as it is when the chat starts: the product
    binds the ``sys.stdout`` of its import as the default of ``out``
    (``bot/adapters/console.py``), which a redirection in this process never reaches."""

    def __init__(self, app: Any, person: Any, out: TextIO | None = None, **options: Any) -> None:
        super().__init__(app, person, sys.stdout if out is None else out, **options)


@contextlib.contextmanager
def _process_like(env: dict[str, str], stdin: str, out: TextIO, err: TextIO) -> Iterator[None]:
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_umask = os.umask(0o077)  # the umask is only readable by setting it
    os.umask(saved_umask)
    saved_stdin = sys.stdin
    os.environ.clear()
    os.environ.update(env)
    sys.stdin = io.StringIO(stdin)
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            _terminal_log_into(err),
            _warnings_as_a_process_shows_them(),
            _chat_on_current_stdout(),
        ):
            yield
    finally:
        sys.stdin = saved_stdin
        os.environ.clear()
        os.environ.update(saved_env)
        os.umask(saved_umask)
        os.chdir(saved_cwd)


@contextlib.contextmanager
def _chat_on_current_stdout() -> Iterator[None]:
    saved = bot.cli.ConsoleChat
    bot.cli.ConsoleChat = _ConsoleChat  # type: ignore[misc]
    try:
        yield
    finally:
        bot.cli.ConsoleChat = saved  # type: ignore[misc]


@contextlib.contextmanager
def _terminal_log_into(err: TextIO) -> Iterator[None]:
    """The CLI's log lines for the terminal (``bot.logs``) into ``err``; afterwards the
    logging as before. ``configure_logging`` attaches one handler made at import, bound to
    the ``sys.stderr`` of that moment; it and what else the call installs come off again."""
    terminal = bot.logs._terminal
    root = logging.getLogger()
    payloads = [logging.getLogger(name) for name in bot.logs.PAYLOADS]
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_levels = [logger.level for logger in payloads]
    saved_installed, saved_terminal_level = list(bot.logs._installed), terminal.level
    saved_stream = terminal.setStream(err)
    try:
        yield
    finally:
        for handler in bot.logs._installed:
            if handler not in saved_installed and handler is not terminal:
                handler.close()  # a log file of the call
        bot.logs._installed[:] = saved_installed
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for logger, level in zip(payloads, saved_levels, strict=True):
            logger.setLevel(level)
        terminal.setLevel(saved_terminal_level)
        terminal.setStream(saved_stream)


@contextlib.contextmanager
def _warnings_as_a_process_shows_them() -> Iterator[None]:
    """Python's default warning filters (no ``-W``, no ``PYTHONWARNINGS``), ``bot.cli``
    standing for ``__main__`` (``python -m bot.cli``), and shown warnings on ``sys.stderr``
    instead of pytest's summary."""

    def show(message: Any, category: Any, filename: str, lineno: int, *_: Any) -> None:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno))

    with warnings.catch_warnings():
        warnings.resetwarnings()
        warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
        warnings.filterwarnings("default", category=DeprecationWarning, module="bot.cli")
        for category in (
            DeprecationWarning,
            PendingDeprecationWarning,
            ImportWarning,
            ResourceWarning,
        ):
            warnings.filterwarnings("ignore", category=category, append=True)
        warnings.showwarning = show
        yield
