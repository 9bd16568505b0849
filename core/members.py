"""Members, persons, chat identities and onboarding by invitation code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.domain.errors import DomainError, InvalidInput, NotFound
from core.domain.invitations import Invitation, hash_code, new_code, normalize_code
from core.domain.members import Member, MemberKind, validate_municipality_key
from core.domain.people import LANGUAGES, ChatIdentity, Person, Platform, Role
from core.permissions import load_person, require_organizer
from core.ports import UnitOfWork

NAME_MAX = 120


@dataclass(frozen=True, slots=True)
class NewInvitation:
    code: str  # shown once; only its hash is stored
    invitation: Invitation
    member: Member


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > NAME_MAX:
        raise InvalidInput("name", max=NAME_MAX)
    return cleaned


async def add_member(
    uow: UnitOfWork,
    *,
    name: str,
    kind: MemberKind,
    municipality_key: str | None = None,
    joined_on: date | None = None,
) -> Member:
    member = Member(
        _clean_name(name),
        kind,
        validate_municipality_key(municipality_key) if municipality_key else None,
        joined_on,
    )
    async with uow:
        if await uow.members.find(member.name) is not None:
            raise InvalidInput("member_exists", name=member.name)
        member = await uow.members.add(member)
        await uow.commit()
    return member


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
) -> Person:
    if language not in LANGUAGES:
        raise InvalidInput("language", value=language)
    async with uow:
        member = None
        if member_ref is not None:
            member = await uow.members.find(member_ref)
            if member is None:
                raise NotFound("member_not_found", ref=member_ref)
        person = Person(
            _clean_name(display_name),
            member.id if member else None,
            roles | ({Role.MEMBER} if member else set()),
            supporter_topics,
            language,
            created_at=now,
        )
        person = await uow.persons.add(person)
        await uow.commit()
    return person


async def find_person(uow: UnitOfWork, ref: str) -> Person:
    async with uow:
        person = await uow.persons.find(ref)
    if person is None:
        raise NotFound("person_ref_not_found", ref=ref)
    return person


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
                Person(_guest_name(display_name), language=language, is_guest=True, created_at=now)
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
    cleaned = " ".join(display_name.split())[:NAME_MAX]
    return cleaned or "Gast"


async def create_invitation(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    member_ref: str,
    now: datetime,
    valid_days: int = 30,
    max_uses: int = 5,
) -> NewInvitation:
    if not 1 <= valid_days <= 365 or not 1 <= max_uses <= 100:
        raise InvalidInput("invitation_limits")
    code = new_code()
    async with uow:
        actor = await require_organizer(uow, actor_id)
        member = await uow.members.find(member_ref)
        if member is None:
            raise NotFound("member_not_found", ref=member_ref)
        invitation = await uow.invitations.add(
            Invitation(
                hash_code(code),
                member.id,
                actor.id if actor else None,
                now,
                now + timedelta(days=valid_days),
                max_uses,
            )
        )
        await uow.commit()
    return NewInvitation(code, invitation, member)


async def redeem_invitation(uow: UnitOfWork, *, person_id: int, code: str, now: datetime) -> Member:
    """``/start CODE``: the person joins the code's member municipality."""
    if not normalize_code(code).isalnum():
        raise DomainError("invitation_unknown")
    async with uow:
        invitation = await uow.invitations.get_by_hash(hash_code(code))
        if invitation is None:
            raise DomainError("invitation_unknown")
        person = await load_person(uow, person_id)
        member = await uow.members.get(invitation.member_id)
        if person.member_id == invitation.member_id:
            return member
        if person.member_id is not None:
            current = await uow.members.get(person.member_id)
            raise DomainError("already_member", member=current.name if current else "?")
        invitation.check_usable(now)
        invitation.uses += 1
        await uow.invitations.update(invitation)
        person.member_id = invitation.member_id
        person.roles = person.roles | {Role.MEMBER}
        person.is_guest = False
        await uow.persons.update(person)
        await uow.commit()
    return member


async def set_language(uow: UnitOfWork, *, person_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise InvalidInput("language", value=language)
    async with uow:
        person = await load_person(uow, person_id)
        person.language = language
        await uow.persons.update(person)
        await uow.commit()
