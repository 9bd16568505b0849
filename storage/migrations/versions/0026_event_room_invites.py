"""Event rooms: registered members invited to an event's Matrix room

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROOM = ["event_id", "platform", "chat_id"]


def upgrade() -> None:
    op.create_table(
        "event_room_invitations",
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(255), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ROOM,
            [f"event_rooms.{c}" for c in ROOM],
            name="fk_event_room_invitations_event_id_event_rooms",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint(*ROOM, name="pk_event_room_invitations"),
    )
    op.create_table(
        "event_room_invites",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(255), nullable=False),
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("outbox_id", sa.Integer),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ROOM,
            [f"event_room_invitations.{c}" for c in ROOM],
            name="fk_event_room_invites_event_id_event_room_invitations",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name="fk_event_room_invites_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name="fk_event_room_invites_outbox_id_outbox",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_event_room_invites"),
        sa.UniqueConstraint(*ROOM, "user_id", name="uq_event_room_invites"),
    )
    op.create_index("ix_event_room_invites_person_id", "event_room_invites", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_event_room_invites_person_id", table_name="event_room_invites")
    op.drop_table("event_room_invites")
    op.drop_table("event_room_invitations")
