"""Registration questions in the chat: ``/angaben ID`` (asked one at a time, answered by a
plain message or a button), and the questions asked right after a signup."""

from __future__ import annotations

from markupsafe import Markup

from bot.arguments import split_words
from bot.context import Context
from bot.handlers.render import lines
from bot.handlers.steps import answers
from bot.reply import Button, Reply
from bot.small_talk import small_talk
from core.dialogues import finish_step, pending_step
from core.domain.dialogues import Dialogue, DialogueKind
from core.domain.errors import InvalidInput
from core.domain.questions import QuestionKind
from core.domain.registrations import RegistrationStatus
from core.events import event_details
from core.faq.normalize import fold
from core.questions import Asking, answer, ask, ask_any, my_answers

Buttons = tuple[tuple[Button, ...], ...]
#: ``/angaben ID neu``: every question again.
AGAIN_WORD = "neu"
AGAIN = {"neu", "nochmal", "alle", "again", "all"}
#: A plain message that pauses the questions (``/angaben ID`` goes on).
PAUSE = {"abbrechen", "spaeter", "stopp", "stop", "pause", "cancel", "later"}


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
    """``/angaben ID``: your answers, and the first question still open; ``/angaben ID neu``:
    all questions again (skipping keeps an answer); ``/angaben ID ANTWORT``: answers the
    question asked (what the buttons send)."""
    event_id = ctx.id_arg(args, rest=True)
    words = split_words(args)
    if words and words[0].lower().rstrip(".") in ("nr", "no"):
        words = words[1:]
    given = " ".join(words[1:])
    known = await my_answers(ctx.uow(), person_id=ctx.person.id, event_id=event_id)
    if not known:
        await event_details(ctx.uow(), event_id=event_id, person_id=ctx.person.id, now=ctx.now)
        return Reply(ctx.t("questions.none"), private=True)  # (raises for an unknown event)
    again = fold(given) in AGAIN
    if given and not again:
        step = await pending_step(ctx.uow(), person_id=ctx.person.id, now=ctx.now)
        pending = step is not None and step.kind is DialogueKind.REGISTRATION_QUESTION
        if not pending or int(step.data.get("event_id", 0)) != event_id:
            raise InvalidInput("answer_not_asked", command=ctx.cmd("angaben", event_id))
        return await _answered(ctx, step, given)
    started = await ask(
        ctx.uow(), person_id=ctx.person.id, event_id=event_id, now=ctx.now, again=again
    )
    parts = [ctx.t("questions.yours")]
    none = ctx.t("questions.no_answer")
    parts += [f"{q.position}. {q.prompt} – {value or none}" for q, value in known]
    if started is None:
        details = await event_details(
            ctx.uow(), event_id=event_id, person_id=ctx.person.id, now=ctx.now
        )
        if details.info.own_status is not RegistrationStatus.CONFIRMED:
            return Reply(ctx.t("questions.not_registered"), private=True)
        if details.info.event.ends_at <= ctx.now:
            return Reply(ctx.t("questions.not_now"), private=True)
        change = ctx.t("questions.change", command=ctx.cmd("angaben", event_id, AGAIN_WORD))
        return Reply(lines(*parts, "", change), private=True)
    text, buttons = asking(ctx, started)
    return Reply(lines(*parts, "", text), buttons=buttons, private=True)


@answers(DialogueKind.REGISTRATION_QUESTION)
async def _plain_answer(ctx: Context, step: Dialogue, text: str) -> Reply | None:
    event_id = int(step.data["event_id"])
    if fold(text).strip(" .!") in PAUSE:
        await finish_step(ctx.uow(), person_id=ctx.person.id)
        return Reply(ctx.t("questions.paused", command=ctx.cmd("angaben", event_id)))
    if small_talk(text) == "greeting":  # "Hallo": no answer to the question
        raise InvalidInput("answer_small_talk")
    try:
        return await _answered(ctx, step, text)
    except InvalidInput:
        if not text.strip().endswith("?"):
            raise
    # A question of their own: answered from the knowledge base; the step stays open.
    from bot.handlers.faq import faq  # the FAQ handlers import the events ones

    answered = await faq(ctx, text)
    waiting = ctx.t("questions.still_open", command=ctx.cmd("angaben", event_id))
    return Reply(lines(answered.text, "", waiting), buttons=answered.buttons, private=True)


async def _answered(ctx: Context, step: Dialogue, text: str) -> Reply:
    following = await answer(ctx.uow(), person_id=ctx.person.id, step=step, text=text, now=ctx.now)
    if following is None:
        event_id = int(step.data["event_id"])
        done = ctx.t("questions.done", command=ctx.cmd("angaben", event_id))
        more = await ask_any(ctx.uow(), person_id=ctx.person.id, now=ctx.now)
        if more is None:
            return Reply(done, private=True)
        text_, buttons = asking(ctx, more)
        return Reply(lines(done, "", text_), buttons=buttons, private=True)
    text_, buttons = asking(ctx, following)
    return Reply(lines(ctx.t("questions.noted"), text_), buttons=buttons, private=True)
