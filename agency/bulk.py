"""Fast multi-row writes inside the session's transaction: COPY on PostgreSQL, executemany else."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from agency.extensions import db


def insert_rows(table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert `rows` (tuples in the order of `columns`) into `table`; return how many.

    Every column that has no server default must be given: COPY does not run the models'
    Python-side defaults.
    """
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        names = ", ".join(columns)
        count = 0
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    statement = table.insert()
    batch: list[dict[str, Any]] = []
    count = 0
    for row in rows:
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) == 5000:
            connection.execute(statement, batch)
            count += len(batch)
            batch = []
    if batch:
        connection.execute(statement, batch)
        count += len(batch)
    return count


def insert_returning_ids(
    table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[int]:
    """Insert `rows` like `insert_rows` and return their new ids, in the order of `rows`.

    PostgreSQL: the ids are taken from the table's sequence first and written with the rows.
    SQLite: a new row's id is one more than the largest so far, and nobody else writes while
    this transaction does, so the rows get consecutive ids ending at the last one inserted.
    """
    if not rows:
        return []
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        ids = list(
            connection.scalars(
                sa.text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"table": table.name, "n": len(rows)},
            )
        )
        insert_rows(table, ("id", *columns), [(i, *row) for i, row in zip(ids, rows, strict=True)])
        return ids
    insert_rows(table, columns, rows)
    last = connection.scalar(sa.text("SELECT last_insert_rowid()"))
    return list(range(last - len(rows) + 1, last + 1))


def one_of(column: sa.ColumnElement, values: Iterable[Any]) -> sa.ColumnElement[bool]:
    """`column IN values` for long lists: one array parameter on PostgreSQL (`= ANY(...)`),
    which it parses and plans once, instead of thousands of bound parameters."""
    values = list(values)
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)
