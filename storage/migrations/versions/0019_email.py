"""E-mail as a channel: persons' addresses (double opt-in), the channel each person chose,
information mails' subjects and the event a mail invites to, whose calendar holds an event
from a mailed invitation

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_addresses",
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.Column("address", sa.String(254)),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
        sa.Column("pending_address", sa.String(254)),
        sa.Column("pending_token_hash", sa.String(64)),
        sa.Column("pending_since", sa.DateTime(timezone=True)),
        sa.Column("undeliverable_at", sa.DateTime(timezone=True)),
        sa.Column("problem", sa.String(300)),
        sa.Column("announcements", sa.Boolean, nullable=False),
        sa.Column("pending_problem", sa.String(300)),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name="fk_email_addresses_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name="pk_email_addresses"),
        sa.UniqueConstraint("pending_token_hash", name="uq_email_addresses_pending_token_hash"),
    )
    op.create_index("ix_email_addresses_address", "email_addresses", ["address"])
    op.create_table(
        "mail_calendar",
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name="fk_mail_calendar_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_mail_calendar_event_id_events", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", "event_id", name="pk_mail_calendar"),
    )
    with op.batch_alter_table("person_preferences") as batch:
        batch.add_column(sa.Column("channel", sa.String(8), nullable=False, server_default="chat"))
    with op.batch_alter_table("announcements") as batch:
        batch.add_column(sa.Column("subject", sa.String(200)))
        batch.add_column(sa.Column("event_id", sa.Integer))
        batch.create_foreign_key(
            "fk_announcements_event_id_events", "events", ["event_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("announcements") as batch:
        batch.drop_constraint("fk_announcements_event_id_events", type_="foreignkey")
        batch.drop_column("event_id")
        batch.drop_column("subject")
    with op.batch_alter_table("person_preferences") as batch:
        batch.drop_column("channel")
    op.drop_table("mail_calendar")
    op.drop_index("ix_email_addresses_address", table_name="email_addresses")
    op.drop_table("email_addresses")
