"""/kalender ID (an .ics file with an alarm) and /kalender_abo (a personal feed URL)."""

from __future__ import annotations

from bot.arguments import split_words
from bot.calendar import Entry, calendar_file
from bot.context import Context
from bot.reply import Attachment, Reply
from bot.web_calendar import feed_url
from core.calendar import revoke_calendar, subscribe_calendar
from core.domain.errors import InvalidInput
from core.domain.registrations import RegistrationStatus
from core.events import event_details
from core.series import SeriesView, series_view

OFF = frozenset({"aus", "off", "stop"})


async def kalender(ctx: Context, args: str) -> Reply:
    details = await event_details(
        ctx.uow(), event_id=ctx.id_arg(args), person_id=ctx.person.id, now=ctx.now
    )
    info = details.info
    event = info.event
    confirmed = info.own_status is RegistrationStatus.CONFIRMED
    assert event.id is not None
    link = ctx.app.video.for_registration(event.id, ctx.person.id, info.own_mode, info.own_status)
    entries = [Entry(event, confirmed, link)]
    series = None
    if event.series_id is not None:  # the series: the dates held, and this one
        view = await series_view(ctx.uow(), event=event, person_id=ctx.person.id)
        entries = [e for e in _held(ctx, view) if e.event.id != event.id] + entries
        series = {event.series_id: view.plan}
    content = calendar_file(entries, name=event.title, now=ctx.now, series=series)
    file = Attachment(str(ctx.t("calendar.filename", id=event.id)), content, "text/calendar")
    key = "calendar.file_cancelled" if event.cancelled else "calendar.file"
    return Reply(ctx.t(key, title=event.title), attachment=file, private=True)


def _held(ctx: Context, view: SeriesView) -> list[Entry]:
    """Entries for the series dates the person is registered for or waiting on."""
    entries = []
    for dated in view.plan.dates:
        own = view.own.get(dated.id)
        if own is not None:
            assert dated.id is not None
            link = ctx.app.video.for_registration(dated.id, ctx.person.id, own.mode, own.status)
            entries.append(Entry(dated, own.status is RegistrationStatus.CONFIRMED, link))
    return entries


async def kalender_abo(ctx: Context, args: str) -> Reply:
    """``/kalender_abo``: a new personal feed link (the old one stops); ``aus``: none.
    Any other word is refused, so a typo never replaces a link in use."""
    word = " ".join(split_words(args)).lower()
    if word and word not in OFF:
        raise InvalidInput(
            "calendar_feed_usage",
            value=word[:20],
            off=ctx.cmd(ctx.command, ctx.t("reminders.word_off")),
        )
    if word in OFF:
        revoked = await revoke_calendar(ctx.uow(), person_id=ctx.person.id)
        return Reply(ctx.t("calendar.revoked" if revoked else "calendar.none"), private=True)
    token = await subscribe_calendar(ctx.uow(), person_id=ctx.person.id)
    return Reply(ctx.t("calendar.feed", url=feed_url(ctx.app, token)), private=True)
