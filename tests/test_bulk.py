"""Bulk writes: COPY (PostgreSQL) or executemany (SQLite) inside the session's transaction."""

from __future__ import annotations

import sqlalchemy as sa

from agency import bulk
from agency.clients.models import Client, HeaderMapping


def test_insert_returning_ids_gives_each_row_its_own_id(db, make_client):
    client = make_client()
    db.session.add(HeaderMapping(client_id=client.id, header="earlier", field=""))
    db.session.commit()  # an earlier row: the ids do not start at 1
    table = HeaderMapping.__table__
    rows = [(client.id, f"kolom {n}", "amount") for n in range(7)]
    ids = bulk.insert_returning_ids(table, ("client_id", "header", "field"), rows)
    again = bulk.insert_returning_ids(
        table, ("client_id", "header", "field"), [(client.id, "kolom 7", "")]
    )
    db.session.commit()
    stored = dict(db.session.execute(sa.select(table.c.id, table.c.header)).all())
    assert [stored[i] for i in ids] == [header for _c, header, _f in rows]
    assert stored[again[0]] == "kolom 7"
    assert len(stored) == 9 and len(set(ids + again)) == 8


def test_one_of_finds_exactly_the_listed_values(db, make_client):
    for code in ("A", "B", "C", "D"):
        make_client(code=code)
    db.session.commit()
    wanted = bulk.one_of(Client.code, ["B", "D", "X"])
    found = db.session.scalars(sa.select(Client.code).where(wanted).order_by(Client.code)).all()
    assert found == ["B", "D"]
