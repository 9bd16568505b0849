"""Quick polls through the real core, storage and router, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from bot.poll_jobs import close_due_polls
from bot.web import create_web_app
from core.domain.authority import TERMINAL, Place
from core.domain.errors import NotAllowed
from core.domain.people import ChatIdentity, Platform, Role
from core.domain.polls import voter_key
from core.polls import (
    Room,
    cast_platform_vote,
    cast_vote,
    close_poll,
    live_results,
    poll_results,
    record_posted,
    start_poll,
)
from core.privacy import erase_person, export_person_data
from storage.tables import metadata, outbox, poll_votes, polls
from tests.conftest import snapshot
from tests.support import factories
from tests.support.chat import say, say_text
from tests.support.rooms import fake_rooms, seat

GROUP = Room(Platform.TELEGRAM, "-100555")


async def speaker(app, name="Sara Sprecherin", member=None):
    return await factories.person(app, name, member=member, roles={Role.SPEAKER})


async def new_poll(app, creator, room=None, **options):
    """A poll started by ``creator`` at the terminal, or in the group ``room``."""
    values = dict(question="Wie geht es weiter?", options=["Ja", "Nein", "Vertagen"])
    values.update(options)
    if room is not None:
        values["place"] = Place(room.platform, room.chat_id, False, f"creator{creator.id}")
    return await start_poll(app.uow(), actor_id=creator.id, now=app.clock.now(), **values)


async def vote(app, poll, person, *choices, toggle=None, place=TERMINAL):
    return await cast_vote(
        app.uow(),
        poll_id=poll.id,
        person_id=person.id,
        choices=choices,
        toggle=toggle,
        now=app.clock.now(),
        place=place,
        rooms=app.rooms,
    )


async def counts(app, poll):
    results = await live_results(app.uow(), token=poll.token)
    return results.tally.counts, results.tally.participants


@pytest.mark.parametrize("anonymous", [False, True])
async def test_one_vote_per_person_the_last_one_counts(any_app, anonymous):
    app = any_app
    sara = await speaker(app)
    poll = await new_poll(app, sara, anonymous=anonymous)
    anna, bernd = await factories.person(app, "Anna"), await factories.person(app, "Bernd")
    first = await vote(app, poll, anna, 0)
    assert not first.changed
    await vote(app, poll, anna, 0)  # the same again: still one vote
    await vote(app, poll, bernd, 0)
    assert await counts(app, poll) == ((2, 0, 0), 2)
    changed = await vote(app, poll, anna, 2)
    assert changed.changed and changed.choices == (2,)
    assert await counts(app, poll) == ((1, 0, 1), 2)
    withdrawn = await vote(app, poll, bernd)
    assert withdrawn.choices == () and await counts(app, poll) == ((0, 0, 1), 1)


async def test_multiple_choice_with_a_limit_and_toggles(any_app):
    app = any_app
    poll = await new_poll(app, await speaker(app), max_choices=2)
    anna = await factories.person(app, "Anna")
    await vote(app, poll, anna, toggle=0)
    result = await vote(app, poll, anna, toggle=2)
    assert result.choices == (0, 2)
    with pytest.raises(Exception, match="poll_too_many_choices"):
        await vote(app, poll, anna, toggle=1)
    assert (await vote(app, poll, anna, toggle=0)).choices == (2,)
    assert await counts(app, poll) == ((0, 0, 1), 1)


async def test_closing_is_idempotent_and_stops_voting(any_app):
    app = any_app
    sara = await speaker(app)
    poll = await new_poll(app, sara)
    anna = await factories.person(app, "Anna")
    await vote(app, poll, anna, 1)
    first = await close_poll(app.uow(), actor_id=sara.id, poll_id=poll.id, now=app.clock.now())
    again = await close_poll(app.uow(), actor_id=sara.id, poll_id=poll.id, now=app.clock.now())
    assert first.closed_now and not again.closed_now
    assert first.tally == again.tally and first.tally.counts == (0, 1, 0)
    with pytest.raises(Exception, match="poll_closed"):
        await vote(app, poll, anna, 0)


async def test_only_speakers_organizers_admins_or_chat_moderators_run_polls(any_app):
    app = any_app
    rooms = fake_rooms(app)
    member = await factories.person(app, "Mitglied")
    with pytest.raises(Exception, match="poll_runners_only"):
        await new_poll(app, member)
    admin = await seat(app, rooms, member, GROUP, moderator=True)  # e.g. a Telegram group admin
    poll = await start_poll(
        app.uow(),
        actor_id=member.id,
        question="Pause?",
        options=["Ja", "Nein"],
        now=app.clock.now(),
        place=admin,
        rooms=app.rooms,
    )
    other = await factories.person(app, "Andere")
    with pytest.raises(Exception, match="poll_not_yours"):
        await close_poll(app.uow(), actor_id=other.id, poll_id=poll.id, now=app.clock.now())
    closed = await close_poll(app.uow(), actor_id=member.id, poll_id=poll.id, now=app.clock.now())
    assert closed.closed_now  # the creator may close their own poll


async def test_deadline_job_closes_due_polls_once_and_posts_to_every_room(any_app):
    app = any_app
    sara = await speaker(app)
    poll = await new_poll(app, sara, duration=timedelta(minutes=5), room=GROUP)
    matrix_room = Room(Platform.MATRIX, "!kurz:example.org")
    async with app.uow() as uow:
        await uow.polls.add_room(
            poll.id, matrix_room.platform, matrix_room.chat_id, app.clock.now()
        )
        await uow.commit()
    untimed = await new_poll(app, sara)
    anna = await factories.person(app, "Anna")
    in_group = await seat(app, fake_rooms(app), anna, GROUP)
    await vote(app, poll, anna, 0, place=in_group)

    assert await close_due_polls(app.uow, app.clock.now(), app.translator) == 0
    app.clock.advance(timedelta(minutes=5))
    with pytest.raises(Exception, match="poll_closed"):  # refused before the job ran
        await vote(app, poll, anna, 1, place=in_group)
    app.clock.advance(timedelta(hours=1))  # the job runs late (downtime): still closes
    assert await close_due_polls(app.uow, app.clock.now(), app.translator) == 1
    assert await close_due_polls(app.uow, app.clock.now(), app.translator) == 0
    sent = _dicts(await snapshot(app.database), "outbox")
    posted = sorted((row["platform"], row["chat_id"]) for row in sent)
    assert posted == [("matrix", "!kurz:example.org"), ("telegram", "-100555")]
    texts = [row["payload"]["reply"]["text"] for row in sent]
    assert all("Die Zeit ist um" in t and "████████ 100 % (1)" in t for t in texts)
    results = await poll_results(
        app.uow(), poll_id=poll.id, actor_id=anna.id, now=app.clock.now(), rooms=app.rooms
    )
    assert results.poll.closed_at == poll.closes_at  # closed as of the deadline, not the job
    assert (await live_results(app.uow(), token=untimed.token)).poll.closed_at is None


async def test_anonymous_votes_leave_no_link_to_a_person_after_closing(any_app):
    """While open, the pseudonyms need the server's key, which the database does not hold;
    after closing, nothing of a ballot is left in any table."""
    app = any_app
    town = await factories.member(app, "Stadt Auenburg")
    sara = await speaker(app, member=town)
    labels = ["Präsenz in Köln", "Online-Treffen", "Hybrid"]
    poll = await new_poll(app, sara, anonymous=True, options=labels, room=GROUP)
    anna = await factories.person(app, "Anna Amt", member=town)
    bernd = await factories.person(app, "Bernd Bau", member=town)
    rooms = fake_rooms(app)
    await seat(app, rooms, anna, GROUP)
    async with app.uow() as uow:
        await uow.identities.add(
            ChatIdentity(Platform.TELEGRAM, "4711", bernd.id, "bernd", app.clock.now())
        )
        await uow.commit()
    rooms.members.add((Platform.TELEGRAM, GROUP.chat_id, "4711"))
    await say(app, anna, f"/abstimmen {poll.id} 1")  # at the terminal: she sits in the group
    await cast_platform_vote(  # Bernd votes from Telegram (a native poll: no chat given)
        app.uow(),
        platform=Platform.TELEGRAM,
        external_user_id="4711",
        poll_id=poll.id,
        choices=[1],
        now=app.clock.now(),
        rooms=app.rooms,
    )
    before = await snapshot(app.database)
    stored = _row(before, "polls", poll.id)
    ballots = stored["ballots"]
    keys = set(ballots)
    assert len(keys) == 2 and list(ballots) == sorted(ballots)  # no order of voting
    assert before["poll_votes"] == []  # no row, id or time per anonymous vote
    for person in (anna, bernd):  # the database alone does not lead to a person's ballot
        assert voter_key(stored["salt"], person.id) not in keys

    await say(app, sara, f"/umfrage_ende {poll.id}")
    after = await snapshot(app.database)
    assert after["poll_votes"] == []
    assert _row(after, "polls", poll.id)["salt"] is None
    assert _row(after, "polls", poll.id)["ballots"] is None
    assert _row(after, "polls", poll.id)["result"] == {"counts": [1, 1, 0], "participants": 2}
    # No row that concerns Anna or Bernd (their ids, names, chat ids) says what they chose,
    # and no key of the votes survives anywhere.
    for person, needles in ((anna, ("Anna Amt",)), (bernd, ("Bernd Bau", "4711", "bernd"))):
        for table, row in _rows_about(after, person.id, needles):
            text = repr(row)
            assert not any(label in text for label in labels), (table, row)
            assert not any(key in text for key in keys), (table, row)
    flat = repr(after)
    assert not any(key in flat for key in keys)


def _dicts(snap, table: str) -> list[dict]:
    columns = [c.name for c in metadata.tables[table].columns]
    return [dict(zip(columns, r, strict=True)) for r in snap[table]]


def _row(snap, table: str, row_id: int) -> dict:
    return next(row for row in _dicts(snap, table) if row["id"] == row_id)


def _rows_about(snap, person_id: int, needles: tuple[str, ...]):
    """Rows pointing to the person (a foreign key to persons holding their id) or containing
    one of their strings."""
    for table, rows in snap.items():
        columns = [c.name for c in metadata.tables[table].columns]
        person_columns = [
            i
            for i, c in enumerate(metadata.tables[table].columns)
            if any(fk.column.table.name == "persons" for fk in c.foreign_keys)
        ]
        for row in rows:
            if any(row[i] == person_id for i in person_columns) or any(
                n in repr(row) for n in needles
            ):
                yield table, dict(zip(columns, row, strict=True))


async def test_a_person_linked_on_two_platforms_counts_once(any_app):
    app = any_app
    sara = await speaker(app)
    poll = await new_poll(app, sara, room=GROUP)
    anna = await factories.person(app, "Anna")
    rooms = fake_rooms(app)
    telegram = await seat(app, rooms, anna, GROUP)  # Anna's Telegram account, in the group
    await record_posted(
        app.uow(), poll_id=poll.id, room=GROUP, external_poll_id="tg-poll-1", message_id="9"
    )
    await say(app, anna, f"/abstimmen {poll.id} 1")  # console
    await cast_platform_vote(  # the same person through Telegram's native poll
        app.uow(),
        platform=Platform.TELEGRAM,
        external_user_id=telegram.user_id,
        external_poll_id="tg-poll-1",
        choices=[2],
        now=app.clock.now(),
        rooms=app.rooms,
    )
    rooms.members.add((Platform.TELEGRAM, GROUP.chat_id, "999"))
    with pytest.raises(NotAllowed, match="poll_members_only"):  # never linked: a guest
        await cast_platform_vote(
            app.uow(),
            platform=Platform.TELEGRAM,
            external_user_id="999",
            display_name="Gast",
            external_poll_id="tg-poll-1",
            choices=[0],
            now=app.clock.now(),
            rooms=app.rooms,
        )
    assert await counts(app, poll) == ((0, 0, 1), 1)


async def test_named_poll_turnout_by_municipality(any_app):
    app = any_app
    auenburg, bergdorf = (
        await factories.member(app, "Stadt Auenburg"),
        await factories.member(app, "Gemeinde Bergdorf"),
    )
    await factories.member(app, "Kreis Castell")
    sara = await speaker(app, member=auenburg)
    poll = await new_poll(app, sara)
    for name, town in (("A1", auenburg), ("A2", auenburg), ("B1", bergdorf)):
        await vote(app, poll, await factories.person(app, name, member=town), 0)
    results = await poll_results(app.uow(), poll_id=poll.id, actor_id=sara.id, now=app.clock.now())
    assert results.turnout.voted == (("Gemeinde Bergdorf", 1), ("Stadt Auenburg", 2))
    assert results.turnout.not_yet == ("Kreis Castell",)
    text = await say_text(app, sara, f"/ergebnis {poll.id}")
    assert "Kommunen, die abgestimmt haben (2): Gemeinde Bergdorf (1), Stadt Auenburg (2)" in text
    assert "Noch nicht dabei (1): Kreis Castell" in text
    member = await factories.person(app, "Mitglied", member=bergdorf)
    assert "Kommunen" not in await say_text(app, member, f"/ergebnis {poll.id}")


async def test_hidden_results_only_for_the_poll_runners_until_closing(any_app):
    app = any_app
    sara = await speaker(app)
    poll = await new_poll(app, sara, hidden_results=True)
    anna = await factories.person(app, "Anna")
    await vote(app, poll, anna, 0)
    assert "erst nach ihrem Ende" in await say_text(app, anna, f"/ergebnis {poll.id}")
    (reply,) = [r for r in await say(app, sara, f"/ergebnis {poll.id}") if "Ja" in r.plain]
    assert reply.private and "Nur für Sie" in reply.plain
    await close_poll(app.uow(), actor_id=sara.id, poll_id=poll.id, now=app.clock.now())
    assert "100 % (1)" in await say_text(app, anna, f"/ergebnis {poll.id}")


async def test_export_and_erasure_of_votes(any_app):
    app = any_app
    sara = await speaker(app)
    named = await new_poll(app, sara, question="Offen abstimmen?")
    secret = await new_poll(app, sara, question="Geheim?", anonymous=True)
    anna = await factories.person(app, "Anna")
    await vote(app, named, anna, 1)
    await vote(app, secret, anna, 2)
    data = (await export_person_data(app.uow(), person_id=anna.id, now=app.clock.now()))["daten"]
    (named_vote,) = data["poll_votes"]["eintraege"]
    assert (named_vote["poll_id"], named_vote["choices"]) == (named.id, 0b10)  # option 2
    assert "voter_key" not in repr(data)  # the anonymous vote is not written anywhere
    sara_data = await export_person_data(app.uow(), person_id=sara.id, now=app.clock.now())
    started = sara_data["daten"]["polls_genannt"]["eintraege"]
    assert [(p["id"], p["question"]) for p in started] == [
        (named.id, "Offen abstimmen?"),
        (secret.id, "Geheim?"),
    ]

    await erase_person(app.uow(), person_id=anna.id, now=app.clock.now())
    assert await counts(app, named) == ((0, 0, 0), 0)
    assert await counts(app, secret) == ((0, 0, 0), 0)  # her pseudonymous vote, too
    await erase_person(app.uow(), person_id=sara.id, now=app.clock.now())
    async with app.database.engine.connect() as conn:
        creators = (await conn.execute(sa.select(polls.c.creator_id))).scalars().all()
    assert creators == [None, None]


async def test_concurrent_votes_and_a_close_in_the_middle_add_up(any_app):
    app = any_app
    sara = await speaker(app)
    poll = await new_poll(app, sara, anonymous=True)
    people = [await factories.person(app, f"P{n}") for n in range(30)]

    async def one(person, n):
        try:
            await vote(app, poll, person, n % 3)
        except Exception as exc:
            assert "poll_closed" in str(exc)

    async def closer():
        await asyncio.sleep(0.01)
        return await close_poll(app.uow(), actor_id=sara.id, poll_id=poll.id, now=app.clock.now())

    *_, closed = await asyncio.gather(*(one(p, n) for n, p in enumerate(people)), closer())
    async with app.database.engine.connect() as conn:
        left = (await conn.execute(sa.select(sa.func.count()).select_from(poll_votes))).scalar()
    assert left == 0  # no vote slipped in after the close
    assert sum(closed.tally.counts) == closed.tally.participants <= 30


async def test_console_speaker_poll_two_votes_results_and_live_page(app):
    """The must-show: a speaker starts a poll in the console, two members vote, the results
    are shown, and the live page shows the same numbers."""
    town = await factories.member(app, "Stadt Auenburg")
    sara = await speaker(app, member=town)
    anna = await factories.person(app, "Anna Amt", member=town)
    bernd = await factories.person(app, "Bernd Bau", member=town)
    started = await say_text(app, sara, "/umfrage Nächstes Treffen? | Köln | Online --dauer 10m")
    assert "Umfrage Nr. 1: Nächstes Treffen?" in started
    assert "[1. Köln: /abstimmen 1 1]" in started
    live = re.search(r"(http://\S+/live/poll/(\S+))\n", started)
    assert "Ihre Stimme in Umfrage Nr. 1: Köln" in await say_text(app, anna, "/abstimmen 1 1")
    assert "Online" in await say_text(app, bernd, "/abstimmen 1 2")
    assert "geändert: Köln" in await say_text(app, bernd, "/abstimmen 1 1")
    results = await say_text(app, sara, "/ergebnis")
    assert "████████ 100 % (2)\nOnline\n░░░░░░░░ 0 % (0)\nAbgestimmt haben 2 Personen" in results

    web = create_web_app(app)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://t"
    ) as client:
        page = await client.get(f"/live/poll/{live.group(2)}")
        assert page.status_code == 200 and "Nächstes Treffen?" in page.text
        assert 'data-count="2"' in page.text and "100 % (2)" in page.text
        assert 'data-participants="2"' in page.text
        assert "<svg" in page.text and "/live/j/" in page.text  # bars, QR code, short link
        csv_text = (await client.get(f"/live/poll/{live.group(2)}/ergebnis.csv")).text
        assert "Köln;2;100" in csv_text and "Online;0;0" in csv_text
        assert (await client.get("/live/poll/" + "x" * 32)).status_code == 404


async def test_results_go_out_through_the_outbox_in_the_message_transaction(any_app):
    """A /umfrage_ende from a Telegram group: result to this group by the router, to the
    other rooms by the handler — committed with the processed update."""
    app = any_app
    sara = await speaker(app)
    poll = await new_poll(app, sara, room=GROUP)
    async with app.uow() as uow:
        await uow.polls.add_room(poll.id, Platform.MATRIX, "!raum:x", app.clock.now())
        await uow.identities.add(
            ChatIdentity(Platform.TELEGRAM, "77", sara.id, "sara", app.clock.now())
        )
        await uow.commit()
    from bot.messages import IncomingMessage

    message = IncomingMessage(
        Platform.TELEGRAM,
        "77",
        f"/umfrage_ende {poll.id}",
        chat_id=GROUP.chat_id,
        is_private=False,
        message_id="update-1",
    )
    await app.router.handle(message)
    await app.router.handle(message)  # redelivered: nothing more
    async with app.database.engine.connect() as conn:
        rows = (await conn.execute(sa.select(outbox.c.platform, outbox.c.chat_id))).all()
    assert sorted(rows) == [("matrix", "!raum:x"), ("telegram", "-100555")]


async def test_a_vote_waiting_for_a_close_sees_the_poll_closed(tmp_path, clock):
    """PostgreSQL: a vote blocked behind a closing transaction must read the poll after the
    close committed (lock first, read second), not from a snapshot taken before it waited."""
    from tests.conftest import RecordingNotifier, make_app, make_database

    async for db in make_database("postgres", tmp_path):
        app = await make_app(db, clock, RecordingNotifier())
        sara = await speaker(app)
        poll = await new_poll(app, sara, anonymous=True)
        anna = await factories.person(app, "Anna")
        async with app.uow() as closing:
            assert await closing.polls.close(poll.id, clock.now())  # holds the exclusive lock
            waiting = asyncio.create_task(vote(app, poll, anna, 0))
            async with asyncio.timeout(10), db.engine.connect() as conn:
                blocked = sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted")
                while not (await conn.execute(blocked)).scalar():  # the vote is waiting
                    await asyncio.sleep(0.01)
            await closing.commit()
        with pytest.raises(Exception, match="poll_closed"):
            await waiting
        async with db.engine.connect() as conn:
            left = await conn.execute(sa.select(sa.func.count()).select_from(poll_votes))
            assert left.scalar() == 0


async def test_a_poll_for_an_event_appears_in_all_its_chats_at_once(any_app):
    from bot.messages import IncomingMessage

    app = any_app
    sara = await speaker(app)
    event = await factories.event(app, title="Kurzformat Kultur", speaker=sara)
    telegram, matrix = Room(Platform.TELEGRAM, "-100900"), Room(Platform.MATRIX, "!kf:example.org")
    senders = {Platform.TELEGRAM: "701", Platform.MATRIX: "@sara:example.org"}
    async with app.uow() as uow:
        for platform, external in senders.items():
            await uow.identities.add(
                ChatIdentity(platform, external, sara.id, created_at=app.clock.now())
            )
        await uow.commit()
    ids = iter(range(1, 100))

    async def in_group(room: Room, text: str, sender: str | None = None):
        message = IncomingMessage(
            room.platform,
            sender or senders[room.platform],
            text,
            "Sara",
            chat_id=room.chat_id,
            is_private=False,
            message_id=str(next(ids)),
        )
        return await app.router.handle(message)

    for room in (telegram, matrix):
        (linked,) = await in_group(room, f"/termin_raum {event.id}")
        assert "gehört jetzt zu" in linked.plain
    (refused,) = await in_group(telegram, f"/termin_raum {event.id}", sender="999")
    assert refused.is_error and "Sprecherin oder der Sprecher" in refused.plain
    (console,) = await say(app, sara, f"/termin_raum {event.id}")
    assert console.is_error and "Gruppe" in console.plain

    await in_group(telegram, f"/umfrage Wie weiter? | Präsenz | Online --termin {event.id}")
    snap = await snapshot(app.database)
    (poll_row,) = _dicts(snap, "polls")
    assert poll_row["event_id"] == event.id
    rooms = sorted((r["platform"], r["chat_id"]) for r in _dicts(snap, "poll_rooms"))
    assert rooms == sorted([("telegram", "-100900"), ("matrix", "!kf:example.org")])
    posted = [r for r in _dicts(snap, "outbox") if r["payload"]["reply"].get("poll")]
    assert sorted((r["platform"], r["chat_id"]) for r in posted) == rooms

    rooms = fake_rooms(app)
    for room in (telegram, matrix):  # one member in each chat, voting there
        voter = await seat(app, rooms, await factories.person(app), room)
        await cast_platform_vote(
            app.uow(),
            platform=room.platform,
            external_user_id=voter.user_id,
            poll_id=poll_row["id"],
            choices=[1],
            now=app.clock.now(),
            place=voter,
            rooms=app.rooms,
        )
    results = await live_results(app.uow(), token=poll_row["token"])
    assert results.tally.counts == (0, 2) and results.tally.participants == 2


async def test_only_the_transports_with_new_messages_for_other_chats_are_woken(app):
    from bot.messages import IncomingMessage
    from bot.notifications import NotificationHub

    hub = NotificationHub(app.uow, app.translator, app.clock)
    woken: list[str] = []
    for platform in (Platform.TELEGRAM, Platform.MATRIX):
        hub.watch(platform, lambda p=platform: woken.append(p.value))
    app.notifier = hub
    sara = await speaker(app)
    event = await factories.event(app, speaker=sara)
    async with app.uow() as uow:
        await uow.identities.add(
            ChatIdentity(Platform.TELEGRAM, "701", sara.id, created_at=app.clock.now())
        )
        await uow.polls.link_event_room(event.id, Platform.MATRIX, "!kf:x", app.clock.now())
        await uow.commit()

    def from_group(text: str, message_id: str) -> IncomingMessage:
        return IncomingMessage(
            Platform.TELEGRAM,
            "701",
            text,
            "Sara",
            chat_id="-100900",
            is_private=False,
            message_id=message_id,
        )

    await app.router.handle(from_group("/termine", "1"))
    assert woken == []  # the reply is Telegram's own business
    await app.router.handle(from_group(f"/umfrage Weiter? | Ja | Nein --termin {event.id}", "2"))
    assert woken == ["matrix"]


async def test_a_closed_poll_keeps_its_turnout_when_a_voter_erases_their_data(any_app):
    app = any_app
    town = await factories.member(app, "Stadt Musterstadt")
    sara = await speaker(app)
    poll = await new_poll(app, sara)
    voters = [await factories.person(app, f"V{n}", member=town) for n in range(3)]
    for voter in voters:
        await vote(app, poll, voter, 0)
    await close_poll(app.uow(), actor_id=sara.id, poll_id=poll.id, now=app.clock.now())
    before = await poll_results(app.uow(), poll_id=poll.id, actor_id=sara.id, now=app.clock.now())
    await erase_person(app.uow(), person_id=voters[0].id, now=app.clock.now())
    after = await poll_results(app.uow(), poll_id=poll.id, actor_id=sara.id, now=app.clock.now())
    assert after.tally == before.tally and after.turnout == before.turnout
    assert after.turnout.voted == (("Stadt Musterstadt", 3),)
