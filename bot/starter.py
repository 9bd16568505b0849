"""Starter content from the network's presentation: fictional members and people, the year's
events the presentation names (dated from today so that they are always ahead), and the
starter knowledge base."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

from bot.faq_yaml import parse_entries
from core.domain.events import Audience, Event, EventKind
from core.domain.faq import FaqEntry
from core.domain.members import MemberKind
from core.domain.people import Role
from core.events import create_event
from core.faq import FaqIndex
from core.kb import import_entries
from core.members import add_member, add_person
from core.ports import UnitOfWorkFactory

#: The person the demo chat speaks as when no ``--as`` is given.
DEMO_PERSON = "Miriam Lindner"

MEMBERS = (
    ("Kreis Lindenfeld", MemberKind.KREIS, "05999000", date(2014, 6, 1)),
    ("Stadt Auenburg", MemberKind.KREISFREIE_STADT, "05999001", date(2015, 3, 1)),
    ("Stadt Hagenwalde", MemberKind.STADT, "05999002", date(2018, 9, 1)),
    ("Gemeinde Birkental", MemberKind.GEMEINDE, "05999003", None),  # joined recently
    ("Bezirksregierung Nordwald", MemberKind.BEZIRKSREGIERUNG, None, date(2016, 1, 1)),
    ("Freiwilligenagentur Rheinblick e. V.", MemberKind.KOOPERATIONSPARTNER, None, None),
)

PERSONS = (
    # name, member, roles, supporter topics, language
    ("Erika Netzwerkbüro", None, {Role.ORGANIZER}, (), "de"),
    ("Jonas Admin", None, {Role.ADMIN, Role.ORGANIZER}, (), "de"),
    (DEMO_PERSON, "Stadt Auenburg", set(), (), "de"),
    ("Tobias Feldmann", "Kreis Lindenfeld", {Role.SPEAKER}, (), "de"),
    (
        "Aylin Kaya",
        "Stadt Hagenwalde",
        {Role.SUPPORTER},
        ("Ehrenamtskarte", "Engagementstrategie"),
        "de",
    ),
    ("Dr. Petra Sommer", "Gemeinde Birkental", {Role.LEADERSHIP}, (), "de"),
    ("Lukas Brandt", "Gemeinde Birkental", set(), (), "de"),
    ("Sam Okafor", "Freiwilligenagentur Rheinblick e. V.", set(), (), "en"),
)


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    kind: EventKind
    title: str
    description: str
    days_ahead: int
    start: time
    hours: float
    capacity: int | None
    audience: Audience = Audience.EVERYONE
    place: str | None = None
    video_url: str | None = None
    deadline_days_before: int | None = None


VIDEO = "https://video.example.org/engagiert-in-nrw"

EVENTS = (
    PlannedEvent(
        EventKind.KURZFORMAT,
        "Kultur. Ländliche Räume. Bürgerschaftliches Engagement",
        "Wie Kultur im ländlichen Raum Engagement trägt: Impuls und Austausch.",
        8,
        time(10),
        1.5,
        40,
        video_url=VIDEO + "/kultur",
    ),
    PlannedEvent(
        EventKind.KURZFORMAT,
        "Vorstellung Engagement direct",
        "Das Angebot Engagement direct stellt sich vor; Zeit für Fragen.",
        16,
        time(14),
        1,
        40,
        video_url=VIDEO + "/engagement-direct",
    ),
    PlannedEvent(
        EventKind.KURZFORMAT,
        "Vorstellung Landesservicestelle für bürgerschaftliches Engagement",
        "Die Landesservicestelle stellt ihre Beratungs- und Förderangebote vor.",
        24,
        time(10),
        1,
        40,
        video_url=VIDEO + "/landesservicestelle",
    ),
    PlannedEvent(
        EventKind.OFFENER_WORKSHOP,
        "Workshop/Pilot für neue Kommunen",
        "Ankommen im Netzwerk: Angebote, Ansprechpersonen und erste Schritte.",
        30,
        time(10),
        4,
        15,
        Audience.NEW_MEMBERS,
        place="Düsseldorf",
        deadline_days_before=7,
    ),
    PlannedEvent(
        EventKind.STRATEGIEWORKSHOP,
        "Workshop/Pilot kommunale Engagementstrategie",
        "Gemeinsam an Bausteinen einer kommunalen Engagementstrategie arbeiten.",
        38,
        time(10),
        5,
        20,
        Audience.MEMBERS,
        place="Dortmund",
        deadline_days_before=10,
    ),
    PlannedEvent(
        EventKind.NETZWERKTREFFEN,
        "2. Netzwerktreffen",
        "Kollegialer Austausch aller Mitgliedskommunen zu Praxisbeispielen.",
        45,
        time(10),
        6,
        80,
        place="Köln",
        deadline_days_before=14,
    ),
    PlannedEvent(
        EventKind.SPITZENTREFFEN,
        "Kommunales Spitzentreffen",
        "Austausch der (Ober-)Bürgermeisterinnen und -meister sowie Landrätinnen und "
        "Landräte zur kommunalen Engagementförderung.",
        58,
        time(16),
        3,
        30,
        Audience.LEADERSHIP,
        place="Düsseldorf",
        deadline_days_before=14,
    ),
    PlannedEvent(
        EventKind.INITIATIVKREIS,
        "Initiativkreis: Jahresplanung",
        "Planung der Angebote des kommenden Jahres.",
        66,
        time(13),
        3,
        25,
        Audience.MEMBERS,
        video_url=VIDEO + "/initiativkreis",
    ),
)


def _working_day(day: date) -> date:
    """The first day from ``day`` on that is neither a weekend nor between the holidays."""
    while day.weekday() >= 5 or (day.month, day.day) >= (12, 23) or (day.month, day.day) <= (1, 2):
        day += timedelta(days=1)
    return day


def starter_faq() -> list[FaqEntry]:
    """The starter knowledge base shipped with the bot (``core/data/faq_starter.yaml``)."""
    text = resources.files("core.data").joinpath("faq_starter.yaml").read_text("utf-8")
    return parse_entries(text)


async def load_starter_content(
    uow_factory: UnitOfWorkFactory, *, now: datetime, tz: ZoneInfo, faq: FaqIndex
) -> None:
    """Fill an empty database with the starter members, people, events and knowledge base."""
    today = now.astimezone(tz).date()
    for name, kind, key, joined in MEMBERS:
        joined = joined or today - timedelta(days=60)
        await add_member(
            uow_factory(), name=name, kind=kind, municipality_key=key, joined_on=joined
        )
    for name, member, roles, topics, language in PERSONS:
        await add_person(
            uow_factory(),
            display_name=name,
            member_ref=member,
            roles=frozenset(roles),
            supporter_topics=topics,
            language=language,
            now=now,
        )
    previous = today
    for plan in EVENTS:
        earliest = max(today + timedelta(days=plan.days_ahead), previous + timedelta(days=4))
        day = previous = _working_day(earliest)
        starts = datetime.combine(day, plan.start, tz)
        deadline = None
        if plan.deadline_days_before is not None:
            deadline = datetime.combine(
                day - timedelta(days=plan.deadline_days_before), time(23, 59), tz
            )
        await create_event(
            uow_factory(),
            actor_id=None,
            event=Event(
                kind=plan.kind,
                title=plan.title,
                description=plan.description,
                starts_at=starts,
                ends_at=starts + timedelta(hours=plan.hours),
                place=plan.place,
                video_url=plan.video_url,
                capacity=plan.capacity,
                registration_deadline=deadline,
                audience=plan.audience,
            ),
        )
    await import_entries(uow_factory(), faq, starter_faq(), replace_all=False, now=now)
