"""The registry of personal data covers the whole schema, and says it consistently."""

from __future__ import annotations

from storage.personal_data import REGISTRY, Kind, undeclared
from storage.tables import metadata


def test_every_table_and_column_is_declared():
    assert undeclared() == []


def test_every_reference_to_a_person_is_an_owner_or_a_mention():
    for table in metadata.sorted_tables:
        for column in table.c:
            if any(fk.column.table.name == "persons" for fk in column.foreign_keys):
                kind = REGISTRY[table.name].columns[column.name]
                assert kind in (Kind.OWNER, Kind.MENTION), f"{table.name}.{column.name}"


def test_the_export_can_explain_every_part():
    for name, declared in REGISTRY.items():
        if declared.of(Kind.OWNER) or declared.of(Kind.ACCOUNT):
            assert declared.explanation, name
        if declared.of(Kind.MENTION):
            assert declared.mentioned, name
        for content, author in (declared.authored or {}).items():
            assert declared.columns[content] is Kind.CONTENT, (name, content)
            assert declared.columns[author] in (Kind.OWNER, Kind.MENTION), (name, author)


def test_a_table_added_without_a_declaration_is_found():
    import sqlalchemy as sa

    extra = sa.Table("quiz_answers", metadata, sa.Column("id", sa.Integer, primary_key=True))
    try:
        assert undeclared() == ["quiz_answers"]
    finally:
        metadata.remove(extra)
