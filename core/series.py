"""Use cases of event series: creating one, signing up for all its dates, cancelling them.

Each date of a series is an ordinary event (own registrations, capacity, waiting list), so
signing up for a series is :func:`core.signup.sign_up` once per date and every other use case
(changing, moving, cancelling one date) works on the date alone.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from core.audit import record
from core.authority import require
from core.domain.authority import Action
from core.domain.errors import DomainError, InvalidInput, ModeRequired, NotFound, SignupClosed
from core.domain.events import Event, check_moments
from core.domain.registrations import Mode, Registration, RegistrationStatus
from core.domain.series import Frequency, Series
from core.events import Told, cancel_event, event_details
from core.ports import UnitOfWork
from core.signup import sign_up


@dataclass(frozen=True, slots=True)
class SeriesDates:
    """A series with its dates (events, in the order of the rule)."""

    series: Series
    dates: list[Event]

    def planned_start(self, event: Event) -> datetime:
        """When ``event`` was planned by the rule (its RECURRENCE-ID, RFC 5545 3.8.4.4),
        whatever it was moved to since: the n-th date of the rule for the n-th event."""
        index = next(n for n, d in enumerate(self.dates) if d.id == event.id)
        return self.series.starts()[index]


async def create_series(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    event: Event,
    frequency: Frequency,
    count: int | None = None,
    until: date | None = None,
    now: datetime,
) -> SeriesDates:
    """Store a series whose first date is ``event`` (office only): one event per date of the
    rule, each with ``event``'s length and its registration deadline as far before the start
    as ``event``'s. Exactly one of ``count`` (1–52 dates) and ``until`` (the last day, in
    Berlin) bounds it. Raises InvalidInput (``series_*``, and what :meth:`Event.validate`
    and :meth:`Event.check_future` raise), NotAllowed."""
    event.validate()
    event.check_future(now)
    rule = Series(
        frequency, event.starts_at, event.ends_at - event.starts_at, count, until, created_at=now
    )
    rule.validate()
    lead = event.starts_at - event.registration_deadline if event.registration_deadline else None
    starts = rule.starts()
    check_moments(starts[-1] + rule.duration)
    async with uow:
        await require(uow, actor_id, Action.MANAGE_EVENTS)
        await uow.series.add(rule)
        dates = []
        for start in starts:
            dated = replace(
                event,
                starts_at=start,
                ends_at=start + rule.duration,
                registration_deadline=start - lead if lead is not None else None,
                updated_at=now,
                series_id=rule.id,
                id=None,
            )
            dates.append(await uow.events.add(dated))
        await record(
            uow,
            actor_id=actor_id,
            action="series.created",
            subject=f"series:{rule.id}",
            now=now,
            events=[d.id for d in dates],
        )
        await uow.commit()
    return SeriesDates(rule, dates)


class Outcome(StrEnum):
    """What a series signup did for one date."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    ALREADY_CONFIRMED = "already_confirmed"
    ALREADY_WAITLISTED = "already_waitlisted"
    CANCELLED = "cancelled"  # the date was cancelled by the office
    CLOSED = "closed"  # its registration deadline is over
    REFUSED = "refused"  # another rule said no: :attr:`DateSignup.error` says which


@dataclass(frozen=True, slots=True)
class DateSignup:
    event: Event
    outcome: Outcome
    rank: int | None = None  # place on the waiting list, 1-based
    mode: Mode | None = None  # the registration's mode (hybrid dates)
    error: DomainError | None = None  # for :attr:`Outcome.REFUSED`


@dataclass(frozen=True, slots=True)
class SeriesSignup:
    series: Series
    dates: list[DateSignup]  # the dates not yet begun, in order

    @property
    def added(self) -> int:
        """Dates signed up for (confirmed or on the waiting list) by this signup."""
        return sum(d.outcome in (Outcome.CONFIRMED, Outcome.WAITLISTED) for d in self.dates)


async def sign_up_series(
    uow: UnitOfWork, *, person_id: int, event_id: int, now: datetime, mode: Mode | None = None
) -> SeriesSignup:
    """Sign the person up for every date of ``event_id``'s series that has not begun: each
    date on its own (:func:`core.signup.sign_up`), a full one onto its waiting list, never all
    or nothing. Dates the person holds already are reported, not switched to ``mode``.

    Raises NotFound (``event_not_found``, also for an event the person may not see),
    InvalidInput ``not_a_series`` / ``series_over``, ModeRequired when a date is hybrid and
    ``mode`` is ``None`` (before any signup)."""
    details = await event_details(uow, event_id=event_id, person_id=person_id, now=now)
    asked = details.info.event
    if asked.series_id is None:
        raise InvalidInput("not_a_series", title=asked.title, id=event_id)
    async with uow:
        found = await _series_dates(uow, [asked.series_id])
        held = {
            v.registration.event_id: v
            for v in await uow.registrations.for_person(person_id, active_only=True)
        }
    plan = found[asked.series_id]
    coming = [d for d in plan.dates if d.starts_at > now]
    if not coming:
        raise InvalidInput("series_over", title=asked.title)
    if mode is None and any(d.is_hybrid and not d.cancelled for d in coming):
        raise ModeRequired(title=asked.title)
    results = []
    for dated in coming:
        view = held.get(dated.id)
        if dated.cancelled:
            results.append(DateSignup(dated, Outcome.CANCELLED))
            continue
        if view is not None:
            results.append(_held(dated, view.registration, view.waitlist_rank))
            continue
        try:
            done = await sign_up(uow, person_id=person_id, event_id=dated.id, now=now, mode=mode)
        except SignupClosed as exc:
            results.append(DateSignup(dated, Outcome.CLOSED, error=exc))
            continue
        except DomainError as exc:
            results.append(DateSignup(dated, Outcome.REFUSED, error=exc))
            continue
        registration = done.registration
        waiting = registration.status is RegistrationStatus.WAITLISTED
        outcome = Outcome.WAITLISTED if waiting else Outcome.CONFIRMED
        results.append(DateSignup(done.event, outcome, done.waitlist_rank, registration.mode))
    return SeriesSignup(plan.series, results)


def _held(event: Event, registration: Registration, rank: int | None) -> DateSignup:
    if registration.status is RegistrationStatus.WAITLISTED:
        return DateSignup(event, Outcome.ALREADY_WAITLISTED, rank, registration.mode)
    return DateSignup(event, Outcome.ALREADY_CONFIRMED, None, registration.mode)


@dataclass(frozen=True, slots=True)
class SeriesView:
    """A series as one person sees it: its dates and their own registration of each."""

    plan: SeriesDates
    own: dict[int, Registration]  # event id → the person's active registration


async def series_view(uow: UnitOfWork, *, event: Event, person_id: int | None) -> SeriesView:
    """The series ``event`` (a date the caller has shown) belongs to, with the person's
    registrations of its dates. Raises InvalidInput ``not_a_series``."""
    if event.series_id is None:
        raise InvalidInput("not_a_series", title=event.title, id=event.id)
    async with uow:
        found = await _series_dates(uow, [event.series_id])
        views = []
        if person_id is not None:
            views = await uow.registrations.for_person(person_id, active_only=True)
    plan = found[event.series_id]
    ids = {d.id for d in plan.dates}
    own = {v.registration.event_id: v.registration for v in views if v.event.id in ids}
    return SeriesView(plan, own)


async def series_dates(uow: UnitOfWork, series_ids: Collection[int]) -> dict[int, SeriesDates]:
    """The series of these ids with their dates (for calendar files)."""
    async with uow:
        return await _series_dates(uow, series_ids)


async def _series_dates(uow: UnitOfWork, series_ids: Collection[int]) -> dict[int, SeriesDates]:
    rules = await uow.series.many(series_ids)
    return {sid: SeriesDates(rule, await uow.series.dates(sid)) for sid, rule in rules.items()}


async def cancel_series(
    uow: UnitOfWork, *, actor_id: int | None, event_id: int, now: datetime
) -> list[tuple[Event, Told]]:
    """Cancel every date of ``event_id``'s series that has not begun and is not cancelled
    yet, each as :func:`core.events.cancel_event` (everyone registered is told). Returns the
    cancelled dates with who was told. Raises NotFound, NotAllowed, InvalidInput
    ``not_a_series_cancel`` / ``series_nothing_to_cancel``."""
    async with uow:
        await require(uow, actor_id, Action.MANAGE_EVENTS)
        info = await uow.events.get(event_id)
        if info is None:
            raise NotFound("event_not_found", id=event_id)
        if info.event.series_id is None:
            raise InvalidInput("not_a_series_cancel", title=info.event.title, id=event_id)
        plan = (await _series_dates(uow, [info.event.series_id]))[info.event.series_id]
    coming = [d for d in plan.dates if d.starts_at > now and not d.cancelled]
    if not coming:
        raise InvalidInput("series_nothing_to_cancel", title=info.event.title)
    done = []
    for dated in coming:
        assert dated.id is not None
        told = await cancel_event(uow, actor_id=actor_id, event_id=dated.id, now=now)
        done.append((dated, told))
    return done
