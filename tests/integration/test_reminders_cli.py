"""The operator's commands for reminders, announcements and retention, ``main`` in this process
(:func:`tests.support.cli.run_cli`)."""

from __future__ import annotations

from tests.integration.test_cli import env
from tests.support.cli import run_cli as run

__all__ = ["env"]


def test_announce_event_reminders_and_retention_from_the_command_line(env):
    run(env, "member", "add", "--name", "Stadt Musterstadt", "--kind", "stadt")
    run(env, "member", "add", "--name", "Kreis Beispiel", "--kind", "kreis")
    for name, member in (("Eva", "Stadt Musterstadt"), ("Udo", "Kreis Beispiel")):
        assert run(env, "person", "add", "--name", name, "--member", member).returncode == 0
    event = run(
        env,
        "event",
        "add",
        "--title",
        "Treffen",
        "--kind",
        "kurzformat",
        "--start",
        "2030-05-04T10:00",
    ).stdout.strip()

    reminders = run(env, "event", "reminders", event, "2d", "90m")
    assert reminders.returncode == 0, reminders.stderr
    assert f"Erinnerungen für Veranstaltung {event}: 2d, 90m vor Beginn." in reminders.stdout
    assert "keine Dauer" in run(env, "event", "reminders", event, "bald").stderr
    assert run(env, "event", "reminders", event).returncode == 2

    everyone = run(env, "announce", "--to", "alle", "--no-wait", "Sommerpause", "ab", "Juli")
    assert everyone.returncode == 0, everyone.stderr
    assert "Ankündigung Nr. 1 eingereiht, Empfänger: 2." in everyone.stdout
    # Nobody has a chat yet, so the follow-up ends at once: both are undeliverable.
    kreise = run(env, "announce", "--to", "art:kreis", "-", stdin="Nur für Kreise\n")
    assert "Ankündigung Nr. 2 eingereiht, Empfänger: 1." in kreise.stdout
    assert "0 von 1 zugestellt, 1 nicht zustellbar" in kreise.stdout
    wrong = run(env, "announce", "--to", "termin:99", "Hallo")
    assert wrong.returncode == 2 and "Nummer 99 gibt es nicht" in wrong.stderr
    assert "engagiert-bot event list" in wrong.stderr and "/termine" not in wrong.stderr

    retention = run(env, "retention", "--months", "12")
    assert retention.returncode == 0, retention.stderr
    assert "Anmeldungen vergangener Veranstaltungen\t0" in retention.stdout
