"""The small public pages behind the links in mails (``/e/…``, see ``bot.mail_compose``):
confirm an address, unsubscribe from information mails, sign up for an event or withdraw.

Nobody signs in: the link's token is the authorisation (signed by
:func:`core.mail.sign_link`; the confirmation token is kept as a hash), checked again on
every request. A GET never changes anything, since mail scanners and link previews follow
links: it shows one button, a form that POSTs to the same address, and only the POST acts.
A mail program's one-click unsubscribe (RFC 8058: a POST of ``List-Unsubscribe=One-Click``,
no cookies, no further interaction) works and can be repeated.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bot.app import App
from bot.desk.pages import HEADERS, TEMPLATES
from bot.i18n import Translator
from bot.mail_compose import link_key
from core.authority import require
from core.domain.authority import Action
from core.domain.errors import (
    AlreadyRegistered,
    DomainError,
    NotAllowed,
    NotFound,
    NotRegistered,
    SignupClosed,
)
from core.domain.events import Event
from core.domain.registrations import Mode, RegistrationStatus
from core.events import EventDetails, event_details
from core.mail import (
    confirm_address,
    confirmation_waiting,
    read_link,
    remove_address_by_link,
    sign_link,
    unsubscribe,
)
from core.ports import Places
from core.signup import cancel_signup, sign_up

PREFIX = "/e"
#: No token of ours is longer; a longer one is refused before any work.
MAX_TOKEN = 200
#: A signed link read at this moment fails only for its signature, never for its age.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: A page is shown for these (HEAD: what some link checkers ask); only POST acts.
READ = ["GET", "HEAD"]
#: Any other method gets the German 405 page.
OTHER_METHODS = ["PUT", "PATCH", "DELETE", "OPTIONS"]
#: The pages' language (their texts are German; messages from the catalogues too).
LANGUAGE = "de"

INVALID = {
    "anmelden": (
        "Dieser Link ist ungültig oder abgelaufen. Anmelden können Sie sich auch im Chat mit "
        "dem Bot: /anmelden NR (die Nummern der Veranstaltungen zeigt /termine)."
    ),
    "abmelden": (
        "Dieser Link ist ungültig oder abgelaufen. Abmelden können Sie sich auch im Chat mit "
        "dem Bot: /abmelden NR (Ihre Anmeldungen zeigt /meine)."
    ),
    "abbestellen": (
        "Dieser Link ist ungültig. Bitte verwenden Sie den Link aus der letzten Infomail "
        "oder antworten Sie auf die Mail; das Netzwerkbüro hilft weiter."
    ),
}


def mail_routes(app: App) -> APIRouter:
    """The pages under ``/e/`` on ``app``."""
    router = APIRouter(prefix=PREFIX)
    key = link_key(app.database.pepper)
    t = app.translator

    def explained(error: DomainError) -> Any:
        return t.error(LANGUAGE, error, channel="web")

    def invalid(request: Request, purpose: str, status: int) -> HTMLResponse:
        return message(request, "Link ungültig", [INVALID[purpose]], status)

    # --- 1. double opt-in -----------------------------------------------------------------

    @router.api_route("/bestaetigen/{token}", methods=READ, include_in_schema=False)
    async def confirm_page(request: Request, token: str) -> Response:
        if len(token) > MAX_TOKEN:
            return message(request, "Link ungültig", [explained(_LINK_INVALID)], 404)
        if not await confirmation_waiting(app.uow(), token=token, now=app.clock.now()):
            return message(request, "Link ungültig", [explained(_LINK_INVALID)], 410)
        return page(request, "mail_confirm.html", "E-Mail-Adresse bestätigen")

    @router.post("/bestaetigen/{token}", include_in_schema=False)
    async def confirm(request: Request, token: str) -> Response:
        if len(token) > MAX_TOKEN:
            return message(request, "Link ungültig", [explained(_LINK_INVALID)], 404)
        try:
            email = await confirm_address(app.uow(), token=token, now=app.clock.now())
        except DomainError as exc:
            return message(request, "Link ungültig", [explained(exc)], 410)
        said = [
            f"Ihre Adresse {email.address} ist bestätigt. Vielen Dank!",
            "Infomails können Sie jederzeit über den Link am Ende jeder Infomail abbestellen.",
        ]
        return message(request, "Adresse bestätigt", said, 200)

    # --- 2. unsubscribe (RFC 8058 one-click) ------------------------------------------------

    @router.api_route("/abbestellen/{token}", methods=READ, include_in_schema=False)
    async def unsubscribe_page(request: Request, token: str) -> Response:
        if _signed(key, "abbestellen", token, 1, app.clock.now()) is None:
            return invalid(request, "abbestellen", 404)
        return page(request, "mail_unsubscribe.html", "Infomails abbestellen", done=False)

    @router.post("/abbestellen/{token}", include_in_schema=False)
    async def unsubscribe_now(request: Request, token: str) -> Response:
        ids = _signed(key, "abbestellen", token, 1, app.clock.now())
        if ids is None:
            return invalid(request, "abbestellen", 404)
        (person_id,) = ids
        if await _action(request) == "loeschen":
            if await remove_address_by_link(app.uow(), person_id=person_id):
                said = "Ihre E-Mail-Adresse ist gelöscht; wir schicken Ihnen keine E-Mails mehr."
            else:
                said = "Es ist keine E-Mail-Adresse (mehr) gespeichert."
            more = "Eine neue Adresse können Sie jederzeit im Chat mit dem Bot angeben."
            return message(request, "E-Mail-Adresse gelöscht", [said, more], 200)
        # List-Unsubscribe=One-Click, the page's button, or a body a mail program garbled:
        # unsubscribing is what every POST here asks for, and doing it twice changes nothing.
        await unsubscribe(app.uow(), person_id=person_id)
        return page(request, "mail_unsubscribe.html", "Infomails abbestellt", done=True)

    # --- 3. sign up / withdraw from a mail ----------------------------------------------------

    async def event_page(request: Request, purpose: str, token: str) -> Response:
        now = app.clock.now()
        ids = _signed(key, purpose, token, 2, now)
        if ids is None:
            return invalid(request, purpose, _refusal(key, purpose, token))
        person_id, event_id = ids
        try:
            details = await event_details(
                app.uow(), event_id=event_id, person_id=person_id, now=now
            )
        except NotFound:  # gone, or the person may no longer see it
            return invalid(request, purpose, 404)
        event = details.info.event
        problem = _problem(purpose, details, now)
        offered = purpose == "anmelden" and details.info.own_offer is not None
        hybrid = purpose == "anmelden" and event.is_hybrid and not offered
        context = {
            "facts": _facts(t, details),
            "problem": explained(problem) if problem is not None else None,
            "lead": LEADS["anmelden_hybrid" if hybrid else purpose],
            "button": "Platz annehmen"
            if offered
            else "Verbindlich anmelden"
            if purpose == "anmelden"
            else "Abmelden",
            "modes": [(MODE_FIELD[m], MODE_BUTTONS[m]) for m in event.modes] if hybrid else [],
        }
        title = f"{'Anmelden' if purpose == 'anmelden' else 'Abmelden'}: {event.title}"
        status = _status(problem) if problem is not None else 200
        return page(request, "mail_event.html", title, status=status, **context)

    async def event_act(request: Request, purpose: str, token: str) -> Response:
        now = app.clock.now()
        ids = _signed(key, purpose, token, 2, now)
        if ids is None:
            return invalid(request, purpose, _refusal(key, purpose, token))
        person_id, event_id = ids
        try:
            if purpose == "anmelden":
                async with app.uow() as uow:  # the link stands for the person: may they?
                    await require(uow, person_id, Action.SIGN_UP)
                done = await sign_up(
                    app.uow(),
                    person_id=person_id,
                    event_id=event_id,
                    now=now,
                    mode=await _mode(request),
                    via_mail=True,
                )
                return signed_up(request, person_id, done.event, done.waitlist_rank)
            cancelled = await cancel_signup(
                app.uow(), person_id=person_id, event_id=event_id, now=now, via_mail=True
            )
        except NotFound:
            return invalid(request, purpose, 404)
        except DomainError as exc:
            title = (
                "Anmeldung nicht möglich" if purpose == "anmelden" else "Abmeldung nicht möglich"
            )
            return message(request, title, [explained(exc)], _status(exc))
        when = _when(t, cancelled.event)
        if cancelled.previous is RegistrationStatus.WAITLISTED:
            said = [
                f"Sie stehen nicht mehr auf der Warteliste für „{cancelled.event.title}“ ({when})."
            ]
        else:
            said = [
                f"Sie sind von „{cancelled.event.title}“ ({when}) abgemeldet.",
                "Danke, dass Sie Bescheid geben – so wird Ihr Platz für andere frei.",
            ]
        return message(request, "Abgemeldet", said, 200)

    def signed_up(request: Request, person_id: int, event: Event, rank: int | None) -> Response:
        when = _when(t, event)
        if rank is None:
            title = "Angemeldet"
            said = [f"Sie sind für „{event.title}“ verbindlich angemeldet: {when}."]
        else:
            title = "Auf der Warteliste"
            said = [
                f"„{event.title}“ ({when}) ist ausgebucht; Sie stehen auf der Warteliste, "
                f"auf Platz {rank}. Wird ein Platz frei, rücken Sie automatisch nach und "
                "bekommen Bescheid."
            ]
        said.append("Falls Sie doch nicht können, melden Sie sich bitte wieder ab.")
        assert event.id is not None
        withdraw = sign_link(key, "abmelden", (person_id, event.id), event.ends_at)
        link = {"href": f"{PREFIX}/abmelden/{withdraw}", "label": "Zur Abmeldung"}
        return message(request, title, said, 200, link=link)

    @router.api_route("/anmelden/{token}", methods=READ, include_in_schema=False)
    async def signup_page(request: Request, token: str) -> Response:
        return await event_page(request, "anmelden", token)

    @router.post("/anmelden/{token}", include_in_schema=False)
    async def signup_now(request: Request, token: str) -> Response:
        return await event_act(request, "anmelden", token)

    @router.api_route("/abmelden/{token}", methods=READ, include_in_schema=False)
    async def withdraw_page(request: Request, token: str) -> Response:
        return await event_page(request, "abmelden", token)

    @router.post("/abmelden/{token}", include_in_schema=False)
    async def withdraw_now(request: Request, token: str) -> Response:
        return await event_act(request, "abmelden", token)

    # --- everything else under /e/ --------------------------------------------------------------

    @router.api_route(
        "/{rest:path}", methods=[*READ, "POST", *OTHER_METHODS], include_in_schema=False
    )
    async def elsewhere(request: Request, rest: str) -> Response:
        if request.method in OTHER_METHODS and rest.split("/")[0] in _PAGES:
            text = "Diese Seite lässt sich nur aufrufen oder mit ihrem Knopf absenden."
            response = message(request, "Nicht erlaubt", [text], 405)
            response.headers["Allow"] = "GET, HEAD, POST"
            return response
        return message(request, "Nicht gefunden", ["Diese Seite gibt es nicht."], 404)

    return router


_PAGES = {"bestaetigen", "abbestellen", "anmelden", "abmelden"}
_LINK_INVALID = DomainError("email_link_invalid")
LEADS = {
    "anmelden": "Mit dem Knopf melden Sie sich verbindlich zu dieser Veranstaltung an.",
    "anmelden_hybrid": "Die Veranstaltung findet vor Ort und online statt. Mit einem der "
    "Knöpfe melden Sie sich verbindlich an – vor Ort oder online.",
    "abmelden": "Mit dem Knopf melden Sie sich von dieser Veranstaltung ab; Ihr Platz wird "
    "für andere frei.",
}


def page(
    request: Request, template: str, title: str, *, status: int = 200, **context: Any
) -> HTMLResponse:
    values = {"title": title, "language": LANGUAGE, **context}
    response = TEMPLATES.TemplateResponse(request, template, values, status_code=status)
    response.headers.update(HEADERS)
    return response


def message(
    request: Request, title: str, paragraphs: list[Any], status: int, **context: Any
) -> HTMLResponse:
    """A page of a few paragraphs (plain text is escaped, catalogue Markup kept)."""
    return page(
        request, "mail_message.html", title, status=status, paragraphs=paragraphs, **context
    )


def _signed(
    key: bytes, purpose: str, token: str, size: int, now: datetime
) -> tuple[int, ...] | None:
    """The ids a valid ``purpose`` token carries (exactly ``size`` of them), else ``None``."""
    if len(token) > MAX_TOKEN:
        return None
    ids = read_link(key, purpose, token, now)
    return ids if ids is not None and len(ids) == size else None


def _refusal(key: bytes, purpose: str, token: str) -> int:
    """410 for a genuine link that has expired, 404 for anything else."""
    if len(token) <= MAX_TOKEN and read_link(key, purpose, token, _EPOCH) is not None:
        return 410
    return 404


#: The form value of each mode, and its button on the sign-up page of a hybrid event.
MODE_FIELD = {Mode.ON_SITE: "vor_ort", Mode.ONLINE: "online"}
MODE_BUTTONS = {Mode.ON_SITE: "Vor Ort anmelden", Mode.ONLINE: "Online anmelden"}


async def _mode(request: Request) -> Mode | None:
    """The mode the button of a hybrid event's page sent (``modus``), else ``None``."""
    chosen = await _form_value(request, "modus")
    return next((m for m, value in MODE_FIELD.items() if value == chosen), None)


async def _action(request: Request) -> str:
    """The ``aktion`` a page's button sent (a urlencoded form); ``""`` for anything else,
    such as a mail program's one-click POST (urlencoded or multipart)."""
    return await _form_value(request, "aktion")


async def _form_value(request: Request, name: str) -> str:
    """A field of a urlencoded form; ``""`` when it is missing or the body is no such form."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return ""
    body = (await request.body()).decode("utf-8", errors="replace")
    return parse_qs(body).get(name, [""])[-1]


def _problem(purpose: str, details: EventDetails, now: datetime) -> DomainError | None:
    """Why the button would not work now (in the order the core checks), or ``None``."""
    info = details.info
    event = info.event
    state = info.state(now)
    try:
        if purpose == "anmelden":
            if info.own_offer is not None and now < info.own_offer:
                event.check_withdrawable(now)
                return None  # the button takes the place offered
            if state.own is not None:
                return AlreadyRegistered(f"already_{state.own.value}", title=event.title)
            event.check_open(now)
            if not state.admitted:  # visible but not admitted: a guest at a network event
                return NotAllowed("audience_network", title=event.title)
        else:
            if state.own is None:
                return NotRegistered(title=event.title)
            event.check_withdrawable(now)
    except DomainError as exc:
        return exc
    return None


def _status(error: DomainError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, NotAllowed):
        return 403
    if isinstance(error, SignupClosed):  # cancelled, begun, over, deadline passed
        return 410
    return 409  # already registered, not registered, a guest's limit


def _when(t: Translator, event: Event) -> str:
    """``Mi., 2. Dezember 2026, 09:00 Uhr bis 11:00 Uhr`` (Berlin time)."""
    start = t.datetime(LANGUAGE, event.starts_at)
    same_day = event.starts_at.astimezone(t.tz).date() == event.ends_at.astimezone(t.tz).date()
    end = t.time(LANGUAGE, event.ends_at) if same_day else t.datetime(LANGUAGE, event.ends_at)
    return f"{start} bis {end}"


def _facts(t: Translator, details: EventDetails) -> list[tuple[str, str]]:
    """What the page says about the event: when, where, places, the person's own status."""
    info = details.info
    event = info.event
    facts = [("Wann", _when(t, event))]
    where = [event.place] if event.place else []
    if event.video_url:
        where.append("online per Videokonferenz")
    if where:
        facts.append(("Wo", "; ".join(where)))
    if event.registration_deadline is not None:
        facts.append(("Anmeldeschluss", t.datetime(LANGUAGE, event.registration_deadline)))
    for mode, places in info.by_mode.items():
        label = {Mode.ON_SITE: "Plätze vor Ort", Mode.ONLINE: "Plätze online"}[mode]
        facts.append((label if event.is_hybrid else "Plätze", _places(places)))
    how = ""
    if event.is_hybrid and info.own_mode is not None:
        how = " (vor Ort)" if info.own_mode is Mode.ON_SITE else " (online)"
    if info.own_status is RegistrationStatus.CONFIRMED:
        facts.append(("Sie", f"sind angemeldet{how}"))
    elif info.own_status is RegistrationStatus.WAITLISTED:
        rank = f", auf Platz {details.own_rank}" if details.own_rank else ""
        facts.append(("Sie", f"stehen auf der Warteliste{how}{rank}"))
        if info.own_offer is not None:
            until = t.datetime(LANGUAGE, info.own_offer)
            facts.append(("Angebot", f"ein Platz ist bis {until} für Sie reserviert"))
    return facts


def _places(places: Places) -> str:
    if places.free is None:
        return "ohne Begrenzung"
    if places.takes_confirmed:
        return f"{places.free} von {places.capacity} frei"
    return "ausgebucht – wer sich jetzt anmeldet, kommt auf die Warteliste"
