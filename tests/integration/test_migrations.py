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
