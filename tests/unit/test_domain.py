from datetime import UTC, date, datetime, timedelta

import pytest

from core.domain.errors import InvalidInput, NotAllowed, NotFound, SignupClosed
from core.domain.events import Audience, Event, EventKind
from core.domain.invitations import Invitation, hash_code, new_code
from core.domain.members import Member, MemberKind, validate_municipality_key
from core.domain.people import Person, Role
from core.domain.registrations import RegistrationStatus, places_to_fill, status_for_new_signup

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)


def make_event(**changes) -> Event:
    values = dict(
        kind=EventKind.KURZFORMAT,
        title="Kurzformat",
        starts_at=NOW + timedelta(days=3),
        ends_at=NOW + timedelta(days=3, hours=1),
    )
    values.update(changes)
    return Event(**values)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"ends_at": NOW + timedelta(days=2)}, "end_before_start"),
        ({"capacity": 0}, "capacity"),
        ({"registration_deadline": NOW + timedelta(days=4)}, "deadline_after_start"),
        ({"starts_at": datetime(2026, 12, 1, 10)}, "naive_datetime"),
    ],
)
def test_invalid_events_are_refused(changes, code):
    with pytest.raises(InvalidInput) as caught:
        make_event(**changes).validate()
    assert caught.value.code == code


def test_signup_window_closes_at_deadline_start_and_cancellation():
    event = make_event(registration_deadline=NOW + timedelta(days=1))
    event.check_open(NOW)
    for moment, code in (
        (NOW + timedelta(days=1), "deadline_passed"),
        (NOW + timedelta(days=3), "event_past"),
    ):
        with pytest.raises(SignupClosed) as caught:
            event.check_open(moment)
        assert caught.value.code == code
    event.cancelled = True
    with pytest.raises(SignupClosed, match="event_cancelled"):
        event.check_open(NOW)


def test_audiences():
    guest = Person("Gast", is_guest=True)
    officer = Person("Frau Amt", member_id=1, roles=frozenset({Role.MEMBER}))
    mayor = Person("Bürgermeisterin", member_id=1, roles=frozenset({Role.LEADERSHIP}))
    organizer = Person("Büro", roles=frozenset({Role.ORGANIZER}))
    old = Member("Stadt Alt", MemberKind.STADT, joined_on=date(2015, 1, 1), id=1)
    new = Member("Gemeinde Neu", MemberKind.GEMEINDE, joined_on=date(2026, 6, 1), id=2)

    make_event(audience=Audience.EVERYONE).check_audience(guest, None, NOW)
    make_event(audience=Audience.MEMBERS).check_audience(officer, old, NOW)
    make_event(audience=Audience.LEADERSHIP).check_audience(mayor, old, NOW)
    make_event(audience=Audience.NEW_MEMBERS).check_audience(officer, new, NOW)
    for audience in (Audience.MEMBERS, Audience.LEADERSHIP, Audience.NEW_MEMBERS):
        make_event(audience=audience).check_audience(organizer, None, NOW)
    make_event(audience=Audience.NETWORK).check_audience(officer, old, NOW)
    # Outside a restricted audience the event is invisible: as if it did not exist.
    refused = [
        (Audience.MEMBERS, guest, None),
        (Audience.LEADERSHIP, officer, old),
        (Audience.NEW_MEMBERS, officer, old),
        (Audience.NEW_MEMBERS, guest, None),
    ]
    for audience, person, member in refused:
        event = make_event(audience=audience)
        assert not event.visible_to(person, member, NOW)
        with pytest.raises(NotFound) as caught:
            event.check_audience(person, member, NOW)
        assert caught.value.code == "event_not_found"
    # A network event: guests see it but may not sign up.
    network = make_event(audience=Audience.NETWORK)
    assert network.visible_to(guest, None, NOW)
    with pytest.raises(NotAllowed) as caught:
        network.check_audience(guest, None, NOW)
    assert caught.value.code == "audience_network"


def test_new_signups_wait_once_full_or_when_others_wait():
    assert status_for_new_signup(None, 500, 0) is RegistrationStatus.CONFIRMED
    assert status_for_new_signup(2, 1, 0) is RegistrationStatus.CONFIRMED
    assert status_for_new_signup(2, 2, 0) is RegistrationStatus.WAITLISTED
    # A free place that the waiting list has not taken yet is not for newcomers.
    assert status_for_new_signup(2, 1, 1) is RegistrationStatus.WAITLISTED
    assert places_to_fill(5, 3) == 2
    assert places_to_fill(5, 7) == 0


def test_invitation_codes_are_hashed_and_forgiving_in_spelling():
    code = new_code()
    assert len(code) == 10 and code.isalnum()
    assert hash_code(code) == hash_code(f" {code[:5].lower()}-{code[5:]} ")
    assert hash_code(code) != hash_code(new_code())
    invitation = Invitation(hash_code(code), 1, None, NOW, NOW + timedelta(days=1), max_uses=1)
    invitation.check_usable(NOW)
    invitation.uses = 1
    with pytest.raises(Exception, match="invitation_used_up"):
        invitation.check_usable(NOW)


def test_municipality_key():
    assert validate_municipality_key("05 315 000") == "05315000"
    with pytest.raises(InvalidInput):
        validate_municipality_key("5315")
