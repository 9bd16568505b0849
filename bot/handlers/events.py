"""/termine, /termin, /anmelden, /abmelden, /meine, /teilnehmende."""

from __future__ import annotations

from bot.context import Context
from bot.handlers.render import headline, kind, lines, own_status, status, when
from bot.reply import Button, Reply
from core.domain.events import SIGNUP_OPEN
from core.domain.registrations import RegistrationStatus
from core.events import event_details, upcoming_events
from core.signup import attendees, cancel_signup, my_registrations, sign_up


async def termine(ctx: Context, args: str) -> Reply:
    events = await upcoming_events(ctx.uow(), now=ctx.now, person_id=ctx.person.id)
    if not events:
        return Reply(ctx.t("events.none"))
    parts = [ctx.t("events.header"), ""]
    for info in events:
        state = info.state(ctx.now)
        parts += [
            headline(ctx, info),
            kind(ctx, info.event),
            when(ctx, info.event),
            status(ctx, info, state),
            own_status(ctx, state, None),
            "",
        ]
    parts.append(ctx.t("events.footer"))
    return Reply(lines(*parts))


async def termin(ctx: Context, args: str) -> Reply:
    details = await event_details(
        ctx.uow(), event_id=ctx.id_arg(args), person_id=ctx.person.id, now=ctx.now
    )
    info, event = details.info, details.info.event
    state = info.state(ctx.now)
    parts = [headline(ctx, info), kind(ctx, event), when(ctx, event)]
    if event.place:
        parts.append(ctx.t("event.place", place=event.place))
    if event.video_url and not state.void:
        confirmed = state.own is RegistrationStatus.CONFIRMED
        parts.append(
            ctx.t("event.video_link", url=event.video_url) if confirmed else ctx.t("event.video")
        )
    if event.registration_deadline and state.signup in SIGNUP_OPEN:
        parts.append(ctx.t("event.deadline", deadline=event.registration_deadline))
    parts.append(status(ctx, info, state))
    if event.description:
        parts += ["", event.description]
    own = own_status(ctx, state, details.own_rank)
    if own is not None:
        parts += ["", own]
    elif state.signup in SIGNUP_OPEN and not state.admitted:
        parts += ["", ctx.t("event.not_admitted")]
    buttons: tuple[Button, ...] = ()
    if state.can_sign_up:
        buttons = (Button(ctx.t("button.signup"), ctx.cmd("anmelden", event.id)),)
    elif state.can_cancel:
        buttons = (Button(ctx.t("button.cancel"), ctx.cmd("abmelden", event.id)),)
    return Reply(lines(*parts), buttons=(buttons,) if buttons else ())


async def anmelden(ctx: Context, args: str) -> Reply:
    result = await sign_up(
        ctx.uow(), person_id=ctx.person.id, event_id=ctx.id_arg(args), now=ctx.now
    )
    event = result.event
    params = {"title": event.title, "when": when(ctx, event)}
    if result.registration.status is RegistrationStatus.CONFIRMED:
        text = ctx.t("signup.confirmed", **params)
        if event.video_url:
            text = lines(text, ctx.t("event.video_link", url=event.video_url))
    else:
        text = ctx.t("signup.waitlisted", rank=result.waitlist_rank, **params)
    buttons = (
        (
            Button(ctx.t("button.cancel"), ctx.cmd("abmelden", event.id)),
            Button(ctx.t("button.details"), ctx.cmd("termin", event.id)),
        ),
    )
    return Reply(text, buttons=buttons, private=True)


async def abmelden(ctx: Context, args: str) -> Reply:
    result = await cancel_signup(
        ctx.uow(), person_id=ctx.person.id, event_id=ctx.id_arg(args), now=ctx.now
    )
    if result.previous is RegistrationStatus.WAITLISTED:
        key = "cancel.waitlist"
    else:
        key = "cancel.promoted" if result.promoted else "cancel.confirmed"
    return Reply(ctx.t(key, title=result.event.title), private=True)


async def meine(ctx: Context, args: str) -> Reply:
    views = await my_registrations(ctx.uow(), person_id=ctx.person.id, now=ctx.now)
    if not views:
        return Reply(ctx.t("mine.none"), private=True)
    parts = [ctx.t("mine.header"), ""]
    for view in views:
        state = view.event_state(ctx.now)
        own = own_status(ctx, state, view.waitlist_rank)
        parts += [headline(ctx, view.event), when(ctx, view.event), own, ""]
    parts.append(ctx.t("mine.footer"))
    return Reply(lines(*parts), private=True)


async def teilnehmende(ctx: Context, args: str) -> Reply:
    listing = await attendees(ctx.uow(), actor_id=ctx.person.id, event_id=ctx.id_arg(args))
    info = listing.info

    def name(view) -> str:
        person = view.person_name or ctx.t("attendees.erased")
        return f"{person} ({view.member_name})" if view.member_name else person

    parts = [
        headline(ctx, info),
        when(ctx, info.event),
        status(ctx, info, info.state(ctx.now)),
        "",
        ctx.t("attendees.confirmed", count=len(listing.confirmed)),
    ]
    parts += [f"{n}. {name(v)}" for n, v in enumerate(listing.confirmed, 1)]
    if not listing.confirmed:
        parts.append(ctx.t("attendees.nobody"))
    if listing.waitlisted:
        parts += ["", ctx.t("attendees.waitlisted", count=len(listing.waitlisted))]
        parts += [f"{n}. {name(v)}" for n, v in enumerate(listing.waitlisted, 1)]
    return Reply(lines(*parts), private=True)
