"""Network events and the rules for signing up to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from core.domain.errors import InvalidInput, ModeRequired, NotAllowed, NotFound, SignupClosed
from core.domain.members import Member
from core.domain.people import Person, Role
from core.domain.registrations import Mode, RegistrationStatus
from core.domain.text import has_control_characters, is_web_address

TITLE_MAX = 200
DESCRIPTION_MAX = 4000
PLACE_MAX = 300
VIDEO_URL_MAX = 500
#: More places than the largest hall of the network (the Engagementkongress) is a typo.
CAPACITY_MAX = 100_000
#: No date in an event lies this far ahead (a typo, and datetime arithmetic ends at 9999).
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
#: An event's length when only its start is given.
DEFAULT_DURATION = timedelta(hours=2)


class EventKind(StrEnum):
    NETZWERKTREFFEN = "netzwerktreffen"
    INITIATIVKREIS = "initiativkreistreffen"
    KURZFORMAT = "kurzformat"
    STRATEGIEWORKSHOP = "strategieworkshop"
    OFFENER_WORKSHOP = "offener_workshop"
    SPITZENTREFFEN = "spitzentreffen"
    ENGAGEMENTKONGRESS = "engagementkongress"
    SONSTIGES = "sonstiges"


class Audience(StrEnum):
    EVERYONE = "everyone"  # open to guests (chat accounts no one has linked to a person)
    NETWORK = "network"  # every person of the network; guests see it but may not sign up
    MEMBERS = "members"  # member municipalities only
    LEADERSHIP = "leadership"  # Verwaltungsspitzen
    NEW_MEMBERS = "new_members"  # new member municipalities


class SignupState(StrEnum):
    """Where an event stands for signing up; every view renders this one state."""

    OPEN = "open"  # places free (or unlimited)
    WAITLIST = "waitlist"  # full: a signup joins the waiting list
    DEADLINE_PASSED = "deadline_passed"  # the registration deadline is over
    RUNNING = "running"  # has begun, not yet over
    OVER = "over"
    CANCELLED = "cancelled"


#: States in which a signup (or a waiting-list entry) is still taken.
SIGNUP_OPEN = (SignupState.OPEN, SignupState.WAITLIST)


@dataclass(frozen=True, slots=True)
class EventState:
    """An event's state as one person sees it: the signup state, their own active
    registration (``None``: none) and whether they belong to the audience."""

    signup: SignupState
    own: RegistrationStatus | None = None
    admitted: bool = True

    @property
    def can_sign_up(self) -> bool:
        return self.own is None and self.admitted and self.signup in SIGNUP_OPEN

    @property
    def can_cancel(self) -> bool:
        """A registration can be withdrawn until the event begins, unless it was cancelled
        (then the registration is void already)."""
        return self.own is not None and self.signup in (*SIGNUP_OPEN, SignupState.DEADLINE_PASSED)

    @property
    def void(self) -> bool:
        """The person was registered for an event that was cancelled."""
        return self.own is not None and self.signup is SignupState.CANCELLED


@dataclass(slots=True)
class Event:
    kind: EventKind
    title: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    place: str | None = None
    video_url: str | None = None
    #: Places at ``place`` (or, for an event with only a video link, in the conference).
    capacity: int | None = None
    #: A hybrid event's places in the video conference (``None``: unlimited).
    online_capacity: int | None = None
    registration_deadline: datetime | None = None
    audience: Audience = Audience.NETWORK
    cancelled: bool = False
    #: The speaker the network office assigned (``event speaker``): runs the event's polls.
    speaker_id: int | None = None
    #: A freed place is offered to the first person waiting, who has until
    #: :func:`~core.domain.registrations.offer_deadline` to take it (else it passes on).
    waitlist_offers: bool = False
    #: iCalendar SEQUENCE: how often a change mattered to calendars (time, place, link,
    #: cancellation; RFC 5546 2.1.4), and when anything last changed (LAST-MODIFIED).
    sequence: int = 0
    updated_at: datetime | None = None
    #: The series this event is a date of (``core.domain.series``), if any.
    series_id: int | None = None
    id: int | None = None

    def validate(self) -> None:
        """Check the event's own consistency; raised before anything is stored."""
        if not self.title.strip() or len(self.title) > TITLE_MAX:
            raise InvalidInput("title", max=TITLE_MAX)
        if any("\n" in t or "\r" in t for t in (self.title, self.place or "")):
            raise InvalidInput("single_line")
        check_moments(self.starts_at, self.ends_at, self.registration_deadline)
        if len(self.description) > DESCRIPTION_MAX:
            raise InvalidInput("description", max=DESCRIPTION_MAX)
        if any(has_control_characters(t or "") for t in (self.title, self.description, self.place)):
            raise InvalidInput("control_characters")
        if self.place is not None and len(self.place) > PLACE_MAX:
            raise InvalidInput("place", max=PLACE_MAX)
        if self.video_url is not None and not is_web_address(self.video_url, VIDEO_URL_MAX):
            raise InvalidInput("video_url", max=VIDEO_URL_MAX)
        if self.capacity is not None and self.capacity > CAPACITY_MAX:
            raise InvalidInput("capacity_max", max=CAPACITY_MAX)
        for moment in (self.starts_at, self.ends_at, self.registration_deadline):
            if moment is not None and moment.tzinfo is None:
                raise InvalidInput("naive_datetime")
        if self.ends_at <= self.starts_at:
            raise InvalidInput("end_before_start")
        if self.capacity is not None and self.capacity < 1:
            raise InvalidInput("capacity")
        if self.online_capacity is not None:
            if not self.is_hybrid:
                raise InvalidInput("online_capacity_hybrid")
            if self.online_capacity < 1:
                raise InvalidInput("capacity")
            if self.online_capacity > CAPACITY_MAX:
                raise InvalidInput("capacity_max", max=CAPACITY_MAX)
        if self.registration_deadline is not None and self.registration_deadline > self.starts_at:
            raise InvalidInput("deadline_after_start")

    @property
    def modes(self) -> tuple[Mode, ...]:
        """How one can take part: on site and online when the event has a place and a video
        link (hybrid), online when it has only a link, else on site."""
        if self.video_url and self.place:
            return (Mode.ON_SITE, Mode.ONLINE)
        return (Mode.ONLINE,) if self.video_url else (Mode.ON_SITE,)

    @property
    def is_hybrid(self) -> bool:
        return len(self.modes) == 2

    def capacity_of(self, mode: Mode) -> int | None:
        """The places of ``mode`` (``None``: unlimited): a hybrid event's online places are
        :attr:`online_capacity`, every other mode's :attr:`capacity`."""
        return self.online_capacity if self.is_hybrid and mode is Mode.ONLINE else self.capacity

    def check_mode(self, mode: Mode | None) -> Mode:
        """The mode a signup takes: ``mode`` if the event offers it, the only one when it
        offers one. Raises InvalidInput ``mode_not_offered_<mode>``, ModeRequired for a
        hybrid event without ``mode``."""
        if mode is None:
            if self.is_hybrid:
                raise ModeRequired(title=self.title)
            return self.modes[0]
        if mode not in self.modes:
            raise InvalidInput(f"mode_not_offered_{mode.value}", title=self.title)
        return mode

    @property
    def version(self) -> str:
        """What a form shows as the event's state: it changes with every change."""
        return self.updated_at.isoformat() if self.updated_at else ""

    def check_changeable(self) -> None:
        """Raise unless the office may still change the event (a cancelled one stays as it
        was announced: ``cancelled_unchangeable``)."""
        if self.cancelled:
            raise InvalidInput("cancelled_unchangeable", title=self.title)

    def check_cancellable(self, now: datetime) -> None:
        """Raise unless the event can be cancelled at ``now``: not twice
        (``already_cancelled``), not once it has begun (``event_began``)."""
        if self.cancelled:
            raise InvalidInput("already_cancelled", title=self.title)
        if self.starts_at <= now:
            raise InvalidInput("event_began", title=self.title)

    def check_future(self, now: datetime) -> None:
        """Raise unless the start and the registration deadline both lie after ``now``."""
        if self.starts_at <= now:
            raise InvalidInput("start_in_past", start=self.starts_at)
        if self.registration_deadline is not None and self.registration_deadline <= now:
            raise InvalidInput("deadline_in_past", deadline=self.registration_deadline)

    def signup_closes_at(self) -> datetime:
        return self.registration_deadline or self.starts_at

    def signup_state(self, now: datetime, *, free_places: int | None = None) -> SignupState:
        """The signup state at ``now``; ``free_places`` as counted (``None``: unlimited)."""
        if self.cancelled:
            return SignupState.CANCELLED
        if self.ends_at <= now:
            return SignupState.OVER
        if self.starts_at <= now:
            return SignupState.RUNNING
        if self.registration_deadline is not None and self.registration_deadline <= now:
            return SignupState.DEADLINE_PASSED
        if free_places == 0:
            return SignupState.WAITLIST
        return SignupState.OPEN

    def check_open(self, now: datetime) -> None:
        """Raise SignupClosed unless a signup (or a waiting-list entry) is possible at ``now``."""
        state = self.signup_state(now)
        if state is SignupState.CANCELLED:
            raise SignupClosed("event_cancelled", title=self.title)
        if state in (SignupState.RUNNING, SignupState.OVER):
            raise SignupClosed("event_past", title=self.title)
        if state is SignupState.DEADLINE_PASSED:
            raise SignupClosed(
                "deadline_passed", title=self.title, deadline=self.registration_deadline
            )

    def check_withdrawable(self, now: datetime) -> None:
        """Raise SignupClosed unless a registration can be withdrawn at ``now``."""
        state = self.signup_state(now)
        if state is SignupState.CANCELLED:
            raise SignupClosed("registration_void", title=self.title)
        if state in (SignupState.RUNNING, SignupState.OVER):
            raise SignupClosed("event_past", title=self.title)

    def visible_to(self, person: Person, member: Member | None, now: datetime) -> bool:
        """Whether ``person`` may know the event exists: restricted audiences (members,
        leadership, new members) are invisible to everyone outside them."""
        if self.audience in (Audience.EVERYONE, Audience.NETWORK):
            return True
        return self.admits(person, member, now)

    def check_audience(self, person: Person, member: Member | None, now: datetime) -> None:
        """Raise unless ``person`` may sign up: ``event_not_found`` outside a restricted
        audience (they cannot see it), ``audience_network`` for a guest at a network event."""
        if not self.visible_to(person, member, now):
            raise NotFound("event_not_found", id=self.id)
        if not self.admits(person, member, now):
            raise NotAllowed("audience_network", title=self.title)

    def admits(self, person: Person, member: Member | None, now: datetime) -> bool:
        """Whether ``person`` belongs to the audience (and so may sign up, if it is open).
        Organizers belong to every audience."""
        if self.audience is Audience.EVERYONE or person.is_organizer:
            return True
        if self.audience is Audience.NETWORK:
            return not person.is_guest
        if self.audience is Audience.MEMBERS:
            return member is not None
        if self.audience is Audience.LEADERSHIP:
            return person.has_role(Role.LEADERSHIP)
        return member is not None and member.is_new(now.date())


def check_moments(*moments: datetime | None) -> None:
    """Raise InvalidInput ``moment_too_far`` for a time at or after :data:`LATEST` (checked
    before any arithmetic with it)."""
    if any(m is not None and m.tzinfo is not None and m >= LATEST for m in moments):
        raise InvalidInput("moment_too_far", year=LATEST.year)
