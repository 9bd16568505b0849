"""The soak report tells a doubled answer from one the killed process was sending at the
kill (sent again after the restart: at least once at that boundary)."""

from __future__ import annotations

from pathlib import Path

from bench.soak import Command, SoakReport


def report(*commands: Command) -> SoakReport:
    return SoakReport(
        duration_s=60,
        commands=list(commands),
        disturbances=[(15.0, 25.0, "cut 1"), (30.0, 30.1, "kill -9"), (45.0, 55.0, "cut 2")],
        outages=2,
        restarts=1,
        health_status=200,
        health={},
        health_samples=0,
        health_red_samples=0,
        health_red_reasons={},
        vote_problems=[],
        voters=0,
        outbox_unsent=0,
        outbox_given_up=0,
        setup_s=0,
        settle_s=0,
        runtime_s=0,
        log_path=Path("serve.log"),
        log_errors=0,
        exit_codes=[-9, 0],
        t0=100.0,
    )


def command(sent: float, *answered: float) -> Command:
    found = Command("telegram", "7102", "/hilfe", (7102, int(sent)), 100.0 + sent)
    found.answers = [(100.0 + at, "Hilfe") for at in answered]
    return found


def test_a_second_copy_of_what_went_out_at_the_kill_is_no_double():
    at_kill = command(28.6, 30.0, 37.5)
    assert report(at_kill).resent_at_kill == [at_kill] and report(at_kill).doubled == []


def test_any_other_second_answer_is_a_double():
    for doubled in (
        command(10.0, 10.2, 10.9),
        command(16.0, 26.0, 26.1),
        command(29.0, 30.0, 31.0, 37.0),
    ):
        assert report(doubled).doubled == [doubled] and report(doubled).resent_at_kill == []
