"""/termine, /termin, /anmelden, /abmelden, /meine, /teilnehmende."""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup

from bot.context import Context
from bot.handlers.questions import after_signup
from bot.handlers.render import (
    MODE_SPELLINGS,
    MODE_WORDS,
    headline,
    kind,
    lines,
    mode_arg,
    mode_places,
    own_mode,
    own_status,
    status,
    when,
)
from bot.handlers.series import anmelden_serie, asks_for_series, series_lines
from bot.handlers.steps import answers
from bot.reply import Button, Reply
from core.dialogues import finish_step
from core.domain.dialogues import PENDING_FOR, Dialogue, DialogueKind
from core.domain.errors import ModeRequired
from core.domain.events import SIGNUP_OPEN, Event
from core.domain.registrations import Mode, RegistrationStatus
from core.events import UPCOMING_LIMIT, event_details, upcoming_events
from core.faq.normalize import fold
from core.questions import QuestionSummary, summary
from core.signup import accept_offer, attendees, cancel_signup, my_registrations, sign_up


async def termine(ctx: Context, args: str) -> Reply:
    found = await upcoming_events(ctx.uow(), now=ctx.now, person_id=ctx.person.id, limit=None)
    if not found:
        return Reply(ctx.t("events.none"))
    events, later = found[:UPCOMING_LIMIT], found[UPCOMING_LIMIT:]
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
    if later:  # said, never cut off silently
        last = ctx.app.translator.date(ctx.language, events[-1].event.starts_at)
        parts += [ctx.t("events.more", count=len(later), date=last), ""]
    parts.append(ctx.t("events.footer"))
    return Reply(lines(*parts))


async def termin(ctx: Context, args: str) -> Reply:
    details = await event_details(
        ctx.uow(), event_id=ctx.id_arg(args), person_id=ctx.person.id, now=ctx.now
    )
    info, event = details.info, details.info.event
    assert event.id is not None
    state = info.state(ctx.now)
    parts = [headline(ctx, info), kind(ctx, event), when(ctx, event)]
    if event.place:
        parts.append(ctx.t("event.place", place=event.place))
    if event.video_url and not state.void:
        link = ctx.app.video.for_registration(event.id, ctx.person.id, info.own_mode, state.own)
        if link:
            parts.append(ctx.t("notice.video", url=link, **ctx.app.video.opens))
        else:
            parts.append(ctx.t("event.video_hybrid" if event.is_hybrid else "event.video"))
    if event.registration_deadline and state.signup in SIGNUP_OPEN:
        parts.append(ctx.t("event.deadline", deadline=event.registration_deadline))
    parts.append(status(ctx, info, state))
    if event.description:
        parts += ["", event.description]
    parts += await series_lines(ctx, event)
    own = own_status(ctx, state, details.own_rank)
    if own is not None:
        parts += ["", own, own_mode(ctx, info), offer(ctx, event, info.own_offer)]
    elif state.signup in SIGNUP_OPEN and not state.admitted:
        parts += ["", ctx.t("event.not_admitted")]
    buttons: tuple[Button, ...] = ()
    if info.own_offer is not None and info.own_offer > ctx.now:
        buttons = (
            Button(ctx.t("button.accept"), ctx.cmd("annehmen", event.id)),
            Button(ctx.t("button.cancel"), ctx.cmd("abmelden", event.id)),
        )
    elif state.can_sign_up and event.is_hybrid:
        buttons = tuple(
            Button(ctx.t(f"button.{mode}"), ctx.cmd("anmelden", event.id, MODE_WORDS[mode]))
            for mode in event.modes
        )
    elif state.can_sign_up:
        buttons = (Button(ctx.t("button.signup"), ctx.cmd("anmelden", event.id)),)
    elif state.can_cancel:
        buttons = (Button(ctx.t("button.cancel"), ctx.cmd("abmelden", event.id)),)
        if event.is_hybrid and info.own_mode is not None and state.signup in SIGNUP_OPEN:
            other = next(m for m in event.modes if m is not info.own_mode)
            switch = ctx.cmd("anmelden", event.id, MODE_WORDS[other])
            buttons = (Button(ctx.t(f"button.switch_{other}"), switch), *buttons)
    return Reply(lines(*parts), buttons=(buttons,) if buttons else ())


async def anmelden(ctx: Context, args: str) -> Reply:
    """``/anmelden ID`` (``vor_ort``/``online`` for a hybrid event; the other mode switches)."""
    if asks_for_series(args):  # ``/anmelden ID --serie``: every coming date of the series
        return await anmelden_serie(ctx, args)
    event_id = ctx.id_arg(args, rest=True)
    mode = mode_arg(ctx, args, event_id)
    try:
        result = await sign_up(
            ctx.uow(), person_id=ctx.person.id, event_id=event_id, now=ctx.now, mode=mode
        )
    except ModeRequired:
        return await _choose_mode(ctx, event_id)
    event = result.event
    registration = result.registration
    params = {"title": event.title, "when": when(ctx, event)}
    if result.switched_from is not None:
        key = "switched" if result.waitlist_rank is None else "switched_waitlisted"
        text = ctx.t(
            f"signup.{key}",
            rank=result.waitlist_rank,
            **params,
            **_mode(ctx, event, registration.mode),
        )
    elif registration.status is RegistrationStatus.CONFIRMED:
        text = ctx.t("signup.confirmed", **params)
    else:
        key = "signup.waitlisted_offers" if event.waitlist_offers else "signup.waitlisted"
        text = ctx.t(key, rank=result.waitlist_rank, **params)
    if event.is_hybrid and result.switched_from is None:
        text = lines(text, ctx.t(f"signup.mode_{registration.mode}", place=event.place or ""))
    assert event.id is not None
    link = ctx.app.video.for_registration(
        event.id, ctx.person.id, registration.mode, registration.status
    )
    if link:
        text = lines(text, ctx.t("notice.video", url=link, **ctx.app.video.opens))
    buttons = (
        (
            Button(ctx.t("button.cancel"), ctx.cmd("abmelden", event.id)),
            Button(ctx.t("button.details"), ctx.cmd("termin", event.id)),
        ),
    )
    return await after_signup(ctx, event.id, Reply(text, buttons=buttons, private=True))


async def _choose_mode(ctx: Context, event_id: int) -> Reply:
    """A hybrid event and no mode given: how each mode stands, a button per mode."""
    details = await event_details(
        ctx.uow(), event_id=event_id, person_id=ctx.person.id, now=ctx.now
    )
    info = details.info
    parts = [ctx.t("signup.choose_mode", title=info.event.title, when=when(ctx, info.event))]
    parts += [mode_places(ctx, info, mode) for mode in info.event.modes]
    parts += [
        "",
        ctx.t(
            "signup.choose_mode_how",
            on_site=ctx.cmd("anmelden", event_id, MODE_WORDS[Mode.ON_SITE]),
            online=ctx.cmd("anmelden", event_id, MODE_WORDS[Mode.ONLINE]),
        ),
    ]
    buttons = tuple(
        Button(ctx.t(f"button.{mode}"), ctx.cmd("anmelden", event_id, MODE_WORDS[mode]))
        for mode in info.event.modes
    )
    async with ctx.uow() as uow:  # a plain "vor Ort" or "2" answers it
        step = Dialogue(
            ctx.person.id, DialogueKind.SIGNUP_MODE, {"event_id": event_id}, ctx.now + PENDING_FOR
        )
        await uow.dialogues.put(step)
        await uow.commit()
    return Reply(lines(*parts), buttons=(buttons,), private=True)


@answers(DialogueKind.SIGNUP_MODE)
async def _mode_answer(ctx: Context, step: Dialogue, text: str) -> Reply | None:
    """``vor Ort``, ``online`` (or 1, 2 in the order offered) after the question how to take
    part: the signup in that mode. Anything else is no answer."""
    event_id = int(step.data["event_id"])
    words = fold(text).strip(" .!")
    squeezed = "".join(ch for ch in words if ch.isalnum())
    chosen = next((m for m, spelled in MODE_SPELLINGS.items() if squeezed in spelled), None)
    if chosen is None and squeezed in ("1", "2"):
        chosen = (Mode.ON_SITE, Mode.ONLINE)[int(squeezed) - 1]
    if chosen is None:
        return None
    await finish_step(ctx.uow(), person_id=ctx.person.id)
    return await anmelden(ctx, f"{event_id} {MODE_WORDS[chosen]}")


def _mode(ctx: Context, event: Event, mode: Mode) -> dict[str, object]:
    return {"mode": ctx.t(f"mode.{mode}", place=event.place or "")}


async def annehmen(ctx: Context, args: str) -> Reply:
    """``/annehmen ID``: take the place the waiting list offered."""
    event_id = ctx.id_arg(args)
    registration = await accept_offer(
        ctx.uow(), person_id=ctx.person.id, event_id=event_id, now=ctx.now
    )
    details = await event_details(
        ctx.uow(), event_id=event_id, person_id=ctx.person.id, now=ctx.now
    )
    event = details.info.event
    text = ctx.t("accept.done", title=event.title, when=when(ctx, event))
    link = ctx.app.video.for_registration(
        event_id, ctx.person.id, registration.mode, registration.status
    )
    if link:
        text = lines(text, ctx.t("notice.video", url=link, **ctx.app.video.opens))
    buttons = ((Button(ctx.t("button.details"), ctx.cmd("termin", event_id)),),)
    return await after_signup(ctx, event_id, Reply(text, buttons=buttons, private=True))


def offer(ctx: Context, event: Event, until: datetime | None) -> Markup | None:
    """The line about a place held for the person (``None``: no open offer)."""
    if until is None or until <= ctx.now:
        return None
    return ctx.t("event.you_offered", deadline=until, command=ctx.cmd("annehmen", event.id))


async def abmelden(ctx: Context, args: str) -> Reply:
    result = await cancel_signup(
        ctx.uow(), person_id=ctx.person.id, event_id=ctx.id_arg(args), now=ctx.now
    )
    if result.previous is RegistrationStatus.WAITLISTED:
        key = "cancel.waitlist"
    else:
        key = "cancel.promoted" if result.promoted else "cancel.confirmed"
        if result.promoted and result.event.waitlist_offers:
            key = "cancel.offered"
    return Reply(ctx.t(key, title=result.event.title), private=True)


async def meine(ctx: Context, args: str) -> Reply:
    views = await my_registrations(ctx.uow(), person_id=ctx.person.id, now=ctx.now)
    if not views:
        return Reply(ctx.t("mine.none"), private=True)
    parts = [ctx.t("mine.header"), ""]
    for view in views:
        state = view.event_state(ctx.now)
        own = own_status(ctx, state, view.waitlist_rank)
        how = None
        if view.event.is_hybrid:
            mode = ctx.t(f"mode.{view.registration.mode}", place=view.event.place or "")
            how = ctx.t("event.your_mode", mode=mode)
        offered = offer(ctx, view.event, view.registration.offered_until)
        parts += [headline(ctx, view.event), when(ctx, view.event), own, how, offered, ""]
    parts.append(ctx.t("mine.footer"))
    return Reply(lines(*parts), private=True)


async def teilnehmende(ctx: Context, args: str) -> Reply:
    listing = await attendees(ctx.uow(), actor_id=ctx.person.id, event_id=ctx.id_arg(args))
    info = listing.info

    def name(view) -> str:
        person = view.person_name or ctx.t("attendees.erased")
        said = f"{person} ({view.member_name})" if view.member_name else person
        if info.event.is_hybrid:
            said += f" – {ctx.t(f'cli.mode.{view.registration.mode}')}"
        if view.registration.offered_until is not None:
            deadline = view.registration.offered_until
            said += f" – {ctx.t('attendees.offered', deadline=deadline)}"
        return said

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
    asked = await summary(ctx.uow(), actor_id=ctx.person.id, event_id=info.event.id)
    if asked:
        parts += ["", ctx.t("questions.summary"), *(summary_line(ctx, s) for s in asked)]
    return Reply(lines(*parts), private=True)


def summary_line(ctx: Context, asked: QuestionSummary) -> Markup:
    """``1. Mittagessen?: ja 12, nein 3 (2 ohne Angabe)``; free text: how many answered."""
    question = asked.question
    if asked.counts:
        counts = ", ".join(f"{value} {count}" for value, count in asked.counts)
        line = ctx.t(
            "questions.summary_line",
            number=question.position,
            prompt=question.prompt,
            counts=counts,
        )
    else:
        line = ctx.t(
            "questions.summary_texts",
            number=question.position,
            prompt=question.prompt,
            count=len(asked.texts),
        )
    if asked.unanswered:
        line = Markup(" ").join((line, ctx.t("questions.unanswered", count=asked.unanswered)))
    return line
