"""Evaluation surveys: questions, anonymous responses, recipients and "has answered"

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RESPONSES = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("questions", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminder_after_s", sa.Integer, nullable=False),
        sa.Column("open_for_s", sa.Integer, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("remind_at", sa.DateTime(timezone=True)),
        sa.Column("reminded_at", sa.DateTime(timezone=True)),
        sa.Column("closes_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("invited", sa.Integer, nullable=False, server_default="0"),
        sa.Column("salt", sa.LargeBinary(32)),
        sa.Column("responses", RESPONSES, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_surveys_event_id_events", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_surveys"),
        sa.UniqueConstraint("event_id", name="uq_surveys_event_id"),
    )
    op.create_table(
        "survey_recipients",
        sa.Column("survey_id", sa.Integer, nullable=False),
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.Column("draft", sa.JSON),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name="fk_survey_recipients_survey_id_surveys",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name="fk_survey_recipients_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("survey_id", "person_id", name="pk_survey_recipients"),
    )
    op.create_index("ix_survey_recipients_person_id", "survey_recipients", ["person_id"])
    op.create_table(
        "survey_answered",
        sa.Column("survey_id", sa.Integer, nullable=False),
        sa.Column("voter_key", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name="fk_survey_answered_survey_id_surveys",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("survey_id", "voter_key", name="pk_survey_answered"),
    )


def downgrade() -> None:
    op.drop_table("survey_answered")
    op.drop_index("ix_survey_recipients_person_id", table_name="survey_recipients")
    op.drop_table("survey_recipients")
    op.drop_table("surveys")
