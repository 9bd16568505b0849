"""The knowledge base from the command line: real files, ``main`` in this process
(:func:`tests.support.cli.run_cli`: a process start costs seconds)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from bot.faq_yaml import parse_entries
from tests.support.cli import run_cli as run


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGIERT_")}
    return {**clean, "ENGAGIERT_DATA_DIR": str(tmp_path / "data")}


GOOD = """\
- id: mitglied-werden
  question: Wie wird unsere Kommune Mitglied?
  variants: ["Wer kann beitreten?"]
  topic: mitgliedschaft
  answer: Mit der **Gemeinsamen Erklärung**.
- id: parken
  question: Wo parke ich beim Netzwerktreffen?
  answer: In der Tiefgarage.
"""


def entry_rows(env) -> list[tuple]:
    db = Path(env["ENGAGIERT_DATA_DIR"]) / "engagiert.db"
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT * FROM faq_entries ORDER BY id").fetchall()


def test_must_show_question_answers_from_the_starter_base(env):
    result = run(env, "faq", "wie wird meine stadt mitglied")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Wie kann unsere Kommune Mitglied im Netzwerk werden?")
    assert (
        "Gemeinsame Erklärung" in result.stdout and "(mitglied-werden, Sicherheit" in result.stdout
    )
    # It says where the answer comes from: the chat would not know it yet.
    assert "diese Antworten kommen aus den Startinhalten" in result.stderr

    assert run(env, "kb", "import", "--starter").returncode == 0
    again = run(env, "faq", "wie", "wird", "meine", "stadt", "mitglied")
    assert again.stdout.startswith("Wie kann unsere Kommune Mitglied")
    assert again.stderr == ""


def test_json_reads_one_query_per_line_and_prints_one_object_per_line(env):
    assert run(env, "kb", "import", "--starter").returncode == 0
    queries = "wie wird meine stadt mitglied\nwie buche ich ein hotel\n\nehrenamtskarte\n"
    result = run(env, "faq", "--json", "--limit", "2", stdin=queries)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["query"] for line in lines] == queries.splitlines()
    first = lines[0]
    assert set(first) == {"query", "answered", "results"} and first["answered"] is True
    assert first["results"][0]["id"] == "mitglied-werden"
    assert set(first["results"][0]) == {"id", "question", "score"}
    assert len(first["results"]) == 2
    assert first["results"][0]["score"] >= first["results"][1]["score"]
    assert lines[1]["answered"] is False and lines[2] == {
        "query": "",
        "answered": False,
        "results": [],
    }

    single = json.loads(run(env, "faq", "--json", "ehrenamtskarte").stdout)
    assert single["query"] == "ehrenamtskarte" and single["answered"] is True


def test_import_export_round_trip_and_replace(env, tmp_path):
    source = tmp_path / "kb.yaml"
    source.write_text(GOOD, "utf-8")
    result = run(env, "kb", "import", str(source))
    assert result.returncode == 0, result.stderr
    assert "2 neu" in result.stdout
    assert run(env, "kb", "import", "--starter").returncode == 0
    assert len(entry_rows(env)) == 44  # "mitglied-werden" replaced by the starter's, "parken" kept

    exported = tmp_path / "out.yaml"
    assert run(env, "kb", "export", str(exported)).returncode == 0
    assert "id: parken" in exported.read_text("utf-8")
    assert run(env, "kb", "import", "--replace", str(source)).returncode == 0
    assert [row[0] for row in entry_rows(env)] == ["mitglied-werden", "parken"]
    assert parse_entries(run(env, "kb", "export", "-").stdout) == parse_entries(GOOD)


@pytest.mark.parametrize(
    ("content", "messages"),
    [
        (
            "- id: a\n  question: Frage?\n",
            ["Eintrag 1 (id „a“), Feld „answer“: Pflichtschlüssel fehlt"],
        ),
        (
            "- id: Gross Klein\n  question: F?\n  answer: A\n",
            ["Eintrag 1 (id „Gross Klein“), Feld „id“: muss ein Kürzel"],
        ),
        (
            "- id: a\n  question: F?\n  answer: A\n- id: b\n  question: F?\n  answer: A\n"
            "  tags: nope\n- id: a\n  question: G?\n  answer: B\n",
            [
                "Eintrag 2 (id „b“), Feld „tags“: muss eine Liste von Texten sein",
                "Eintrag 3 (id „a“), Feld „id“: doppelte Kennung",
            ],
        ),
        (
            "- id: a\n  question: F?\n  answer: A\n  colour: red\n",
            ["Feld „colour“: unbekannter Schlüssel"],
        ),
        (f"- id: {'x' * 101}\n  question: F?\n  answer: A\n", ["Feld „id“: höchstens 100 Zeichen"]),
        ("a: [", ["ungültiges YAML"]),
        ("", ["keine Einträge"]),
    ],
)
def test_a_bad_file_names_entry_and_field_and_changes_nothing(env, tmp_path, content, messages):
    source = tmp_path / "kb.yaml"
    source.write_text(GOOD, "utf-8")
    assert run(env, "kb", "import", str(source)).returncode == 0
    before = entry_rows(env)
    source.write_text(content, "utf-8")
    result = run(env, "kb", "import", "--replace", str(source))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Fehler:")
    for message in messages:
        assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert entry_rows(env) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["kb", "import"], "DATEI.yaml oder --starter"),
        (["kb", "import", "x.yaml", "--starter"], "DATEI.yaml oder --starter"),
        (["kb", "import", "/nirgends/kb.yaml"], "Den Ordner „/nirgends“ gibt es nicht"),
        (["kb", "export", "/nirgends/kb.yaml"], "Den Ordner „/nirgends“ gibt es nicht"),
        (["faq"], "bitte eine Frage angeben"),
        (["faq", "x", "--limit", "0"], "keine positive ganze Zahl"),
    ],
)
def test_bad_arguments_exit_with_one_german_line(env, args, message):
    result = run(env, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_the_demo_has_the_starter_base_and_a_supporter_to_forward_to(env):
    chat = "/faq wie wird meine stadt mitglied\n/weiterleiten Gilt die Ehrenamtskarte im Zoo?\n"
    result = run(env, "demo", stdin=chat)
    assert result.returncode == 0, result.stderr
    assert "Wie kann unsere Kommune Mitglied im Netzwerk werden?" in result.stdout
    assert "🔔 Nachricht an Aylin Kaya: Eine Frage zum Thema „Ehrenamtskarte“" in result.stdout
