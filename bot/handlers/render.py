"""Pieces of text several handlers share: an event's time, place and free places."""

from __future__ import annotations

from markupsafe import Markup

from bot.context import Context
from core.domain.events import Audience, Event
from core.ports import EventWithCounts


def when(ctx: Context, event: Event) -> Markup:
    tr = ctx.app.translator
    start = tr.datetime(ctx.language, event.starts_at)
    same_day = event.starts_at.astimezone(tr.tz).date() == event.ends_at.astimezone(tr.tz).date()
    end = (
        tr.time(ctx.language, event.ends_at)
        if same_day
        else tr.datetime(ctx.language, event.ends_at)
    )
    return ctx.t("event.when", start=start, end=end)


def kind(ctx: Context, event: Event) -> Markup:
    label = ctx.t(f"kind.{event.kind.value}")
    if event.audience in (Audience.EVERYONE, Audience.NETWORK):  # the usual case: no remark
        return label
    return ctx.t("event.kind_audience", kind=label, audience=ctx.t(f"audience.{event.audience}"))


def places(ctx: Context, info: EventWithCounts) -> Markup:
    if info.event.capacity is None:
        return ctx.t("event.places_unlimited", confirmed=info.confirmed)
    if info.free_places:
        return ctx.t("event.places_free", free=info.free_places, capacity=info.event.capacity)
    return ctx.t("event.places_full", waitlisted=info.waitlisted)


def headline(info: EventWithCounts | Event) -> Markup:
    event = info.event if isinstance(info, EventWithCounts) else info
    return Markup("<b>#{id} {title}</b>").format(id=event.id, title=event.title)


def lines(*parts: Markup | str | None) -> Markup:
    """Join the parts line by line; ``None`` parts are left out, ``""`` makes a blank line."""
    return Markup("\n").join(p for p in parts if p is not None)
