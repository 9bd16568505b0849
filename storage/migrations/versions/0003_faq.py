"""knowledge base: entries, forwarded questions, gaps

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "faq_entries",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_entries")),
    )
    op.create_table(
        "faq_gaps",
        sa.Column("query", sa.String(length=300), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("query", name=op.f("pk_faq_gaps")),
    )
    op.create_table(
        "faq_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asker_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by"],
            ["persons.id"],
            name=op.f("fk_faq_questions_answered_by_persons"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["asker_id"],
            ["persons.id"],
            name=op.f("fk_faq_questions_asker_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_questions")),
    )
    with op.batch_alter_table("faq_questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_faq_questions_answered_by"), ["answered_by"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_faq_questions_asker_id"), ["asker_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("faq_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_faq_questions_asker_id"))
        batch_op.drop_index(batch_op.f("ix_faq_questions_answered_by"))

    op.drop_table("faq_questions")
    op.drop_table("faq_gaps")
    op.drop_table("faq_entries")
