"""Series in the chat: ``/anmelden ID --serie`` and what ``/termin ID`` says about a series."""

from __future__ import annotations

from markupsafe import Markup

from bot.arguments import split_words
from bot.context import Context
from bot.handlers.render import MODE_WORDS, lines, mode_arg, when
from bot.reply import Button, Reply
from core.domain.errors import ModeRequired
from core.domain.events import Event
from core.domain.registrations import Mode, RegistrationStatus
from core.domain.series import Frequency, Series
from core.series import DateSignup, Outcome, series_view, sign_up_series

#: The words that make ``/anmelden ID`` a signup for every coming date of the series.
SERIES_WORDS = frozenset({"--serie", "--series", "serie", "series"})
#: How many further dates ``/termin`` lists (a weekly series has up to 52).
LISTED_DATES = 6


def asks_for_series(args: str) -> bool:
    """Whether ``/anmelden`` was given ``--serie`` (``serie``, ``--series``, ``–serie``)."""
    return any(word.lower() in SERIES_WORDS for word in split_words(args))


async def anmelden_serie(ctx: Context, args: str) -> Reply:
    """``/anmelden ID --serie [vor_ort|online]``: every coming date of the series of event
    ``ID``, one line per date with what happened there."""
    rest = " ".join(w for w in split_words(args) if w.lower() not in SERIES_WORDS)
    event_id = ctx.id_arg(rest, rest=True)
    mode = mode_arg(ctx, rest, event_id)
    try:
        result = await sign_up_series(
            ctx.uow(), person_id=ctx.person.id, event_id=event_id, now=ctx.now, mode=mode
        )
    except ModeRequired as exc:
        return _choose_mode(ctx, event_id, str(exc.params.get("title", "")))
    title = result.dates[0].event.title
    parts = [
        ctx.t("series.signup_header", title=title, count=len(result.dates), added=result.added),
        "",
    ]
    parts += [_date_line(ctx, d) for d in result.dates]
    parts += ["", ctx.t("series.signup_footer", cancel=ctx.cmd("abmelden", event_id))]
    if mode is Mode.ONLINE or any(d.mode is Mode.ONLINE for d in result.dates):
        parts.append(ctx.t("series.video_hint", details=ctx.cmd("termin", event_id)))
    buttons = ((Button(ctx.t("button.details"), ctx.cmd("termin", event_id)),),)
    return Reply(lines(*parts), buttons=buttons, private=True)


def _date_line(ctx: Context, done: DateSignup) -> Markup:
    event = done.event
    if done.outcome is Outcome.REFUSED:
        assert done.error is not None
        said = ctx.app.translator.error(ctx.language, done.error)
    else:
        said = ctx.t(f"series.outcome.{done.outcome}", rank=done.rank or 0)
    if done.mode is not None and event.is_hybrid and done.outcome is not Outcome.REFUSED:
        said = Markup("{} – {}").format(said, ctx.t(f"mode.{done.mode}", place=event.place or ""))
    return ctx.t("series.date", id=event.id, when=when(ctx, event), outcome=said)


def _choose_mode(ctx: Context, event_id: int, title: str) -> Reply:
    commands = {mode: ctx.cmd("anmelden", event_id, "--serie", MODE_WORDS[mode]) for mode in Mode}
    text = ctx.t(
        "series.choose_mode",
        title=title,
        on_site=commands[Mode.ON_SITE],
        online=commands[Mode.ONLINE],
    )
    buttons = tuple(Button(ctx.t(f"button.{mode}"), commands[mode]) for mode in Mode)
    return Reply(text, buttons=(buttons,), private=True)


async def series_lines(ctx: Context, event: Event) -> list[Markup | str]:
    """For ``/termin`` of a series date: the rule, the other coming dates with the person's
    own state, and how to sign up for all of them; nothing for an event outside a series."""
    if event.series_id is None:
        return []
    view = await series_view(ctx.uow(), event=event, person_id=ctx.person.id)
    others = [d for d in view.plan.dates if d.id != event.id and d.ends_at > ctx.now]
    parts: list[Markup | str] = [
        "",
        ctx.t("series.part_of", rule=rule_text(ctx, view.plan.series), count=len(view.plan.dates)),
    ]
    if others:
        parts.append(ctx.t("series.other_dates"))
    for other in others[:LISTED_DATES]:
        own = view.own.get(other.id)
        if other.cancelled:
            state = ctx.t("series.state.cancelled")
        elif own is None:
            state = ""
        elif own.status is RegistrationStatus.WAITLISTED:
            state = ctx.t("series.state.waitlisted")
        else:
            state = ctx.t("series.state.confirmed")
        parts.append(ctx.t("series.other_date", id=other.id, when=when(ctx, other), state=state))
    if len(others) > LISTED_DATES:
        parts.append(ctx.t("series.more_dates", count=len(others) - LISTED_DATES))
    if any(d.starts_at > ctx.now and not d.cancelled for d in view.plan.dates):
        parts.append(ctx.t("series.signup_all", command=ctx.cmd("anmelden", event.id, "--serie")))
    return parts


def rule_text(ctx: Context, rule: Series) -> Markup:
    """``wöchentlich``, ``jeden zweiten Dienstag im Monat``, ``monatlich am 14.``."""
    start = rule.local_start
    if rule.frequency is Frequency.MONTHLY:
        return ctx.t(
            "series.rule.monthly",
            position=ctx.t(f"series.position.{rule.weekday_position}"),
            weekday=ctx.t(f"series.weekday.{start.weekday()}"),
        )
    return ctx.t(f"series.rule.{rule.frequency}", day=start.day)
