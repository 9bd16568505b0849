"""events.sequence and events.updated_at: calendars update the entry after a change
(iCalendar SEQUENCE and LAST-MODIFIED, RFC 5545 3.8.7.4 and 3.8.7.3)

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("sequence", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("sequence")
