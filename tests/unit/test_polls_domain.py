"""Poll rules without I/O: validation, choices, deadlines, pseudonyms, parsing, text bars."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.handlers.polls import bar, parse_duration, parse_poll
from bot.reply import Button, PollSpec, Reply
from core.domain.errors import DomainError, InvalidInput
from core.domain.polls import Tally, from_mask, new_poll, to_mask, toggled, voter_key

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)


def poll(**changes):
    values = dict(now=NOW, creator_id=1)
    values.update(changes)
    return new_poll("Wie war's?", ["Gut", "Mittel", "Schlecht"], **values)


@pytest.mark.parametrize(
    ("question", "options", "extra", "code"),
    [
        ("", ["A", "B"], {}, "poll_question"),
        ("x" * 301, ["A", "B"], {}, "poll_question"),
        ("Frage?", ["A"], {}, "poll_option_count"),
        ("Frage?", [str(n) for n in range(11)], {}, "poll_option_count"),
        ("Frage?", ["A", " "], {}, "poll_option_length"),
        ("Frage?", ["A", "x" * 101], {}, "poll_option_length"),
        ("Frage?", ["Ja", "ja"], {}, "poll_option_twice"),
        ("Frage?", ["A", "B"], {"max_choices": 3}, "poll_max_choices"),
        ("Frage?", ["A", "B"], {"duration": timedelta(seconds=5)}, "poll_duration"),
        ("Frage?", ["A", "B"], {"duration": timedelta(days=15)}, "poll_duration"),
    ],
)
def test_invalid_polls_are_refused_with_a_code(question, options, extra, code):
    with pytest.raises(InvalidInput) as caught:
        new_poll(question, options, now=NOW, creator_id=1, **extra)
    assert caught.value.code == code


def test_a_new_poll_has_secrets_only_where_needed():
    named, anonymous = poll(), poll(anonymous=True)
    assert named.salt is None and len(anonymous.salt) == 32
    assert len(named.token) >= 32 and named.token != anonymous.token
    assert len(named.join_code) == 8
    assert "salt" not in repr(anonymous)


def test_choices_are_checked_and_normalised():
    single, multiple = poll(), poll(max_choices=2)
    assert single.check_choices([1]) == (1,)
    assert multiple.check_choices([2, 0, 2]) == (0, 2)
    with pytest.raises(InvalidInput, match="poll_too_many_choices"):
        single.check_choices([0, 1])
    with pytest.raises(InvalidInput, match="poll_choice_range"):
        single.check_choices([3])
    assert single.check_choices([]) == ()  # withdrawing


def test_deadline_closes_the_poll_and_reveals_hidden_results():
    timed = poll(duration=timedelta(minutes=5), hidden_results=True)
    assert timed.closes_at == NOW + timedelta(minutes=5)
    assert timed.is_open(NOW + timedelta(minutes=4, seconds=59))
    assert not timed.results_visible(NOW)
    later = NOW + timedelta(minutes=5)
    assert not timed.is_open(later) and timed.results_visible(later)
    with pytest.raises(DomainError, match="poll_closed"):
        timed.check_open(later)
    timed.closed_at = NOW
    assert not timed.is_open(NOW)


def test_voter_keys_depend_on_the_salt_and_the_person():
    salt, other = b"s" * 32, b"t" * 32
    assert voter_key(salt, 7) == voter_key(salt, 7)
    assert len({voter_key(salt, 7), voter_key(salt, 8), voter_key(other, 7)}) == 3


def test_masks_toggles_and_shares():
    assert from_mask(to_mask((0, 3, 9))) == (0, 3, 9)
    assert toggled((0, 2), 2) == (0,) and toggled((0,), 1) == (0, 1)
    tally = Tally((13, 8, 0), 21)
    assert [tally.percent(i) for i in range(3)] == [62, 38, 0]
    assert Tally((0, 0), 0).percent(0) == 0
    assert bar(13 / 21) == "█████░░░"


def test_poll_command_arguments():
    spec = parse_poll(
        "Welches Thema? | Ehrenamtskarte | Fördermittel | Digitales --mehrfach 2 --anonym"
    )
    assert spec == {
        "question": "Welches Thema?",
        "options": ["Ehrenamtskarte", "Fördermittel", "Digitales"],
        "anonymous": True,
        "max_choices": 2,
    }
    spec = parse_poll("Q? | A | B --multiple --hidden --duration 90s --event 3")
    assert spec["max_choices"] == 2 and spec["hidden_results"] and spec["event_id"] == 3
    assert spec["duration"] == timedelta(seconds=90)
    for bad, code in (("Nur eine Frage", "poll_usage"), ("Q? | A | B --laut", "poll_flag")):
        with pytest.raises(InvalidInput, match=code):
            parse_poll(bad)
    assert parse_duration("5") == parse_duration("5m") == timedelta(minutes=5)
    assert parse_duration("2 Std") == timedelta(hours=2)
    with pytest.raises(InvalidInput, match="poll_duration"):
        parse_duration("bald")


def test_a_reply_with_a_poll_survives_the_outbox_round_trip():
    spec = PollSpec(4, "Q?", ("A", "B"), 2, True, False, "2026-11-25T09:05:00+00:00")
    reply = Reply("text", buttons=((Button("A", "/abstimmen 4 +1"),),), poll=spec)
    assert Reply.from_dict(reply.to_dict()) == reply
    assert "poll" not in Reply("plain").to_dict()
