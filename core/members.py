"""Members, persons, chat identities and onboarding by invitation code."""

from __future__ import annotations

from datetime import date, datetime

from core.audit import changed_fields, record
from core.authority import load_person, require
from core.domain.authority import Action
from core.domain.errors import DomainError, InvalidInput, NotFound
from core.domain.members import Member, MemberKind, check_joined, validate_municipality_key
from core.domain.people import LANGUAGES, ChatIdentity, Person, Platform, Role, unquote
from core.domain.text import has_control_characters, without_control_characters
from core.ports import UnitOfWork

NAME_MAX = 120


def clean_name(name: str) -> str:
    """A name of a person or municipality with its spaces tidied. Raises InvalidInput
    (``name``: empty or longer than :data:`NAME_MAX`; ``control_characters``)."""
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > NAME_MAX:
        raise InvalidInput("name", max=NAME_MAX)
    if has_control_characters(cleaned):  # a name is shown to others (lists, exports)
        raise InvalidInput("control_characters")
    return cleaned


async def add_member(
    uow: UnitOfWork,
    *,
    name: str,
    kind: MemberKind,
    municipality_key: str | None = None,
    joined_on: date | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Member:
    """A new member municipality (the office; ``actor_id=None``: the operator). Raises
    InvalidInput (a bad name or key, ``member_exists``), NotAllowed."""
    member = Member(
        clean_name(name),
        kind,
        validate_municipality_key(municipality_key) if municipality_key else None,
        joined_on,
    )
    if now is not None:
        check_joined(joined_on, now.date())
    async with uow:
        await require(uow, actor_id, Action.MANAGE_PEOPLE)
        await _check_unique(uow, member)
        member = await uow.members.add(member)
        if now is not None:
            subject = f"member:{member.id}"
            await record(uow, actor_id=actor_id, action="member.created", subject=subject, now=now)
        await uow.commit()
    return member


async def change_member(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    member_id: int,
    name: str,
    kind: MemberKind,
    municipality_key: str | None,
    joined_on: date | None,
    now: datetime,
) -> Member:
    """Correct a member municipality's entry (the office): name, kind, official key (Amtlicher
    Gemeindeschlüssel), date of joining ("new member" follows from it). The audit log keeps
    which fields changed (``member.changed``). Raises InvalidInput (a bad name or key,
    ``member_exists``), NotFound ``member_not_found``, NotAllowed."""
    cleaned = clean_name(name)
    key = validate_municipality_key(municipality_key) if municipality_key else None
    check_joined(joined_on, now.date())
    async with uow:
        await require(uow, actor_id, Action.MANAGE_PEOPLE)
        member = await uow.members.get(member_id)
        if member is None:
            raise NotFound("member_not_found", ref=str(member_id))
        changed = Member(cleaned, kind, key, joined_on, member_id)
        await _check_unique(uow, changed)
        fields = changed_fields(member, changed, ("name", "kind", "municipality_key", "joined_on"))
        if fields:
            await uow.members.update(changed)
            subject = f"member:{member_id}"
            await record(
                uow,
                actor_id=actor_id,
                action="member.changed",
                subject=subject,
                now=now,
                fields=fields,
            )
            await uow.commit()
    return changed


async def _check_unique(uow: UnitOfWork, member: Member) -> None:
    """Raise unless no other member has the name (in any case) or the official key."""
    for other in await uow.members.list():
        if other.id == member.id:
            continue
        if other.name.casefold() == member.name.casefold():
            raise InvalidInput("member_exists", name=other.name)
        if member.municipality_key and other.municipality_key == member.municipality_key:
            raise InvalidInput(
                "municipality_key_taken", value=member.municipality_key, name=other.name
            )


async def find_member(uow: UnitOfWork, ref: str) -> Member:
    async with uow:
        member = await uow.members.find(ref)
    if member is None:
        raise NotFound("member_not_found", ref=ref)
    return member


async def add_person(
    uow: UnitOfWork,
    *,
    display_name: str,
    member_ref: str | None = None,
    roles: frozenset[Role] = frozenset(),
    supporter_topics: tuple[str, ...] = (),
    language: str = "de",
    now: datetime,
    actor_id: int | None = None,
) -> Person:
    """A person of the office (``actor_id=None``: the operator). Raises InvalidInput,
    NotFound (the municipality), NotAllowed."""
    if language not in LANGUAGES:
        raise InvalidInput("language", value=language)
    if Role.MEMBER in roles and member_ref is None:
        raise InvalidInput("role_member_implicit")
    async with uow:
        await require(uow, actor_id, Action.MANAGE_PEOPLE)
        member = None
        if member_ref is not None:
            member = await uow.members.find(member_ref)
            if member is None:
                raise NotFound("member_not_found", ref=member_ref)
        person = Person(
            clean_name(display_name),
            member.id if member else None,
            roles | ({Role.MEMBER} if member else set()),
            supporter_topics,
            language,
            created_at=now,
        )
        person = await uow.persons.add(person)
        await record(
            uow,
            actor_id=actor_id,
            action="person.created",
            subject=f"person:{person.id}",
            now=now,
            roles=sorted(r.value for r in person.roles),
        )
        await uow.commit()
    return person


async def find_person(uow: UnitOfWork, ref: str) -> Person:
    async with uow:
        return await person_by_ref(uow, ref)


async def person_by_ref(uow: UnitOfWork, ref: str) -> Person:
    """The one person ``ref`` names: a number, or a part of exactly one person's name.

    Raises ``person_ref_not_found`` or ``person_ref_ambiguous`` (with the candidates' ids).
    """
    ref = unquote(ref)
    found = await uow.persons.matching(ref)
    if not found:
        raise NotFound("person_ref_not_found", ref=ref[:60])
    if len(found) > 1:
        ids = ", ".join(str(p.id) for p in found[:10])
        raise InvalidInput("person_ref_ambiguous", ref=ref[:60], ids=ids)
    return found[0]


async def resolve_identity(
    uow: UnitOfWork,
    *,
    platform: Platform,
    external_id: str,
    display_name: str,
    language: str,
    now: datetime,
) -> Person:
    """The person behind a chat identity; someone seen for the first time becomes a guest."""
    async with uow:
        identity = await uow.identities.get(platform, external_id)
        if identity is None:
            guest = await uow.persons.add(
                Person(
                    _guest_name(display_name),
                    language=language,
                    is_guest=True,
                    created_at=now,
                    self_registered=True,
                )
            )
            if await uow.identities.add(
                ChatIdentity(platform, external_id, guest.id, created_at=now)
            ):
                await uow.commit()
                return guest
            # A concurrent message of the same newcomer created the identity first.
            await uow.persons.delete(guest.id)
            identity = await uow.identities.get(platform, external_id)
            await uow.commit()
        person = await uow.persons.get(identity.person_id) if identity else None
    if person is None:
        raise DomainError("identity_conflict")
    return person


def _guest_name(display_name: str) -> str:
    """The name a platform gives, as far as it can be stored and shown: without control,
    format or surrogate characters (PostgreSQL refuses NUL), one line, ``NAME_MAX`` long."""
    cleaned = " ".join(without_control_characters(display_name).split())[:NAME_MAX]
    return cleaned or "Gast"


async def set_language(uow: UnitOfWork, *, person_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise InvalidInput("language", value=language)
    async with uow:
        person = await load_person(uow, person_id)
        person.language = language
        await uow.persons.update(person)
        await uow.commit()


async def list_members(uow: UnitOfWork, *, actor_id: int | None) -> list[Member]:
    """Every member municipality, by name (the office; ``None``: the operator or an API
    token). Raises NotAllowed."""
    async with uow:
        await require(uow, actor_id, Action.VIEW_PEOPLE)
        return sorted(await uow.members.list(), key=lambda m: m.name)


async def list_persons(uow: UnitOfWork, *, actor_id: int | None) -> list[Person]:
    """Every person, by name (the office). Raises NotAllowed."""
    async with uow:
        await require(uow, actor_id, Action.VIEW_PEOPLE)
        return sorted(await uow.persons.list(), key=lambda p: p.display_name)
