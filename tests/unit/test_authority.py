"""The authority table, cell by cell, through the one decision function.

Columns are the kinds of actor the network meets; rows are the chat commands (with the object
they act on). ``y``: allowed, ``n``: refused. The same table is run through the router in
``tests/integration/test_authority_chat.py``; the README prints it.
"""

from __future__ import annotations

import pytest

from core.domain.authority import READS, Action, Place, PollFacts, decide
from core.domain.people import Person, Platform, Role

GROUP = ("-100", "the poll's room")  # where the poll was started
OTHER = ("-200", "another room")

ORGANIZER, SPEAKER, ASSIGNED, CREATOR = 1, 2, 3, 4
#: The poll under discussion: started by CREATOR in GROUP, for an event whose speaker is
#: ASSIGNED.
POLL = PollFacts(creator_id=CREATOR, origin=(Platform.TELEGRAM, GROUP[0]), event_speaker_id=3)


def person(pid: int, *roles: Role, guest: bool = False) -> Person:
    return Person(f"P{pid}", roles=frozenset(roles), is_guest=guest, id=pid)


def group(chat: str, *, moderator: bool) -> Place:
    return Place(Platform.TELEGRAM, chat, False, "u", moderator)


DIRECT = Place(Platform.MATRIX, "!dm", True, "@u:x", moderator=True)  # power 100 in a DM

#: Column key → (actor, where they act).
ACTORS = {
    "G": (person(10, guest=True), group(OTHER[0], moderator=False)),  # unknown guest
    "M": (person(11, Role.MEMBER), group(GROUP[0], moderator=False)),  # linked member
    "S": (person(SPEAKER, Role.SPEAKER), group(GROUP[0], moderator=False)),  # a speaker
    "A": (person(ASSIGNED, Role.SPEAKER), group(GROUP[0], moderator=False)),  # the event's
    "U": (person(12, Role.SUPPORTER), group(GROUP[0], moderator=False)),
    "O": (person(ORGANIZER, Role.ORGANIZER), Place(Platform.CONSOLE)),
    "L": (person(13, Role.LEADERSHIP, Role.MEMBER), group(GROUP[0], moderator=False)),
    "H": (person(14, Role.MEMBER), group(GROUP[0], moderator=True)),  # moderates the poll's room
    "X": (person(15, guest=True), group(OTHER[0], moderator=True)),  # moderates another room
    "D": (person(16, guest=True), DIRECT),  # in a direct chat
}
COLUMNS = "GMSAUOLHXD"

#: command → (action, object, expected per column in COLUMNS order)
TABLE: dict[str, tuple[Action, str, str]] = {
    "/start": (Action.READ, "", "yyyyyyyyyy"),
    "/hilfe": (Action.READ, "", "yyyyyyyyyy"),
    "/termine": (Action.READ, "", "yyyyyyyyyy"),
    "/termin ID": (Action.READ, "", "yyyyyyyyyy"),
    "/anmelden ID": (Action.SIGN_UP, "", "yyyyyyyyyy"),
    "/abmelden ID": (Action.READ, "", "yyyyyyyyyy"),
    "/meine": (Action.READ, "", "yyyyyyyyyy"),
    "/teilnehmende ID": (Action.VIEW_ATTENDEES, "", "nnnnnynnnn"),
    "/kalender ID": (Action.READ, "", "yyyyyyyyyy"),
    "/kalender_abo": (Action.READ, "", "yyyyyyyyyy"),
    "/erinnerungen": (Action.READ, "", "yyyyyyyyyy"),
    "/ankuendigung": (Action.ANNOUNCE, "", "nnnnnynnnn"),
    "/zustellung": (Action.VIEW_DELIVERY, "", "nnnnnynnnn"),
    "/faq": (Action.READ, "", "yyyyyyyyyy"),
    "/faq_zeigen": (Action.READ, "", "yyyyyyyyyy"),
    "/weiterleiten": (Action.FORWARD_QUESTION, "", "yyyyyyyyyy"),
    "/antworten": (Action.ANSWER_QUESTIONS, "", "nnnnyynnnn"),
    "/faq_offen": (Action.ANSWER_QUESTIONS, "", "nnnnyynnnn"),
    "/faq_luecken": (Action.VIEW_FAQ_GAPS, "", "nnnnnynnnn"),
    "/umfrage Frage | A | B": (Action.START_POLL, "", "nnyynynyyn"),
    "/umfrage … --termin ID": (Action.START_EVENT_POLL, "event", "nnnynynnnn"),
    "/umfrage ID": (Action.POST_POLL, "poll", "nnnynynnnn"),
    "/umfrage_ende ID": (Action.CONTROL_POLL, "poll", "nnnynynynn"),
    "/ergebnis ID (hidden)": (Action.CONTROL_POLL, "poll", "nnnynynynn"),
    "/abstimmen ID N": (Action.VOTE, "", "yyyyyyyyyy"),
    "/termin_raum ID": (Action.LINK_EVENT_ROOM, "event", "nnnynynnnn"),
    "/anwesend ID PERSON": (Action.CHECK_IN, "event", "nnnynynnnn"),
    "/bescheinigung ID alle": (Action.SEND_CERTIFICATES, "", "nnnnnynnnn"),
    "/bescheinigung ID": (Action.READ, "", "yyyyyyyyyy"),
    "/meine_daten": (Action.READ, "", "yyyyyyyyyy"),
    "/daten_loeschen": (Action.READ, "", "yyyyyyyyyy"),
    "/sprache": (Action.READ, "", "yyyyyyyyyy"),
}

CELLS = [
    (command, column, expected == "y")
    for command, (_, _, row) in TABLE.items()
    for column, expected in zip(COLUMNS, row, strict=True)
]


@pytest.mark.parametrize(("command", "column", "allowed"), CELLS)
def test_every_cell_of_the_authority_table(command, column, allowed):
    action, obj, _ = TABLE[command]
    actor, place = ACTORS[column]
    decision = decide(
        actor,
        action,
        place,
        poll=POLL if obj == "poll" else None,
        event_speaker_id=ASSIGNED if obj == "event" else None,
    )
    assert decision.allowed is allowed
    assert (decision.reason is None) is allowed  # a refusal always says why


def test_the_creator_controls_their_poll_anywhere_but_cannot_use_the_event():
    creator = person(CREATOR, Role.SPEAKER)
    elsewhere = Place(Platform.MATRIX, "!far", True, "@c:x")
    assert decide(creator, Action.CONTROL_POLL, elsewhere, poll=POLL).allowed
    assert decide(creator, Action.POST_POLL, elsewhere, poll=POLL).allowed
    assert not decide(creator, Action.LINK_EVENT_ROOM, elsewhere, event_speaker_id=3).allowed


def test_moderation_counts_only_in_the_poll_s_own_room_and_never_in_a_direct_chat():
    moderator = person(20, Role.MEMBER)
    here = group(GROUP[0], moderator=True)
    there = group(OTHER[0], moderator=True)
    assert decide(moderator, Action.CONTROL_POLL, here, poll=POLL).allowed
    assert not decide(moderator, Action.CONTROL_POLL, there, poll=POLL).allowed
    assert not decide(moderator, Action.POST_POLL, here, poll=POLL).allowed
    # The same room id on another platform is another room.
    matrix = Place(Platform.MATRIX, GROUP[0], False, "@m:x", moderator=True)
    assert not decide(moderator, Action.CONTROL_POLL, matrix, poll=POLL).allowed
    assert not decide(moderator, Action.START_POLL, DIRECT).allowed
    # A poll started in a direct chat has no room whose moderators could run it.
    private_poll = PollFacts(creator_id=CREATOR, origin=None)
    assert not decide(moderator, Action.CONTROL_POLL, here, poll=private_poll).allowed


def test_the_operator_at_the_command_line_may_do_everything():
    for action in Action:
        assert decide(None, action).allowed


def test_admins_count_as_organizers():
    admin = person(30, Role.ADMIN)
    for action in Action:
        assert decide(admin, action, poll=POLL).allowed


def test_help_lists_what_could_be_allowed_for_some_object():
    speaker = person(SPEAKER, Role.SPEAKER)
    member = person(11, Role.MEMBER)
    for action in (Action.START_EVENT_POLL, Action.LINK_EVENT_ROOM):
        assert not decide(speaker, action, any_object=True).allowed  # no event of theirs
        assert not decide(member, action, any_object=True).allowed
        # Assigned to an event (even without the speaker role): the event's commands.
        assert decide(member, action, event_speaker_id=11, any_object=True).allowed
    assert decide(speaker, Action.CONTROL_POLL, any_object=True).allowed  # their own polls
    assert decide(member, Action.CONTROL_POLL, event_speaker_id=11, any_object=True).allowed
    assert not decide(member, Action.CONTROL_POLL, any_object=True).allowed
    # /umfrage is listed for the event's speaker: they start the event's polls with it.
    assert decide(member, Action.START_POLL, event_speaker_id=11, any_object=True).allowed
    assert not decide(member, Action.START_POLL, any_object=True).allowed


def test_the_event_s_speaker_needs_no_speaker_role_for_the_event():
    assigned = person(40, Role.MEMBER)
    assert decide(assigned, Action.START_EVENT_POLL, event_speaker_id=40).allowed
    assert decide(
        assigned, Action.LINK_EVENT_ROOM, group("-1", moderator=False), event_speaker_id=40
    ).allowed
    assert not decide(assigned, Action.START_POLL).allowed  # a poll of their own: no


@pytest.mark.parametrize("action", list(Action))
def test_a_read_only_credential_may_read_and_nothing_else(action):
    """An API token of scope ``read`` acts for the office (here: the operator) but the one
    decision refuses every action that changes something, whatever the actor may."""
    decision = decide(None, action, read_only=True)
    assert decision.allowed == (action in READS)
    if not decision.allowed:
        assert decision.reason == "read_only_credential"
    assert decide(None, action).allowed  # the same operator with a write token
