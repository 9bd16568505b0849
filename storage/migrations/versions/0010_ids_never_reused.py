"""ids never reused: person and question numbers stay unique after deletes (SQLite)

Revision ID: 0010
Revises: 0009

SQLite hands out the highest rowid again once that row is deleted, so after an erasure a new
guest or a new forwarded question could get the number the office or a supporter still knows
for somebody else. AUTOINCREMENT forbids that; it needs the tables rebuilt (migrations run with
foreign keys off, so the rows that refer to them stay). PostgreSQL's sequences never reuse.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("persons", "faq_questions")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always"):
            pass
