"""Who may do what. Every entry point goes through these checks."""

from __future__ import annotations

from core.domain.errors import NotAllowed, NotFound
from core.domain.people import Person
from core.ports import UnitOfWork


async def load_person(uow: UnitOfWork, person_id: int) -> Person:
    person = await uow.persons.get(person_id)
    if person is None:
        raise NotFound("person_not_found", id=person_id)
    return person


async def require_organizer(uow: UnitOfWork, person_id: int | None) -> Person | None:
    """``None`` stands for the operator at the command line, who may do everything."""
    if person_id is None:
        return None
    person = await load_person(uow, person_id)
    if not person.is_organizer:
        raise NotAllowed("organizers_only")
    return person
