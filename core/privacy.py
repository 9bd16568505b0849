"""DSGVO: access to one's data (Art. 15) and erasure (Art. 17)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from core.authority import load_person
from core.domain.people import Platform
from core.polls import forget_voter
from core.ports import UnitOfWork
from core.signup import withdraw_all

EXPORT_FORMAT = "engagiert-bot/person-export/2"


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
    """Every stored row that concerns the person, and nothing about anybody else (DSGVO
    Art. 15): the rows the registry of personal data (``storage.personal_data``) says are
    theirs, by table, each with a German explanation. Anonymous votes are not theirs to
    export: exporting them would write the link between person and vote into the export."""
    async with uow:
        await load_person(uow, person_id)
        accounts = await _accounts(uow, person_id)
        parts = await uow.personal_data.export(person_id, accounts)
    return _plain({"format": EXPORT_FORMAT, "exported_at": now, "daten": parts})


async def erase_person(uow: UnitOfWork, *, person_id: int, now: datetime) -> ErasureReport:
    """Delete everything about the person (DSGVO Art. 17), in one transaction.

    Places they held for coming events go to the waiting list first; past registrations stay
    as anonymous rows so that attendance figures still add up; their votes leave open polls
    (closed polls keep their frozen totals). Then every table, as the registry of personal
    data declares it: their rows, mentions of them, messages to their chat accounts and every
    trace quoting their name, account ids or the questions they forwarded.
    """
    async with uow:
        person = await load_person(uow, person_id)
        withdrawn = await withdraw_all(uow, person_id=person_id, now=now)
        await forget_voter(uow, person_id=person_id)
        accounts = await _accounts(uow, person_id)
        questions = await uow.faq_questions.asked_by(person_id)
        needles = [person.display_name, *(a for _, a in accounts), *(q.text for q in questions)]
        counts = await uow.personal_data.erase(person_id, accounts, needles)
        await uow.commit()
    return ErasureReport(
        withdrawn, counts["registrations"], counts["chat_identities"], len(questions)
    )


async def _accounts(uow: UnitOfWork, person_id: int) -> list[tuple[str, str]]:
    """The person's chat accounts and e-mail addresses (mails in the outbox are addressed to
    them), as ``(platform, id)``."""
    accounts = [
        (i.platform.value, i.external_id) for i in await uow.identities.for_person(person_id)
    ]
    email = await uow.emails.get(person_id)
    if email is not None:
        addresses = {a for a in (email.address, email.pending_address) if a}
        accounts += [(Platform.EMAIL.value, a) for a in sorted(addresses)]
    return accounts
