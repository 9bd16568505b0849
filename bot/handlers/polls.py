"""/umfrage, /umfrage_ende, /ergebnis, /abstimmen — and the texts a poll shows in chats."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup

from bot.context import Context, parse_id
from bot.handlers.render import lines
from bot.i18n import Translator
from bot.live import csv_url, join_url, live_url
from bot.reply import Button, PollSpec, Reply
from core.domain.errors import DomainError, InvalidInput
from core.domain.outbox import OutgoingMessage
from core.domain.polls import MemberTurnout, Poll, Tally
from core.polls import (
    ClosedPoll,
    PollResults,
    Room,
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
_FLAG = re.compile(r"(?<!\S)--([a-zäöü_]+)(?:[ =]+(\d[\w]*))?", re.IGNORECASE)
_DURATION = re.compile(r"(\d{1,6})\s*(s|sek|sec|m|min|h|std)?", re.IGNORECASE)
_UNITS = {"s": 1, "sek": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "std": 3600}
FLAG_NAMES = {
    "mehrfach": "multiple",
    "multiple": "multiple",
    "anonym": "anonymous",
    "anonymous": "anonymous",
    "verdeckt": "hidden",
    "hidden": "hidden",
    "dauer": "duration",
    "duration": "duration",
    "termin": "event",
    "event": "event",
    "offen": "open",
    "open": "open",
}

T = Callable[..., Markup]


def _room(ctx: Context) -> Room | None:
    message = ctx.message
    return Room(message.platform, message.chat_id) if message.chat_id else None


def _number(word: str) -> int:
    word = word.removeprefix("#")
    if not word.isdigit() or len(word) > 9:
        raise InvalidInput("poll_id_not_number", value=word[:20])
    return int(word)


async def _poll_id(ctx: Context, args: str) -> int:
    words = args.split()
    if words:
        return _number(words[0])
    poll = await latest_poll(ctx.uow(), room=_room(ctx), person_id=ctx.person.id)
    return poll.id


# --- commands ------------------------------------------------------------------------------


async def umfrage(ctx: Context, args: str) -> list[Reply]:
    """``/umfrage Frage? | A | B [--mehrfach [N]] [--anonym] [--verdeckt] [--dauer 5m]
    [--offen] [--termin ID]``; ``/umfrage ID`` posts a running poll into this chat as well."""
    words = args.split()
    if len(words) == 1 and words[0].removeprefix("#").isdigit():
        poll_id = _number(words[0])
        if _room(ctx) is None:  # the terminal: show the poll
            results = await poll_results(
                ctx.uow(), poll_id=poll_id, actor_id=ctx.person.id, now=ctx.now, place=ctx.place
            )
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
    ``--termin ID`` appears here too, at once, and its votes count in the one tally."""
    event_id = parse_id(args)
    words = args.split()
    linked = not (len(words) > 1 and words[1].lower() in ("aus", "off"))
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
    text = vote_text(ctx.t, result.poll, result.choices, result.changed)
    # An anonymous vote's confirmation would say who voted when: forgotten once delivered.
    return Reply(text, private=True, ephemeral=result.poll.anonymous)


async def umfrage_ende(ctx: Context, args: str) -> Reply:
    poll_id = await _poll_id(ctx, args)
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
    """The arguments of ``/umfrage`` as keyword arguments for :func:`core.polls.start_poll`."""
    spec: dict[str, Any] = {}
    multiple: str | None = None
    for match in _FLAG.finditer(args):
        name, value = FLAG_NAMES.get(match.group(1).lower()), match.group(2)
        if name is None:
            raise InvalidInput("poll_flag", flag=match.group(1)[:20])
        if name == "multiple":
            multiple = value or "all"
        elif name == "anonymous":
            spec["anonymous"] = True
        elif name == "hidden":
            spec["hidden_results"] = True
        elif name == "duration":
            spec["duration"] = parse_duration(value or "")
        elif name == "event":
            spec["event_id"] = _number(value or "")
        elif name == "open":
            spec["open_to_guests"] = True
    parts = [p.strip() for p in _FLAG.sub(" ", args).split("|")]
    if len(parts) < 2 or not parts[0]:
        raise InvalidInput("poll_usage")
    spec["question"], spec["options"] = parts[0], parts[1:]
    if multiple is not None:
        spec["max_choices"] = len(spec["options"]) if multiple == "all" else int(multiple)
    return spec


def parse_duration(text: str) -> timedelta:
    """``90s``, ``5m``, ``5 min``, ``2h``; a bare number means minutes."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise InvalidInput("poll_duration")
    return timedelta(seconds=int(match.group(1)) * _UNITS[(match.group(2) or "m").lower()])


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
        notes.append(t("poll.until", time=translator.time(language, poll.closes_at)))
    parts += ["", *notes]
    prefix = "+" if poll.multiple else ""
    buttons = tuple(
        (Button(f"{n}. {option[:60]}", f"/abstimmen {poll.id} {prefix}{n}"),)
        for n, option in enumerate(poll.options, 1)
    )
    if poll.anonymous and not direct:  # typed into a room, a vote is seen by all
        parts.append(t("poll.how_to_vote_anonymous", id=poll.id))
        buttons = ((Button(t("poll.vote_privately"), f"/abstimmen {poll.id}"),),)
    else:
        how = "poll.how_to_vote_multiple" if poll.multiple else "poll.how_to_vote"
        parts.append(t(how, id=poll.id))
    return Reply(lines(*parts), buttons=buttons, poll=_spec(poll))


def vote_text(t: T, poll: Poll, choices: tuple[int, ...], changed: bool) -> Markup:
    """The voter's confirmation. For anonymous polls it never names the choice: confirmations
    are stored in the outbox next to the recipient, and that would link person and vote."""
    if not choices:
        return t("poll.vote_withdrawn", id=poll.id)
    if poll.anonymous:
        return t("poll.vote_changed_anonymous" if changed else "poll.voted_anonymous", id=poll.id)
    chosen = ", ".join(poll.options[c] for c in choices)
    return t("poll.vote_changed" if changed else "poll.voted", id=poll.id, choices=chosen)


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
