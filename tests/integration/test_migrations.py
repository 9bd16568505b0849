"""The Alembic migrations produce exactly the schema the code declares."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage.tables import metadata


async def test_migrated_schema_matches_the_tables(database):
    async with database.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
        )
    assert diff == []


async def test_upgrade_is_idempotent_and_reports_head(database):
    await database.upgrade()
    assert await database.current_revision() == "0001"
