"""Throwaway credentials the tests make (tokens, passwords, keys), remembered so that the
session's log check can look for each of them, also URL-encoded, in every log line of the
run (``tests/conftest.py``)."""

from __future__ import annotations

from urllib.parse import quote, quote_plus

_made: set[str] = set()


def made(value: str) -> str:
    """Remember ``value`` as a secret of this test run; returns it."""
    _made.add(value)
    return value


def leaked(text: str) -> list[str]:
    """The remembered secrets found in ``text`` (raw or URL-encoded), each shown by its
    first four characters only."""
    found = []
    for secret in sorted(_made):
        forms = {secret, quote(secret, safe=""), quote_plus(secret)}
        if any(form in text for form in forms):
            found.append(secret[:4] + "…")
    return found
