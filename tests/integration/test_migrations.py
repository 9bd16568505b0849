"""The Alembic migrations produce exactly the schema the code declares."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.database import alembic_config
from storage.tables import metadata


async def test_migrated_schema_matches_the_tables(database):
    async with database.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
        )
    assert diff == []


async def test_upgrade_is_idempotent_and_reaches_the_newest_migration(database):
    await database.upgrade()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    assert await database.current_revision() == head


async def test_upgrading_keeps_the_rows_that_refer_to_rebuilt_tables(tmp_path):
    """SQLite rebuilds a table to change it (copy, drop, rename). With foreign keys on, the
    drop would delete or clear every row referring to it: registrations, votes, rooms."""
    import sqlalchemy as sa
    from alembic import command

    from storage.database import Database

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    async with db.engine.connect() as conn:
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0006"))
        await conn.commit()
    rows = {
        "persons": "(id, display_name, roles, supporter_topics, language, is_guest, created_at) "
        "VALUES (1, 'A', '[]', '[]', 'de', 0, '2026-01-01 00:00:00')",
        "events": "(id, kind, title, description, starts_at, ends_at, audience, cancelled) "
        "VALUES (1, 'kurzformat', 'E', '', '2027-01-01 00:00:00', '2027-01-01 01:00:00', "
        "'everyone', 0)",
        "registrations": "(event_id, person_id, status, created_at, updated_at) "
        "VALUES (1, 1, 'confirmed', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        "polls": "(id, question, options, max_choices, anonymous, hidden_results, created_at, "
        "token, join_code, event_id, creator_id) "
        "VALUES (1, 'Q', '[\"a\", \"b\"]', 1, 0, 0, '2026-01-01 00:00:00', 't', 'j', 1, 1)",
        "poll_votes": "(poll_id, person_id, choices, changes) VALUES (1, 1, 1, 0)",
        "poll_rooms": "(poll_id, platform, chat_id, created_at) "
        "VALUES (1, 'telegram', '-1', '2026-01-01 00:00:00')",
        "event_rooms": "(event_id, platform, chat_id, linked_at) "
        "VALUES (1, 'telegram', '-1', '2026-01-01 00:00:00')",
    }
    async with db.engine.begin() as conn:
        for table, values in rows.items():
            await conn.execute(sa.text(f"INSERT INTO {table} {values}"))
    await db.upgrade()
    async with db.engine.connect() as conn:
        for table in rows:
            count = await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))
            assert count.scalar() == 1, table
        creator = await conn.execute(sa.text("SELECT creator_id, event_id FROM polls"))
        assert tuple(creator.one()) == (1, 1)
        assert (await conn.execute(sa.text("PRAGMA foreign_keys"))).scalar() == 1
    await db.dispose()


async def test_numbers_people_know_are_not_handed_out_again(database):
    """After the highest person and question are deleted, the next ones get new numbers:
    an answer to "question 1" can never reach somebody who asked later."""
    import sqlalchemy as sa

    async with database.engine.begin() as conn:
        for _ in range(2):
            result = await conn.execute(
                sa.text(
                    "INSERT INTO persons (display_name, roles, supporter_topics, language, "
                    "is_guest, created_at, self_registered) "
                    "VALUES ('P', '[]', '[]', 'de', false, CURRENT_TIMESTAMP, false) RETURNING id"
                )
            )
            person = result.scalar_one()
            question = (
                await conn.execute(
                    sa.text(
                        "INSERT INTO faq_questions (asker_id, text, created_at) "
                        "VALUES (:p, 'Q', CURRENT_TIMESTAMP) RETURNING id"
                    ),
                    {"p": person},
                )
            ).scalar_one()
            await conn.execute(sa.text("DELETE FROM persons WHERE id = :p"), {"p": person})
            if _ == 0:
                first = (person, question)
    assert person > first[0] and question > first[1]
