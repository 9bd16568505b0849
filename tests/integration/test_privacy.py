"""DSGVO Art. 15 export and Art. 17 erasure, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter

from core.accounts import create_invitation
from core.domain.people import Platform, Role
from core.members import resolve_identity
from core.privacy import erase_person, export_person_data
from core.signup import sign_up
from tests.conftest import snapshot
from tests.support import factories
from tests.support.chat import say


async def build_world(app):
    """Two people with overlapping data: identities, registrations past and future, an invite."""
    town = await factories.member(app, "Stadt Auenburg")
    alice = await factories.person(app, "Alice Amtfrau", member=town, roles={Role.ORGANIZER})
    bob = await factories.person(app, "Bob Beispiel", member=town)
    async with app.uow() as uow:
        from core.domain.people import ChatIdentity

        for person, ext in ((alice, "tg-alice"), (bob, "tg-bob")):
            await uow.identities.add(
                ChatIdentity(Platform.TELEGRAM, ext, person.id, "chatname-" + ext, app.clock.now())
            )
        await uow.commit()
    await resolve_identity(
        app.uow(),
        platform=Platform.MATRIX,
        external_id="@stranger:x",
        display_name="Stranger",
        language="de",
        now=app.clock.now(),
    )
    past = await factories.event(app, title="Vergangen", capacity=5, days=1)
    full = await factories.event(app, title="Voll", capacity=1, days=10)
    open_ = await factories.event(app, title="Offen", days=12)
    for person in (alice, bob):
        await sign_up(app.uow(), person_id=person.id, event_id=past.id, now=app.clock.now())
    await sign_up(app.uow(), person_id=alice.id, event_id=full.id, now=app.clock.now())
    await sign_up(app.uow(), person_id=bob.id, event_id=full.id, now=app.clock.now())
    await sign_up(app.uow(), person_id=bob.id, event_id=open_.id, now=app.clock.now())
    await create_invitation(
        app.uow(), actor_id=alice.id, member_ref=str(town.id), now=app.clock.now()
    )
    from datetime import timedelta

    app.clock.advance(timedelta(days=2))  # "Vergangen" is now in the past
    return alice, bob, past, full


def rows_mentioning(snap, person_id: int, needles: tuple[str, ...]):
    """Rows in any table that point to the person or contain one of their strings."""
    hits: dict[tuple[str, str], tuple] = {}
    for table, rows in snap.items():
        for row in rows:
            for value in row:
                if isinstance(value, str) and any(n in value for n in needles):
                    hits[(table, repr(row))] = row
    from storage.tables import metadata

    for table in metadata.sorted_tables:
        person_columns = [
            i
            for i, c in enumerate(table.columns)
            if any(fk.column.table.name == "persons" for fk in c.foreign_keys)
            or (table.name == "persons" and c.name == "id")
        ]
        for row in snap[table.name]:
            if any(row[i] == person_id for i in person_columns):
                hits[(table.name, repr(row))] = row
    return sorted(hits)


async def test_export_has_every_row_about_the_person_and_nothing_else(any_app):
    app = any_app
    alice, *_ = await build_world(app)
    data = await export_person_data(app.uow(), person_id=alice.id, now=app.clock.now())

    snap = await snapshot(app.database)
    mentioning = rows_mentioning(snap, alice.id, ("Alice Amtfrau", "tg-alice"))
    per_table = Counter(table for table, _ in mentioning)
    assert per_table == {
        "persons": 1,
        "chat_identities": 1,
        "registrations": 2,
        "invitations": 1,
        "audit_log": 1,  # she, of the office, made the invitation
    }
    parts = data["daten"]
    rows = {name: part["eintraege"] for name, part in parts.items()}
    # Every row the snapshot finds about her is in the export, in its part, explained.
    assert {name: len(found) for name, found in rows.items()} == {
        "persons": 1,
        "chat_identities": 1,
        "registrations": 2,
        "invitations_genannt": 1,
        "audit_log_genannt": 1,
    }
    assert all(part["erklaerung"] for part in parts.values())
    assert rows["persons"][0]["display_name"] == "Alice Amtfrau"
    assert [i["external_id"] for i in rows["chat_identities"]] == ["tg-alice"]
    assert "code_hash" not in rows["invitations_genannt"][0]
    text = repr(data)
    for other in ("Bob", "tg-bob", "Stranger", "@stranger"):
        assert other not in text


async def test_erasure_leaves_no_trace_and_counts_still_add_up(any_app):
    app = any_app
    alice, bob, past, full = await build_world(app)
    notices_before = len(app.notifier.sent)

    async def counts():
        out = {}
        for event in (past, full):
            async with app.uow() as uow:
                info = await uow.events.get(event.id)
            out[event.title] = (info.confirmed, info.waitlisted)
        return out

    before = await counts()
    report = await erase_person(app.uow(), person_id=alice.id, now=app.clock.now())

    snap = await snapshot(app.database)
    assert rows_mentioning(snap, alice.id, ("Alice Amtfrau", "tg-alice")) == []
    # Bob moved up into Alice's place in the full event and was told so.
    assert report.registrations_withdrawn == 1
    after = await counts()
    assert after["Vergangen"] == before["Vergangen"] == (2, 0)
    assert before["Voll"] == (1, 1) and after["Voll"] == (1, 0)
    promoted = app.notifier.sent[notices_before:]
    assert [(n.person_id, n.key) for n in promoted] == [(bob.id, "promoted")]
    # Per event, the rows still add up to the counts shown.
    regs = snap["registrations"]
    past_rows = [r for r in regs if r[1] == past.id]
    assert len(past_rows) == 2 and sum(1 for r in past_rows if r[2] is None) == 1
    # Bob's own data is untouched.
    bob_export = await export_person_data(app.uow(), person_id=bob.id, now=app.clock.now())
    assert len(bob_export["daten"]["registrations"]["eintraege"]) == 3


async def test_the_export_holds_exactly_the_rows_the_registry_calls_the_persons(any_app):
    """Every table, as the registry declares it: the rows a person owns or that are addressed
    to their chat accounts are all in the export, and no other row is."""
    import sqlalchemy as sa

    from storage.personal_data import REGISTRY, Kind
    from storage.tables import metadata

    app = any_app
    alice, bob, *_ = await build_world(app)
    for person in (alice, bob):
        await say(app, person, "/erinnerungen aus")
        await say(app, person, "/weiterleiten Eine Frage?")
    exported = (await export_person_data(app.uow(), person_id=alice.id, now=app.clock.now()))[
        "daten"
    ]
    accounts = [("telegram", "tg-alice")]
    async with app.database.engine.connect() as conn:
        for table in metadata.sorted_tables:
            declared = REGISTRY[table.name]
            conditions = [table.c[c] == alice.id for c in declared.of(Kind.OWNER)]
            conditions += [
                sa.and_(table.c[declared.platform] == p, table.c[c] == a)
                for c in declared.of(Kind.ACCOUNT)
                for p, a in accounts
            ]
            expected = 0
            if conditions:
                query = sa.select(sa.func.count()).select_from(table).where(sa.or_(*conditions))
                expected = (await conn.execute(query)).scalar()
            found = len(exported.get(table.name, {}).get("eintraege", []))
            assert found == expected, table.name
    assert {"persons", "chat_identities", "registrations", "faq_questions"} <= set(exported)
    assert "Bob" not in repr(exported) and "tg-bob" not in repr(exported)
