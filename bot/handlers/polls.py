"""/umfrage, /umfrage_ende, /ergebnis, /abstimmen — and the texts a poll shows in chats."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from markupsafe import Markup

from bot.arguments import Flag, number, parse_duration, split_words, take_flags
from bot.context import Context
from bot.handlers.render import lines
from bot.i18n import Translator
from bot.live import csv_url, join_url, live_url
from bot.reply import Button, PollSpec, Reply
from core.domain.errors import DomainError, InvalidInput
from core.domain.outbox import OutgoingMessage
from core.domain.polls import MemberTurnout, Poll, Tally
from core.event_rooms import switch_invites
from core.polls import (
    ClosedPoll,
    PollResults,
    Room,
    VoteResult,
    cast_vote,
    close_poll,
    latest_poll,
    link_event_room,
    open_poll,
    poll_results,
    post_poll,
    start_poll,
)
from core.ports import PollRoom, UnitOfWork

BAR_WIDTH = 8
TURNOUT_NAMES = 15
POLL_FLAGS = (
    Flag("multiple", ("mehrfach", "multiple"), "optional-number", "poll_flag_value"),
    Flag("anonymous", ("anonym", "anonymous")),
    Flag("hidden", ("verdeckt", "hidden")),
    Flag("duration", ("dauer", "duration"), "duration", "poll_duration"),
    Flag("event", ("termin", "event"), "number", "poll_flag_value"),
    Flag("open", ("offen", "open")),
)

T = Callable[..., Markup]
INVITE_WORDS = ("einladen", "invite")


def _room(ctx: Context) -> Room | None:
    message = ctx.message
    return Room(message.platform, message.chat_id) if message.chat_id else None


def _number(word: str) -> int:
    found = number(word)
    if found is None:
        raise InvalidInput("poll_id_not_number", value=word[:20])
    return found


async def _poll_id(ctx: Context, args: str, *, running: bool = False) -> int:
    """The poll id the arguments give (exactly one number), or else the newest poll here
    (``running``: the newest still running)."""
    given = split_words(args)
    if len(given) > 1:
        raise InvalidInput("extra_arguments", extra=" ".join(given[1:])[:40], example=ctx.example())
    if given:
        return _number(given[0])
    open_at = ctx.now if running else None
    poll = await latest_poll(ctx.uow(), room=_room(ctx), person_id=ctx.person.id, open_at=open_at)
    return poll.id


# --- commands ------------------------------------------------------------------------------


async def umfrage(ctx: Context, args: str) -> list[Reply]:
    """``/umfrage Frage? | A | B [--mehrfach [N]] [--anonym] [--verdeckt] [--dauer 5m]
    [--offen] [--termin ID]``; ``/umfrage ID`` posts a running poll into this chat as well."""
    words = args.split()
    if len(words) == 1 and number(words[0]) is not None:
        poll_id = _number(words[0])
        if _room(ctx) is None:  # the terminal: show the poll (its result, once it ended)
            results = await poll_results(
                ctx.uow(), poll_id=poll_id, actor_id=ctx.person.id, now=ctx.now, place=ctx.place
            )
            if not results.poll.is_open(ctx.now):
                text = results_text(ctx.t, results, ctx.app.translator, ctx.language, now=ctx.now)
                return [Reply(text)]
            return [poll_post(ctx.t, results.poll, ctx.app.translator, ctx.language)]
        poll = await post_poll(
            ctx.uow(),
            actor_id=ctx.person.id,
            poll_id=poll_id,
            place=ctx.place,
            now=ctx.now,
            rooms=ctx.app.rooms,
        )
        return [poll_post(ctx.t, poll, ctx.app.translator, ctx.language)]
    spec = parse_poll(args)
    poll = await start_poll(
        ctx.uow(),
        actor_id=ctx.person.id,
        now=ctx.now,
        place=ctx.place,
        rooms=ctx.app.rooms,
        **spec,
    )
    post = poll_post(ctx.t, poll, ctx.app.translator, ctx.language)
    if poll.event_id is not None:  # into the event's other chats, in this same transaction
        here = _room(ctx)
        uow = ctx.uow()
        async with uow:
            rooms = await uow.polls.rooms(poll.id)
            others = [r for r in rooms if Room(r.platform, r.chat_id) != here]
            await post_to_rooms(uow, others, post, ctx.now)
            await uow.commit()
    settings = ctx.app.settings
    links = ctx.t(
        "poll.live",
        id=poll.id,
        url=live_url(settings, poll.token),
        csv=csv_url(settings, poll.token),
        join=join_url(settings, poll.join_code),
    )
    return [post, Reply(links, private=True)]


async def termin_raum(ctx: Context, args: str) -> Reply:
    """``/termin_raum ID [aus]``: this group belongs to the event, so that a poll started with
    ``--termin ID`` appears here too, at once, and its votes count in the one tally.
    ``/termin_raum ID einladen [aus]``: the bot invites the event's confirmed participants
    into this Matrix room (``core.event_rooms``), or stops."""
    event_id = ctx.id_arg(args, rest=True)
    given = [word.lower() for word in split_words(args)[1:]]
    if given and given[0] in INVITE_WORDS and given[1:] in ([], ["aus"], ["off"]):
        event, queued = await switch_invites(
            ctx.uow(),
            actor_id=ctx.person.id,
            event_id=event_id,
            place=ctx.place,
            now=ctx.now,
            on=not given[1:],
        )
        if given[1:]:
            return Reply(ctx.t("event_room.invites_off", id=event.id, title=event.title))
        text = ctx.t("event_room.invites_on", id=event.id, title=event.title, count=queued)
        return Reply(text)
    if given and (len(given) > 1 or given[0] not in ("aus", "off")):
        raise InvalidInput("event_room_usage", example=ctx.example())
    linked = not given
    event = await link_event_room(
        ctx.uow(),
        actor_id=ctx.person.id,
        event_id=event_id,
        place=ctx.place,
        now=ctx.now,
        linked=linked,
    )
    key = "event_room.linked" if linked else "event_room.unlinked"
    return Reply(ctx.t(key, id=event.id, title=event.title))


async def abstimmen(ctx: Context, args: str) -> Reply:
    """``/abstimmen ID N [N…]`` (options counted from 1); ``/abstimmen ID +N`` switches one.

    Typed into a group, everyone there reads it: an anonymous poll refuses such a vote (and
    the adapter removes the message where it can); ``/abstimmen ID`` alone sends the poll
    into a direct chat with the person, to vote there.
    """
    words = args.replace(",", " ").split()
    if len(words) == 1:
        poll = await open_poll(
            ctx.uow(),
            poll_id=_number(words[0]),
            person_id=ctx.person.id,
            now=ctx.now,
            place=ctx.place,
            rooms=ctx.app.rooms,
        )
        post = poll_post(ctx.t, poll, ctx.app.translator, ctx.language, direct=True)
        return replace(post, private=True, poll=None)
    if len(words) < 2:
        raise InvalidInput("poll_vote_usage")
    poll_id = _number(words[0])
    toggle = None
    choices: list[int] = []
    for word in words[1:]:
        if not word.lstrip("+").isdigit() or len(word) > 3:
            raise InvalidInput("poll_vote_usage")
        if word.startswith("+"):
            toggle = int(word[1:]) - 1
        else:
            choices.append(int(word) - 1)
    if toggle is not None and (choices or len(words) > 2):
        raise InvalidInput("poll_vote_usage")
    try:
        result = await cast_vote(
            ctx.uow(),
            poll_id=poll_id,
            person_id=ctx.person.id,
            choices=choices,
            toggle=toggle,
            now=ctx.now,
            place=ctx.place,
            rooms=ctx.app.rooms,
            visible=not ctx.message.is_private,
        )
    except DomainError as exc:
        if exc.code != "poll_vote_visible":
            raise
        # Said in the group, where the vote was typed; the command itself is taken down.
        hint = ctx.t("error.poll_vote_visible", id=poll_id)
        return Reply(hint, is_error=True, retract_command=True)
    text = vote_text(ctx.t, result)
    # An anonymous vote's confirmation would say who voted when: forgotten once delivered.
    return Reply(text, private=True, ephemeral=result.poll.anonymous)


async def umfrage_ende(ctx: Context, args: str) -> Reply:
    poll_id = await _poll_id(ctx, args, running=True)
    uow = ctx.uow()
    closed = await close_poll(
        uow,
        actor_id=ctx.person.id,
        poll_id=poll_id,
        now=ctx.now,
        place=ctx.place,
        rooms=ctx.app.rooms,
    )
    here = _room(ctx)
    key = "poll.closed_now" if closed.closed_now else "poll.closed_before"
    reply = closed_reply(ctx.t, closed, ctx.app.translator, ctx.language, ctx.t(key, id=poll_id))
    if closed.closed_now:
        others = [r for r in closed.rooms if Room(r.platform, r.chat_id) != here]
        async with uow:
            await post_to_rooms(uow, others, reply, ctx.now)
            await uow.commit()
    return reply


async def ergebnis(ctx: Context, args: str) -> list[Reply]:
    results = await poll_results(
        ctx.uow(),
        poll_id=await _poll_id(ctx, args),
        actor_id=ctx.person.id,
        now=ctx.now,
        place=ctx.place,
        rooms=ctx.app.rooms,
    )
    tr, language = ctx.app.translator, ctx.language
    hidden = not results.poll.results_visible(ctx.now)
    replies = [Reply(results_text(ctx.t, results, tr, language, now=ctx.now), private=hidden)]
    if results.turnout is not None:
        replies.append(Reply(turnout_text(ctx.t, results.poll, results.turnout), private=True))
    return replies


def parse_poll(args: str) -> dict[str, Any]:
    """The arguments of ``/umfrage`` as keyword arguments for :func:`core.polls.start_poll`.

    Raises InvalidInput: ``poll_flag`` (unknown flag), ``poll_usage`` (no question or options),
    ``poll_duration``, ``poll_id_not_number``."""
    rest, flags = take_flags(args, POLL_FLAGS, "poll_flag")
    spec: dict[str, Any] = {}
    if "anonymous" in flags:
        spec["anonymous"] = True
    if "hidden" in flags:
        spec["hidden_results"] = True
    if "open" in flags:
        spec["open_to_guests"] = True
    if "duration" in flags:
        spec["duration"] = parse_duration(flags["duration"])
    if "event" in flags:
        spec["event_id"] = _number(flags["event"])
    parts = [p.strip() for p in rest.split("|")]
    if len(parts) < 2 or not parts[0]:
        raise InvalidInput("poll_usage")
    spec["question"], spec["options"] = parts[0], parts[1:]
    if "multiple" in flags:
        value = flags["multiple"]
        spec["max_choices"] = int(value) if value else len(spec["options"])
    return spec


# --- texts (also used by the deadline job, which has no context) ------------------------------


def translate(translator: Translator, language: str) -> T:
    return lambda key, **params: translator.t(language, key, **params)


def _spec(poll: Poll, *, closed: bool = False) -> PollSpec:
    return PollSpec(
        poll.id,
        poll.question,
        poll.options,
        poll.max_choices,
        poll.anonymous,
        poll.hidden_results,
        poll.closes_at.isoformat() if poll.closes_at else None,
        closed,
    )


def _headline(t: T, poll: Poll) -> Markup:
    return t("poll.header", id=poll.id, question=poll.question)


def poll_post(
    t: T, poll: Poll, translator: Translator, language: str, *, direct: bool = False
) -> Reply:
    """The poll as posted into a chat: question, numbered options, how to vote, buttons.
    ``direct``: for a direct chat with one voter (an anonymous poll is voted there)."""
    parts: list[Markup | str] = [_headline(t, poll)]
    parts += [t("poll.option", number=n, option=o) for n, o in enumerate(poll.options, 1)]
    notes = []
    if poll.multiple:
        notes.append(t("poll.multiple", max=poll.max_choices))
    if poll.anonymous:
        notes.append(t("poll.anonymous"))
    if poll.hidden_results:
        notes.append(t("poll.hidden"))
    if poll.closes_at:
        notes.append(_until(t, poll, translator, language))
    parts += ["", *notes]
    from bot.handlers import spell  # the command table imports this module

    prefix = "+" if poll.multiple else ""
    buttons = tuple(
        (Button(f"{n}. {option[:60]}", spell("abstimmen", language, poll.id, f"{prefix}{n}")),)
        for n, option in enumerate(poll.options, 1)
    )
    if poll.anonymous and not direct:  # typed into a room, a vote is seen by all
        parts.append(t("poll.how_to_vote_anonymous", id=poll.id))
        buttons = ((Button(t("poll.vote_privately"), spell("abstimmen", language, poll.id)),),)
    else:
        how = "poll.how_to_vote_multiple" if poll.multiple else "poll.how_to_vote"
        parts.append(t(how, id=poll.id))
    return Reply(lines(*parts), buttons=buttons, poll=_spec(poll))


def _until(t: T, poll: Poll, translator: Translator, language: str) -> Markup:
    """When the poll ends: the time alone on the day it started, else the full date."""
    assert poll.closes_at is not None
    day = translator.date(language, poll.closes_at)
    if day == translator.date(language, poll.created_at):
        return t("poll.until", time=translator.time(language, poll.closes_at))
    return t("poll.until_date", time=translator.datetime(language, poll.closes_at))


def vote_text(t: T, result: VoteResult) -> Markup:
    """The voter's confirmation. For anonymous polls it never names the choice: confirmations
    are stored in the outbox next to the recipient, and that would link person and vote."""
    poll, choices = result.poll, result.choices
    if not choices:
        key = "poll.vote_none" if result.unchanged else "poll.vote_withdrawn"
        return t(key, id=poll.id)
    if poll.anonymous:
        if result.unchanged:
            return t("poll.vote_unchanged_anonymous", id=poll.id)
        key = "poll.vote_changed_anonymous" if result.changed else "poll.voted_anonymous"
        return t(key, id=poll.id)
    chosen = ", ".join(poll.options[c] for c in choices)
    if result.unchanged:
        return t("poll.vote_unchanged", id=poll.id, choices=chosen)
    return t("poll.vote_changed" if result.changed else "poll.voted", id=poll.id, choices=chosen)


def bar(share: float, width: int = BAR_WIDTH) -> str:
    filled = round(share * width)
    return "█" * filled + "░" * (width - filled)


def tally_lines(t: T, poll: Poll, tally: Tally) -> list[Markup | str]:
    parts: list[Markup | str] = []
    for index, option in enumerate(poll.options):
        share = tally.counts[index] / tally.participants if tally.participants else 0.0
        parts += [
            option,
            t("poll.bar", bar=bar(share), percent=tally.percent(index), count=tally.counts[index]),
        ]
    parts.append(t("poll.participants", count=tally.participants))
    return parts


def results_text(
    t: T, results: PollResults, translator: Translator, language: str, *, now: datetime
) -> Markup:
    poll, tally = results.poll, results.tally
    parts: list[Markup | str] = [t("poll.results_header", id=poll.id, question=poll.question)]
    if poll.closed_at is not None:
        parts.append(t("poll.state_closed", time=translator.datetime(language, poll.closed_at)))
    else:
        parts.append(t("poll.state_open", id=poll.id))
    if not poll.results_visible(now):
        parts.append(t("poll.hidden_for_others"))
    return lines(*parts, "", *tally_lines(t, poll, tally))


def turnout_text(t: T, poll: Poll, turnout: MemberTurnout) -> Markup:
    """Named polls: which member municipalities took part, and which not yet."""
    voted = [f"{name} ({n})" for name, n in turnout.voted]
    parts = [t("poll.turnout_header", id=poll.id)]
    parts.append(
        t("poll.turnout", count=len(voted), list=_names(t, voted))
        if voted
        else t("poll.turnout_none")
    )
    if turnout.not_yet:
        parts.append(
            t("poll.turnout_not_yet", count=len(turnout.not_yet), list=_names(t, turnout.not_yet))
        )
    return lines(*parts)


def _names(t: T, names: list[str] | tuple[str, ...]) -> str:
    shown = ", ".join(names[:TURNOUT_NAMES])
    if len(names) > TURNOUT_NAMES:
        shown += " " + str(t("poll.and_more", count=len(names) - TURNOUT_NAMES))
    return shown


def closed_reply(
    t: T, closed: ClosedPoll, translator: Translator, language: str, intro: Markup
) -> Reply:
    """The result as posted when a poll ends; adapters also stop their posted poll."""
    results = PollResults(closed.poll, closed.tally)
    text = results_text(t, results, translator, language, now=closed.poll.closed_at)
    return Reply(lines(intro, "", text), poll=_spec(closed.poll, closed=True))


async def post_to_rooms(
    uow: UnitOfWork, rooms: list[PollRoom], reply: Reply, now: datetime
) -> None:
    """Queue ``reply`` for every room (the adapters' delivery loops send the outbox)."""
    for room in rooms:
        payload = {
            "reply": reply.to_dict(),
            "reply_to": None,
            "sender_id": "",
            "sender_name": "",
            "chat_is_private": False,
        }
        await uow.outbox.add(
            OutgoingMessage(room.platform.value, room.chat_id, payload, uuid.uuid4().hex, now)
        )
