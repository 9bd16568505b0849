"""Registration questions in the chat: ``/angaben ID`` (asked one at a time, answered by a
plain message or a button), and the questions asked right after a signup."""

from __future__ import annotations

from markupsafe import Markup

from bot.context import Context
from bot.handlers.render import lines
from bot.handlers.steps import answers
from bot.reply import Button, Reply
from bot.small_talk import small_talk
from core.dialogues import pending_step
from core.domain.dialogues import Dialogue, DialogueKind
from core.domain.errors import InvalidInput
from core.domain.questions import QuestionKind
from core.domain.registrations import RegistrationStatus
from core.events import event_details
from core.questions import Asking, answer, ask, my_answers

Buttons = tuple[tuple[Button, ...], ...]


def asking(ctx: Context, step: Asking) -> tuple[Markup, Buttons]:
    """The question ``step`` as a message, and its answer buttons."""
    question = step.question
    parts = [
        ctx.t(
            "questions.asking",
            number=step.number,
            total=step.total,
            title=step.title,
            prompt=question.prompt,
        )
    ]
    command = ctx.cmd("angaben", step.event_id)
    row: list[Button] = []
    if question.kind is QuestionKind.YES_NO:
        parts.append(ctx.t("questions.how_yes_no"))
        row = [Button(ctx.t(f"questions.{w}"), f"{command} {w}") for w in ("ja", "nein")]
    elif question.kind is QuestionKind.CHOICE:
        parts += [f"{n}. {o}" for n, o in enumerate(question.options, 1)]
        parts.append(ctx.t("questions.how_choice"))
        row = [Button(o[:40], f"{command} {n}") for n, o in enumerate(question.options, 1)]
    else:
        parts.append(ctx.t("questions.how_text"))
    if not question.required:
        parts.append(ctx.t("questions.optional"))
        row.append(Button(ctx.t("questions.skip"), f"{command} {ctx.t('questions.skip_word')}"))
    buttons = tuple(tuple(row[i : i + 3]) for i in range(0, len(row), 3))
    return lines(*parts), buttons


async def after_signup(ctx: Context, event_id: int, reply: Reply) -> Reply:
    """``reply`` to a signup, followed by the event's first open question, if any."""
    step = await ask(ctx.uow(), person_id=ctx.person.id, event_id=event_id, now=ctx.now)
    if step is None:
        return reply
    text, buttons = asking(ctx, step)
    return Reply(lines(reply.text, "", text), buttons=buttons or reply.buttons, private=True)


async def angaben(ctx: Context, args: str) -> Reply:
    """``/angaben ID``: your answers, then the questions again from the first;
    ``/angaben ID ANTWORT``: answers the question asked (what the buttons send)."""
    event_id = ctx.id_arg(args, rest=True)
    given = args.split(maxsplit=1)[1] if len(args.split(maxsplit=1)) > 1 else ""
    if given.lower().startswith(("nr", "no")) and given.split()[0].rstrip(".") in ("nr", "no"):
        given = ""
    step = await pending_step(ctx.uow(), person_id=ctx.person.id, now=ctx.now)
    if given:
        pending = step is not None and step.kind is DialogueKind.REGISTRATION_QUESTION
        if not pending or int(step.data.get("event_id", 0)) != event_id:
            raise InvalidInput("answer_not_asked", command=ctx.cmd("angaben", event_id))
        return await _answered(ctx, step, given)
    known = await my_answers(ctx.uow(), person_id=ctx.person.id, event_id=event_id)
    started = await ask(
        ctx.uow(), person_id=ctx.person.id, event_id=event_id, now=ctx.now, again=True
    )
    if started is None:
        details = await event_details(
            ctx.uow(), event_id=event_id, person_id=ctx.person.id, now=ctx.now
        )
        if not known:
            key = "questions.none"
        elif details.info.own_status is not RegistrationStatus.CONFIRMED:
            key = "questions.not_registered"
        else:
            key = "questions.not_now"
        return Reply(ctx.t(key), private=True)
    parts = [ctx.t("questions.yours")]
    none = ctx.t("questions.no_answer")
    parts += [f"{q.position}. {q.prompt} – {value or none}" for q, value in known]
    text, buttons = asking(ctx, started)
    return Reply(lines(*parts, "", text), buttons=buttons, private=True)


@answers(DialogueKind.REGISTRATION_QUESTION)
async def _plain_answer(ctx: Context, step: Dialogue, text: str) -> Reply | None:
    if small_talk(text) == "greeting":  # "Hallo": no answer to the question
        raise InvalidInput("answer_small_talk")
    try:
        return await _answered(ctx, step, text)
    except InvalidInput:
        if text.strip().endswith("?"):  # a question of their own, not an answer
            return None
        raise


async def _answered(ctx: Context, step: Dialogue, text: str) -> Reply:
    following = await answer(ctx.uow(), person_id=ctx.person.id, step=step, text=text, now=ctx.now)
    if following is None:
        event_id = int(step.data["event_id"])
        done = ctx.t("questions.done", command=ctx.cmd("angaben", event_id))
        return Reply(done, private=True)
    text_, buttons = asking(ctx, following)
    return Reply(lines(ctx.t("questions.noted"), text_), buttons=buttons, private=True)
