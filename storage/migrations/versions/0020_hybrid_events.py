"""Hybrid events: an online capacity beside the place's, and each registration's mode
(on site or online) with its own waiting list

Existing registrations take the mode their event offers: online where the event has no
place, on site otherwise.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("online_capacity", sa.Integer))
    with op.batch_alter_table("registrations") as batch:
        batch.add_column(sa.Column("mode", sa.String(16), nullable=False, server_default="on_site"))
    op.execute(
        "UPDATE registrations SET mode = 'online' WHERE event_id IN "
        "(SELECT id FROM events WHERE place IS NULL)"
    )
    op.drop_index("ix_registrations_event_status", table_name="registrations")
    op.create_index(
        "ix_registrations_event_status",
        "registrations",
        ["event_id", "mode", "status", "waitlist_position"],
    )


def downgrade() -> None:
    op.drop_index("ix_registrations_event_status", table_name="registrations")
    op.create_index(
        "ix_registrations_event_status",
        "registrations",
        ["event_id", "status", "waitlist_position"],
    )
    with op.batch_alter_table("registrations") as batch:
        batch.drop_column("mode")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("online_capacity")
