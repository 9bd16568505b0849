"""Loops that keep going through outages of the database or a platform: one log line when a
loop starts failing and one when it works again (never a traceback per try), and a pause
that grows between tries."""

from __future__ import annotations

import logging

from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)

#: Errors that say "the database or the network is away", not "the code is wrong".
_OUTAGES = (
    OSError,  # ConnectionRefusedError, ConnectionResetError, TimeoutError, …
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,  # no pooled connection came free in time
)


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` means the database (or the network) is away: trying again later
    helps, and whatever was being done must be done again rather than answered as failed."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, _OUTAGES):
        return True
    cause = error.__cause__ or error.__context__
    return cause is not None and cause is not error and is_outage(cause)


def describe(error: BaseException) -> str:
    """``Type: message`` for a log line; for database errors the driver's own error, never
    the statement and its parameters (they may hold personal data)."""
    if isinstance(error, sa_exc.DBAPIError) and error.orig is not None:
        error = error.orig
    elif isinstance(error, sa_exc.StatementError):
        return type(error).__name__
    return f"{type(error).__name__}: {error}"[:300]


#: The longest pause (seconds) of loops that wait for the database: it is back within
#: seconds of its return, as people expect (a platform gets the longer default).
DATABASE_PAUSE = 5.0


class Retrying:
    """One loop's failures. ``failed`` logs the first failure of a run of them (a traceback
    only when it looks like a bug, not an outage) and returns the pause before the next try
    (``first`` doubling up to ``longest`` seconds); ``worked`` logs the recovery."""

    def __init__(
        self,
        name: str,
        *,
        expected: tuple[type[BaseException], ...] = (),
        first: float = 1.0,
        longest: float = 60.0,
    ) -> None:
        """``expected``: more errors that mean an outage here (a platform's network error)."""
        self.name = name
        self._expected = expected
        self.failing = False
        self._first = first
        self._longest = longest
        self._pause = first

    def failed(self, error: BaseException) -> float:
        """Record a failed try; returns the pause in seconds before the next one."""
        if not self.failing:
            self.failing = True
            if isinstance(error, self._expected) or is_outage(error):
                log.warning("%s failing (%s); retrying", self.name, describe(error))
            else:
                log.error("%s failing; retrying", self.name, exc_info=error)
        pause, self._pause = self._pause, min(self._pause * 2, self._longest)
        return pause

    def worked(self) -> None:
        if self.failing:
            log.info("%s works again", self.name)
        self.failing = False
        self._pause = self._first
