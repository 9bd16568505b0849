"""Anonymous polls are unlinkable from a database dump alone, at any time.

Twenty members vote in an open anonymous poll, by typing in their direct chats and by button;
their confirmations are delivered. Then only the dump of every table is used — no process
memory, no settings (the server's secret key is not in it) — to link ballots to persons: by
recomputing pseudonyms from every value the dump holds, by the order of rows and keys, and by
the times of everything else. Each attempt fails.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from datetime import timedelta

from bot.delivery import OutboxDispatcher
from bot.messages import IncomingMessage
from core.domain.outbox import OutgoingMessage
from core.domain.people import Platform, Role
from core.polls import Room, cast_platform_vote, start_poll
from tests.conftest import snapshot
from tests.support import factories
from tests.support.rooms import fake_rooms, seat

GROUP = Room(Platform.TELEGRAM, "-100432")
_ids = itertools.count(1)


def candidate_keys(value: object, person_id: int) -> set[str]:
    """Every pseudonym an attacker could make for a person from one value of the dump."""
    if isinstance(value, str):
        value = value.encode()
    if not isinstance(value, bytes):
        return set()
    message = str(person_id).encode()
    return {
        hmac.new(value, message, hashlib.sha256).hexdigest(),
        hashlib.sha256(value + message).hexdigest(),
        hashlib.sha256(message + value).hexdigest(),
    }


async def test_an_open_anonymous_poll_cannot_be_linked_from_the_database(any_app):
    app = any_app
    rooms = fake_rooms(app)
    sara = await factories.person(app, "Sara", roles={Role.SPEAKER})
    poll = await start_poll(
        app.uow(),
        actor_id=sara.id,
        question="Geheim?",
        options=["Ja", "Nein", "Egal"],
        now=app.clock.now(),
        place=await seat(app, rooms, sara, GROUP),
        anonymous=True,
    )
    voters = [await factories.person(app, f"Wählerin {n}") for n in range(20)]
    for n, voter in enumerate(voters):
        place = await seat(app, rooms, voter, GROUP)
        if n % 2:  # typed into the direct chat
            message = IncomingMessage(
                Platform.TELEGRAM,
                place.user_id,
                f"/abstimmen {poll.id} {n % 3 + 1}",
                voter.display_name,
                chat_id=place.user_id,
                message_id=f"u{next(_ids)}",
            )
            await app.router.handle(message)
        else:  # a button under the poll in the group
            await cast_platform_vote(
                app.uow(),
                platform=Platform.TELEGRAM,
                external_user_id=place.user_id,
                poll_id=poll.id,
                choices=[n % 3],
                now=app.clock.now(),
                place=place,
                rooms=app.rooms,
            )
        app.clock.advance(timedelta(seconds=7))

    async def send(_: OutgoingMessage) -> None:
        return None

    await OutboxDispatcher(app.uow, app.clock).dispatch("telegram", send)
    dump = await snapshot(app.database)

    from storage.tables import metadata

    columns = {t.name: [c.name for c in t.columns] for t in metadata.sorted_tables}
    (row,) = [dict(zip(columns["polls"], r, strict=True)) for r in dump["polls"]]
    ballots = row["ballots"]
    assert len(ballots) == 20

    # 1. By hash: no value anywhere in the dump makes any voter's pseudonym.
    values = {v for rows in dump.values() for r in rows for v in r if isinstance(v, str | bytes)}
    for voter in voters:
        for value in values:
            assert not candidate_keys(value, voter.id) & set(ballots)
    # 2. By order: the ballots are kept sorted by pseudonym, as rows they do not exist.
    assert list(ballots) == sorted(ballots)
    assert dump["poll_votes"] == []
    assert all(len(ballot) == 2 for ballot in ballots.values())  # choices, changes: no time
    # 3. By time: the confirmations, stored with a time and a chat id, are gone once
    # delivered; what remains with a time (processed inputs) names no account.
    accounts = {str(7000 + v.id) for v in voters}
    outbox = [dict(zip(columns["outbox"], r, strict=True)) for r in dump["outbox"]]
    assert not [m for m in outbox if m["chat_id"] in accounts]
    timed = [r for r in dump["processed_inputs"] if any(a in repr(r) for a in accounts)]
    assert timed == []
