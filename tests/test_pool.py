"""Pooled database connections: tried before use only after lying idle (agency.extensions)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from agency import extensions


def backend_id(db) -> object:
    """Something that tells one database connection from another."""
    if db.engine.dialect.name == "postgresql":
        return db.session.scalar(sa.text("SELECT pg_backend_pid()"))
    return id(db.session.connection().connection.dbapi_connection)


def break_the_pooled_connection(db) -> None:
    """Lose the connection the pool holds, as a database restart or a firewall would."""
    if db.engine.dialect.name == "postgresql":
        pid = backend_id(db)
        db.session.commit()
        with sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool).connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    else:
        raw = db.session.connection().connection.dbapi_connection
        db.session.commit()
        raw.close()


def test_an_idle_connection_that_is_gone_is_replaced_before_use(db, monkeypatch):
    first = backend_id(db)
    break_the_pooled_connection(db)
    monkeypatch.setattr(extensions, "IDLE_BEFORE_PING_SECONDS", 0.0)
    assert db.session.scalar(sa.text("SELECT 1")) == 1
    assert backend_id(db) != first


def test_a_connection_in_steady_use_is_not_tried_first(db):
    backend_id(db)
    break_the_pooled_connection(db)
    # Used again at once: no round trip to try it, so the statement meets the broken
    # connection; SQLAlchemy then replaces it, and the next transaction works.
    with pytest.raises(sa.exc.DBAPIError) as failure:
        db.session.execute(sa.text("SELECT 1"))
    if db.engine.dialect.name == "postgresql":
        assert failure.value.connection_invalidated
    db.session.rollback()
    assert db.session.scalar(sa.text("SELECT 1")) == 1
