"""Fast multi-row writes inside the session's transaction: COPY on PostgreSQL, executemany else."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

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
