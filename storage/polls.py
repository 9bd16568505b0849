"""Polls, the rooms they were posted to, and votes: rows in, domain objects out."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.people import Platform
from core.domain.polls import MAX_OPTIONS, Poll, Tally, from_mask, to_mask
from core.ports import PollRoom, VoteRecord
from storage import upsert
from storage.tables import event_rooms, members, persons, poll_rooms, poll_votes, polls

_INSERT_POLL = polls.insert().returning(polls.c.id)
#: The first key of PostgreSQL advisory locks on polls ("poll" in ASCII).
ADVISORY_CLASS = 0x706F6C6C
#: One aggregate row: the number of voters and, per option, how many chose it.
_TALLY = sa.select(
    sa.func.count(),
    *[
        sa.func.coalesce(sa.func.sum((poll_votes.c.choices.op(">>")(i)).op("&")(1)), 0)
        for i in range(MAX_OPTIONS)
    ],
).where(poll_votes.c.poll_id == sa.bindparam("poll_id"))


_POLL_BY_ID = polls.select().where(polls.c.id == sa.bindparam("poll_id"))
#: Polls for a list: without the ballots and the frozen result, which can be large.
_LISTED = sa.select(*(c for c in polls.c if c.name not in ("ballots", "result")))
#: PostgreSQL: votes hold the shared lock; closing takes the exclusive one and so waits for
#: votes in flight, and votes that come later wait for the close.
_VOTING_LOCK = sa.select(
    sa.func.pg_advisory_xact_lock_shared(ADVISORY_CLASS, sa.bindparam("poll_id"))
)
_CLOSING_LOCK = sa.select(sa.func.pg_advisory_xact_lock(ADVISORY_CLASS, sa.bindparam("poll_id")))


@cache
def _upsert_vote(dialect_name: str) -> Any:
    """Insert or replace one named voter's choice; built once per dialect (statements are
    cached)."""
    statement = upsert.insert(dialect_name, poll_votes).values(
        poll_id=sa.bindparam("poll_id"),
        person_id=sa.bindparam("person_id"),
        choices=sa.bindparam("choices"),
        changes=0,
    )
    return statement.on_conflict_do_update(
        index_elements=[poll_votes.c.poll_id, poll_votes.c.person_id],
        set_={"choices": statement.excluded.choices, "changes": poll_votes.c.changes + 1},
    ).returning(poll_votes.c.changes)


#: PostgreSQL: one ballot set in place (the whole jsonb value is rewritten in C, not in Python),
#: returning how often it had been changed before (0: a new ballot).
_PUT_BALLOT = sa.text(
    "UPDATE polls SET ballots = ballots || jsonb_build_object(CAST(:key AS text), "
    "jsonb_build_array(CAST(:mask AS integer), "
    "COALESCE(CAST(ballots -> CAST(:key AS text) ->> 1 AS integer) + 1, 0))) "
    "WHERE id = :poll_id RETURNING CAST(ballots -> CAST(:key AS text) ->> 1 AS integer)"
)
_GET_BALLOT = sa.text(
    "SELECT CAST(ballots -> CAST(:key AS text) ->> 0 AS integer) FROM polls "
    "WHERE id = :poll_id FOR UPDATE"
)
_DELETE_BALLOT = sa.text(
    "UPDATE polls SET ballots = ballots - CAST(:key AS text) "
    "WHERE id = :poll_id AND jsonb_exists(ballots, CAST(:key AS text))"
)


def pseudonym_key(pepper: bytes, salt: bytes) -> bytes:
    """The key a poll's voter pseudonyms are made with: HMAC-SHA256 of the stored per-poll
    salt under the server's secret key (``pepper``), which the database does not hold. A dump
    of the database alone therefore cannot recompute any pseudonym."""
    return hmac.new(pepper, salt, hashlib.sha256).digest()


def _poll(row: Any, pepper: bytes) -> Poll:
    return Poll(
        row.question,
        tuple(row.options),
        row.created_at,
        row.creator_id,
        row.max_choices,
        row.anonymous,
        row.hidden_results,
        row.closes_at,
        row.event_id,
        row.token,
        row.join_code,
        row.closed_at,
        pseudonym_key(pepper, row.salt) if row.salt else None,
        (Platform(row.origin_platform), row.origin_chat_id) if row.origin_platform else None,
        row.open_to_guests,
        row.id,
    )


def _room(row: Any) -> PollRoom:
    return PollRoom(
        row.poll_id, Platform(row.platform), row.chat_id, row.external_poll_id, row.message_id
    )


class PollRepository:
    def __init__(self, conn: AsyncConnection, *, pepper: bytes, row_locks: bool = True) -> None:
        self.conn = conn
        self.row_locks = row_locks
        self._pepper = pepper
        self._postgresql = conn.dialect.name == "postgresql"

    def _insert(self, table: sa.Table) -> Any:
        return upsert.insert(self.conn.dialect.name, table)

    # --- polls ----------------------------------------------------------------------------

    async def add(self, poll: Poll) -> Poll:
        poll.id = (
            await self.conn.execute(
                _INSERT_POLL,
                {
                    "question": poll.question,
                    "options": list(poll.options),
                    "max_choices": poll.max_choices,
                    "anonymous": poll.anonymous,
                    "hidden_results": poll.hidden_results,
                    "closes_at": poll.closes_at,
                    "event_id": poll.event_id,
                    "creator_id": poll.creator_id,
                    "created_at": poll.created_at,
                    "token": poll.token,
                    "join_code": poll.join_code,
                    "salt": poll.salt,
                    "ballots": {} if poll.salt else None,
                    "origin_platform": poll.origin[0].value if poll.origin else None,
                    "origin_chat_id": poll.origin[1] if poll.origin else None,
                    "open_to_guests": poll.open_to_guests,
                },
            )
        ).scalar_one()
        if poll.salt is not None:  # from now on only the derived key is used
            poll.salt = pseudonym_key(self._pepper, poll.salt)
        return poll

    async def get(self, poll_id: int, *, lock: bool = False) -> Poll | None:
        """``lock``: a shared lock until the transaction ends, so that closing waits for votes
        in flight. On PostgreSQL a shared advisory lock: a shared *row* lock taken by many
        voters at once costs a MultiXact write each. SQLite's ``BEGIN IMMEDIATE`` serialises
        writers anyway."""
        if lock and self.row_locks and self.conn.dialect.name == "postgresql":
            # The lock first, then the read: a statement's snapshot is taken when it starts, so
            # a poll read in the locking statement would not show a close that we waited for.
            await self.conn.execute(_VOTING_LOCK, {"poll_id": poll_id})
        row = (await self.conn.execute(_POLL_BY_ID, {"poll_id": poll_id})).first()
        return _poll(row, self._pepper) if row else None

    async def find(self, *, token: str | None = None, join_code: str | None = None) -> Poll | None:
        column, value = (polls.c.token, token) if token else (polls.c.join_code, join_code)
        row = (await self.conn.execute(polls.select().where(column == value))).first()
        return _poll(row, self._pepper) if row else None

    async def latest(
        self,
        *,
        room: tuple[Platform, str] | None = None,
        creator_id: int | None = None,
        open_at: datetime | None = None,
    ) -> Poll | None:
        """The newest poll posted in ``room``, or else created by ``creator_id``; with
        ``open_at``, the newest still open at that moment."""
        query = polls.select().order_by(polls.c.id.desc()).limit(1)
        if open_at is not None:
            query = query.where(
                polls.c.closed_at.is_(None),
                sa.or_(polls.c.closes_at.is_(None), polls.c.closes_at > open_at),
            )
        if room is not None:
            query = query.join(poll_rooms, poll_rooms.c.poll_id == polls.c.id).where(
                poll_rooms.c.platform == room[0].value, poll_rooms.c.chat_id == room[1]
            )
        else:
            query = query.where(polls.c.creator_id == creator_id)
        row = (await self.conn.execute(query)).first()
        return _poll(row, self._pepper) if row else None

    async def recent(self, limit: int) -> list[Poll]:
        query = _LISTED.order_by(polls.c.id.desc()).limit(limit)
        return [_poll(r, self._pepper) for r in await self.conn.execute(query)]

    async def close(self, poll_id: int, now: datetime) -> bool:
        """Mark the poll closed and destroy its salt, unless that happened already."""
        await self._closing_lock(poll_id)
        result = await self.conn.execute(
            polls.update()
            .where(polls.c.id == poll_id, polls.c.closed_at.is_(None))
            .values(closed_at=now, salt=None)
        )
        return result.rowcount == 1

    async def freeze(
        self,
        poll_id: int,
        tally: Tally,
        turnout: list[tuple[int | None, str | None, int]] | None,
    ) -> None:
        result: dict[str, Any] = {"counts": list(tally.counts), "participants": tally.participants}
        if turnout is not None:
            result["turnout"] = [list(row) for row in turnout]
        await self.conn.execute(polls.update().where(polls.c.id == poll_id).values(result=result))

    async def frozen_turnout(self, poll_id: int) -> list[tuple[int | None, str | None, int]] | None:
        query = sa.select(polls.c.result).where(polls.c.id == poll_id)
        result = (await self.conn.execute(query)).scalar_one_or_none()
        if not result or "turnout" not in result:
            return None
        return [(member_id, name, n) for member_id, name, n in result["turnout"]]

    async def frozen(self, poll_id: int) -> Tally | None:
        query = sa.select(polls.c.result).where(polls.c.id == poll_id)
        result = (await self.conn.execute(query)).scalar_one_or_none()
        return Tally(tuple(result["counts"]), result["participants"]) if result else None

    async def due(self, now: datetime) -> list[int]:
        query = (
            sa.select(polls.c.id)
            .where(polls.c.closed_at.is_(None), polls.c.closes_at <= now)
            .order_by(polls.c.closes_at)
        )
        return list((await self.conn.execute(query)).scalars())

    async def next_deadline(self) -> datetime | None:
        query = sa.select(sa.func.min(polls.c.closes_at)).where(polls.c.closed_at.is_(None))
        return (await self.conn.execute(query)).scalar_one_or_none()

    async def open_anonymous(self) -> list[Poll]:
        query = polls.select().where(polls.c.salt.is_not(None)).order_by(polls.c.id)
        return [_poll(r, self._pepper) for r in await self.conn.execute(query)]

    async def _closing_lock(self, poll_id: int) -> None:
        if self.row_locks and self.conn.dialect.name == "postgresql":
            await self.conn.execute(_CLOSING_LOCK, {"poll_id": poll_id})

    # --- rooms ----------------------------------------------------------------------------

    async def link_event_room(
        self, event_id: int, platform: Platform, chat_id: str, now: datetime
    ) -> None:
        statement = self._insert(event_rooms).values(
            event_id=event_id, platform=platform.value, chat_id=chat_id, linked_at=now
        )
        await self.conn.execute(statement.on_conflict_do_nothing())

    async def unlink_event_room(self, event_id: int, platform: Platform, chat_id: str) -> bool:
        result = await self.conn.execute(
            event_rooms.delete().where(
                event_rooms.c.event_id == event_id,
                event_rooms.c.platform == platform.value,
                event_rooms.c.chat_id == chat_id,
            )
        )
        return result.rowcount == 1

    async def event_rooms(self, event_id: int) -> list[tuple[Platform, str]]:
        query = (
            sa.select(event_rooms.c.platform, event_rooms.c.chat_id)
            .where(event_rooms.c.event_id == event_id)
            .order_by(event_rooms.c.linked_at, event_rooms.c.platform, event_rooms.c.chat_id)
        )
        return [(Platform(p), c) for p, c in await self.conn.execute(query)]

    async def add_room(self, poll_id: int, platform: Platform, chat_id: str, now: datetime) -> None:
        statement = self._insert(poll_rooms).values(
            poll_id=poll_id, platform=platform.value, chat_id=chat_id, created_at=now
        )
        await self.conn.execute(statement.on_conflict_do_nothing())

    async def set_room_message(
        self,
        poll_id: int,
        platform: Platform,
        chat_id: str,
        *,
        external_poll_id: str | None,
        message_id: str | None,
    ) -> None:
        await self.conn.execute(
            poll_rooms.update()
            .where(
                poll_rooms.c.poll_id == poll_id,
                poll_rooms.c.platform == platform.value,
                poll_rooms.c.chat_id == chat_id,
            )
            .values(external_poll_id=external_poll_id, message_id=message_id)
        )

    async def rooms(self, poll_id: int) -> list[PollRoom]:
        query = poll_rooms.select().where(poll_rooms.c.poll_id == poll_id)
        return [_room(r) for r in await self.conn.execute(query.order_by(poll_rooms.c.created_at))]

    async def room_for(self, platform: Platform, external_poll_id: str) -> PollRoom | None:
        query = poll_rooms.select().where(
            poll_rooms.c.platform == platform.value,
            poll_rooms.c.external_poll_id == external_poll_id,
        )
        row = (await self.conn.execute(query)).first()
        return _room(row) if row else None

    # --- votes ----------------------------------------------------------------------------

    async def choices(self, record: VoteRecord) -> tuple[int, ...] | None:
        if record.voter_key is not None and self._postgresql:  # one key, row locked
            params = {"poll_id": record.poll_id, "key": record.voter_key}
            mask = (await self.conn.execute(_GET_BALLOT, params)).scalar_one_or_none()
            return None if mask is None else from_mask(mask)
        if record.voter_key is not None:
            ballot = (await self._ballots(record.poll_id)).get(record.voter_key)
            return None if ballot is None else from_mask(ballot[0])
        query = sa.select(poll_votes.c.choices).where(
            poll_votes.c.poll_id == record.poll_id, poll_votes.c.person_id == record.person_id
        )
        mask = (await self.conn.execute(query)).scalar_one_or_none()
        return None if mask is None else from_mask(mask)

    async def put_vote(self, record: VoteRecord, choices: tuple[int, ...]) -> bool:
        """Insert or replace the voter's current choice (the last vote counts); return
        whether an earlier vote was replaced."""
        if record.voter_key is not None:
            if self._postgresql:  # one key in place; jsonb has no order of insertion
                params = {"poll_id": record.poll_id, "key": record.voter_key}
                changes = await self.conn.execute(_PUT_BALLOT, params | {"mask": to_mask(choices)})
                return changes.scalar_one() > 0
            ballots = await self._ballots(record.poll_id)
            earlier = ballots.get(record.voter_key)
            ballots[record.voter_key] = [to_mask(choices), earlier[1] + 1 if earlier else 0]
            await self._store_ballots(record.poll_id, ballots)
            return earlier is not None
        statement = _upsert_vote(self.conn.dialect.name)
        params = {
            "poll_id": record.poll_id,
            "person_id": record.person_id,
            "choices": to_mask(choices),
        }
        return (await self.conn.execute(statement, params)).scalar_one() > 0

    async def delete_vote(self, record: VoteRecord) -> bool:
        if record.voter_key is not None:
            if self._postgresql:
                params = {"poll_id": record.poll_id, "key": record.voter_key}
                return (await self.conn.execute(_DELETE_BALLOT, params)).rowcount == 1
            ballots = await self._ballots(record.poll_id)
            if ballots.pop(record.voter_key, None) is None:
                return False
            await self._store_ballots(record.poll_id, ballots)
            return True
        result = await self.conn.execute(
            poll_votes.delete().where(
                poll_votes.c.poll_id == record.poll_id, poll_votes.c.person_id == record.person_id
            )
        )
        return result.rowcount == 1

    async def tally(self, poll_id: int, option_count: int) -> Tally:
        query = sa.select(polls.c.ballots).where(polls.c.id == poll_id)
        ballots = (await self.conn.execute(query)).scalar_one_or_none()
        if ballots is not None:  # an open anonymous poll
            counts = [0] * option_count
            for mask, _changes in ballots.values():
                for choice in from_mask(mask):
                    if choice < option_count:
                        counts[choice] += 1
            return Tally(tuple(counts), sum(1 for mask, _ in ballots.values() if mask))
        row = (await self.conn.execute(_TALLY, {"poll_id": poll_id})).one()
        return Tally(tuple(int(n) for n in row[1 : option_count + 1]), int(row[0]))

    async def _ballots(self, poll_id: int) -> dict[str, list[int]]:
        """The open anonymous poll's ballots, locked (PostgreSQL) until the transaction ends:
        votes on one anonymous poll queue up on its row."""
        query = sa.select(polls.c.ballots).where(polls.c.id == poll_id)
        if self.row_locks:
            query = query.with_for_update()
        return dict((await self.conn.execute(query)).scalar_one_or_none() or {})

    async def _store_ballots(self, poll_id: int, ballots: dict[str, list[int]]) -> None:
        ordered = dict(sorted(ballots.items()))  # the order of voting is not kept
        await self.conn.execute(polls.update().where(polls.c.id == poll_id).values(ballots=ordered))

    async def turnout(self, poll_id: int) -> list[tuple[int | None, str | None, int]]:
        """Named polls: (member id, member name, voters) per member municipality."""
        query = (
            sa.select(members.c.id, members.c.name, sa.func.count())
            .select_from(
                poll_votes.join(persons, persons.c.id == poll_votes.c.person_id).outerjoin(
                    members, members.c.id == persons.c.member_id
                )
            )
            .where(poll_votes.c.poll_id == poll_id)
            .group_by(members.c.id, members.c.name)
        )
        return [(r[0], r[1], int(r[2])) for r in await self.conn.execute(query)]

    async def delete_anonymous_votes(self, poll_id: int) -> int:
        """At closing: the ballots go (the frozen tally stays); returns how many there were."""
        query = sa.select(polls.c.ballots).where(polls.c.id == poll_id)
        ballots = (await self.conn.execute(query)).scalar_one_or_none() or {}
        await self.conn.execute(polls.update().where(polls.c.id == poll_id).values(ballots=None))
        return len(ballots)
