"""authority: personal invitations, an event's speaker, a poll's origin room and electorate

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("self_registered", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Guests came in through a chat account. Members who joined by a municipality's code
    # cannot be told from the office's entries any more: they count as the office's (safe:
    # never merged away, and their roles stay the office's business).
    op.execute("UPDATE persons SET self_registered = is_guest")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.alter_column("self_registered", server_default=None)
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.alter_column("member_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_invitations_person_id"), ["person_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_invitations_person_id_persons"),
            "persons",
            ["person_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_invitations_one_target"), "(member_id IS NULL) <> (person_id IS NULL)"
        )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("speaker_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_events_speaker_id"), ["speaker_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_events_speaker_id_persons"),
            "persons",
            ["speaker_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin_platform", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("origin_chat_id", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("open_to_guests", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.alter_column("open_to_guests", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_column("self_registered")
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_column("open_to_guests")
        batch_op.drop_column("origin_chat_id")
        batch_op.drop_column("origin_platform")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_events_speaker_id_persons"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_events_speaker_id"))
        batch_op.drop_column("speaker_id")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_invitations_one_target"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_invitations_person_id_persons"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_invitations_person_id"))
        batch_op.drop_column("person_id")
        batch_op.alter_column("member_id", existing_type=sa.Integer(), nullable=False)
