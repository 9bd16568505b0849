"""anonymous ballots: one sorted map per open poll instead of a row per voter

Revision ID: 0009
Revises: 0008

Anonymous votes become pseudonyms made with the server's secret key, which the database does
not hold: pseudonyms made before cannot be carried over. Open anonymous polls keep their counts
(the old pseudonyms stay in the map), but a person who voted there may vote once more.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "ballots",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                nullable=True,
            )
        )
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT poll_id, voter_key, choices, changes FROM poll_votes "
            "WHERE voter_key IS NOT NULL ORDER BY voter_key"
        )
    ).all()
    ballots: dict[int, dict[str, list[int]]] = {}
    for poll_id, key, choices, changes in rows:
        ballots.setdefault(poll_id, {})[key] = [choices, changes]
    for poll_id, found in ballots.items():
        conn.execute(
            sa.text("UPDATE polls SET ballots = :ballots WHERE id = :id"),
            {"ballots": json.dumps(found), "id": poll_id},
        )
    conn.execute(sa.text("DELETE FROM poll_votes WHERE voter_key IS NOT NULL"))
    with op.batch_alter_table("poll_votes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_poll_votes_one_voter"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_poll_votes_voter_key"), type_="unique")
        batch_op.drop_column("voter_key")
        batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("poll_votes", schema=None) as batch_op:
        batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("voter_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_poll_votes_voter_key"), ["poll_id", "voter_key"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_poll_votes_one_voter"), "(person_id IS NULL) <> (voter_key IS NULL)"
        )
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_column("ballots")
