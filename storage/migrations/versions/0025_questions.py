"""Registration questions: what an organizer asks everyone who signs up for an event
(catering, accessibility needs, Anreise), and the answers, deleted some days after the event

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_questions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("prompt", sa.String(300), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("required", sa.Boolean, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name="fk_event_questions_event_id_events",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_event_questions"),
        sa.UniqueConstraint("event_id", "position", name="uq_event_questions_event_id"),
    )
    op.create_table(
        "registration_answers",
        sa.Column("question_id", sa.Integer, nullable=False),
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.Column("value", sa.String(500), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["event_questions.id"],
            name="fk_registration_answers_question_id_event_questions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name="fk_registration_answers_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", "person_id", name="pk_registration_answers"),
    )
    op.create_index("ix_registration_answers_person_id", "registration_answers", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_registration_answers_person_id", table_name="registration_answers")
    op.drop_table("registration_answers")
    op.drop_table("event_questions")
