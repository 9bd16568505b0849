"""``survey add|list|send|export``: the office's evaluation surveys on the command line.

A survey file is YAML: an optional ``title`` and a list ``questions``, each with ``kind``
(``likert``, ``single``, ``multi``, ``text``), ``text``, ``options`` (Likert: the five labels
from 1 to 5, optional; choices: 2 to 12 options) and ``optional`` (default false)::

    title: Auswertung Netzwerktreffen
    questions:
      - kind: likert
        text: Wie zufrieden sind Sie insgesamt?
      - kind: single
        text: Wie haben Sie teilgenommen?
        options: [vor Ort, online]
      - kind: text
        text: Was möchten Sie uns mitgeben?
        optional: true
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.cli_german import say
from bot.desk.exports import Cell, as_csv, as_xlsx
from bot.settings import Settings
from core.domain.errors import DomainError
from core.domain.surveys import Question, QuestionKind, question
from core.surveys import SurveyResults, add_survey, export_survey, list_surveys, send_survey

EXPORT_HEADER = ("Nr.", "Frage", "Antwort", "Anzahl", "Anteil (%)", "Mittelwert")
EXPORT_WIDTHS = (6, 48, 40, 10, 12, 12)


def read_questions(path: str) -> tuple[str | None, list[Question]]:
    """The title (if any) and the questions of a survey file. Raises the CLI's UsageError
    naming the question and the problem; OSError for an unreadable file."""
    from bot.cli import UsageError

    try:
        data = yaml.safe_load(Path(path).read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise UsageError(say("cli.survey.yaml", problem=str(exc).splitlines()[0])) from None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise UsageError(say("cli.survey.shape"))
    questions = []
    for n, item in enumerate(data["questions"], 1):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise UsageError(say("cli.survey.question_shape", number=n))
        try:
            questions.append(
                question(
                    str(item.get("kind", "")),
                    item["text"],
                    [str(o) for o in item.get("options") or ()],
                    optional=bool(item.get("optional", False)),
                )
            )
        except DomainError as exc:
            problem = say(f"error.{exc.code}", **exc.params)
            raise UsageError(say("cli.survey.question", number=n, problem=problem)) from None
    title = data.get("title")
    return (str(title) if title is not None else None), questions


def export_rows(found: SurveyResults, *, numbers: bool = False) -> list[tuple[Cell, ...]]:
    """One row per answer option (Likert: per point, with the mean on the question's first
    row), then one per free text. ``numbers``: the mean as a number (a spreadsheet), else
    written with a decimal comma (a German CSV)."""
    rows: list[tuple[Cell, ...]] = []
    for n, result in enumerate(found.results, 1):
        item = result.question
        if item.kind is QuestionKind.TEXT:
            rows += [(n, item.text, text, "", "", "") for text in result.texts]
            continue
        mean: Cell = ""
        if result.mean is not None:
            mean = result.mean if numbers else str(result.mean).replace(".", ",")
        for index, (option, count) in enumerate(zip(item.options, result.counts, strict=True)):
            label = f"{index + 1} {option}" if item.kind is QuestionKind.LIKERT else option
            rows.append(
                (n, item.text, label, count, result.percent(count), mean if index == 0 else "")
            )
    return rows


async def run_survey_add(settings: Settings, args: argparse.Namespace) -> None:
    from bot.cli import _with_app, parse_moment

    title, questions = read_questions(args.file) if args.file else (None, None)

    async def work(app: Any) -> None:
        send_at = parse_moment(args.send_at, "--send-at", app) if args.send_at else None
        survey, event = await add_survey(
            app.uow(),
            actor_id=None,
            event_id=args.event,
            now=app.clock.now(),
            questions=questions,
            title=args.title or title,
            send_at=send_at,
            reminder_after=timedelta(days=args.reminder_days),
            open_for=timedelta(days=args.days),
        )
        print(survey.id)
        when = app.translator.datetime("de", survey.send_at)
        print(say("cli.survey.added", count=len(survey.questions), title=event.title, when=when))

    await _with_app(settings, work)


async def run_survey_list(settings: Settings, args: argparse.Namespace) -> None:
    from bot.cli import _with_app

    async def work(app: Any) -> None:
        now = app.clock.now()
        for survey, event in await list_surveys(app.uow(), actor_id=None):
            if survey.sent_at is None:
                state = say(
                    "cli.survey.planned", when=app.translator.datetime("de", survey.send_at)
                )
            elif survey.is_open(now):
                state = say("cli.survey.open", when=app.translator.datetime("de", survey.closes_at))
            else:
                state = say("cli.survey.closed")
            counts = f"{survey.answered}/{survey.invited}"
            print("\t".join((str(survey.id), str(event.id), state, counts, survey.title)))

    await _with_app(settings, work)


async def run_survey_send(settings: Settings, args: argparse.Namespace) -> None:
    from bot.cli import _with_app

    async def work(app: Any) -> None:
        survey, event = await send_survey(
            app.uow(), actor_id=None, survey_id=args.id, now=app.clock.now()
        )
        print(say("cli.survey.sent", count=survey.invited, title=event.title))

    await _with_app(settings, work)


async def run_survey_export(settings: Settings, args: argparse.Namespace) -> None:
    from bot.cli import UsageError, _with_app

    if args.format not in ("csv", "xlsx"):
        raise UsageError(say("cli.survey.format", given=args.format))
    target = Path(args.output or f"befragung-{args.id}.{args.format}")

    async def work(app: Any) -> None:
        found = await export_survey(
            app.uow(), actor_id=None, survey_id=args.id, form=args.format, now=app.clock.now()
        )
        rows = export_rows(found, numbers=args.format == "xlsx")
        if args.format == "csv":
            content = as_csv(rows, EXPORT_HEADER)
        else:
            content = as_xlsx(
                rows,
                f"Befragung {args.id}: {found.survey.title}",
                header=EXPORT_HEADER,
                sheet_name="Auswertung",
                widths=EXPORT_WIDTHS,
            )
        target.write_bytes(content)
        print(say("cli.survey.exported", path=str(target), count=found.survey.answered))

    await _with_app(settings, work)


def add_commands(
    group: Callable[[str, str], argparse.ArgumentParser],
    command: Callable[..., argparse.ArgumentParser],
    parser_class: type[argparse.ArgumentParser],
) -> None:
    """The ``survey`` group of the command line."""
    from bot.cli import _days, _positive

    survey = group("survey", "Befragungen nach Veranstaltungen").add_subparsers(
        required=True, metavar="BEFEHL", parser_class=parser_class
    )
    add = command(
        "add",
        run_survey_add,
        "Befragung zu einer Veranstaltung anlegen (gibt die Nummer aus); ohne --file die "
        "Standardauswertung des Netzwerks",
        survey,
    )
    add.add_argument("--event", required=True, type=_positive, metavar="ID", help="Veranstaltung")
    add.add_argument("--file", metavar="DATEI", help="Fragen als YAML-Datei")
    add.add_argument("--title", metavar="TITEL", help="Titel; Standard: der der Veranstaltung")
    add.add_argument(
        "--send-at", metavar="ZEITPUNKT", help="Versand; Standard: das Ende der Veranstaltung"
    )
    add.add_argument(
        "--reminder-days",
        type=_days,
        default=3,
        metavar="TAGE",
        help="Erinnerung an alle ohne Antwort, Tage nach dem Versand (Standard 3)",
    )
    add.add_argument(
        "--days", type=_days, default=14, metavar="TAGE", help="Laufzeit in Tagen (Standard 14)"
    )
    command("list", run_survey_list, "alle Befragungen mit Stand und Antworten", survey)
    command("send", run_survey_send, "eine Befragung sofort verschicken", survey).add_argument(
        "id", type=_positive, metavar="ID", help="Nummer der Befragung"
    )
    export = command(
        "export", run_survey_export, "Auswertung als CSV oder XLSX (ab 3 Antworten)", survey
    )
    export.add_argument("id", type=_positive, metavar="ID", help="Nummer der Befragung")
    export.add_argument("--format", default="xlsx", metavar="FORMAT", help="csv oder xlsx")
    export.add_argument("--output", metavar="DATEI", help="Standard: befragung-ID.FORMAT")
