"""announcements.draft: the preview's key, so that sending it twice (a second click, a
reload, another process, a restart in between) sends one announcement

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("announcements") as batch:
        batch.add_column(sa.Column("draft", sa.String(64)))
        batch.create_unique_constraint("uq_announcements_draft", ["draft"])


def downgrade() -> None:
    with op.batch_alter_table("announcements") as batch:
        batch.drop_constraint("uq_announcements_draft", type_="unique")
        batch.drop_column("draft")
