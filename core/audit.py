"""The audit log: the office's use cases note who created, changed, cancelled, announced or
exported what, in the same transaction as the change itself. Where a person acts, their id;
where the operator or an API client acts, ``via`` says who (set by the edge: the API names
its token)."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime
from typing import Any

from core.authority import require
from core.domain.audit import AuditEntry
from core.domain.authority import Action
from core.ports import UnitOfWork

#: Where the current request comes from; the edges set it (``api:NAME``, ``web``, ``chat``).
VIA: ContextVar[str] = ContextVar("audit_via", default="Kommandozeile")


async def record(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    action: str,
    subject: str,
    now: datetime,
    **details: Any,
) -> None:
    """Add an entry in ``uow``'s open transaction (it commits with the change)."""
    await uow.audit.add(AuditEntry(now, actor_id, VIA.get(), action, subject, details))


def changed_fields(before: object, after: object, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` differ between two versions of a record (the audit log names the
    fields, never their content)."""
    return [name for name in names if getattr(before, name) != getattr(after, name)]


async def latest_entries(
    uow: UnitOfWork, *, actor_id: int | None, limit: int = 200
) -> list[AuditEntry]:
    """The newest entries (the office only). Raises NotAllowed."""
    async with uow:
        await require(uow, actor_id, Action.VIEW_PEOPLE)
        return await uow.audit.latest(limit)
