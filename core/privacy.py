"""DSGVO: access to one's data (Art. 15) and erasure (Art. 17)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from core.authority import load_person
from core.polls import export_votes, forget_voter
from core.ports import UnitOfWork
from core.signup import withdraw_all

EXPORT_FORMAT = "engagiert-bot/person-export/1"


@dataclass(frozen=True, slots=True)
class ErasureReport:
    registrations_withdrawn: int
    registrations_anonymised: int
    identities_deleted: int
    questions_deleted: int


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


async def export_person_data(uow: UnitOfWork, *, person_id: int, now: datetime) -> dict[str, Any]:
    """Every stored row that concerns the person, and nothing about anybody else."""
    async with uow:
        person = await load_person(uow, person_id)
        member = await uow.members.get(person.member_id) if person.member_id else None
        identities = await uow.identities.for_person(person_id)
        registrations = await uow.registrations.for_person(person_id, active_only=False)
        invitations = await uow.invitations.created_by(person_id)
        asked = await uow.faq_questions.asked_by(person_id)
        answered = await uow.faq_questions.answered_by(person_id)
        polls = await export_votes(uow, person_id=person_id)
        prefs = await uow.preferences.get(person_id)
        notifications = await uow.notifications.for_person(person_id)
    return _plain(
        {
            "format": EXPORT_FORMAT,
            "exported_at": now,
            "person": asdict(person),
            "member": asdict(member) if member else None,
            "chat_identities": [asdict(i) for i in identities],
            "registrations": [
                {
                    **asdict(v.registration),
                    "event_title": v.event.title,
                    "event_starts_at": v.event.starts_at,
                }
                for v in registrations
            ],
            "invitations_created": [
                {k: v for k, v in asdict(i).items() if k != "code_hash"} for i in invitations
            ],
            # Who answered is somebody else's data; the answer itself was written to the asker.
            "questions_forwarded": [
                {k: v for k, v in asdict(q).items() if k not in ("asker_id", "answered_by")}
                for q in asked
            ],
            # The question is the asker's data; what the person wrote back is theirs.
            "answers_given": [
                {"question_id": q.id, "answered_at": q.answered_at, "answer": q.answer}
                for q in answered
            ],
            **polls,
            # The feed token is stored only as a hash; whether a feed exists is what matters.
            "notification_preferences": {
                "reminders": prefs.reminders,
                "deadline_reminders": prefs.deadline_reminders,
                "preferred_platform": prefs.preferred_platform,
                "calendar_feed": prefs.calendar_token_hash is not None,
            },
            "notifications": notifications,
        }
    )


async def erase_person(uow: UnitOfWork, *, person_id: int, now: datetime) -> ErasureReport:
    """Delete the person. Places they held for coming events go to the waiting list; past
    registrations stay as anonymous rows so that attendance figures still add up. Questions
    they forwarded are deleted; answers they gave stay, without their name."""
    async with uow:
        await load_person(uow, person_id)
        withdrawn = await withdraw_all(uow, person_id=person_id, now=now)
        anonymised = await uow.registrations.detach_person(person_id)
        await uow.invitations.detach_creator(person_id)
        questions = await uow.faq_questions.delete_asked_by(person_id)
        await uow.faq_questions.detach_answerer(person_id)
        await forget_voter(uow, person_id=person_id)
        identities = await uow.identities.delete_for_person(person_id)
        await uow.persons.delete(person_id)
        await uow.commit()
    return ErasureReport(withdrawn, anonymised, identities, questions)
