"""The record tables hold exactly the parsers' columns and keys (records.FAMILIES)."""

from __future__ import annotations

import pytest
from sqlalchemy import Table, UniqueConstraint

from fedcore.accounting.formats.records import FAMILIES, RecordKind
from fedcore.accounting.models import RECORD_TABLES

PROVENANCE = ("message_id", "publisher", "loaded_at")


@pytest.mark.parametrize("kind", list(RecordKind))
def test_a_record_table_has_the_familys_columns_and_its_key_as_a_named_constraint(
    kind: RecordKind,
) -> None:
    family = FAMILIES[kind]
    table = RECORD_TABLES[kind].__table__
    assert isinstance(table, Table)
    assert tuple(table.c.keys()) == ("id", *family.columns, *PROVENANCE)
    (key,) = [
        constraint
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint) and constraint.name == f"uq_{table.name}_key"
    ]
    assert tuple(column.name for column in key.columns) == family.key
    assert not any(table.c[name].nullable for name in family.key)
