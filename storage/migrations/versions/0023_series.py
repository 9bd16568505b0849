"""Event series: the rule of repeated events (``series``); each date is an event with
``events.series_id``

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("frequency", sa.String(16), nullable=False),
        sa.Column("first_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_seconds", sa.Integer, nullable=False),
        sa.Column("count", sa.Integer),
        sa.Column("until", sa.Date),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_series"),
    )
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("series_id", sa.Integer, nullable=True))
        batch.create_index("ix_events_series_id", ["series_id"])
        batch.create_foreign_key(
            "fk_events_series_id_series", "series", ["series_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint("fk_events_series_id_series", type_="foreignkey")
        batch.drop_index("ix_events_series_id")
        batch.drop_column("series_id")
    op.drop_table("series")
