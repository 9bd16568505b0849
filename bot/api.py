"""The REST API under ``/api/v1`` (its OpenAPI document at ``/api/v1/openapi.json``): events,
registrations, member municipalities, persons, polls and the knowledge base. A request names a
token in ``Authorization: Bearer …`` (RFC 6750); the token acts with the network office's
rights within its scope, through the same core use cases as the chat and the desk."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

import bot.paths  # noqa: F401  (registers the ``{…:id}`` path convertor)
from bot.api_problems import problems
from bot.app import App
from bot.reply import plain_text
from core.api_tokens import authenticate
from core.audit import VIA
from core.authority import READ_ONLY
from core.domain.api import ApiToken, Scope
from core.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound
from core.domain.events import DEFAULT_DURATION, Audience, Event, EventKind, check_moments
from core.domain.faq import FaqEntry
from core.domain.members import MemberKind
from core.domain.people import Person
from core.domain.registrations import Mode
from core.events import change_event, create_event, event_details, upcoming_events
from core.kb import delete_entry, get_entry, list_entries, save_entry
from core.members import add_member, list_members, list_persons
from core.polls import OfficePoll, export_poll_results, office_poll, office_polls
from core.ports import EventWithCounts
from core.signup import export_attendees

#: ``Authorization: Bearer …``; a missing one is answered by ``needs`` (in German).
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(HTTPBearer(auto_error=False))]


class EventOut(BaseModel):
    id: int
    kind: EventKind
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    place: str | None
    video_url: str | None
    capacity: int | None  # a hybrid event's places on site
    #: A hybrid event (place and video link): its online places (``null``: unlimited).
    online_capacity: int | None
    registration_deadline: datetime | None
    audience: Audience
    cancelled: bool
    confirmed: int
    waitlisted: int
    #: Per mode the event offers (``on_site``, ``online``): confirmed and waiting.
    modes: dict[Mode, ModeCountOut]
    #: A freed place is offered to the first person waiting (24 hours) instead of given.
    waitlist_offers: bool
    #: iCalendar SEQUENCE: rises with every change of time, place, link or status.
    sequence: int


class ModeCountOut(BaseModel):
    capacity: int | None
    confirmed: int
    waitlisted: int


class EventIn(BaseModel):
    """A new event; times without a zone are local time (``ENGAGIERT_TIMEZONE``)."""

    model_config = ConfigDict(extra="forbid")  # a field it does not know is an error

    kind: EventKind
    title: str = Field(min_length=1, max_length=200)
    starts_at: datetime
    ends_at: datetime | None = None  # default: two hours after the start
    description: str = ""
    place: str | None = None
    video_url: str | None = None
    capacity: int | None = Field(default=None, ge=1)
    online_capacity: int | None = Field(default=None, ge=1)
    registration_deadline: datetime | None = None
    audience: Audience = Audience.NETWORK
    waitlist_offers: bool = False


class EventPatch(BaseModel):
    """Only the fields sent change; a new start without a new end keeps the duration. ``null``
    removes a place, link, capacity or deadline; title, times and description cannot be
    removed. Times without a zone are local time."""

    model_config = ConfigDict(extra="forbid")  # a field it does not know is an error

    title: str | None = Field(default=None, min_length=1, max_length=200)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    description: str | None = None
    place: str | None = None
    video_url: str | None = None
    capacity: int | None = Field(default=None, ge=1)
    online_capacity: int | None = Field(default=None, ge=1)
    registration_deadline: datetime | None = None
    waitlist_offers: bool | None = None

    @field_validator(
        "title", "starts_at", "ends_at", "description", "waitlist_offers", mode="before"
    )
    @classmethod
    def not_removed(cls, value: object) -> object:
        if value is None:
            raise ValueError("Diese Angabe lässt sich nicht entfernen (null).")
        return value


def _local(values: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """``values`` with every time that has no zone read as local time in ``tz``; a time too
    far ahead is refused before anything is computed with it."""
    local = {
        key: value.replace(tzinfo=tz)
        if isinstance(value, datetime) and value.tzinfo is None
        else value
        for key, value in values.items()
    }
    check_moments(*(v for v in local.values() if isinstance(v, datetime)))
    return local


class RegistrationOut(BaseModel):
    person_id: int | None
    name: str | None  # None: the person erased their data
    member: str | None
    status: str
    mode: Mode
    waitlist_rank: int | None  # on the waiting list of ``mode``
    created_at: datetime


class MemberOut(BaseModel):
    id: int
    name: str
    kind: MemberKind
    municipality_key: str | None
    joined_on: date | None


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a field it does not know is an error

    name: str = Field(min_length=1, max_length=200)
    kind: MemberKind
    municipality_key: str | None = None
    joined_on: date | None = None


class PersonOut(BaseModel):
    id: int
    display_name: str
    member_id: int | None
    roles: list[str]
    is_guest: bool


class PollOut(BaseModel):
    id: int
    question: str
    options: list[str]
    open: bool
    anonymous: bool
    #: Shown in the chat only after closing (this API sees them, as the office does).
    hidden_results: bool
    max_choices: int
    created_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None
    event_id: int | None
    event_title: str | None
    participants: int


class OptionResultOut(BaseModel):
    option: str
    votes: int
    percent: int  # of the participants, rounded to whole percent


class TurnoutOut(BaseModel):
    member: str
    voters: int


class PollResultsOut(BaseModel):
    poll_id: int
    participants: int
    options: list[OptionResultOut]
    #: Named polls: voters per member municipality (0: none); anonymous polls: None.
    turnout: list[TurnoutOut] | None


class FaqEntryOut(BaseModel):
    id: str
    question: str
    answer: str
    variants: list[str]
    tags: list[str]
    links: list[str]
    topic: str | None


class FaqEntryIn(BaseModel):
    """An entry as the office writes it: the answer in Markdown; ``topic`` decides who
    hears of questions forwarded from it."""

    model_config = ConfigDict(extra="forbid")  # a field it does not know is an error

    question: str
    answer: str
    variants: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    links: list[str] = Field(default_factory=list)
    topic: str | None = None

    def entry(self, entry_id: str) -> FaqEntry:
        return FaqEntry(
            entry_id,
            self.question,
            self.answer,
            variants=tuple(self.variants),
            tags=tuple(self.tags),
            links=tuple(self.links),
            topic=self.topic,
        )


class NewFaqEntry(FaqEntryIn):
    id: str  # lower-case letters, digits, single hyphens: ``mitglied-werden``


class FaqEntryReplacement(FaqEntryIn):
    """The entry as ``GET /faq/{id}`` gives it may be sent back: its ``id``, if given, must be
    the address's."""

    id: str | None = None


def _event(info: EventWithCounts) -> EventOut:
    event = info.event
    assert event.id is not None
    return EventOut(
        id=event.id,
        kind=event.kind,
        title=event.title,
        description=event.description,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        place=event.place,
        video_url=event.video_url,
        capacity=event.capacity,
        online_capacity=event.online_capacity,
        registration_deadline=event.registration_deadline,
        audience=event.audience,
        cancelled=event.cancelled,
        confirmed=info.confirmed,
        waitlisted=info.waitlisted,
        modes={
            mode: ModeCountOut(capacity=p.capacity, confirmed=p.confirmed, waitlisted=p.waitlisted)
            for mode, p in info.by_mode.items()
        },
        waitlist_offers=event.waitlist_offers,
        sequence=event.sequence,
    )


def _person(person: Person) -> PersonOut:
    assert person.id is not None
    return PersonOut(
        id=person.id,
        display_name=person.display_name,
        member_id=person.member_id,
        roles=sorted(r.value for r in person.roles),
        is_guest=person.is_guest,
    )


def _poll(found: OfficePoll) -> PollOut:
    poll = found.poll
    assert poll.id is not None
    return PollOut(
        id=poll.id,
        question=poll.question,
        options=list(poll.options),
        open=found.open,
        anonymous=poll.anonymous,
        hidden_results=poll.hidden_results,
        max_choices=poll.max_choices,
        created_at=poll.created_at,
        closes_at=poll.closes_at,
        closed_at=poll.closed_at,
        event_id=poll.event_id,
        event_title=found.event_title,
        participants=found.tally.participants,
    )


def api_app(app: App) -> FastAPI:
    """The API as an application of its own, mounted at ``/api/v1``."""

    async def authenticated(credentials: Credentials) -> ApiToken:
        """The request's token; it acts for the office, a ``read`` token only reading (the
        authority decision refuses the rest, :data:`core.authority.READ_ONLY`)."""
        challenge = {"WWW-Authenticate": 'Bearer realm="engagiert-bot"'}
        if credentials is None:
            raise HTTPException(401, "Bitte ein API-Token angeben (Bearer).", challenge)
        token = await authenticate(app.uow(), secret=credentials.credentials, now=app.clock.now())
        if token is None:
            refused = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            raise HTTPException(401, "Dieses API-Token gilt nicht (mehr).", refused)
        VIA.set(token.actor)  # this request's audit entries: api:NAME
        READ_ONLY.set(not token.scope.allows(Scope.WRITE))
        return token

    api = FastAPI(
        dependencies=[Depends(authenticated)],  # every route; not the OpenAPI document
        title="engagiert-bot API",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        description="Events, registrations, municipalities, persons, polls and the knowledge base "
        "of the Kommunen-Netzwerk engagiert in NRW. Bearer tokens: "
        "`engagiert-bot api-token create --name NAME --scope read|write`.",
    )

    @api.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> JSONResponse:
        status = 422
        if isinstance(error, NotFound | NotAllowed):
            status = 404 if isinstance(error, NotFound) else 403
        text = plain_text(app.translator.error("de", error, channel="web"))
        headers = (
            {"WWW-Authenticate": 'Bearer error="insufficient_scope", scope="write"'}
            if error.code == "read_only_credential"
            else None
        )
        body = {"detail": text, "code": error.code}
        return JSONResponse(body, status_code=status, headers=headers)

    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        found = problems(error.errors())
        if any(e["type"].startswith("json") for e in error.errors()):
            found = [{"field": "", "problem": "Der Inhalt ist kein gültiges JSON."}]
        body = {"detail": "Die Anfrage enthält ungültige Angaben.", "problems": found}
        return JSONResponse(body, status_code=422)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        """Starlette's own answers (no such address or method) in German."""
        detail = {404: "Nicht gefunden.", 405: "Diese Methode gibt es hier nicht."}.get(
            error.status_code, error.detail
        )
        return JSONResponse({"detail": detail}, error.status_code, headers=error.headers)

    @api.get("/events", tags=["events"])
    async def events() -> list[EventOut]:
        """The events not yet over, by start."""
        return [
            _event(i) for i in await upcoming_events(app.uow(), now=app.clock.now(), limit=None)
        ]

    @api.get("/events/{event_id:id}", tags=["events"])
    async def event(event_id: int) -> EventOut:
        details = await event_details(
            app.uow(), event_id=event_id, person_id=None, now=app.clock.now()
        )
        return _event(details.info)

    @api.post("/events", tags=["events"], status_code=201)
    async def create(body: EventIn) -> EventOut:
        values = _local(body.model_dump(), app.settings.tz)
        values["ends_at"] = values["ends_at"] or values["starts_at"] + DEFAULT_DURATION
        stored = await create_event(
            app.uow(), actor_id=None, event=Event(**values), now=app.clock.now()
        )
        assert stored.id is not None
        return await event(stored.id)

    @api.patch("/events/{event_id:id}", tags=["events"])
    async def change(event_id: int, body: EventPatch) -> EventOut:
        """Change or move; everyone registered hears about a new time, place or link."""
        changes = _local(body.model_dump(exclude_unset=True), app.settings.tz)
        await change_event(
            app.uow(), actor_id=None, event_id=event_id, changes=changes, now=app.clock.now()
        )
        return await event(event_id)

    @api.get("/events/{event_id:id}/registrations", tags=["events"])
    async def registrations(event_id: int) -> list[RegistrationOut]:
        """Confirmed first (in order of signing up), then the waiting list in its order."""
        found = await export_attendees(
            app.uow(), actor_id=None, event_id=event_id, form="api", now=app.clock.now()
        )
        return [
            RegistrationOut(
                person_id=v.registration.person_id,
                name=v.person_name,
                member=v.member_name,
                status=v.registration.status.value,
                mode=v.registration.mode,
                waitlist_rank=v.waitlist_rank,
                created_at=v.registration.created_at,
            )
            for v in [*found.confirmed, *found.waitlisted]
        ]

    @api.get("/members", tags=["members"])
    async def members() -> list[MemberOut]:
        return [
            MemberOut.model_validate(m, from_attributes=True)
            for m in await list_members(app.uow(), actor_id=None)
        ]

    @api.post("/members", tags=["members"], status_code=201)
    async def new_member(body: MemberIn) -> MemberOut:
        member = await add_member(app.uow(), **body.model_dump(), now=app.clock.now())
        return MemberOut.model_validate(member, from_attributes=True)

    @api.get("/persons", tags=["persons"])
    async def persons() -> list[PersonOut]:
        return [_person(p) for p in await list_persons(app.uow(), actor_id=None)]

    @api.get("/polls", tags=["polls"])
    async def polls() -> list[PollOut]:
        """The newest 200 polls, newest first, with how many took part."""
        return [_poll(p) for p in await office_polls(app.uow(), actor_id=None, now=app.clock.now())]

    @api.get("/polls/{poll_id:id}", tags=["polls"])
    async def poll(poll_id: int) -> PollOut:
        found = await office_poll(app.uow(), actor_id=None, poll_id=poll_id, now=app.clock.now())
        return _poll(found)

    @api.get("/polls/{poll_id:id}/results", tags=["polls"])
    async def poll_results(poll_id: int) -> PollResultsOut:
        """Votes per option and, for named polls, voters per member municipality; never who
        voted. Each call is noted in the audit log."""
        found = await export_poll_results(
            app.uow(), actor_id=None, poll_id=poll_id, form="api", now=app.clock.now()
        )
        tally, turnout = found.tally, found.turnout
        return PollResultsOut(
            poll_id=poll_id,
            participants=tally.participants,
            options=[
                OptionResultOut(option=o, votes=tally.counts[i], percent=tally.percent(i))
                for i, o in enumerate(found.poll.options)
            ],
            turnout=None
            if turnout is None
            else [TurnoutOut(member=m, voters=n) for m, n in turnout.voted]
            + [TurnoutOut(member=m, voters=0) for m in turnout.not_yet],
        )

    @api.get("/faq", tags=["knowledge base"])
    async def faq() -> list[FaqEntryOut]:
        """The knowledge base's entries in their order."""
        return [
            FaqEntryOut.model_validate(e, from_attributes=True)
            for e in await list_entries(app.uow())
        ]

    @api.get("/faq/{entry_id}", tags=["knowledge base"])
    async def faq_entry(entry_id: str) -> FaqEntryOut:
        entry = await get_entry(app.uow(), actor_id=None, entry_id=entry_id)
        return FaqEntryOut.model_validate(entry, from_attributes=True)

    async def save_faq(entry: FaqEntry, *, new: bool) -> FaqEntryOut:
        saved = await save_entry(
            app.uow(), app.faq, entry, actor_id=None, new=new, now=app.clock.now()
        )
        return FaqEntryOut.model_validate(saved, from_attributes=True)

    @api.post("/faq", tags=["knowledge base"], status_code=201)
    async def new_faq_entry(body: NewFaqEntry) -> FaqEntryOut:
        """A new entry at the end; the bot answers with it at once."""
        return await save_faq(body.entry(body.id), new=True)

    @api.put("/faq/{entry_id}", tags=["knowledge base"])
    async def change_faq_entry(entry_id: str, body: FaqEntryReplacement) -> FaqEntryOut:
        """Replace the entry ``entry_id`` (it keeps its place)."""
        if body.id not in (None, entry_id):
            raise InvalidInput("faq_id_fixed", id=entry_id)
        return await save_faq(body.entry(entry_id), new=False)

    @api.delete("/faq/{entry_id}", tags=["knowledge base"], status_code=204)
    async def delete_faq_entry(entry_id: str) -> None:
        await delete_entry(
            app.uow(), app.faq, actor_id=None, entry_id=entry_id, now=app.clock.now()
        )

    return api
