"""Pieces of text several handlers share: an event's time, place and state."""

from __future__ import annotations

from markupsafe import Markup

from bot.context import Context
from core.domain.events import Audience, Event, EventState, SignupState
from core.domain.registrations import RegistrationStatus
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
    if event.capacity is None:
        return ctx.t("event.places_unlimited", count=info.confirmed)
    return ctx.t("event.places_free", free=info.free_places, count=event.capacity)


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


def headline(ctx: Context, info: EventWithCounts | Event) -> Markup:
    event = info.event if isinstance(info, EventWithCounts) else info
    return ctx.t("event.headline", id=event.id, title=event.title)


def lines(*parts: Markup | str | None) -> Markup:
    """Join the parts line by line; ``None`` parts are left out, ``""`` makes a blank line."""
    return Markup("\n").join(p for p in parts if p is not None)
