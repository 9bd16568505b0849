"""``engagiert-bot``: the terminal chat, the demo and the operator's commands.

The CLI speaks German: help, usage errors (argparse's texts, see :func:`german_argparse`),
bad settings, operating-system errors (:func:`os_problem`). Every usage error is ONE line on
stderr, ``Fehler: … Hilfe: engagiert-bot … --help``, with exit status 2. Points in time are
read by :mod:`bot.dates` and echoed back in full German on stderr (stdout keeps only what a
script needs, e.g. the new event's number). Option names stay English; the dashes phones type
(``–start``, ``—start``) mean ``--start``.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import re
import secrets
import socket
import ssl
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot import arguments, cli_surveys
from bot.adapters.console import ConsoleChat, stdin_lines
from bot.app import App, build
from bot.cli_german import Parser, fail, german_argparse, os_problem, phone_dashes, say
from bot.dates import DateError
from bot.dates import parse_moment as parse_date
from bot.faq_yaml import FaqFileError, FaqFileProblem, dump_entries, parse_entries
from bot.handlers.announcements import parse_target
from bot.handlers.desk import sign_in_url
from bot.handlers.general import start_payload
from bot.i18n import LANGUAGES, catalogue
from bot.invitation_mail import invitation_params
from bot.logs import configure_logging, quiet_terminal
from bot.markdown import markdown_blocks
from bot.notifications import NotificationHub
from bot.reply import plain_text
from bot.scheduler import Scheduler
from bot.settings import Settings, SettingsError, load_settings
from bot.starter import DEMO_PERSON, load_starter_content, starter_faq
from core.accounts import (
    PERSONAL_DAYS,
    change_roles,
    create_invitation,
    create_personal_invitation,
    person_details,
    unlink_account,
)
from core.announcements import announce, progress, resolve_audience
from core.api_tokens import create_token, list_tokens, revoke_token
from core.domain.api import Scope
from core.domain.errors import DomainError, InvalidInput
from core.domain.events import DEFAULT_DURATION, Audience, Event, EventKind
from core.domain.faq import FaqEntry
from core.domain.mail import Channel, EmailAddress
from core.domain.members import MemberKind
from core.domain.people import Person, Platform, Role
from core.domain.questions import QuestionKind
from core.domain.series import MAX_DATES, Frequency
from core.domain.web import LINK_LIFETIME
from core.events import (
    assign_speaker,
    cancel_event,
    change_event,
    create_event,
    upcoming_events,
)
from core.faq import FaqIndex, FaqResult
from core.kb import import_entries, list_entries
from core.mail import (
    address_of,
    queue_invitation_mail,
    remove_address,
    request_address,
    set_channel,
)
from core.mail import check_address as _check_address
from core.members import add_member, add_person, find_person, resolve_identity
from core.questions import add_question, remove_question, summary
from core.reminders import set_event_reminders
from core.retention import apply_retention, months_before
from core.series import cancel_series, create_series
from core.web_access import issue_link

log = logging.getLogger("engagiert-bot")

PROGRESS_EVERY = 2.0  # seconds between progress lines of ``announce``
EMPTY_KB_HINT = (
    "Hinweis: Die Wissensbasis ist leer. Startinhalte übernehmen: engagiert-bot kb import --starter"
)


class UsageError(Exception):
    """Bad arguments: printed as one line, exit status 2."""


def main(argv: Sequence[str] | None = None) -> None:
    """Run one command. Exit status 0; 2 for a usage error, a bad setting or a file named on
    the command line that cannot be used; 1 for other operating-system errors (network …);
    130 after Ctrl+C. Every error is one German line on stderr."""
    # Everything the bot writes (database, its journal, the secret key) is for its own user.
    os.umask(0o077)
    with german_argparse():
        parser = _parser()
        args = parser.parse_args(phone_dashes(sys.argv[1:] if argv is None else argv))
    try:
        settings = load_settings()
    except SettingsError as exc:
        fail(str(exc), 2)
    configure_logging(settings)
    try:
        asyncio.run(args.run(settings, args))
    except SettingsError as exc:
        fail(str(exc), 2)
    except UsageError as exc:
        fail(f"Fehler: {exc}", 2)
    except OSError as exc:
        problem = os_problem(exc)
        if exc.filename is None and isinstance(
            exc, ConnectionError | TimeoutError | socket.gaierror
        ):
            # The one server every command talks to: name it, never its password.
            url = make_url(settings.effective_database_url).render_as_string(hide_password=True)
            problem = say("cli.database_unreachable", url=url, problem=problem)
        fail(f"Fehler: {problem}", 2 if exc.filename else 1)
    except DBAPIError as exc:
        # The server answered but refused (no such database or role, a wrong password):
        # one line naming it, never its password, with the server's own reason.
        url = make_url(settings.effective_database_url).render_as_string(hide_password=True)
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
        fail(f"Fehler: {say('cli.database_refused', url=url, problem=reason)}", 1)
    except KeyboardInterrupt:
        sys.exit(130)


async def _with_app(settings: Settings, work: Callable[[App], Awaitable[Any]]) -> Any:
    app = await build(settings)
    try:
        return await work(app)
    except DomainError as exc:
        # The chat's message, unless it names chat commands: then the CLI's own.
        if f"cli.error.{exc.code}" in catalogue("de"):
            raise UsageError(say(f"cli.error.{exc.code}", **exc.params)) from None
        reply = app.router.error_reply("de", exc)
        raise UsageError(plain_text(reply.text)) from None
    finally:
        await app.close()


# --- chat and demo ------------------------------------------------------------------------


async def _chat(
    app: App, person: Person, *, demo: bool = False, account: str | None = None
) -> None:
    if "log_level" not in app.settings.model_fields_set:  # the terminal is the chat
        quiet_terminal()
    chat = ConsoleChat(app, person, everyone=demo, account=account)
    interactive = sys.stdin.isatty()
    if interactive:
        banner = app.translator.t(
            app.translator.language(person.language), "console.banner", name=person.display_name
        )
        print(plain_text(banner) + "\n")
    # Reminders and other notices reach the terminal while the chat runs.
    scheduler = Scheduler(app, app.notifier) if isinstance(app.notifier, NotificationHub) else None
    if scheduler is not None:
        await scheduler.start()
    try:
        await chat.run(stdin_lines(interactive))
    finally:
        if scheduler is not None:
            await scheduler.stop()


async def run_chat(settings: Settings, args: argparse.Namespace) -> None:
    async def work(app: App) -> None:
        if args.person:
            await _chat(app, await find_person(app.uow(), args.person))
            return
        account = getpass.getuser()
        person = await resolve_identity(
            app.uow(),
            platform=Platform.CONSOLE,
            external_id=account,
            display_name=account,
            language=settings.default_language,
            now=app.clock.now(),
        )
        await _chat(app, person, account=account)

    await _with_app(settings, work)


async def run_demo(settings: Settings, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="engagiert-demo-") as tmp:
        demo = settings.model_copy(
            update={"data_dir": Path(tmp), "database_url": f"sqlite+aiosqlite:///{tmp}/demo.db"}
        )

        async def work(app: App) -> None:
            await load_starter_content(app.uow, now=app.clock.now(), tz=settings.tz, faq=app.faq)
            person = await find_person(app.uow(), args.person or DEMO_PERSON)
            await _chat(app, person, demo=True)

        await _with_app(demo, work)


async def run_serve(settings: Settings, args: argparse.Namespace) -> None:
    from bot.serve import serve

    settings.pepper(serving=True)  # anonymous votes need the server's own key

    async def work(app: App) -> None:
        _hint_if_empty(app)
        await serve(app)

    await _with_app(settings, work)


# --- operator commands ----------------------------------------------------------------------


async def run_db_upgrade(settings: Settings, args: argparse.Namespace) -> None:
    async def work(app: App) -> None:
        print(f"Datenbank auf Stand {await app.database.current_revision()}.")
        _hint_if_empty(app)

    await _with_app(settings, work)


def parse_moment(text: str, option: str, app: App, day: datetime | None = None) -> datetime:
    """``text`` of ``option`` as a point in time with a time of day (:mod:`bot.dates`),
    relative to the app clock's now; a bare time is on ``day`` when given. Raises
    :class:`UsageError` naming the option."""
    try:
        return parse_date(text, now=app.clock.now(), tz=app.settings.tz, day=day)
    except DateError as exc:
        raise UsageError(f"{option}: {exc}") from None


def _normal(name: str) -> str:
    """A name for comparison: case, ``_``/``-``/spaces and apostrophe forms do not count."""
    return " ".join(re.sub(r"[_\-\s]+", " ", name.replace("’", "'").casefold()).split())


def _choice(enum: type[Enum], value: str, what: str, labels: str | None = None) -> Any:
    """The member of ``enum`` that ``value`` names: its code value or, with ``labels`` (a
    catalogue prefix such as ``kind``), its German or English label (also without a part in
    parentheses), ignoring case, ``_``, ``-`` and spaces. Raises :class:`UsageError` listing
    the German labels (else the code values)."""
    wanted = _normal(value)
    for member in enum:
        names = {member.value}
        for language in LANGUAGES if labels else ():
            label = catalogue(language).get(f"{labels}.{member.value}")
            if isinstance(label, str):
                names |= {label, re.sub(r"\s*\(.*\)\s*$", "", label)}
        if wanted in {_normal(name) for name in names}:
            return member
    if labels:
        allowed = ", ".join(str(catalogue("de").get(f"{labels}.{m.value}", m.value)) for m in enum)
    else:
        allowed = ", ".join(m.value for m in enum)
    raise UsageError(f"unbekannte {what} „{value}“ (möglich: {allowed})")


async def run_event_add(settings: Settings, args: argparse.Namespace) -> None:
    kind = _choice(EventKind, args.kind, "Art", labels="kind")
    audience = _choice(Audience, args.audience, "Zielgruppe", labels="audience")
    repeat = _choice(Frequency, args.repeat, "Wiederholung", "repeat") if args.repeat else None
    if repeat is None and (args.count or args.until):
        raise UsageError(say("cli.series.repeat_missing"))

    async def work(app: App) -> None:
        now = app.clock.now()
        starts = parse_moment(args.start, "--start", app)
        ends = (
            parse_moment(args.end, "--end", app, day=starts)
            if args.end
            else starts + DEFAULT_DURATION
        )
        deadline = parse_moment(args.deadline, "--deadline", app) if args.deadline else None
        event = Event(
            kind=kind,
            title=args.title,
            description=args.description or "",
            starts_at=starts,
            ends_at=ends,
            place=args.place,
            video_url=args.video,
            capacity=args.capacity,
            online_capacity=args.online_capacity,
            registration_deadline=deadline,
            audience=audience,
            waitlist_offers=args.offers,
        )
        understood = [
            app.translator.t("de", "cli.event.kind", kind=app.translator.t("de", f"kind.{kind}")),
            app.translator.t("de", "cli.event.start", moment=app.translator.datetime("de", starts)),
            app.translator.t("de", "cli.event.end", moment=app.translator.datetime("de", ends)),
        ]
        if deadline is not None:
            moment = app.translator.datetime("de", deadline)
            understood.append(app.translator.t("de", "cli.event.deadline", moment=moment))
        try:
            if repeat is not None:
                await add_series(app, event, repeat, args, understood)
                return
            stored = await create_event(app.uow(), actor_id=None, event=event, now=now)
        except InvalidInput as exc:
            reply = plain_text(app.router.error_reply("de", exc).text)
            if exc.code in ("start_in_past", "deadline_in_past"):  # the date is in the reply
                raise UsageError(reply) from None
            shown = "; ".join(plain_text(line) for line in understood[1:])
            raise UsageError(f"{reply} ({say('cli.event.understood')} {shown})") from None
        print(stored.id)
        for line in understood:  # what was understood, for the eye; stdout is for scripts
            print(plain_text(line), file=sys.stderr)

    await _with_app(settings, work)


async def add_series(
    app: App, event: Event, repeat: Frequency, args: argparse.Namespace, understood: list[Any]
) -> None:
    """``event add --repeat``: the series' dates, one id a line on stdout; the dates as
    understood on stderr. Raises InvalidInput, UsageError (``--until``)."""
    until = None
    if args.until:
        try:
            moment = parse_date(
                args.until, now=app.clock.now(), tz=app.settings.tz, require_time=False
            )
        except DateError as exc:
            raise UsageError(f"--until: {exc}") from None
        until = moment.date()
    created = await create_series(
        app.uow(),
        actor_id=None,
        event=event,
        frequency=repeat,
        count=args.count,
        until=until,
        now=app.clock.now(),
    )
    for dated in created.dates:
        print(dated.id)
    for line in understood:
        print(plain_text(line), file=sys.stderr)
    days = ", ".join(app.translator.datetime("de", d.starts_at) for d in created.dates)
    print(say("cli.series.created", count=len(created.dates), dates=days), file=sys.stderr)


async def run_event_change(settings: Settings, args: argparse.Namespace) -> None:
    """Change or move an event; everyone registered hears about a new time, place or link."""

    async def work(app: App) -> None:
        changes: dict[str, object] = {}
        if args.title is not None:
            changes["title"] = args.title
        if args.description is not None:
            changes["description"] = args.description
        if args.start is not None:
            changes["starts_at"] = parse_moment(args.start, "--start", app)
        if args.end is not None:
            day = changes.get("starts_at")
            changes["ends_at"] = parse_moment(args.end, "--end", app, day=day)
        if args.deadline is not None:
            changes["registration_deadline"] = parse_moment(args.deadline, "--deadline", app)
        if args.place is not None:
            changes["place"] = args.place.strip() or None
        if args.video is not None:
            changes["video_url"] = args.video.strip() or None
        if args.capacity is not None:
            changes["capacity"] = args.capacity
        if args.online_capacity is not None:
            changes["online_capacity"] = args.online_capacity
        if args.offers is not None:
            changes["waitlist_offers"] = args.offers
        if not changes:
            raise UsageError(say("cli.event.nothing_to_change"))
        event = await change_event(
            app.uow(), actor_id=None, event_id=args.id, changes=changes, now=app.clock.now()
        )
        tr = app.translator
        print(say("cli.event.changed", id=event.id, title=event.title))
        print(plain_text(tr.t("de", "cli.event.start", moment=tr.datetime("de", event.starts_at))))
        print(plain_text(tr.t("de", "cli.event.end", moment=tr.datetime("de", event.ends_at))))

    await _with_app(settings, work)


async def run_event_list(settings: Settings, args: argparse.Namespace) -> None:
    async def work(app: App) -> None:
        tr, now = app.translator, app.clock.now()
        listed = await upcoming_events(app.uow(), now=now, limit=None)
        if not listed:
            print(say("cli.event.none"), file=sys.stderr)
        for info in listed:
            event = info.event
            state = say(f"cli.state.{info.state(now).signup.value}")
            places = ", ".join(
                f"{p.confirmed}/{'∞' if p.capacity is None else p.capacity} (+{p.waitlisted})"
                + (f" {say(f'cli.mode.{mode}')}" if event.is_hybrid else "")
                for mode, p in info.by_mode.items()
            )
            title = event.title
            if event.series_id is not None:
                title += f" {say('cli.series.marker', id=event.series_id)}"
            print(
                f"{event.id}\t{tr.datetime('de', event.starts_at)}\t{event.kind.value}\t"
                f"{event.audience.value}\t{places}\t{state}\t{title}"
            )

    await _with_app(settings, work)


async def run_event_cancel(settings: Settings, args: argparse.Namespace) -> None:
    async def work(app: App) -> None:
        if args.series:
            now = app.clock.now()
            done = await cancel_series(app.uow(), actor_id=None, event_id=args.id, now=now)
            for dated, told in done:
                who = told.confirmed + told.waitlisted
                moment = app.translator.datetime("de", dated.starts_at)
                print(f"{dated.id}\t{moment}\t{say('cli.series.cancelled_date', count=who)}")
            return
        told = await cancel_event(app.uow(), actor_id=None, event_id=args.id, now=app.clock.now())
        groups = [
            say(f"cli.told.{kind}", count=count)
            for kind, count in (("confirmed", told.confirmed), ("waitlisted", told.waitlisted))
            if count
        ]
        if groups:
            print(say("cli.event.cancelled", who=" und ".join(groups)))
        else:
            print(say("cli.event.cancelled_nobody"))

    await _with_app(settings, work)


def parse_duration(text: str) -> timedelta:
    """``24h``, ``90m``, ``2d``, ``2 Tage`` — the chat's own reading of durations."""
    try:
        return arguments.parse_duration(text)
    except InvalidInput:
        raise UsageError(f"„{text}“ ist keine Dauer (Beispiele: 24h, 90m, 2d, „2 Tage“)") from None


async def run_event_reminders(settings: Settings, args: argparse.Namespace) -> None:
    if args.none == bool(args.before):
        raise UsageError("bitte Zeitpunkte angeben (z. B. 24h 1h) oder --none")
    offsets = tuple(parse_duration(text) for text in args.before)

    async def work(app: App) -> None:
        await set_event_reminders(
            app.uow(), actor_id=None, event_id=args.id, offsets=offsets, now=app.clock.now()
        )
        listed = ", ".join(args.before) if offsets else "keine"
        print(f"Erinnerungen für Veranstaltung {args.id}: {listed} vor Beginn.")

    await _with_app(settings, work)


async def run_announce(settings: Settings, args: argparse.Namespace) -> None:
    text = sys.stdin.read() if args.text == ["-"] else " ".join(args.text)

    async def work(app: App) -> None:
        kind, ref = parse_target(args.to)
        audience = await resolve_audience(app.uow(), kind, ref)
        stored = await announce(
            app.uow(),
            actor_id=None,
            text=text,
            audience=audience,
            now=app.clock.now(),
            subject=args.subject,
            event_id=args.event,
        )
        print(f"Ankündigung Nr. {stored.id} eingereiht, Empfänger: {stored.recipients}.")
        if args.no_wait:
            return
        print("Zustellung über „engagiert-bot serve“; Strg+C beendet nur die Anzeige.")
        shown = shown_mails = None
        while True:
            _, state = await progress(app.uow(), actor_id=None, announcement_id=stored.id)
            if app.settings.smtp_url is not None:
                _, mails = await progress(
                    app.uow(), actor_id=None, announcement_id=stored.id, platform="email"
                )
            if state != shown or (app.settings.smtp_url is not None and mails != shown_mails):
                failed = f", {state.failed} nicht zustellbar" if state.failed else ""
                by_mail = ""
                if app.settings.smtp_url is not None and mails.total:
                    by_mail = f" (E-Mails: {mails.delivered} von {mails.total} zugestellt)"
                print(
                    f"{state.delivered} von {state.total} zugestellt{failed}{by_mail}", flush=True
                )
                shown = state
                if app.settings.smtp_url is not None:
                    shown_mails = mails
            if not state.pending:
                return
            await asyncio.sleep(PROGRESS_EVERY)

    await _with_app(settings, work)


async def run_retention(settings: Settings, args: argparse.Namespace) -> None:
    periods = settings.retention(args.months)

    async def work(app: App) -> None:
        counts = await apply_retention(app.uow(), now=app.clock.now(), periods=periods)
        for name, count in counts.items():
            print(f"{say(f'cli.retention.{name}')}\t{count}")

    await _with_app(settings, work)


async def run_member_add(settings: Settings, args: argparse.Namespace) -> None:
    kind = _choice(MemberKind, args.kind, "Art")  # no labels: the codes, tolerantly

    async def work(app: App) -> None:
        member = await add_member(
            app.uow(),
            name=args.name,
            kind=kind,
            municipality_key=args.key,
            joined_on=app.clock.now().date(),
            now=app.clock.now(),
        )
        print(member.id)

    await _with_app(settings, work)


async def run_member_list(settings: Settings, args: argparse.Namespace) -> None:
    async def work(app: App) -> None:
        async with app.uow() as uow:
            for member in await uow.members.list():
                print(
                    f"{member.id}\t{member.kind.value}\t{member.municipality_key or '-'}\t"
                    f"{member.name}"
                )

    await _with_app(settings, work)


async def run_person_add(settings: Settings, args: argparse.Namespace) -> None:
    roles = frozenset(_choice(Role, r, "Rolle", labels="role") for r in args.role)
    if args.email is not None:
        _mail_on(settings)
        check_address(args.email)  # before anything is stored

    async def work(app: App) -> None:
        async with app.uow() as uow:
            namesakes = [
                p
                for p in await uow.persons.matching(args.name)
                if p.display_name.casefold() == args.name.strip().casefold()
            ]
        person = await add_person(
            app.uow(),
            display_name=args.name,
            member_ref=args.member,
            roles=roles,
            supporter_topics=tuple(args.topic),
            language=args.language,
            now=app.clock.now(),
        )
        if namesakes:  # two entries of one name: later references need the number
            ids = ", ".join(str(p.id) for p in namesakes)
            print(say("cli.person.namesake", name=person.display_name, ids=ids), file=sys.stderr)
        if args.email is not None:
            await _request_address(app, person.id, args.email)
        print(person.id)

    await _with_app(settings, work)


def check_address(text: str) -> str:
    """The address, or a usage error in German (before anything is stored)."""
    try:
        return _check_address(text)
    except DomainError as exc:
        raise UsageError(say(f"error.{exc.code}", **exc.params)) from None


#: ``--channel`` as people write it, German too (the chat's ``/email kanal`` words).
CHANNEL_WORDS = {
    "chat": Channel.CHAT,
    "email": Channel.EMAIL,
    "e-mail": Channel.EMAIL,
    "mail": Channel.EMAIL,
    "both": Channel.BOTH,
    "beides": Channel.BOTH,
    "beide": Channel.BOTH,
}


def _mail_on(settings: Settings) -> None:
    if settings.smtp_url is None:
        raise UsageError(say("cli.mail.off"))


async def _request_address(app: App, person_id: int, address: str) -> None:
    stored = await request_address(
        app.uow(), actor_id=None, person_id=person_id, address=address, now=app.clock.now()
    )
    if stored.pending_address is None:
        print(say("cli.mail.already", address=stored.address), file=sys.stderr)
    else:
        print(say("cli.mail.confirm_sent", address=stored.pending_address), file=sys.stderr)


async def run_person_email(settings: Settings, args: argparse.Namespace) -> None:
    """A person's address (double opt-in), its removal, their channel."""
    given = [args.address is not None, args.remove, args.channel is not None]
    if sum(given) != 1:
        raise UsageError(say("cli.mail.person_usage"))
    channel = None
    if args.channel is not None:
        channel = CHANNEL_WORDS.get(args.channel.strip().lower()) or _choice(
            Channel, args.channel, "Kanal"
        )
    if args.address is not None:
        _mail_on(settings)
        check_address(args.address)

    async def work(app: App) -> None:
        person = await find_person(app.uow(), args.person)
        if args.address is not None:
            await _request_address(app, person.id, args.address)
        elif args.remove:
            removed = await remove_address(
                app.uow(), actor_id=None, person_id=person.id, now=app.clock.now()
            )
            print(say("cli.mail.removed" if removed else "cli.mail.none", name=person.display_name))
        else:
            assert channel is not None
            current = await address_of(app.uow(), person_id=person.id)
            if channel is not Channel.CHAT and (current is None or current.usable is None):
                print(say("cli.mail.channel_later", name=person.display_name), file=sys.stderr)
            await set_channel(
                app.uow(),
                actor_id=None,
                person_id=person.id,
                channel=channel,
                now=app.clock.now(),
            )
            print(say("cli.mail.channel", name=person.display_name, channel=channel.value))

    await _with_app(settings, work)


async def run_mail_test(settings: Settings, args: argparse.Namespace) -> None:
    """Connect to the SMTP server as ``serve`` would (STARTTLS or TLS, login); with an address,
    send one test mail there directly. Exit status 1 when the server cannot be used."""
    import aiosmtplib

    from bot.adapters.mail import StartTlsMissing, check_connection, open_connection
    from bot.mail_message import build_message, message_id_for

    target = settings.smtp
    if target is None:
        raise UsageError(say("cli.mail.off"))
    address = check_address(args.address) if args.address else None
    server = f"{target.host}:{target.port}"
    try:
        await check_connection(target)
        if address is not None:
            mail = {
                "to": address,
                "to_name": "",
                "subject": say("cli.mail.test_subject"),
                "text": say("cli.mail.test_text", server=server) + "\n",
                "html": None,
                "headers": {},
                "calendar": None,
                "attachments": [],
            }
            sender = settings.mail_from or ""
            message = build_message(
                mail,
                sender=sender,
                reply_to=settings.mail_reply_to,
                message_id=message_id_for(f"test-{secrets.token_hex(8)}", sender),
            )
            client = await open_connection(target)
            try:
                await client.send_message(message)
                await client.quit()
            finally:
                client.close()
    except StartTlsMissing:
        fail(f"Fehler: {say('cli.mail.no_starttls', server=server)}", 1)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        refusal = exc.recipients[0]
        answer = f"{refusal.code} {refusal.message}"
        fail(f"Fehler: {say('cli.mail.address_refused', server=server, answer=answer)}", 1)
    except aiosmtplib.SMTPAuthenticationError as exc:
        fail(f"Fehler: {say('cli.mail.login_refused', server=server, answer=exc.message)}", 1)
    except aiosmtplib.SMTPResponseException as exc:
        answer = f"{exc.code} {exc.message}"
        fail(f"Fehler: {say('cli.mail.refused', server=server, answer=answer)}", 1)
    except (OSError, aiosmtplib.SMTPException) as exc:
        # aiosmtplib wraps the operating system's error (refused, unknown host) in its own.
        cause = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
        if isinstance(cause, ssl.SSLCertVerificationError):
            fail(f"Fehler: {say('cli.mail.certificate', server=server)}", 1)
        if isinstance(cause, ssl.SSLError):
            fail(f"Fehler: {say('cli.mail.tls_failed', server=server)}", 1)
        if "auth" in str(exc).lower() and not isinstance(exc, OSError):
            fail(f"Fehler: {say('cli.mail.no_auth', server=server)}", 1)
        problem = os_problem(cause) if isinstance(cause, OSError) else type(exc).__name__
        fail(f"Fehler: {say('cli.mail.unreachable', server=server, problem=problem)}", 1)
    print(say(f"cli.mail.test_ok_{target.security}", server=server))
    if target.username is not None:
        print(say("cli.mail.test_login", user=target.username))
    if address is not None:
        print(say("cli.mail.test_sent", address=address))


async def run_person_list(settings: Settings, args: argparse.Namespace) -> None:
    async def work(app: App) -> None:
        async with app.uow() as uow:
            members = {m.id: m.name for m in await uow.members.list()}
            for person in await uow.persons.list():
                roles = ",".join(sorted(r.value for r in person.roles)) or "-"
                member = members.get(person.member_id, "-")
                origin = "Büro" if person.office_entry else "Gast" if person.is_guest else "selbst"
                print(f"{person.id}\t{person.display_name}\t{member}\t{roles}\t{origin}")

    await _with_app(settings, work)


async def run_invite(settings: Settings, args: argparse.Namespace) -> None:
    if (args.member is None) == (args.person is None):
        raise UsageError("bitte genau eines angeben: --member NAME oder --person ID")
    if args.person is not None and args.uses is not None:
        raise UsageError("--uses gilt nur für --member: ein persönlicher Code gilt für ein Konto")
    if args.email is not None:
        if args.person is None:
            raise UsageError(say("cli.mail.invite_person_only"))
        _mail_on(settings)
        if args.email:
            check_address(args.email)

    async def work(app: App) -> None:
        if args.person is not None:
            if args.email == "":  # to the confirmed address: there must be one, before a code
                person = await find_person(app.uow(), args.person)
                current = await address_of(app.uow(), person_id=person.id)
                if current is None or current.usable is None:
                    raise UsageError(say("error.email_missing"))
            created = await create_personal_invitation(
                app.uow(),
                actor_id=None,
                person_ref=args.person,
                now=app.clock.now(),
                valid_days=args.days or PERSONAL_DAYS,
            )
            prefix, who, uses = "p", created.person.display_name, "für ein Chat-Konto"
        else:
            created = await create_invitation(
                app.uow(),
                actor_id=None,
                member_ref=args.member,
                now=app.clock.now(),
                valid_days=args.days or 30,
                max_uses=args.uses or 5,
            )
            count = created.invitation.max_uses
            uses = plain_text(app.translator.t("de", "cli.invite.uses", count=count))
            prefix, who = "m", created.member.name
        print(created.code)
        expires = app.translator.datetime("de", created.invitation.expires_at)
        payload = start_payload(prefix, created.code)
        print(f"für {who}, gültig bis {expires}, {uses}.", file=sys.stderr)
        username = await _telegram_username(app)
        if username:
            print(f"Telegram: https://t.me/{username}?start={payload}", file=sys.stderr)
        else:
            print(f"Telegram: /start {payload}", file=sys.stderr)
        prefix_matrix = app.settings.matrix_command_prefix
        print(
            f"Matrix (im Direktchat mit dem Bot): {prefix_matrix}start {payload}", file=sys.stderr
        )
        if args.email is not None:
            address = await queue_invitation_mail(
                app.uow(),
                actor_id=None,
                person_id=created.person.id,
                address=args.email or None,
                params=invitation_params(app.settings, created, username),
            )
            print(say("cli.mail.invitation_queued", address=address), file=sys.stderr)

    await _with_app(settings, work)


async def run_admin_link(settings: Settings, args: argparse.Namespace) -> None:
    """A one-time sign-in link to the web desk for an organizer (the first start, before
    anyone can ask the bot for one with /webzugang)."""

    async def work(app: App) -> None:
        person = await find_person(app.uow(), args.person)
        token = await issue_link(app.uow(), actor_id=None, person_id=person.id, now=app.clock.now())
        print(sign_in_url(app.settings, token))
        expires = app.translator.datetime("de", app.clock.now() + LINK_LIFETIME)
        print(f"für {person.display_name}, einmal gültig bis {expires}.", file=sys.stderr)

    await _with_app(settings, work)


async def run_api_token_create(settings: Settings, args: argparse.Namespace) -> None:
    """Prints the token once (stdout); only its hash is kept."""
    scope = _choice(Scope, args.scope, "Bereich")

    async def work(app: App) -> None:
        token, secret = await create_token(
            app.uow(), name=args.name, scope=scope, now=app.clock.now()
        )
        print(secret)
        print(say("cli.api.created", name=token.name, scope=token.scope.value), file=sys.stderr)

    await _with_app(settings, work)


async def run_api_token_list(settings: Settings, args: argparse.Namespace) -> None:
    async def work(app: App) -> None:
        tokens = await list_tokens(app.uow())
        if not tokens:
            print(say("cli.api.none"), file=sys.stderr)
        tr = app.translator
        for token in tokens:
            used = tr.datetime("de", token.last_used_at) if token.last_used_at else "–"
            state = say("cli.api.revoked") if token.revoked_at else token.scope.value
            print(f"{token.name}\t{state}\t{tr.datetime('de', token.created_at)}\t{used}")

    await _with_app(settings, work)


async def run_api_token_revoke(settings: Settings, args: argparse.Namespace) -> None:
    async def work(app: App) -> None:
        await revoke_token(app.uow(), name=args.name, now=app.clock.now())
        print(say("cli.api.revoked_now", name=args.name))

    await _with_app(settings, work)


async def _telegram_username(app: App) -> str:
    """The bot's Telegram username: the setting, or what ``serve`` learnt from getMe."""
    from bot.adapters.telegram import USERNAME_KEY

    if app.settings.telegram_bot_username:
        return app.settings.telegram_bot_username.removeprefix("@")
    async with app.uow() as uow:
        return await uow.state.get(USERNAME_KEY) or ""


async def run_person_show(settings: Settings, args: argparse.Namespace) -> None:
    async def work(app: App) -> None:
        details = await person_details(app.uow(), actor_id=None, person_ref=args.person)
        person = details.person
        roles = ", ".join(sorted(r.value for r in person.roles)) or "-"
        print(f"Nummer:   {person.id}")
        origin = (
            "" if person.office_entry else " (Gast)" if person.is_guest else " (selbst angemeldet)"
        )
        print(f"Name:     {person.display_name}{origin}")
        print(f"Mitglied: {details.member.name if details.member else '-'}")
        print(f"Rollen:   {roles}")
        if person.supporter_topics:
            print(f"Themen:   {', '.join(person.supporter_topics)}")
        accounts = [f"{i.platform.value}:{i.external_id}" for i in details.identities]
        print(f"Konten:   {', '.join(accounts) or '-'}")
        email = await address_of(app.uow(), person_id=person.id)
        print(f"E-Mail:   {_email_state(email)}")
        async with app.uow() as uow:
            channel = (await uow.preferences.get(person.id)).channel
        print(f"Kanal:    {say(f'cli.mail.channel_{channel.value}')}")

    await _with_app(settings, work)


def _email_state(email: EmailAddress | None) -> str:
    if email is None or (email.address is None and email.pending_address is None):
        return "-"
    parts = []
    if email.address:
        state = "abgelehnt: " + (email.problem or "") if email.undeliverable_at else "bestätigt"
        parts.append(f"{email.address} ({state})")
    if email.pending_address and email.pending_problem:
        parts.append(f"{email.pending_address} (abgelehnt: {email.pending_problem})")
    elif email.pending_address:
        parts.append(f"{email.pending_address} (wartet auf Bestätigung)")
    if email.address and not email.announcements:
        parts.append("Infomails abbestellt")
    return "; ".join(parts)


async def run_person_role(settings: Settings, args: argparse.Namespace) -> None:
    add = frozenset(_choice(Role, r, "Rolle", labels="role") for r in args.add)
    remove = frozenset(_choice(Role, r, "Rolle", labels="role") for r in args.remove)
    if not add and not remove:
        raise UsageError("bitte --add ROLLE oder --remove ROLLE angeben")

    async def work(app: App) -> None:
        person = await change_roles(
            app.uow(),
            actor_id=None,
            person_ref=args.person,
            add=add,
            remove=remove,
            now=app.clock.now(),
        )
        roles = ", ".join(sorted(r.value for r in person.roles)) or "keine"
        print(f"{person.display_name}: {roles}")

    await _with_app(settings, work)


async def run_person_unlink(settings: Settings, args: argparse.Namespace) -> None:
    platform = _choice(Platform, args.platform, "Plattform")

    async def work(app: App) -> None:
        removed = await unlink_account(
            app.uow(), actor_id=None, person_ref=args.person, platform=platform, now=app.clock.now()
        )
        text = app.translator.t("de", "cli.person.unlinked", count=removed, platform=platform)
        print(plain_text(text))

    await _with_app(settings, work)


async def run_event_speaker(settings: Settings, args: argparse.Namespace) -> None:
    async def work(app: App) -> None:
        person_ref = None if args.none else args.person
        if person_ref is None and not args.none:
            raise UsageError("bitte PERSON angeben oder --none")
        event, speaker = await assign_speaker(
            app.uow(), actor_id=None, event_id=args.id, person_ref=person_ref, now=app.clock.now()
        )
        name = speaker.display_name if speaker else "niemand"
        print(f"Sprecher/in für „{event.title}“: {name}")

    await _with_app(settings, work)


async def run_event_question_add(settings: Settings, args: argparse.Namespace) -> None:
    """Attach a registration question; everyone who signs up is asked it in the chat."""

    async def work(app: App) -> None:
        question = await add_question(
            app.uow(),
            actor_id=None,
            event_id=args.id,
            kind=QuestionKind(args.kind),
            prompt=args.text,
            options=tuple(args.option),
            required=args.required,
            now=app.clock.now(),
        )
        print(say("cli.question.added", number=question.position, id=args.id))

    await _with_app(settings, work)


async def run_event_questions(settings: Settings, args: argparse.Namespace) -> None:
    """The event's registration questions with the answers so far, in sum."""

    async def work(app: App) -> None:
        asked = await summary(app.uow(), actor_id=None, event_id=args.id)
        if not asked:
            print(say("cli.question.none"), file=sys.stderr)
        for item in asked:
            question = item.question
            kind = {"text": "Freitext", "choice": "Auswahl", "yes_no": "ja/nein"}
            flags = f"{kind[question.kind.value]}{', Pflicht' if question.required else ''}"
            print(f"{question.position}\t{question.prompt} ({flags})")
            for value, count in item.counts:
                print(f"\t{value}: {count}")
            for text in item.texts:
                print(f"\t– {text}")
            if item.unanswered:
                print(f"\tohne Angabe: {item.unanswered}")

    await _with_app(settings, work)


async def run_event_question_remove(settings: Settings, args: argparse.Namespace) -> None:
    async def work(app: App) -> None:
        await remove_question(
            app.uow(), actor_id=None, event_id=args.id, position=args.number, now=app.clock.now()
        )
        print(say("cli.question.removed", number=args.number, id=args.id))

    await _with_app(settings, work)


# --- knowledge base -----------------------------------------------------------------------


def _hint_if_empty(app: App) -> None:
    if not len(app.faq):
        print(EMPTY_KB_HINT, file=sys.stderr)


def _read_entries(args: argparse.Namespace) -> list[FaqEntry]:
    """The entries to import, fully validated; every problem named by entry and field."""
    if args.starter == (args.file is not None):
        raise UsageError("bitte genau eines angeben: DATEI.yaml oder --starter")
    if args.starter:
        return starter_faq()
    try:  # an OSError is told by main(), like every other
        text = Path(args.file).read_text("utf-8")
    except UnicodeDecodeError:
        raise UsageError(say("cli.kb.not_utf8", path=args.file)) from None
    try:
        entries = parse_entries(text)
    except FaqFileError as exc:
        problems = "; ".join(_problem(p) for p in exc.problems)
        raise UsageError(f"{args.file}: nichts geändert – {problems}") from None
    if not entries:
        raise UsageError(f"{args.file} enthält keine Einträge; nichts geändert")
    return entries


def _problem(problem: FaqFileProblem) -> str:
    where = " ".join(
        part
        for part in (
            f"Eintrag {problem.index}" if problem.index is not None else "",
            f"(id „{problem.entry_id}“)" if problem.entry_id else "",
        )
        if part
    )
    if problem.field:
        where = f"{where}, Feld „{problem.field}“" if where else f"Feld „{problem.field}“"
    return f"{where}: {problem.message}" if where else problem.message


async def run_kb_import(settings: Settings, args: argparse.Namespace) -> None:
    entries = _read_entries(args)

    async def work(app: App) -> None:
        report = await import_entries(
            app.uow(), app.faq, entries, replace_all=args.replace, now=app.clock.now()
        )
        print(
            f"Wissensbasis: {report.added} neu, {report.updated} geändert, "
            f"{report.unchanged} unverändert, {report.removed} entfernt."
        )

    await _with_app(settings, work)


async def run_kb_export(settings: Settings, args: argparse.Namespace) -> None:
    async def work(app: App) -> None:
        entries = await list_entries(app.uow())
        text = dump_entries(entries)
        if args.file == "-":
            sys.stdout.write(text)
        else:  # an OSError is told by main(), like every other
            Path(args.file).write_text(text, "utf-8")
        exported = app.translator.t("de", "cli.kb.exported", count=len(entries))
        print(plain_text(exported), file=sys.stderr)

    await _with_app(settings, work)


async def run_kb_stale(settings: Settings, args: argparse.Namespace) -> None:
    """Entries not changed or confirmed for ``--months``: facts may have aged (re-importing
    an entry unchanged keeps its date; editing it confirms it)."""

    async def work(app: App) -> None:
        before = months_before(app.clock.now(), args.months)
        old = [e for e in await list_entries(app.uow()) if e.updated and e.updated < before]
        for entry in old:
            print(f"{entry.id}\t{app.translator.date('de', entry.updated)}\t{entry.question}")
        period = say("cli.kb.months", count=args.months)
        print(say("cli.kb.stale", count=len(old), period=period), file=sys.stderr)

    await _with_app(settings, work)


async def run_faq(settings: Settings, args: argparse.Namespace) -> None:
    query = " ".join(args.query).strip()
    if not query and not args.json:
        raise UsageError("bitte eine Frage angeben (oder --json und eine Frage je Zeile auf stdin)")

    async def work(app: App) -> None:
        # An empty base answers from the starter content, and says so: the chat would not.
        index = app.faq
        if not len(index):
            print(say("cli.faq.starter_only"), file=sys.stderr)
            index = FaqIndex(starter_faq())
        # One answer per input line, blank lines included, so that output lines match input.
        queries = [query] if query else (line.rstrip("\n") for line in sys.stdin)
        for text in queries:
            result = index.search(text, args.limit)
            if args.json:
                print(json.dumps(_as_json(result), ensure_ascii=False), flush=True)
            else:
                print(_as_text(result), flush=True)

    await _with_app(settings, work)


def _as_json(result: FaqResult) -> dict[str, Any]:
    return {
        "query": result.query,
        "answered": result.answered,
        "results": [
            {"id": hit.entry.id, "question": hit.entry.question, "score": hit.score}
            for hit in result.hits
        ],
    }


def _as_text(result: FaqResult) -> str:
    listing = [
        f"  {format_decimal(round(hit.score, 2), '0.00', locale='de_DE')}  "
        f"{hit.entry.id}: {hit.entry.question}"
        for hit in result.hits
    ]
    if result.best is not None and not result.ambiguous:
        entry = result.best.entry
        answer = plain_text("\n\n".join(markdown_blocks(entry.answer)))
        certainty = format_decimal(round(result.best.score, 2), "0.00", locale="de_DE")
        return f"{entry.question}\n\n{answer}\n\n({entry.id}, Sicherheit {certainty})"
    if result.answered:
        return "\n".join(["Mehrere Einträge passen:", *listing])
    if not result.hits:
        return "Darauf gibt es keine Antwort in der Wissensbasis."
    return "\n".join(["Keine sichere Antwort. Am nächsten, aber unter der Schwelle:", *listing])


# --- argument parser ------------------------------------------------------------------------


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"„{text}“ ist keine positive ganze Zahl")
    return int(text)


def _days(text: str) -> int:
    """``14``, ``14 Tage``, ``2 Wochen``: whole days."""
    if text.strip().isdigit():
        return _positive(text.strip())
    try:
        days = arguments.parse_duration(text).total_seconds() / 86400
    except InvalidInput:
        days = 0
    if days < 1 or days != int(days):
        raise argparse.ArgumentTypeError(f"„{text}“ ist keine Zahl von Tagen")
    return int(days)


def _months(text: str) -> int:
    months = _positive(text)
    if months > 120:
        raise argparse.ArgumentTypeError(f"„{text}“ Monate: höchstens 120")
    return months


def _parser() -> argparse.ArgumentParser:
    """The command line; build it inside :func:`german_argparse` for German help texts."""
    parser = Parser(
        prog="engagiert-bot", description="Assistent des Kommunen-Netzwerks engagiert in NRW"
    )
    sub = parser.add_subparsers(required=True, metavar="BEFEHL", parser_class=Parser)

    def command(name: str, run: Callable[..., Awaitable[None]], help: str, into=sub):
        p = into.add_parser(name, help=help, description=help)
        p.set_defaults(run=run)
        return p

    def group(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=f"{help}: die Befehle")

    for name, run, help in (
        ("chat", run_chat, "Im Terminal mit dem Bot chatten"),
        ("demo", run_demo, "Chat auf einer Wegwerf-Demodatenbank mit Startinhalten"),
    ):
        command(name, run, help).add_argument(
            "--as", dest="person", metavar="PERSON", help="als diese Person (Nummer oder Name)"
        )

    command("serve", run_serve, "Dienst starten (HTTP und konfigurierte Chat-Kanäle)")

    db = group("db", "Datenbank").add_subparsers(
        required=True, metavar="BEFEHL", parser_class=Parser
    )
    command("upgrade", run_db_upgrade, "Migrationen anwenden", db)

    event = group("event", "Veranstaltungen").add_subparsers(
        required=True, metavar="BEFEHL", parser_class=Parser
    )
    add = command("add", run_event_add, "Veranstaltung anlegen (gibt die Nummer aus)", event)
    kinds = ", ".join(str(catalogue("de")[f"kind.{k.value}"]) for k in EventKind)
    add.add_argument("--title", required=True, metavar="TITEL", help="Titel der Veranstaltung")
    add.add_argument(
        "--kind", required=True, metavar="ART", help=f"{kinds} (oder: {', '.join(EventKind)})"
    )
    add.add_argument(
        "--start",
        required=True,
        metavar="ZEITPUNKT",
        help="Beginn mit Uhrzeit (Ortszeit), z. B. „3.12. 14 Uhr“, „morgen 10:00“, "
        "„2026-12-03T14:00“",
    )
    add.add_argument("--end", metavar="ZEITPUNKT", help="Ende; Standard: Beginn + 2 Stunden")
    add.add_argument(
        "--capacity", type=_positive, metavar="ANZAHL", help="Plätze (hybrid: die vor Ort)"
    )
    add.add_argument(
        "--online-capacity",
        type=_positive,
        metavar="ANZAHL",
        help="Online-Plätze einer hybriden Veranstaltung (mit --place und --video); "
        "Standard: unbegrenzt",
    )
    add.add_argument(
        "--offers",
        action="store_true",
        help="freie Plätze der Warteliste anbieten (24 Stunden zum Annehmen) statt sie "
        "gleich zu vergeben",
    )
    add.add_argument("--deadline", metavar="ZEITPUNKT", help="Anmeldeschluss (mit Uhrzeit)")
    add.add_argument("--place", metavar="ORT", help="Ort")
    add.add_argument("--video", metavar="LINK", help="Link zur Videokonferenz")
    add.add_argument("--description", metavar="TEXT", help="Beschreibung")
    add.add_argument(
        "--audience",
        default=Audience.NETWORK.value,
        metavar="ZIELGRUPPE",
        help=", ".join(a.value for a in Audience) + " (everyone: auch Gäste; Standard: network)",
    )
    add.add_argument(
        "--repeat",
        metavar="RHYTHMUS",
        help="als Serie: weekly oder wöchentlich, biweekly oder zweiwöchentlich, monthly oder "
        "monatlich (derselbe Wochentag im Monat, z. B. jeder zweite Dienstag), monthly-day oder "
        "Monatstag (derselbe Tag im Monat); mit --count oder --until",
    )
    add.add_argument(
        "--count", type=_positive, metavar="ANZAHL", help=f"Termine der Serie (1–{MAX_DATES})"
    )
    add.add_argument("--until", metavar="DATUM", help="letzter möglicher Tag der Serie")
    change = command(
        "change", run_event_change, "Veranstaltung ändern oder verschieben (mit Nachricht)", event
    )
    change.add_argument("id", type=_positive, metavar="NUMMER", help="der Veranstaltung")
    change.add_argument("--title", metavar="TITEL", help="neuer Titel")
    change.add_argument(
        "--start", metavar="ZEITPUNKT", help="neuer Beginn; ohne --end bleibt die Dauer gleich"
    )
    change.add_argument("--end", metavar="ZEITPUNKT", help="neues Ende")
    change.add_argument(
        "--capacity", type=_positive, metavar="ANZAHL", help="Plätze (hybrid: die vor Ort)"
    )
    change.add_argument(
        "--online-capacity", type=_positive, metavar="ANZAHL", help="Online-Plätze (hybrid)"
    )
    change.add_argument(
        "--offers",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="freie Plätze der Warteliste anbieten (--offers) oder gleich vergeben (--no-offers)",
    )
    change.add_argument("--deadline", metavar="ZEITPUNKT", help="Anmeldeschluss")
    change.add_argument("--place", metavar="ORT", help="Ort („“ für keinen)")
    change.add_argument("--video", metavar="LINK", help="Link zur Videokonferenz („“ für keinen)")
    change.add_argument("--description", metavar="TEXT", help="Beschreibung")
    command("list", run_event_list, "kommende Veranstaltungen", event)
    asking = command(
        "question-add",
        run_event_question_add,
        "Anmeldefrage anhängen (nach der Anmeldung im Chat gestellt)",
        event,
    )
    asking.add_argument("id", type=_positive, metavar="NUMMER", help="der Veranstaltung")
    asking.add_argument("--text", required=True, metavar="FRAGE", help="die Frage")
    asking.add_argument(
        "--kind",
        default=QuestionKind.TEXT.value,
        choices=[k.value for k in QuestionKind],
        help="text (freie Antwort, Standard), choice (Auswahl, mit --option), yes_no",
    )
    asking.add_argument(
        "--option", action="append", default=[], metavar="ANTWORT", help="eine Auswahl (mehrfach)"
    )
    asking.add_argument("--required", action="store_true", help="nicht überspringbar")
    command(
        "questions", run_event_questions, "Anmeldefragen und Angaben in Summe", event
    ).add_argument("id", type=_positive, metavar="NUMMER", help="der Veranstaltung")
    removing = command(
        "question-remove", run_event_question_remove, "Anmeldefrage entfernen", event
    )
    removing.add_argument("id", type=_positive, metavar="NUMMER", help="der Veranstaltung")
    removing.add_argument("number", type=_positive, metavar="FRAGE", help="Nummer der Frage")
    speaker = command(
        "speaker", run_event_speaker, "Sprecher/in einer Veranstaltung festlegen", event
    )
    speaker.add_argument("id", type=_positive, metavar="NUMMER", help="der Veranstaltung")
    speaker.add_argument("person", nargs="?", metavar="PERSON", help="Nummer oder Name")
    speaker.add_argument("--none", action="store_true", help="niemanden")
    cancel = command("cancel", run_event_cancel, "Veranstaltung absagen", event)
    cancel.add_argument("id", type=_positive, metavar="NUMMER", help="der Veranstaltung")
    cancel.add_argument(
        "--series",
        action="store_true",
        help="alle kommenden Termine der Serie dieses Termins absagen",
    )
    reminders = command(
        "reminders", run_event_reminders, "Erinnerungen einer Veranstaltung festlegen", event
    )
    reminders.add_argument("id", type=_positive, metavar="NUMMER", help="der Veranstaltung")
    reminders.add_argument("before", nargs="*", metavar="DAUER", help="vor Beginn, z. B. 24h 1h")
    reminders.add_argument("--none", action="store_true", help="keine Erinnerungen")

    ann = command("announce", run_announce, "Ankündigung an Mitglieder senden (mit Fortschritt)")
    ann.add_argument(
        "--to",
        required=True,
        metavar="EMPFÄNGER",
        help="alle, termin:ID, mitglied:NAME, art:ART oder nicht_angemeldet:ID",
    )
    ann.add_argument("text", nargs="+", metavar="TEXT", help="„-“: von der Standardeingabe")
    ann.add_argument("--no-wait", action="store_true", help="nicht auf die Zustellung warten")
    ann.add_argument("--subject", metavar="BETREFF", help="Betreff der Infomail (Text: Markdown)")
    ann.add_argument(
        "--event",
        type=_positive,
        metavar="NUMMER",
        help="lädt zu dieser Veranstaltung ein (persönlicher Anmelde-Link in jeder Mail)",
    )

    retention = command("retention", run_retention, "Aufbewahrungsfrist jetzt anwenden (DSGVO)")
    retention.add_argument(
        "--months",
        type=_months,
        metavar="MONATE",
        help="1 bis 120; Standard: ENGAGIERT_RETENTION_MONTHS",
    )

    member = group("member", "Mitglieder").add_subparsers(
        required=True, metavar="BEFEHL", parser_class=Parser
    )
    madd = command("add", run_member_add, "Mitglied anlegen (gibt die Nummer aus)", member)
    madd.add_argument("--name", required=True, metavar="NAME", help="z. B. „Stadt Musterstadt“")
    madd.add_argument(
        "--kind", required=True, metavar="ART", help=", ".join(k.value for k in MemberKind)
    )
    madd.add_argument("--key", metavar="SCHLÜSSEL", help="Amtlicher Gemeindeschlüssel (8 Ziffern)")
    command("list", run_member_list, "alle Mitglieder", member)

    person = group("person", "Personen").add_subparsers(
        required=True, metavar="BEFEHL", parser_class=Parser
    )
    padd = command("add", run_person_add, "Person anlegen (gibt die Nummer aus)", person)
    padd.add_argument("--name", required=True, metavar="NAME", help="Vor- und Nachname")
    padd.add_argument("--member", metavar="MITGLIED", help="Mitglied (Nummer oder Name)")
    padd.add_argument("--role", action="append", default=[], metavar="ROLLE", help=", ".join(Role))
    padd.add_argument(
        "--topic", action="append", default=[], metavar="THEMA", help="Thema (Unterstützer/innen)"
    )
    padd.add_argument(
        "--language", default="de", choices=["de", "en"], help="Sprache im Chat (Standard: de)"
    )
    padd.add_argument(
        "--email", metavar="ADRESSE", help="E-Mail-Adresse (bekommt einen Bestätigungslink)"
    )
    command("list", run_person_list, "alle Personen", person)
    command("show", run_person_show, "eine Person: Rollen, Mitglied, Konten", person).add_argument(
        "person", metavar="PERSON", help="Nummer oder Name"
    )
    prole = command("role", run_person_role, "Rollen geben oder nehmen", person)
    prole.add_argument("person", metavar="PERSON", help="Nummer oder Name")
    prole.add_argument("--add", action="append", default=[], metavar="ROLLE", help="geben")
    prole.add_argument("--remove", action="append", default=[], metavar="ROLLE", help="nehmen")
    pmail = command(
        "email", run_person_email, "E-Mail-Adresse setzen (mit Bestätigung), löschen, Kanal", person
    )
    pmail.add_argument("person", metavar="PERSON", help="Nummer oder Name")
    pmail.add_argument("address", nargs="?", metavar="ADRESSE", help="neue Adresse")
    pmail.add_argument("--remove", action="store_true", help="Adresse löschen")
    pmail.add_argument(
        "--channel", metavar="KANAL", help="chat, email oder both (Infomails auf beiden Wegen)"
    )
    punlink = command("unlink", run_person_unlink, "Chat-Konten einer Plattform trennen", person)
    punlink.add_argument("person", metavar="PERSON", help="Nummer oder Name")
    punlink.add_argument("platform", metavar="PLATTFORM", help="telegram, matrix oder console")

    kb = group("kb", "Wissensbasis (FAQ)").add_subparsers(
        required=True, metavar="BEFEHL", parser_class=Parser
    )
    kimport = command(
        "import", run_kb_import, "Einträge aus einer YAML-Datei übernehmen (erst alles prüfen)", kb
    )
    kimport.add_argument("file", nargs="?", metavar="DATEI.yaml", help="die zu übernehmende Datei")
    kimport.add_argument("--starter", action="store_true", help="die mitgelieferten Startinhalte")
    kimport.add_argument(
        "--replace", action="store_true", help="Einträge, die nicht in der Datei stehen, löschen"
    )
    command("export", run_kb_export, "alle Einträge als YAML-Datei schreiben", kb).add_argument(
        "file", metavar="DATEI.yaml", help="„-“ für die Standardausgabe"
    )
    command(
        "stale", run_kb_stale, "Einträge, die lange niemand bestätigt hat (zum Prüfen)", kb
    ).add_argument(
        "--months", type=_months, default=12, metavar="MONATE", help="älter als (Standard 12)"
    )

    faq = command("faq", run_faq, "die Wissensbasis fragen (zählt keine Lücken)")
    faq.add_argument("query", nargs="*", metavar="FRAGE", help="die Frage (mehrere Wörter)")
    faq.add_argument(
        "--json", action="store_true", help="JSON; ohne FRAGE: eine Frage je Zeile von stdin"
    )
    faq.add_argument(
        "--limit", type=_positive, default=3, metavar="ANZAHL", help="höchstens so viele Treffer"
    )

    invite = command(
        "invite", run_invite, "Einladungscode erzeugen: persönlich oder für ein Mitglied"
    )
    invite.add_argument(
        "--person", metavar="PERSON", help="persönlich: Person (Nummer oder Name), ein Konto"
    )
    invite.add_argument(
        "--member", metavar="MITGLIED", help="Mitglied (Nummer oder Name): meldet als Mitglied an"
    )
    invite.add_argument(
        "--days",
        type=_days,
        metavar="TAGE",
        help=f"Gültigkeit in Tagen (Standard {PERSONAL_DAYS} bzw. 30)",
    )
    invite.add_argument(
        "--uses",
        type=_positive,
        metavar="ANZAHL",
        help="für wie viele Personen (nur --member; Standard 5)",
    )
    invite.add_argument(
        "--email",
        nargs="?",
        const="",
        metavar="ADRESSE",
        help="die Einladung per E-Mail schicken (nur --person; ohne ADRESSE: an die bestätigte)",
    )
    mail = group("mail", "E-Mail").add_subparsers(
        required=True, metavar="BEFEHL", parser_class=Parser
    )
    command(
        "test", run_mail_test, "SMTP-Verbindung prüfen; mit ADRESSE eine Testmail schicken", mail
    ).add_argument("address", nargs="?", metavar="ADRESSE", help="schickt eine Testmail dorthin")
    tokens = group("api-token", "Zugangsschlüssel der REST-API").add_subparsers(
        required=True, metavar="BEFEHL", parser_class=Parser
    )
    create = command(
        "create", run_api_token_create, "neuen Schlüssel anlegen (einmal angezeigt)", tokens
    )
    create.add_argument("--name", required=True, metavar="NAME", help="z. B. kreis-bergen")
    create.add_argument(
        "--scope", required=True, metavar="BEREICH", help="read (lesen) oder write (auch ändern)"
    )
    command("list", run_api_token_list, "alle Schlüssel (ohne ihren Wert)", tokens)
    command("revoke", run_api_token_revoke, "einen Schlüssel sperren", tokens).add_argument(
        "name", metavar="NAME", help="der Name des Schlüssels"
    )
    command(
        "admin-link", run_admin_link, "Anmelde-Link für den Web-Schreibtisch (10 Minuten, einmal)"
    ).add_argument("--person", required=True, metavar="PERSON", help="Person (Nummer oder Name)")
    cli_surveys.add_commands(group, command, Parser)
    return parser


if __name__ == "__main__":
    main()
