"""Pieces of text several handlers share: an event's time, place and state."""

from __future__ import annotations

from markupsafe import Markup

from bot.context import Context
from core.domain.errors import InvalidInput
from core.domain.events import Audience, Event, EventState, SignupState
from core.domain.registrations import Mode, RegistrationStatus
from core.faq.normalize import fold
from core.ports import EventWithCounts

CONFIRMED = RegistrationStatus.CONFIRMED


def when(ctx: Context, event: Event) -> Markup:
    """``Do., 3. Dezember 2026, 10:00–11:30 Uhr``; over several days both ends in full."""
    tr, language = ctx.app.translator, ctx.language
    start, end = event.starts_at, event.ends_at
    if start.astimezone(tr.tz).date() == end.astimezone(tr.tz).date():
        day = tr.date(language, start)
        return ctx.t("event.when_day", date=day, start=tr.clock(start), end=tr.clock(end))
    return ctx.t("event.when", start=tr.datetime(language, start), end=tr.datetime(language, end))


def kind(ctx: Context, event: Event) -> Markup:
    label = ctx.t(f"kind.{event.kind.value}")
    if event.audience in (Audience.EVERYONE, Audience.NETWORK):  # the usual case: no remark
        return label
    return ctx.t("event.kind_audience", kind=label, audience=ctx.t(f"audience.{event.audience}"))


def status(ctx: Context, info: EventWithCounts, state: EventState) -> Markup:
    """The one line saying where signing up stands (every view shows this same line)."""
    event = info.event
    match state.signup:
        case SignupState.CANCELLED:
            return ctx.t("event.cancelled")
        case SignupState.OVER:
            return ctx.t("event.over")
        case SignupState.RUNNING:
            return ctx.t("event.running")
        case SignupState.DEADLINE_PASSED:
            return ctx.t("event.deadline_passed", deadline=event.registration_deadline)
        case _ if not state.admitted:
            return ctx.t("event.network_only")
        case SignupState.WAITLIST:
            return ctx.t("event.places_full", count=info.waitlisted)
    if event.is_hybrid:
        return lines(*(mode_places(ctx, info, mode) for mode in event.modes))
    if event.capacity is None:
        return ctx.t("event.places_unlimited", count=info.confirmed)
    return ctx.t("event.places_free", free=info.free_places, count=event.capacity)


def mode_places(ctx: Context, info: EventWithCounts, mode: Mode) -> Markup:
    """``Vor Ort (Köln): 12 von 40 Plätzen frei``: one mode of a hybrid event."""
    places = info.places(mode)
    if places.capacity is None:
        state = ctx.t("event.places_unlimited", count=places.confirmed)
    elif places.takes_confirmed:
        state = ctx.t("event.places_free", free=places.free, count=places.capacity)
    else:
        state = ctx.t("event.places_full", count=places.waitlisted)
    label = ctx.t(f"mode.{mode}", place=info.event.place or "")
    return ctx.t("event.mode_places", mode=label, state=state)


#: The word for each mode in commands (``/anmelden 3 vor_ort``).
MODE_WORDS = {Mode.ON_SITE: "vor_ort", Mode.ONLINE: "online"}
#: What people type for a mode (folded: lower case, umlauts spelled out, no separators).
MODE_SPELLINGS = {
    Mode.ON_SITE: {
        "vorort", "praesenz", "praesent", "persoenlich", "onsite", "inperson", "offline",
        "vorortteilnahme", "live",
    },
    Mode.ONLINE: {"online", "digital", "virtuell", "remote", "video", "onlineteilnahme"},
}  # fmt: skip


def mode_arg(ctx: Context, args: str, event_id: int) -> Mode | None:
    """The mode after the id of ``/anmelden 3 vor ort`` (``vor-Ort``, ``Präsenz``, ``online``
    …), ``None`` when none is given. Raises InvalidInput ``mode_unknown`` for another word,
    ``extra_arguments`` for anything else."""
    words = args.split()
    if words and words[0].lower().rstrip(".") in ("nr", "no"):
        words = words[1:]
    rest = fold(" ".join(words[1:]))
    if not rest:
        return None
    squeezed = "".join(ch for ch in rest if ch.isalnum())
    for mode, spellings in MODE_SPELLINGS.items():
        if squeezed in spellings:
            return mode
    if not squeezed.isalpha():  # ``/anmelden 1 2``: no word at all, refused as any extra
        ctx.id_arg(args)
    raise InvalidInput(
        "mode_unknown",
        value=" ".join(words[1:])[:30],
        on_site=ctx.cmd("anmelden", event_id, MODE_WORDS[Mode.ON_SITE]),
        online=ctx.cmd("anmelden", event_id, MODE_WORDS[Mode.ONLINE]),
    )


def own_status(ctx: Context, state: EventState, rank: int | None) -> Markup | None:
    """The person's own registration as the event's state makes it: ``None`` for none."""
    if state.own is None:
        return None
    if state.void:
        return ctx.t("event.you_void")
    if state.signup is SignupState.OVER:
        return ctx.t("event.you_were_there" if state.own is CONFIRMED else "event.you_waited")
    if state.own is CONFIRMED:
        return ctx.t("event.you_confirmed")
    return ctx.t("event.you_waitlisted", rank=rank)


def own_mode(ctx: Context, info: EventWithCounts) -> Markup | None:
    """How the person takes part in a hybrid event (``None``: not registered, one mode)."""
    if not info.event.is_hybrid or info.own_mode is None or info.own_status is None:
        return None
    return ctx.t(
        "event.your_mode", mode=ctx.t(f"mode.{info.own_mode}", place=info.event.place or "")
    )


def headline(ctx: Context, info: EventWithCounts | Event) -> Markup:
    event = info.event if isinstance(info, EventWithCounts) else info
    return ctx.t("event.headline", id=event.id, title=event.title)


def lines(*parts: Markup | str | None) -> Markup:
    """Join the parts line by line; ``None`` parts are left out, ``""`` makes a blank line."""
    return Markup("\n").join(p for p in parts if p is not None)
