"""Who may check in and send certificates, and when the code works: the pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.domain.attendance import check_code_time, check_office_time, looks_like_code, new_code
from core.domain.authority import Action, decide
from core.domain.errors import InvalidInput
from core.domain.events import Event, EventKind
from core.domain.people import Person, Role

START = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
EVENT = Event(EventKind.KURZFORMAT, "Kurzformat", START, START + timedelta(hours=2), id=3)


def person(pid: int, *roles: Role) -> Person:
    return Person(f"P{pid}", roles=frozenset(roles), id=pid)


@pytest.mark.parametrize(
    ("actor", "speaker_id", "check_in", "send"),
    [
        (person(1, Role.ORGANIZER), None, True, True),
        (person(2, Role.ADMIN), None, True, True),
        (person(3, Role.SPEAKER), 3, True, False),  # the event's speaker
        (person(4, Role.MEMBER), 4, True, False),  # assigned without the speaker role
        (person(5, Role.SPEAKER), 3, False, False),  # another event's speaker
        (person(6, Role.MEMBER), 3, False, False),
        (person(7, Role.LEADERSHIP), 3, False, False),
    ],
)
def test_who_may_check_in_and_send_certificates(actor, speaker_id, check_in, send):
    assert decide(actor, Action.CHECK_IN, event_speaker_id=speaker_id).allowed is check_in
    assert decide(actor, Action.SEND_CERTIFICATES).allowed is send


@pytest.mark.parametrize(
    ("moment", "code_error", "office_error"),
    [
        (START - timedelta(minutes=31), "attendance_not_yet", "attendance_not_yet"),
        (START - timedelta(minutes=30), None, None),
        (START + timedelta(hours=1), None, None),
        (START + timedelta(hours=2), "attendance_over", None),  # the office may still
    ],
)
def test_the_window(moment, code_error, office_error):
    for check, expected in ((check_code_time, code_error), (check_office_time, office_error)):
        if expected is None:
            check(EVENT, moment)
        else:
            with pytest.raises(InvalidInput) as raised:
                check(EVENT, moment)
            assert raised.value.code == expected


def test_nothing_is_checked_in_at_a_cancelled_event():
    cancelled = Event(EventKind.KURZFORMAT, "K", START, START + timedelta(hours=2), cancelled=True)
    with pytest.raises(InvalidInput, match="attendance_event_cancelled"):
        check_office_time(cancelled, START)


def test_codes_fit_a_telegram_deep_link_and_junk_is_no_code():
    codes = {new_code() for _ in range(50)}
    assert len(codes) == 50 and all(looks_like_code(c) and len("a_" + c) <= 64 for c in codes)
    assert not looks_like_code("") and not looks_like_code("ä" * 5)
    assert not looks_like_code("x" * 33) and not looks_like_code("a b")
