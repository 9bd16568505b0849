"""/faq, /faq_zeigen, /weiterleiten, /antworten, /faq_offen, /faq_luecken."""

from __future__ import annotations

import re
from dataclasses import replace

from markupsafe import Markup

from bot.arguments import split_words
from bot.context import Context
from bot.handlers.events import termin
from bot.handlers.render import lines
from bot.markdown import markdown_blocks
from bot.reply import Button, Reply
from core.dialogues import offer_faq_choice
from core.domain import guests
from core.domain.errors import DomainError, InvalidInput
from core.domain.events import Event
from core.domain.faq import FaqEntry, topic_label
from core.domain.text import without_markup
from core.events import upcoming_events
from core.faq.event_questions import asked_kinds, place_words
from core.faq.normalize import tokenize
from core.kb import (
    LONG_GAP,
    adopt_answer,
    answer_question,
    ask,
    find_entry,
    forward_question,
    list_gaps,
    open_questions,
    rate_answer,
    unhelpful_entries,
)

BUTTON_LABEL_MAX = 60

_SAFE_URL = re.compile(r"(?:https?://|mailto:)\S+$")
_ANSWER_ARGS = re.compile(r"#?(\d{1,9})(?:\s+(.*))?", re.S)


def entry_text(ctx: Context, entry: FaqEntry, *, short: bool = False) -> Markup:
    """The entry headed by its question; ``short``: the first paragraph and a pointer."""
    blocks = markdown_blocks(entry.answer)
    if short:
        # An introduction ending in a colon belongs to the list after it.
        keep = 2 if len(blocks) > 1 and blocks[0].endswith(":") else 1
        rest = blocks[keep:]
        blocks = blocks[:keep]
        if rest or entry.links:
            blocks.append(ctx.t("faq.more", id=entry.id))
    elif entry.links:
        links = [
            Markup('<a href="{url}">{url}</a>').format(url=url) if _SAFE_URL.match(url) else url
            for url in entry.links
        ]
        blocks.append(lines(ctx.t("faq.links"), *links))
    return Markup("\n\n").join([Markup("<b>{}</b>").format(entry.question), *blocks])


def _label(text: str) -> str:
    return text if len(text) <= BUTTON_LABEL_MAX else text[: BUTTON_LABEL_MAX - 1] + "…"


# --- members ----------------------------------------------------------------------------


async def faq(ctx: Context, args: str) -> Reply:
    """The best answer to a question: about the network's dates from the event list (always
    current), otherwise from the knowledge base."""
    if (kinds := asked_kinds(args)) is not None:
        coming = await upcoming_events(ctx.uow(), now=ctx.now, person_id=ctx.person.id)
        matching = [i for i in coming if i.event.kind in kinds and i.event.starts_at > ctx.now]
        if named := place_words(args):  # "… in Essen?": the events there, if any
            there = [i for i in matching if named & set(tokenize(_where(i.event)))]
            matching = there or matching
        if matching:
            card = await termin(ctx, str(matching[0].event.id))
            return replace(card, text=lines(ctx.t("faq.next_event"), "", card.text))
    result = await ask(ctx.uow(), ctx.app.faq, query=args, now=ctx.now)
    in_group = not ctx.message.is_private
    if result.best is not None and not result.ambiguous:
        entry = result.best.entry
        return Reply(entry_text(ctx, entry, short=in_group), buttons=_rating(ctx, entry))
    question = without_markup(args)  # as the bot read it: pasted markup is none of it
    forward = (Button(ctx.t("button.faq_forward"), ctx.cmd("weiterleiten", question)),)
    if result.answered or result.near:
        choices = [hit.entry for hit in (result.hits if result.answered else result.near)]
        text = lines(
            ctx.t(
                "faq.choose"
                if result.answered
                else ("faq.near_one" if len(choices) == 1 else "faq.near")
            ),
            *(Markup("{}. {}").format(n, e.question) for n, e in enumerate(choices, 1)),
        )
        buttons = tuple((Button(_label(e.question), ctx.cmd("faq_zeigen", e.id)),) for e in choices)
        if not result.answered:
            buttons = (*buttons, forward)
        if not in_group:  # a plain number picks one (the dialogue remembers the list)
            ids = [e.id for e in choices]
            await offer_faq_choice(ctx.uow(), person_id=ctx.person.id, entry_ids=ids, now=ctx.now)
            text = lines(text, "", ctx.t("faq.choose_number", count=len(choices)))
        return Reply(text, buttons=buttons)
    return Reply(ctx.t("faq.none"), buttons=(forward,))


async def faq_zeigen(ctx: Context, args: str) -> Reply:
    entry = find_entry(ctx.app.faq, args)
    return Reply(entry_text(ctx, entry), buttons=_rating(ctx, entry))


def _where(event: Event) -> str:
    return f"{event.title} {event.place or ''}"


def _rating(ctx: Context, entry: FaqEntry) -> tuple[tuple[Button, ...], ...]:
    """ "Hat das geholfen?" under an answer in a private chat (counted without names)."""
    if not ctx.message.is_private:
        return ()
    yes, no = ctx.t("word.yes"), ctx.t("word.no")
    return (
        (
            Button(ctx.t("button.helpful"), ctx.cmd("hilfreich", entry.id, yes)),
            Button(ctx.t("button.unhelpful"), ctx.cmd("hilfreich", entry.id, no)),
        ),
    )


async def hilfreich(ctx: Context, args: str) -> Reply:
    """``/hilfreich EINTRAG ja|nein``: the 👍 or 👎 under an answer."""
    given = split_words(args)
    answers = {"ja": True, "yes": True, "👍": True, "nein": False, "no": False, "👎": False}
    if len(given) != 2 or given[1].lower() not in answers:
        raise InvalidInput("faq_rating_usage")
    helpful = answers[given[1].lower()]
    await rate_answer(ctx.uow(), ctx.app.faq, entry_id=given[0], helpful=helpful)
    return Reply(ctx.t("faq.rated_helpful" if helpful else "faq.rated_unhelpful"), private=True)


async def weiterleiten(ctx: Context, args: str) -> Reply:
    account = (ctx.message.platform, ctx.message.sender_id)
    bucket = ctx.app.guest_forwards if ctx.person.is_guest else None
    if bucket is not None and not bucket.has_room(*account):
        raise DomainError("guest_forward_limit", max=guests.FORWARDS)
    report = await forward_question(
        ctx.uow(), ctx.app.faq, person_id=ctx.person.id, text=args, now=ctx.now
    )
    if bucket is not None:
        await bucket.take(*account)
    question = report.question
    if not report.recipients:
        text = ctx.t("faq.forwarded_nobody", id=question.id)
    elif report.to_supporters:
        text = ctx.t("faq.forwarded_supporters", id=question.id, topic=topic_label(question.topic))
    else:
        text = ctx.t("faq.forwarded_organizers", id=question.id)
    return Reply(text, private=True)


# --- supporters and organizers ------------------------------------------------------------


async def antworten(ctx: Context, args: str) -> Reply:
    match = _ANSWER_ARGS.fullmatch(args.strip())
    if match is None:
        raise InvalidInput("faq_answer_usage")
    question_id, text = int(match[1]), match[2] or ""
    await answer_question(
        ctx.uow(), actor_id=ctx.person.id, question_id=question_id, text=text, now=ctx.now
    )
    return Reply(ctx.t("faq.answer_sent", id=question_id), private=True)


async def faq_aufnehmen(ctx: Context, args: str) -> Reply:
    """``/faq_aufnehmen NR [EINTRAG]``: an answered forwarded question becomes a new entry,
    or a variant of the entry ``EINTRAG`` (network office)."""
    question_id = ctx.id_arg(args, missing="faq_adopt_usage", rest=True)
    rest = split_words(args)[1:]
    if len(rest) > 1:
        raise InvalidInput("extra_arguments", extra=" ".join(rest[1:])[:40], example=ctx.example())
    adopted = await adopt_answer(
        ctx.uow(),
        ctx.app.faq,
        actor_id=ctx.person.id,
        question_id=question_id,
        entry_id=rest[0] if rest else None,
        now=ctx.now,
    )
    key = "faq.adopted_new" if adopted.created else "faq.adopted_variant"
    entry = adopted.entry
    return Reply(ctx.t(key, id=question_id, entry=entry.id, question=entry.question), private=True)


async def faq_offen(ctx: Context, args: str) -> Reply:
    questions = await open_questions(ctx.uow(), actor_id=ctx.person.id)
    if not questions:
        return Reply(ctx.t("faq.open_none"), private=True)
    parts = [ctx.t("faq.open_header"), ""]
    for question in questions:
        parts += [
            ctx.t("faq.open_entry", id=question.id, created=question.created_at),
            ctx.t("faq.open_topic", topic=topic_label(question.topic)) if question.topic else None,
            question.text,
            "",
        ]
    parts.append(ctx.t("faq.open_footer"))
    return Reply(lines(*parts), private=True)


async def faq_luecken(ctx: Context, args: str) -> Reply:
    gaps = await list_gaps(ctx.uow(), ctx.app.faq, actor_id=ctx.person.id)
    parts = [ctx.t("faq.gaps_header"), ""] if gaps else [ctx.t("faq.gaps_none")]
    parts += [
        ctx.t("faq.gap_long", count=gap.count, last_seen=gap.last_seen)
        if gap.query == LONG_GAP
        else ctx.t("faq.gap", count=gap.count, query=gap.query, last_seen=gap.last_seen)
        for gap in gaps
    ]
    parts += ["", ctx.t("faq.gaps_footer")]
    rated = await unhelpful_entries(ctx.uow(), actor_id=ctx.person.id)
    if rated:
        parts += ["", ctx.t("faq.feedback_header")]
        parts += [
            ctx.t("faq.feedback", entry=entry_id, helpful=up, unhelpful=down)
            for entry_id, up, down in rated
        ]
    return Reply(lines(*parts), private=True)
