"""Waiting-list offers: an event may offer a freed place to the first person waiting
(``events.waitlist_offers``) instead of confirming them at once; the offer holds the place
until ``registrations.offered_until``

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(
            sa.Column("waitlist_offers", sa.Boolean, nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("registrations") as batch:
        batch.add_column(sa.Column("offered_until", sa.DateTime(timezone=True)))
    op.create_index("ix_registrations_offered_until", "registrations", ["offered_until"])


def downgrade() -> None:
    op.drop_index("ix_registrations_offered_until", table_name="registrations")
    with op.batch_alter_table("registrations") as batch:
        batch.drop_column("offered_until")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("waitlist_offers")
