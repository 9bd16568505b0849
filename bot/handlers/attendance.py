"""/anwesend, /abwesend, /anwesenheitscode, /bescheinigung, and ``/start a_<code>``.

- ``/anwesend ID`` (office, the event's speaker): how many are checked in, the code to scan
  (Telegram link and QR code, the ``/start`` text for Matrix and the console).
- ``/anwesend ID PERSON`` checks the person in (a number, or part of a name; several
  matches are offered as buttons). ``/abwesend ID PERSON_NR`` takes it back.
- ``/anwesenheitscode ID [neu]``: the code alone; ``neu`` replaces it.
- ``/bescheinigung ID``: one's own Teilnahmebescheinigung as a PDF (from the check-in on);
  ``/bescheinigung ID alle`` (office): to every checked-in attendee.
"""

from __future__ import annotations

import io

import segno
from markupsafe import Markup

from bot.arguments import number, split_words
from bot.certificate import made_certificate
from bot.context import Context
from bot.handlers.render import lines
from bot.reply import Attachment, Button, Reply
from core.attendance import (
    Choice,
    attendance_code,
    attendance_list,
    check_in,
    check_in_with_code,
    own_certificate,
    send_certificates,
    undo_check_in,
)
from core.domain.attendance import OPENS_BEFORE
from core.domain.errors import InvalidInput
from core.domain.events import Event
from core.domain.people import unquote

RENEW = frozenset({"neu", "new", "erneuern", "renew"})
EVERYONE = frozenset({"alle", "all"})


def _event_and_rest(ctx: Context, args: str) -> tuple[int, str]:
    """``3 Anna Amt`` → ``(3, "Anna Amt")``; the rest without quotes around it."""
    event_id = ctx.id_arg(args, rest=True)
    words = split_words(args)
    if words and words[0].lower() in ("nr.", "nr", "no.", "no"):
        words = words[1:]
    return event_id, unquote(" ".join(words[1:]))


def _title(ctx: Context, event: Event) -> Markup:
    return ctx.t("event.headline", id=event.id, title=event.title)


async def anwesend(ctx: Context, args: str) -> Reply:
    event_id, ref = _event_and_rest(ctx, args)
    if not ref:
        return await _overview(ctx, event_id)
    result = await check_in(
        ctx.uow(),
        actor_id=ctx.person.id,
        event_id=event_id,
        person_ref=ref,
        now=ctx.now,
        place=ctx.place,
        rooms=ctx.app.rooms,
    )
    if isinstance(result, Choice):
        return _choice(ctx, event_id, ref, result)
    person = result.person
    name = person.display_name
    params = {"name": name, "title": result.event.title, "id": person.id}
    if result.new:
        text = ctx.t("attendance.checked_in", **params)
    else:
        since = ctx.app.translator.clock(result.checked_in_at)
        text = ctx.t("attendance.already", since=since, **params)
    if not result.registered:
        text = lines(text, ctx.t("attendance.walk_in"))
    undo = Button(ctx.t("button.undo_check_in"), ctx.cmd("abwesend", event_id, person.id))
    return Reply(text, buttons=((undo,),), private=True)


def _choice(ctx: Context, event_id: int, ref: str, choice: Choice) -> Reply:
    parts = [ctx.t("attendance.choose", name=ref[:40], title=choice.event.title)]
    buttons = []
    for person, registered in choice.people:
        member = choice.members.get(person.id or 0)
        name = f"{person.display_name}, {member}" if member else person.display_name
        label = f"{name} (Nr. {person.id})"
        if registered:
            label += " ✓"
        parts.append(f"{person.id}: {name}" + (" ✓" if registered else ""))
        buttons.append((Button(label, ctx.cmd("anwesend", event_id, person.id)),))
    parts.append(ctx.t("attendance.choose_hint"))
    return Reply(lines(*parts), buttons=tuple(buttons), private=True)


async def _overview(ctx: Context, event_id: int) -> Reply:
    listing = await attendance_list(
        ctx.uow(), actor_id=ctx.person.id, event_id=event_id, place=ctx.place, rooms=ctx.app.rooms
    )
    event = listing.event
    parts = [
        _title(ctx, event),
        ctx.t("attendance.counts", present=listing.present, count=listing.registered),
    ]
    present = [a for a in listing.attendees if a.present]
    for attendee in present:
        member = f" ({attendee.member_name})" if attendee.member_name else ""
        parts.append(f"{attendee.person_id}: {attendee.name}{member}")
    parts += ["", ctx.t("attendance.how", example=ctx.cmd("anwesend", event_id, "Name"))]
    if event.cancelled:
        return Reply(lines(*parts), private=True)
    code_reply = await _code_reply(ctx, event_id, renew=False)
    return Reply(lines(*parts, "", code_reply.text), attachment=code_reply.attachment, private=True)


async def abwesend(ctx: Context, args: str) -> Reply:
    event_id, ref = _event_and_rest(ctx, args)
    person_id = number(ref) if ref else None
    if person_id is None:
        raise InvalidInput(
            "attendance_person_number", example=ctx.cmd("abwesend", event_id, 12), given=ref[:30]
        )
    event, person = await undo_check_in(
        ctx.uow(),
        actor_id=ctx.person.id,
        event_id=event_id,
        person_id=person_id,
        now=ctx.now,
        place=ctx.place,
        rooms=ctx.app.rooms,
    )
    text = ctx.t("attendance.undone", name=person.display_name, title=event.title)
    return Reply(text, private=True)


async def anwesenheitscode(ctx: Context, args: str) -> Reply:
    event_id, rest = _event_and_rest(ctx, args)
    if rest and rest.lower() not in RENEW:
        raise InvalidInput(
            "attendance_code_usage", value=rest[:20], example=ctx.cmd(ctx.command, event_id, "neu")
        )
    return await _code_reply(ctx, event_id, renew=bool(rest))


async def _code_reply(ctx: Context, event_id: int, *, renew: bool) -> Reply:
    """The code as a ``/start`` text, a Telegram link (when the bot's name is known) and
    that link as a QR code (PNG)."""
    event, code = await attendance_code(
        ctx.uow(),
        actor_id=ctx.person.id,
        event_id=event_id,
        now=ctx.now,
        renew=renew,
        place=ctx.place,
        rooms=ctx.app.rooms,
    )
    payload = f"a_{code}"
    prefix = ctx.app.settings.matrix_command_prefix
    opens = event.starts_at - OPENS_BEFORE
    parts = [
        ctx.t("attendance.code_renewed" if renew else "attendance.code", title=event.title),
        ctx.t("attendance.code_window", opens=opens, closes=event.ends_at),
        ctx.t(
            "attendance.code_start", command=f"/start {payload}", matrix=f"{prefix}start {payload}"
        ),
    ]
    attachment = None
    username = await _telegram_username(ctx)
    if username:
        link = f"https://t.me/{username}?start={payload}"
        parts.append(ctx.t("attendance.code_link", url=link))
        qr = io.BytesIO()
        segno.make(link, error="m").save(qr, kind="png", scale=10, border=4)
        name = str(ctx.t("attendance.qr_filename", id=event.id))
        attachment = Attachment(name, qr.getvalue(), "image/png")
    return Reply(lines(*parts), attachment=attachment, private=True)


async def _telegram_username(ctx: Context) -> str:
    """The bot's Telegram username: the setting, or what the transport learnt (getMe)."""
    from bot.adapters.telegram import USERNAME_KEY  # a constant only

    name = ctx.app.settings.telegram_bot_username or (
        await ctx.app.transport_state.get(USERNAME_KEY) or ""
    )
    return name.removeprefix("@")


async def start_code(ctx: Context, code: str) -> Reply:
    """``/start a_<code>``: the person checks in at the event of the code."""
    result = await check_in_with_code(ctx.uow(), person_id=ctx.person.id, code=code, now=ctx.now)
    params = {"title": result.event.title}
    text = ctx.t(
        "attendance.self_checked_in" if result.new else "attendance.self_already", **params
    )
    hint = ctx.t("attendance.certificate_hint", command=ctx.cmd("bescheinigung", result.event.id))
    button = Button(ctx.t("button.certificate"), ctx.cmd("bescheinigung", result.event.id))
    return Reply(lines(text, hint), buttons=((button,),), private=True)


async def bescheinigung(ctx: Context, args: str) -> Reply:
    event_id, rest = _event_and_rest(ctx, args)
    if rest and rest.lower() not in EVERYONE:
        raise InvalidInput(
            "certificate_usage",
            value=rest[:20],
            own=ctx.cmd(ctx.command, event_id),
            everyone=ctx.cmd(ctx.command, event_id, ctx.t("word.all")),
        )
    if rest:
        event, count = await send_certificates(
            ctx.uow(), actor_id=ctx.person.id, event_id=event_id, now=ctx.now
        )
        return Reply(ctx.t("certificate.sent", count=count, title=event.title), private=True)
    facts = await own_certificate(ctx.uow(), person_id=ctx.person.id, event_id=event_id)
    assert ctx.person.id is not None and facts.event.id is not None
    text = ctx.t("certificate.yours", title=facts.event.title)
    made = made_certificate(facts.event.id, ctx.person.id, ctx.language)
    return Reply(text, made_file=made, private=True)
