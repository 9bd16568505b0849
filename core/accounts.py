"""Chat accounts and the persons behind them: invitations, ``/start CODE``, merging, roles.

The network office creates persons and gives roles; a chat account becomes that person by
redeeming a personal invitation. Municipality invitations let staff register themselves as
plain members. Either way one human is one person: one tally, one set of notices.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from core.audit import changed_fields, record
from core.authority import load_person, require
from core.domain.authority import Action
from core.domain.errors import DomainError, InvalidInput, NotFound
from core.domain.invitations import Invitation, hash_code, new_code, normalize_code
from core.domain.members import Member
from core.domain.people import ChatIdentity, Person, Platform, Role
from core.members import clean_name, person_by_ref
from core.polls import merge_anonymous_votes
from core.ports import UnitOfWork
from core.signup import withdraw_duplicates

#: Personal invitations are for one chat account each and keep for two weeks by default.
PERSONAL_DAYS = 14


@dataclass(frozen=True, slots=True)
class NewInvitation:
    code: str  # shown once; only its hash is stored
    invitation: Invitation
    member: Member | None = None  # a municipality's invitation
    person: Person | None = None  # a personal invitation


@dataclass(frozen=True, slots=True)
class Redeemed:
    """What ``/start CODE`` did: the account now belongs to ``person`` (of ``member``)."""

    person: Person
    member: Member | None
    personal: bool  # a personal invitation (else a municipality's)


async def create_invitation(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    member_ref: str,
    now: datetime,
    valid_days: int = 30,
    max_uses: int = 5,
) -> NewInvitation:
    """A municipality's code: each of up to ``max_uses`` accounts joins it as a plain member
    (office only)."""
    if not 1 <= max_uses <= 100:
        raise InvalidInput("invitation_limits")
    async with uow:
        actor = await require(uow, actor_id, Action.MANAGE_PEOPLE)
        member = await uow.members.find(member_ref)
        if member is None:
            raise NotFound("member_not_found", ref=member_ref)
        code, invitation = await _issue(
            uow, actor, now, valid_days, max_uses=max_uses, member_id=member.id
        )
        await record(
            uow,
            actor_id=actor_id,
            action="invitation.created",
            subject=f"member:{member.id}",
            now=now,
            uses=max_uses,
            days=valid_days,
        )
        await uow.commit()
    return NewInvitation(code, invitation, member=member)


async def create_personal_invitation(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    person_ref: str,
    now: datetime,
    valid_days: int = PERSONAL_DAYS,
) -> NewInvitation:
    """A one-time code that links one chat account to the person (office only). The person
    gets another code for each further account (Telegram and Matrix, say)."""
    async with uow:
        actor = await require(uow, actor_id, Action.MANAGE_PEOPLE)
        person = await person_by_ref(uow, person_ref)
        if not person.office_entry:
            raise InvalidInput("invite_guest", name=person.display_name)
        code, invitation = await _issue(uow, actor, now, valid_days, person_id=person.id)
        subject = f"person:{person.id}"
        await record(uow, actor_id=actor_id, action="invitation.created", subject=subject, now=now)
        await uow.commit()
    return NewInvitation(code, invitation, person=person)


async def _issue(
    uow: UnitOfWork,
    actor: Person | None,
    now: datetime,
    valid_days: int,
    *,
    max_uses: int = 1,
    member_id: int | None = None,
    person_id: int | None = None,
) -> tuple[str, Invitation]:
    """A new code (shown once) and its stored invitation (only the code's hash)."""
    if not 1 <= valid_days <= 365:
        raise InvalidInput("invitation_limits")
    code = new_code()
    invitation = Invitation(
        hash_code(code),
        member_id,
        actor.id if actor else None,
        now,
        now + timedelta(days=valid_days),
        max_uses,
        person_id=person_id,
    )
    return code, await uow.invitations.add(invitation)


async def redeem_invitation(
    uow: UnitOfWork, *, person_id: int, code: str, now: datetime
) -> Redeemed:
    """``/start CODE`` from the chat account of ``person_id``.

    A personal invitation links the account to the invited person: the person the account
    had so far (a guest, or a self-registered member without office roles) is merged into
    them (:func:`merge_into`). A municipality's invitation makes the account's person a
    plain member of it. Redeeming a code twice from the same account changes nothing.
    """
    if not normalize_code(code).isalnum():
        raise DomainError("invitation_unknown")
    async with uow:
        invitation = await uow.invitations.get_by_hash(hash_code(code))
        if invitation is None:
            raise DomainError("invitation_unknown")
        current = await load_person(uow, person_id)
        if invitation.person_id is not None:
            redeemed = await _link_account(uow, invitation, current, now)
        else:
            redeemed = await _join_member(uow, invitation, current, now)
        await uow.commit()
    return redeemed


async def _link_account(
    uow: UnitOfWork, invitation: Invitation, current: Person, now: datetime
) -> Redeemed:
    target = await uow.persons.get(invitation.person_id)
    if target is None:
        raise DomainError("invitation_unknown")
    member = await uow.members.get(target.member_id) if target.member_id else None
    if current.id == target.id:
        return Redeemed(target, member, personal=True)
    invitation.check_usable(now)
    if current.office_entry:  # the office's own entry is never merged away
        raise DomainError("account_linked_elsewhere", name=current.display_name)
    invitation.uses += 1
    await uow.invitations.update(invitation)
    await merge_into(uow, source=current, target=target, now=now)
    return Redeemed(target, member, personal=True)


async def _join_member(
    uow: UnitOfWork, invitation: Invitation, person: Person, now: datetime
) -> Redeemed:
    member = await uow.members.get(invitation.member_id)
    if person.member_id == invitation.member_id:
        return Redeemed(person, member, personal=False)
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
    return Redeemed(person, member, personal=False)


async def merge_into(uow: UnitOfWork, *, source: Person, target: Person, now: datetime) -> None:
    """One person from two: everything of ``source`` (chat accounts, registrations, votes,
    questions, notices) goes to ``target``, then ``source`` is deleted. Where both hold one
    — a place in the same event, a vote in the same poll — the target's stays; a place the
    source gives up goes to the waiting list."""
    await withdraw_duplicates(uow, source_id=source.id, target_id=target.id, now=now)
    await merge_anonymous_votes(uow, source_id=source.id, target_id=target.id)
    await uow.persons.merge(source.id, target.id)


# --- the office's view and changes ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonDetails:
    person: Person
    member: Member | None
    identities: list[ChatIdentity]


async def person_details(
    uow: UnitOfWork, *, actor_id: int | None, person_ref: str
) -> PersonDetails:
    """A person with their municipality and linked chat accounts (office only)."""
    async with uow:
        await require(uow, actor_id, Action.VIEW_PEOPLE)
        person = await person_by_ref(uow, person_ref)
        member = await uow.members.get(person.member_id) if person.member_id else None
        identities = await uow.identities.for_person(person.id)
    return PersonDetails(person, member, identities)


async def change_roles(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    person_ref: str,
    add: frozenset[Role] = frozenset(),
    remove: frozenset[Role] = frozenset(),
    now: datetime,
) -> Person:
    """Give or take network roles (office only). ``member`` follows the municipality and is
    not set by hand. Only the office's own entries get roles: a self-registered account's
    name is whatever it chose (the office creates the person and invites them instead)."""
    if Role.MEMBER in add | remove:
        raise InvalidInput("role_member_implicit")
    if add & remove:
        raise InvalidInput("role_add_and_remove", role=", ".join(sorted(add & remove)))
    async with uow:
        await require(uow, actor_id, Action.MANAGE_PEOPLE)
        person = await person_by_ref(uow, person_ref)
        if not person.office_entry and add:
            raise InvalidInput("roles_for_guest", name=person.display_name)
        roles = (person.roles | add) - remove
        if roles != person.roles:
            person.roles = roles
            await uow.persons.update(person)
            subject = f"person:{person.id}"
            await record(
                uow,
                actor_id=actor_id,
                action="person.changed",
                subject=subject,
                now=now,
                fields=["roles"],
            )
            await uow.commit()
    return person


#: A supporter's topics: how many, and how long each (as a knowledge-base entry's topic).
TOPICS_MAX = 10
TOPIC_MAX = 100
#: The roles the office gives by hand (``member`` follows the municipality, ``admin`` is
#: the operator's).
GIVEN_ROLES = frozenset({Role.ORGANIZER, Role.SPEAKER, Role.SUPPORTER, Role.LEADERSHIP})


async def change_person(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    person_id: int,
    display_name: str,
    member_ref: str | None,
    roles: frozenset[Role],
    supporter_topics: tuple[str, ...],
    now: datetime,
) -> Person:
    """Correct a person of the office (the office): name, municipality (``None``: none),
    the roles of :data:`GIVEN_ROLES` (others they hold stay), a supporter's topics. An
    organizer cannot take the office role from themselves (``own_organizer_role``: nobody
    would be left to give it back). The audit log keeps which fields changed
    (``person.changed``). Raises InvalidInput, NotFound, NotAllowed."""
    if not roles <= GIVEN_ROLES:
        raise InvalidInput("role_member_implicit")
    name = clean_name(display_name)
    topics = tuple(dict.fromkeys(t for t in (" ".join(t.split()) for t in supporter_topics) if t))
    if len(topics) > TOPICS_MAX or any(len(t) > TOPIC_MAX for t in topics):
        raise InvalidInput("supporter_topics", count=TOPICS_MAX, max=TOPIC_MAX)
    async with uow:
        await require(uow, actor_id, Action.MANAGE_PEOPLE)
        person = await uow.persons.get(person_id)
        if person is None:
            raise NotFound("person_not_found", id=person_id)
        if not person.office_entry:
            raise InvalidInput("roles_for_guest", name=person.display_name)
        member = None
        if member_ref:
            member = await uow.members.find(member_ref)
            if member is None:
                raise NotFound("member_not_found", ref=member_ref)
        if person_id == actor_id and Role.ORGANIZER in person.roles - roles:
            raise InvalidInput("own_organizer_role")
        kept = person.roles - GIVEN_ROLES - {Role.MEMBER}
        changed = replace(
            person,
            display_name=name,
            member_id=member.id if member else None,
            roles=frozenset(kept | roles | ({Role.MEMBER} if member else set())),
            supporter_topics=topics,
        )
        names = ("display_name", "member_id", "roles", "supporter_topics")
        fields = changed_fields(person, changed, names)
        if fields:
            await uow.persons.update(changed)
            subject = f"person:{person_id}"
            await record(
                uow,
                actor_id=actor_id,
                action="person.changed",
                subject=subject,
                now=now,
                fields=fields,
            )
            await uow.commit()
    return changed


async def unlink_account(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    person_ref: str,
    platform: Platform,
    now: datetime,
) -> int:
    """Detach the office's person's chat accounts on ``platform`` (office only); returns
    how many. Such an account starts over as a guest when it writes again. A self-registered
    person is only reachable through its accounts: refused (``unlink_self_registered``)."""
    async with uow:
        await require(uow, actor_id, Action.MANAGE_PEOPLE)
        person = await person_by_ref(uow, person_ref)
        if not person.office_entry:
            raise InvalidInput("unlink_self_registered", name=person.display_name)
        removed = 0
        for identity in await uow.identities.for_person(person.id):
            if identity.platform is platform:
                removed += await uow.identities.delete(platform, identity.external_id)
        if removed:
            await record(
                uow,
                actor_id=actor_id,
                action="person.unlinked",
                subject=f"person:{person.id}",
                now=now,
                platform=platform.value,
            )
        await uow.commit()
    return removed
