"""The command line in German (issue #14): dates as the office writes them, kinds by their
names, help and every usage error in German, bad settings and file errors in one German line,
real plurals, the empty-knowledge-base hint only where it helps. Real files; ``main`` in this
process (:func:`tests.support.cli.run_cli`: a process start costs seconds)."""

from __future__ import annotations

import argparse
import os
import socket
import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import _parser
from bot.cli_german import _german, german_argparse, phone_dashes
from bot.i18n import Translator
from tests.support.cli import Result
from tests.support.cli import run_cli as run

BERLIN = ZoneInfo("Europe/Berlin")
GERMAN = Translator(BERLIN)
ENGLISH_ARGPARSE = ("usage:", "positional arguments", "options:", "show this help", "error:")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGIERT_")}
    return {**clean, "ENGAGIERT_DATA_DIR": str(tmp_path / "data")}


def one_german_error(result: Result) -> str:
    """The single stderr line of a refused command (exit 2)."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(("Fehler: ", "Ungültige Einstellung ")), lines[0]
    assert not any(word in result.stderr for word in ENGLISH_ARGPARSE), result.stderr
    assert "Traceback" not in result.stderr and "Input should" not in result.stderr
    return lines[0]


def event_ids(env) -> list[str]:
    listing = run(env, "event", "list")
    assert listing.returncode == 0, listing.stderr
    return [line.split("\t")[0] for line in listing.stdout.splitlines()]


def add_event(env, *options: str) -> Result:
    return run(env, "event", "add", "--title", "Treffen", *options)


# --- 1. dates -----------------------------------------------------------------------------


def test_a_german_date_with_uhr_is_understood_and_echoed_in_full(env):
    now = datetime.now(BERLIN)
    year = now.year if datetime(now.year, 12, 3, 14, tzinfo=BERLIN) > now else now.year + 1
    expected = datetime(year, 12, 3, 14, 0, tzinfo=BERLIN)
    result = add_event(env, "--kind", "kurzformat", "--start", "3.12. 14 Uhr")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().isdigit()  # stdout: only the number, for scripts
    assert f"Beginn: {GERMAN.datetime('de', expected)}" in result.stderr.splitlines()
    assert f"Ende: {GERMAN.datetime('de', expected + timedelta(hours=2))}" in result.stderr
    assert "Beginn: Do., 3. Dezember" in result.stderr or expected.weekday() != 3


def test_tomorrow_with_a_time_and_a_deadline(env):
    before = datetime.now(BERLIN).date()
    result = add_event(
        env, "--kind", "kurzformat", "--start", "morgen 10:00", "--deadline", "morgen 9 Uhr"
    )
    after = datetime.now(BERLIN).date()
    assert result.returncode == 0, result.stderr
    tomorrow_ten = {
        datetime.combine(day + timedelta(days=1), time(10, 0), BERLIN) for day in {before, after}
    }
    shown = [GERMAN.datetime("de", moment) for moment in tomorrow_ten]
    assert any(f"Beginn: {text}" in result.stderr for text in shown), result.stderr
    assert "Anmeldeschluss: " in result.stderr and ", 09:00 Uhr" in result.stderr


def test_an_end_given_as_a_time_is_on_the_start_day(env):
    result = add_event(env, "--kind", "sonstiges", "--start", "3.12.2099 14 Uhr", "--end", "16 Uhr")
    assert result.returncode == 0, result.stderr
    assert "Ende: Do., 3. Dezember 2099, 16:00 Uhr" in result.stderr


def test_a_member_in_typographic_quotes_is_found(env):
    assert run(env, "member", "add", "--name", "Stadt Auenburg", "--kind", "stadt").returncode == 0
    invited = run(env, "invite", "--member", "„Stadt Auenburg“")
    assert invited.returncode == 0, invited.stderr


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("3.12.2099", "--start: Bitte geben Sie auch die Uhrzeit an, zum Beispiel „3.12. 14 Uhr“."),
        ("morgen", "Bitte geben Sie auch die Uhrzeit an"),
        ("31.2. 10 Uhr", "Den 31.2. gibt es nicht"),
        ("irgendwann", "„irgendwann“ ist kein Zeitpunkt"),
    ],
)
def test_a_start_without_time_impossible_or_unreadable_is_refused(env, start, message):
    line = one_german_error(add_event(env, "--kind", "kurzformat", "--start", start))
    assert message in line
    assert event_ids(env) == []


def test_a_deadline_without_a_time_is_refused(env):
    result = add_event(
        env, "--kind", "kurzformat", "--start", "3.12.2099 14:00", "--deadline", "1.12.2099"
    )
    assert "--deadline: Bitte geben Sie auch die Uhrzeit an" in one_german_error(result)


def test_iso_still_works(env):
    result = add_event(env, "--kind", "kurzformat", "--start", "2099-12-03T14:00")
    assert result.returncode == 0, result.stderr
    assert "Beginn: Do., 3. Dezember 2099, 14:00 Uhr" in result.stderr


def test_phone_dashes_in_the_options(env):
    result = run(
        env,
        "event",
        "add",
        "\u2014title",
        "Treffen",
        "\u2013kind",
        "kurzformat",
        "\u2010\u2010start",
        "2099\u201312\u201303T14:00",
        "\u2013\u2013place=K\u00f6ln",
    )
    assert result.returncode == 0, result.stderr
    assert "Beginn: Do., 3. Dezember 2099, 14:00 Uhr" in result.stderr


def test_phone_dashes_change_only_known_options():
    _parser()  # registers the option names
    assert phone_dashes(["\u2013start", "\u2014x", "\u2013h", "--", "\u2013title"]) == [
        "--start",
        "\u2014x",
        "-h",
        "--",
        "\u2013title",
    ]


# --- 2. past dates ------------------------------------------------------------------------


def test_a_start_yesterday_is_refused_and_nothing_is_stored(env):
    yesterday = (datetime.now(UTC) - timedelta(days=1)).astimezone(BERLIN)
    start = yesterday.strftime("%d.%m.%Y %H:%M")
    line = one_german_error(add_event(env, "--kind", "kurzformat", "--start", start))
    assert "liegt in der Vergangenheit" in line and "Der Beginn" in line
    assert event_ids(env) == []


def test_a_deadline_in_the_past_is_refused(env):
    result = add_event(
        env, "--kind", "kurzformat", "--start", "2099-12-03T14:00", "--deadline", "gestern 10:00"
    )
    assert "Der Anmeldeschluss" in one_german_error(result)
    assert event_ids(env) == []


# --- 3. kinds by their names --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("Netzwerktreffen", "netzwerktreffen"),
        ("Offener Workshop", "offener_workshop"),
        ("offener workshop", "offener_workshop"),
        ("OFFENER-WORKSHOP", "offener_workshop"),
        ("offener_workshop", "offener_workshop"),
        ("Kommunales Spitzentreffen", "spitzentreffen"),
        ("Network meeting", "netzwerktreffen"),
        ("Kurzformat (Videokonferenz)", "kurzformat"),
    ],
)
def test_event_kinds_by_label_or_code(env, kind, code):
    result = add_event(env, "--kind", kind, "--start", "2099-12-03T14:00")
    assert result.returncode == 0, result.stderr
    assert f"\t{code}\t" in run(env, "event", "list").stdout


def test_an_unknown_kind_lists_the_german_names(env):
    line = one_german_error(add_event(env, "--kind", "Party", "--start", "2099-12-03T14:00"))
    assert "unbekannte Art „Party“" in line
    assert "Offener Workshop" in line and "Kommunales Spitzentreffen" in line


def test_member_kinds_tolerantly(env):
    result = run(env, "member", "add", "--name", "Stadt Köln", "--kind", "Kreisfreie Stadt")
    assert result.returncode == 0, result.stderr
    assert "\tkreisfreie_stadt\t" in run(env, "member", "list").stdout


# --- 4. database URLs ---------------------------------------------------------------------


def test_an_unreachable_database_is_named_without_its_password(env):
    # Nothing listens on the port: one German line naming the database, not a traceback.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql://bot:geheim-{uuid.uuid4().hex[:8]}@127.0.0.1:{port}/netzwerk"
    env = {**env, "ENGAGIERT_DATABASE_URL": url, "ENGAGIERT_SECRET_KEY": "a" * 64}
    result = run(env, "event", "list")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"Fehler: Die Datenbank postgresql+asyncpg://bot:***@127.0.0.1:{port}/netzwerk ist nicht "
        "erreichbar. Die Verbindung wurde abgelehnt. Läuft der Server, stimmen Rechner und Port?"
    ]


def test_a_plain_sqlite_url_is_used(env, tmp_path):
    database = tmp_path / "elsewhere" / "bot.db"
    result = run({**env, "ENGAGIERT_DATABASE_URL": f"sqlite:///{database}"}, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert database.exists()


@pytest.mark.postgres
def test_a_plain_postgresql_url_is_used(env):
    import asyncio

    import asyncpg

    from tests.conftest import postgres_url

    base = postgres_url().replace("postgresql+asyncpg://", "postgresql://")
    name = f"test_cli_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(base)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        url = base.rsplit("/", 1)[0] + f"/{name}"
        env = {**env, "ENGAGIERT_DATABASE_URL": url, "ENGAGIERT_SECRET_KEY": "a" * 64}
        result = run(env, "db", "upgrade")
        assert result.returncode == 0, result.stderr
        assert run(env, "member", "add", "--name", "Kreis X", "--kind", "kreis").returncode == 0
        assert "Kreis X" in run(env, "member", "list").stdout
    finally:
        asyncio.run(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


def test_an_unsupported_url_is_one_german_line(env):
    result = run({**env, "ENGAGIERT_DATABASE_URL": "mysql://x@y/z"}, "event", "list")
    line = one_german_error(result)
    assert line.startswith("Ungültige Einstellung ENGAGIERT_DATABASE_URL: „mysql://“")


# --- 5. German help and errors ------------------------------------------------------------


def subcommands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield (*path, name)
                yield from subcommands(child, (*path, name))


def test_every_help_is_german(capsys):
    paths = [(), *subcommands(_parser())]
    assert len(paths) > 25
    for path in paths:
        with german_argparse():
            parser = _parser()
            with pytest.raises(SystemExit) as ended:
                parser.parse_args([*path, "--help"])
        assert ended.value.code == 0
        text = capsys.readouterr().out
        assert text.startswith("Aufruf: engagiert-bot"), text
        assert "diese Hilfe zeigen und beenden" in text
        assert "Optionen:" in text
        assert not any(word in text for word in ENGLISH_ARGPARSE), (path, text)
    # Outside the CLI, argparse is English again (pytest itself uses it).
    assert "usage:" in argparse.ArgumentParser(prog="x").format_usage()


def test_the_installed_help_is_german(env):
    result = run(env, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("Aufruf: engagiert-bot [-h] BEFEHL ...")
    assert "Argumente:" in result.stdout and "Optionen:" in result.stdout


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["event", "add", "--kind", "kurzformat"],
            "Fehler: Es fehlen die Angaben --title, --start. Hilfe: engagiert-bot event add --help",
        ),
        (
            ["event", "add", "--kind", "kurzformat", "--title", "X"],
            "Fehler: Es fehlt die Angabe --start. Hilfe: engagiert-bot event add --help",
        ),
        (["event"], "Fehler: Es fehlt die Angabe BEFEHL. Hilfe: engagiert-bot event --help"),
        (["fliegen"], "Fehler: BEFEHL: ungültige Auswahl „fliegen“ (möglich: chat, demo,"),
        (
            ["event", "list", "--viele", "x"],
            "Fehler: Diese Angaben verstehe ich nicht: --viele x. "
            "Hilfe: engagiert-bot event list --help",
        ),
        (["event", "list", "extra"], "Fehler: Diese Angabe verstehe ich nicht: extra."),
        (
            ["faq", "x", "--limit"],
            "Fehler: --limit: dahinter fehlt ein Wert. Hilfe: engagiert-bot faq --help",
        ),
        (["faq", "x", "--limit", "abc"], "Fehler: --limit: „abc“ ist keine positive ganze Zahl."),
        (
            ["person", "add", "--name", "P", "--language", "fr"],
            "Fehler: --language: ungültige Auswahl „fr“ (möglich: de, en).",
        ),
        (["event", "cancel", "eins"], "Fehler: NUMMER: „eins“ ist keine positive ganze Zahl."),
    ],
)
def test_usage_errors_are_one_german_line_without_usage(env, args, line):
    assert one_german_error(run(env, *args)).startswith(line)


def test_argparse_templates_without_a_caller_here_are_german():
    assert _german("invalid %(type)s value: %(value)r") % {
        "type": "int",
        "value": "abc",
    } == ("„abc“ ist keine ganze Zahl")
    assert _german("expected at least one argument") == "mindestens ein Wert nötig"
    assert _german("a text argparse does not have") == "a text argparse does not have"


def test_a_bad_setting_is_one_german_line_naming_the_variable(env):
    result = run({**env, "ENGAGIERT_FLOOD_MESSAGES": "abc"}, "event", "list")
    assert one_german_error(result) == (
        "Ungültige Einstellung ENGAGIERT_FLOOD_MESSAGES: „abc“ ist keine ganze Zahl"
    )


def test_os_errors_are_german(env, tmp_path):
    line = one_german_error(run(env, "kb", "import", "nosuchfile.yaml"))
    assert line == "Fehler: Die Datei „nosuchfile.yaml“ gibt es nicht."
    assert one_german_error(run(env, "kb", "import", str(tmp_path))) == (
        f"Fehler: „{tmp_path}“ ist ein Ordner, keine Datei."
    )
    missing = tmp_path / "nirgends" / "kb.yaml"
    assert one_german_error(run(env, "kb", "export", str(missing))) == (
        f"Fehler: Den Ordner „{missing.parent}“ gibt es nicht."
    )
    if os.geteuid() != 0:  # root may read anything
        locked = tmp_path / "gesperrt.yaml"
        locked.write_text("[]", "utf-8")
        locked.chmod(0)
        assert one_german_error(run(env, "kb", "import", str(locked))) == (
            f"Fehler: Keine Berechtigung für „{locked}“."
        )


# --- 6. plurals ---------------------------------------------------------------------------


def test_numbers_meet_nouns_in_the_right_form(env, tmp_path):
    assert run(env, "member", "add", "--name", "Stadt Auenburg", "--kind", "stadt").returncode == 0
    one = run(env, "invite", "--member", "Auenburg", "--uses", "1")
    assert ", für 1 Person." in one.stderr and "Person(en)" not in one.stderr
    two = run(env, "invite", "--member", "Auenburg", "--uses", "2")
    assert ", für 2 Personen." in two.stderr
    code = one.stdout.strip()

    event = add_event(env, "--kind", "kurzformat", "--start", "2099-12-03T14:00").stdout.strip()
    chat = run(env, "chat", stdin=f"/start {code}\n/anmelden {event}\n")
    assert "Sie sind angemeldet" in chat.stdout, chat.stdout + chat.stderr
    cancelled = run(env, "event", "cancel", event)
    assert cancelled.stdout.strip() == (
        "Abgesagt. Die Nachricht darüber geht an 1 angemeldete Person; ob sie ankommt, zeigt "
        "/zustellung im Chat."
    )
    other = add_event(env, "--kind", "kurzformat", "--start", "2099-12-04T14:00").stdout.strip()
    assert run(env, "event", "cancel", other).stdout.strip() == (
        "Abgesagt; es war niemand angemeldet."
    )

    source = tmp_path / "kb.yaml"
    source.write_text("- id: parken\n  question: Wo parke ich?\n  answer: Im Hof.\n", "utf-8")
    assert run(env, "kb", "import", str(source)).returncode == 0
    assert run(env, "kb", "export", "-").stderr.strip() == "1 Eintrag exportiert."


def test_unlinking_one_account_says_konto(env):
    person = run(env, "person", "add", "--name", "Tobias Feldmann").stdout.strip()
    code = run(env, "invite", "--person", person).stdout.strip()
    assert "Willkommen" in run(env, "chat", stdin=f"/start p_{code}\n").stdout
    assert run(env, "person", "unlink", person, "console").stdout.strip() == (
        "1 Konto auf console getrennt."
    )


# --- 7. the empty-knowledge-base hint -----------------------------------------------------


def test_the_empty_base_hint_only_at_db_upgrade(env):
    hint = "Die Wissensbasis ist leer. Startinhalte übernehmen"
    assert hint in run(env, "db", "upgrade").stderr
    assert hint not in run(env, "chat", stdin="/termine\n").stderr
    faq = run(env, "faq", "wie wird meine stadt mitglied")
    assert faq.returncode == 0 and hint not in faq.stderr
    assert faq.stdout.startswith("Wie kann unsere Kommune Mitglied")  # still the starter base
    assert "diese Antworten kommen aus den Startinhalten" in faq.stderr  # and says so
    assert hint not in run(env, "event", "list").stderr


def test_a_second_person_of_the_same_name_is_pointed_out(env):
    first = run(env, "person", "add", "--name", "Miriam Lindner").stdout.strip()
    second = run(env, "person", "add", "--name", "miriam lindner")
    assert second.returncode == 0 and f"gibt es schon (Nr. {first})" in second.stderr


def test_invitation_days_as_people_write_them(env):
    person = run(env, "person", "add", "--name", "Tobias Feldmann").stdout.strip()
    invited = run(env, "invite", "--person", person, "--days", "2 Wochen")
    assert invited.returncode == 0, invited.stderr
    refused = run(env, "invite", "--person", person, "--days", "1,5 Tage")
    assert refused.returncode == 2 and "keine Zahl von Tagen" in refused.stderr


def test_entries_nobody_confirmed_for_a_year_are_listed(env, tmp_path):
    import sqlite3

    source = tmp_path / "kb.yaml"
    source.write_text(
        "- id: alt\n  question: Alt?\n  answer: A.\n- id: neu\n  question: Neu?\n  answer: B.\n",
        "utf-8",
    )
    assert run(env, "kb", "import", str(source)).returncode == 0
    assert "0 Einträge sind" in run(env, "kb", "stale").stderr
    database = Path(env["ENGAGIERT_DATA_DIR"]) / "engagiert.db"
    with sqlite3.connect(database) as db:
        db.execute("UPDATE faq_entries SET updated_at = '2024-01-01 00:00:00' WHERE id = 'alt'")
    stale = run(env, "kb", "stale")
    assert stale.stdout.startswith("alt\t") and "neu" not in stale.stdout
    assert "1 Eintrag ist seit mehr als 12 Monaten unverändert" in stale.stderr
