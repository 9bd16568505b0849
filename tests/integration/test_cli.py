"""The console script as an operator and a member use it: real files, ``main`` in this process
(:func:`tests.support.cli.run_cli`), a real process where the process itself is the point."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.support.cli import run_cli as run
from tests.support.cli import run_process


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGIERT_")}
    return {**clean, "ENGAGIERT_DATA_DIR": str(tmp_path / "data")}


def test_scripted_demo_signup_round_trip(env):
    # A real process: the README's first command, start to exit, as a newcomer runs it.
    result = run_process(
        env, "demo", "--as", "Miriam Lindner", stdin="/termine\n/anmelden 1\n/meine\n/abmelden 1\n"
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Kommende Veranstaltungen des Netzwerks" in out
    assert "Nr. 1: Kultur. Ländliche Räume. Bürgerschaftliches Engagement" in out
    assert "Sie sind angemeldet für Kultur. Ländliche Räume." in out
    assert "Ihre Anmeldungen" in out
    assert "Sie sind von Kultur. Ländliche Räume. Bürgerschaftliches Engagement abgemeldet" in out
    assert out.index("Kommende") < out.index("angemeldet für") < out.index("Ihre Anmeldungen")
    assert "Traceback" not in out + result.stderr


def test_demo_without_as_speaks_as_the_demo_member(env):
    result = run(env, "demo", stdin="/start\n")
    assert result.returncode == 0, result.stderr
    assert "Willkommen, Miriam Lindner!" in result.stdout


def test_operator_workflow_on_the_real_database(env):
    assert run(env, "db", "upgrade").returncode == 0
    member = run(
        env, "member", "add", "--name", "Stadt Musterstadt", "--kind", "stadt", "--key", "05999123"
    )
    assert member.returncode == 0, member.stderr
    organizer = run(env, "person", "add", "--name", "Olga Orga", "--role", "organizer")
    assert organizer.stdout.strip().isdigit()
    event = run(
        env,
        "event",
        "add",
        "--title",
        "3. Netzwerktreffen",
        "--kind",
        "netzwerktreffen",
        "--start",
        "2099-12-03T14:00",
        "--capacity",
        "1",
        "--place",
        "Köln",
    )
    assert event.returncode == 0, event.stderr
    event_id = event.stdout.strip()
    assert event_id.isdigit()
    listing = run(env, "event", "list")
    assert "3. Netzwerktreffen" in listing.stdout and "0/1" in listing.stdout
    invite = run(env, "invite", "--member", "Musterstadt", "--uses", "2")
    code = invite.stdout.strip()
    assert len(code) == 10, invite.stderr

    chat = run(env, "chat", stdin=f"/start {code}\n/anmelden {event_id}\n")
    assert chat.returncode == 0, chat.stderr
    assert "mit Stadt Musterstadt verbunden" in chat.stdout
    assert "Sie sind angemeldet für 3. Netzwerktreffen" in chat.stdout
    # The same terminal user is the same person next time: data survived the restart.
    again = run(env, "chat", stdin="/meine\n")
    assert "3. Netzwerktreffen" in again.stdout
    office = run(env, "chat", "--as", "Olga Orga", stdin=f"/teilnehmende {event_id}\n")
    assert "Stadt Musterstadt" in office.stdout
    listing = run(env, "event", "list").stdout
    assert "1/1" in listing and "ausgebucht, Warteliste" in listing
    # Moved as people type it: the end keeps the two hours, the attendee can tell.
    moved = run(env, "event", "change", event_id, "–start", "4.12.2099 15 Uhr", "--capacity", "2")
    assert moved.returncode == 0, moved.stderr
    assert "Beginn: Fr., 4. Dezember 2099, 15:00 Uhr" in moved.stdout
    assert "Ende: Fr., 4. Dezember 2099, 17:00 Uhr" in moved.stdout
    assert "1/2" in run(env, "event", "list").stdout  # one confirmed of two places
    agenda = run(env, "chat", stdin=f"/termin {event_id}\n").stdout
    assert "4. Dezember 2099" in agenda
    nothing = run(env, "event", "change", event_id)
    assert nothing.returncode == 2 and "was sich ändert" in nothing.stderr

    token = run(env, "api-token", "create", "--name", "Intranet", "--scope", "read")
    assert token.returncode == 0 and token.stdout.startswith("eb_"), token.stderr
    assert "nie wieder angezeigt" in token.stderr
    listed = run(env, "api-token", "list").stdout
    assert "intranet\tread" in listed and token.stdout.strip() not in listed
    assert run(env, "api-token", "create", "--name", "intranet", "--scope", "read").returncode == 2
    assert run(env, "api-token", "create", "--name", "x", "--scope", "alles").returncode == 2
    assert run(env, "api-token", "revoke", "intranet").returncode == 0
    assert "gesperrt" in run(env, "api-token", "list").stdout
    assert run(env, "api-token", "revoke", "intranet").returncode == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["event", "add", "--title", "X", "--kind", "party", "--start", "2099-01-01T10:00"],
            "unbekannte Art „party“",
        ),
        (
            ["event", "add", "--title", "X", "--kind", "kurzformat", "--start", "bald"],
            "„bald“ ist kein Zeitpunkt",
        ),
        (
            ["event", "add", "--title", "X", "--kind", "kurzformat", "--start", "morgen"],
            "Bitte geben Sie auch die Uhrzeit an",
        ),
        (
            [
                "event",
                "add",
                "--title",
                "X",
                "--kind",
                "kurzformat",
                "--start",
                "2099-01-01T10:00",
                "--end",
                "2099-01-01T09:00",
            ],
            "Das Ende muss nach dem Beginn liegen",
        ),
        (
            [
                "event",
                "add",
                "--title",
                "X",
                "--kind",
                "kurzformat",
                "--start",
                "2099-01-01T10:00",
                "--capacity",
                "0",
            ],
            "keine positive ganze Zahl",
        ),
        (
            ["member", "add", "--name", "Stadt X", "--kind", "stadt", "--key", "12"],
            "kein gültiger Gemeindeschlüssel",
        ),
        (["person", "add", "--name", "P", "--member", "Nirgendwo"], "Nirgendwo"),
        (["person", "add", "--name", "P", "--role", "king"], "unbekannte Rolle"),
        (["invite", "--member", "Nirgendwo"], "Mitgliedskommune „Nirgendwo“"),
        (["event", "cancel", "77"], "Nummer 77 gibt es nicht"),
        (["chat", "--as", "Niemand"], "Niemand"),
        (["event"], "Fehler"),
        (["fliegen"], "Fehler"),
    ],
)
def test_bad_arguments_exit_non_zero_with_one_clear_line(env, args, message):
    result = run(env, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "usage" not in result.stderr


def test_a_bad_setting_stops_the_start_naming_it(env):
    # A real process: the whole terminal of a failed start is this one line, nothing else.
    result = run_process({**env, "ENGAGIERT_TIMEZONE": "Mars/Olympus"}, "event", "list")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Ungültige Einstellung ENGAGIERT_TIMEZONE: unbekannte Zeitzone 'Mars/Olympus'"
    ]
    result = run({**env, "ENGAGIERT_DATABASE_URL": "mysql://x"}, "event", "list")
    assert "ENGAGIERT_DATABASE_URL" in result.stderr and result.returncode == 2


def test_the_office_invites_a_person_gives_roles_and_assigns_a_speaker(env):
    """``invite --person`` prints a one-time code and the links to use it; ``person role``,
    ``person show``, ``person unlink`` and ``event speaker`` manage who may do what."""
    env = {**env, "ENGAGIERT_TELEGRAM_BOT_USERNAME": "@EngagiertBot"}
    assert run(env, "member", "add", "--name", "Stadt Auenburg", "--kind", "stadt").returncode == 0
    person = run(env, "person", "add", "--name", "Tobias Feldmann", "--member", "Stadt Auenburg")
    person_id = person.stdout.strip()
    invite = run(env, "invite", "--person", person_id, "--days", "3")
    assert invite.returncode == 0, invite.stderr
    code = invite.stdout.strip()
    assert len(code) == 10 and code.isalnum()
    assert f"https://t.me/EngagiertBot?start=p_{code}" in invite.stderr
    assert f"!start p_{code}" in invite.stderr and "für ein Chat-Konto" in invite.stderr

    # The account redeems it in the terminal chat (a console account, here).
    chat = run(env, "chat", stdin=f"/start p_{code}\n/hilfe\n")
    assert "Willkommen, Tobias Feldmann!" in chat.stdout, chat.stdout + chat.stderr
    assert "/umfrage" not in chat.stdout  # a member: no poll commands in the help

    roles = run(env, "person", "role", person_id, "--add", "speaker", "--add", "supporter")
    assert roles.returncode == 0 and "speaker, supporter" in roles.stdout
    shown = run(env, "person", "show", "Tobias")
    assert "Stadt Auenburg" in shown.stdout and "member, speaker, supporter" in shown.stdout
    assert "console:" in shown.stdout
    chat = run(env, "chat", "--as", person_id, stdin="/hilfe\n")
    assert "/umfrage" in chat.stdout and "/antworten" in chat.stdout

    event = run(
        env,
        "event",
        "add",
        "--title",
        "Kurzformat",
        "--kind",
        "kurzformat",
        "--start",
        "03.12.2099 14:00",
    ).stdout.strip()
    speaker = run(env, "event", "speaker", event, "Tobias Feldmann")
    assert "Sprecher/in für „Kurzformat“: Tobias Feldmann" in speaker.stdout
    assert run(env, "event", "speaker", event, "--none").returncode == 0

    unlinked = run(env, "person", "unlink", person_id, "console")
    assert unlinked.stdout.startswith("1 Konto")
    assert "console:" not in run(env, "person", "show", person_id).stdout
    # The code was for one account: another account cannot use it again.
    again = run(env, "chat", stdin=f"/start p_{code}\n")
    assert "so oft verwendet" in again.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["invite"], "genau eines angeben"),
        (["invite", "--person", "1", "--member", "X"], "genau eines angeben"),
        (["invite", "--person", "Niemand"], "Niemand"),
        (["person", "role", "1"], "--add ROLLE oder --remove ROLLE"),
        (["person", "role", "1", "--add", "kaiser"], "unbekannte Rolle"),
        (["person", "role", "1", "--add", "member"], "folgt aus der Mitgliedskommune"),
        (["person", "unlink", "1", "fax"], "unbekannte Plattform"),
        (["event", "speaker", "1"], "PERSON angeben oder --none"),
        (["retention", "--months", "100000"], "höchstens 120"),
    ],
)
def test_bad_office_commands_exit_with_one_german_line(env, args, message):
    result = run(env, *args)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("database", "query", "message"),
    [
        ("gibt_es_nicht", {}, 'database "gibt_es_nicht" does not exist'),
        ("test", {"sslmode": "bogus"}, "sslmode=bogus gibt es nicht"),
    ],
)
def test_a_database_that_refuses_is_one_line_without_the_password(env, database, query, message):
    """A database or role that does not exist, a wrong sslmode: one German line naming the
    database, never a traceback or the password."""
    from tests.conftest import postgres_url

    url = make_url(postgres_url()).set(password="geheim-pw-123", database=database, query=query)
    settings = {
        "ENGAGIERT_DATABASE_URL": url.render_as_string(hide_password=False),
        "ENGAGIERT_SECRET_KEY": "a" * 64,
    }
    # A real process: nothing else (a traceback, "Exception ignored …") at the exit either.
    result = run_process({**env, **settings}, "event", "list")
    assert result.returncode in (1, 2), result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "geheim-pw-123" not in result.stderr


def test_names_beginning_with_a_capital_umlaut_are_found(env):
    """SQLite's lower() knows only ASCII: "Öztürk" and "Şahin" are still found by name."""
    added = run(env, "member", "add", "--name", "Gemeinde Öhringen-Süd", "--kind", "gemeinde")
    assert added.returncode == 0, added.stderr
    person = run(env, "person", "add", "--name", "Şahin Öztürk", "--member", "öhringen")
    assert person.returncode == 0, person.stderr
    for ref in ("Şahin Öztürk", "Öztürk", "şahin", "ÖZTÜRK"):
        shown = run(env, "person", "show", ref)
        assert shown.returncode == 0 and "Şahin Öztürk" in shown.stdout, (ref, shown.stderr)
        assert "Öhringen-Süd" in shown.stdout
