"""Attendance: check-ins at events and each event's attendance code

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("certificate_sent_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_attendance_event_id_events", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name="fk_attendance_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_attendance"),
        sa.UniqueConstraint("event_id", "person_id", name="uq_attendance_event_id"),
    )
    op.create_index("ix_attendance_person_id", "attendance", ["person_id"])
    op.create_table(
        "attendance_codes",
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name="fk_attendance_codes_event_id_events",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name="pk_attendance_codes"),
        sa.UniqueConstraint("code", name="uq_attendance_codes_code"),
    )


def downgrade() -> None:
    op.drop_table("attendance_codes")
    op.drop_index("ix_attendance_person_id", table_name="attendance")
    op.drop_table("attendance")
