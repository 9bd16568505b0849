"""INSERT … ON CONFLICT, which SQLAlchemy offers per dialect; both of ours support it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def insert(dialect_name: str, table: sa.Table) -> Any:
    """An insert with ``on_conflict_do_nothing`` / ``on_conflict_do_update`` for the dialect."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(table)
