"""/befragung and /befragung_auswertung: evaluation surveys after an event.

- ``/befragung ID``: start or resume answering, one question at a time in the private chat;
  a plain message answers the question (``@answers(DialogueKind.SURVEY_STEP)``): Likert by
  number 1–5 (buttons on Telegram), choices by number, free text as typed, "überspringen"
  for optional questions, "abbrechen" to pause (the answers so far are kept).
- ``/befragung ID NR ANTWORT``: what a button sends (question ``NR`` answered with ``ANTWORT``).
- ``/befragung ID senden``: send it now (office, the event's speaker).
- ``/befragung_auswertung ID``: distributions with counts and percentages, Likert means,
  the free texts (office).

No reply repeats what the person answered: the answers must not stay in the outbox.
"""

from __future__ import annotations

from markupsafe import Markup

from bot.arguments import number, split_words
from bot.context import Context
from bot.handlers.polls import bar
from bot.handlers.render import lines
from bot.handlers.steps import answers
from bot.reply import Button, Reply
from bot.small_talk import small_talk
from core.dialogues import finish_step
from core.domain.dialogues import Dialogue, DialogueKind
from core.domain.errors import InvalidInput
from core.domain.surveys import LIKERT_POINTS, QuestionKind, QuestionResult, folded, is_pause
from core.surveys import MIN_SHOWN, Step, answer, begin, send_survey, survey_results

SEND = frozenset({"senden", "send", "verschicken"})
SKIP = "überspringen"


async def befragung(ctx: Context, args: str) -> Reply:
    survey_id = ctx.id_arg(args, rest=True)
    rest = split_words(args)[1:]
    if not rest:
        step = await begin(ctx.uow(), person_id=ctx.person.id, survey_id=survey_id, now=ctx.now)
        return _asked(ctx, step, intro=True)
    if len(rest) == 1 and folded(rest[0]) in SEND:
        survey, event = await send_survey(
            ctx.uow(),
            actor_id=ctx.person.id,
            survey_id=survey_id,
            now=ctx.now,
            place=ctx.place,
            rooms=ctx.app.rooms,
        )
        text = ctx.t("survey.sent", count=survey.invited, title=event.title, id=survey_id)
        return Reply(text, private=True)
    question_no = number(rest[0])
    if question_no is None or len(rest) < 2:
        raise InvalidInput(
            "survey_usage",
            start=ctx.cmd(ctx.command, survey_id),
            send=ctx.cmd(ctx.command, survey_id, "senden"),
        )
    step = await answer(
        ctx.uow(),
        person_id=ctx.person.id,
        survey_id=survey_id,
        text=" ".join(rest[1:]),
        now=ctx.now,
        question_no=question_no,
    )
    return _asked(ctx, step)


@answers(DialogueKind.SURVEY_STEP)
async def _survey_step(ctx: Context, step: Dialogue, text: str) -> Reply | None:
    """A plain message answers the survey's next question; "abbrechen" pauses."""
    survey_id = int(step.data["survey"])
    if is_pause(text):
        await finish_step(ctx.uow(), person_id=ctx.person.id)
        return Reply(ctx.t("survey.paused", command=ctx.cmd("befragung", survey_id)))
    if small_talk(text) == "greeting":  # "Hallo": no answer to the question
        raise InvalidInput("answer_small_talk")
    found = await answer(
        ctx.uow(), person_id=ctx.person.id, survey_id=survey_id, text=text, now=ctx.now
    )
    return _asked(ctx, found)


def _asked(ctx: Context, step: Step, *, intro: bool = False) -> Reply:
    """The next question with how to answer it, or the thanks after the last."""
    survey = step.survey
    if step.done:
        return Reply(ctx.t("survey.thanks", title=survey.title), private=True)
    item = step.question
    total = len(survey.questions)
    parts: list[Markup | str | None] = []
    if intro:
        parts.append(ctx.t("survey.intro", title=survey.title, count=total))
        parts.append(ctx.t("survey.anonymous"))
        parts.append("")
    parts.append(ctx.t("survey.question", number=step.index + 1, total=total, text=item.text))
    if item.kind is not QuestionKind.TEXT:
        parts += [f"{n}. {option}" for n, option in enumerate(item.options, 1)]
    parts.append(ctx.t(f"survey.how.{item.kind.value}", count=len(item.options)))
    if item.optional:
        parts.append(ctx.t("survey.how.optional", skip=SKIP))
    parts.append(ctx.t("survey.how.pause"))
    command = ctx.cmd("befragung", survey.id, step.index + 1)
    buttons: list[tuple[Button, ...]] = []
    if item.kind is QuestionKind.LIKERT:
        buttons.append(tuple(Button(str(n), f"{command} {n}") for n in range(1, 1 + LIKERT_POINTS)))
    elif item.kind is QuestionKind.SINGLE:
        buttons += [
            (Button(f"{n}. {option}"[:60], f"{command} {n}"),)
            for n, option in enumerate(item.options, 1)
        ]
    if item.optional:
        buttons.append((Button(str(ctx.t("button.survey_skip")), f"{command} {SKIP}"),))
    return Reply(lines(*parts), buttons=tuple(buttons), private=True)


async def befragung_auswertung(ctx: Context, args: str) -> Reply:
    survey_id = ctx.id_arg(args)
    found = await survey_results(
        ctx.uow(),
        actor_id=ctx.person.id,
        survey_id=survey_id,
        place=ctx.place,
        rooms=ctx.app.rooms,
    )
    survey = found.survey
    parts: list[Markup | str | None] = [
        ctx.t("survey.results_head", id=survey_id, title=survey.title),
        _state(ctx, found.survey, ctx.now),
        ctx.t("survey.turnout", answered=survey.answered, count=survey.invited),
    ]
    if not found.shown:
        parts.append(ctx.t("survey.too_few", least=MIN_SHOWN))
        return Reply(lines(*parts), private=True)
    for n, result in enumerate(found.results, 1):
        parts += ["", *_result_lines(ctx, n, result)]
    parts += ["", ctx.t("survey.export_hint", id=survey_id)]
    return Reply(lines(*parts), private=True)


def _state(ctx: Context, survey, now) -> Markup:
    if survey.sent_at is None:
        return ctx.t("survey.state_planned", send_at=survey.send_at)
    if survey.is_open(now):
        return ctx.t("survey.state_open", closes_at=survey.closes_at)
    return ctx.t("survey.state_closed")


def _result_lines(ctx: Context, n: int, result: QuestionResult) -> list[Markup | str]:
    item = result.question
    parts: list[Markup | str] = [
        ctx.t("survey.result_question", number=n, text=item.text, count=result.answered)
    ]
    if item.kind is QuestionKind.TEXT:
        parts += [Markup("– {}").format(text) for text in result.texts]
        return parts
    for index, (option, count) in enumerate(zip(item.options, result.counts, strict=True), 1):
        share = count / result.answered if result.answered else 0.0
        label = f"{index} {option}" if item.kind is QuestionKind.LIKERT else option
        parts.append(
            ctx.t(
                "survey.result_option",
                bar=bar(share),
                percent=result.percent(count),
                count=count,
                option=label,
            )
        )
    if result.mean is not None:
        mean = f"{result.mean:.1f}".replace(".", "," if ctx.language == "de" else ".")
        parts.append(ctx.t("survey.result_mean", mean=mean))
    return parts
