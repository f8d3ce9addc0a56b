"""Unbound extension objects; bound to an app in `create_app`."""

import sqlite3
import time

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# A pooled connection is tried before use only after it lay idle this long: a database that
# restarted, or a firewall that dropped the idle connection, costs no request or job. SQLAlchemy's
# pool_pre_ping tried it on every checkout, a round trip per transaction (two per dunning letter).
# A connection that breaks while in steady use fails its statement, and SQLAlchemy then
# replaces the pool's connections.
IDLE_BEFORE_PING_SECONDS = 5.0


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """Make SQLite enforce foreign keys and let the job thread write while pages read."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 5000")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()


@event.listens_for(Pool, "checkin")
def _note_idle_since(dbapi_connection, connection_record) -> None:
    if connection_record is not None:
        connection_record.info["idle_since"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_after_idle(dbapi_connection, connection_record, connection_proxy) -> None:
    """Try a connection that lay idle; the pool replaces it (up to 3 times) if it is gone."""
    idle_since = connection_record.info.pop("idle_since", None)
    if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
    except Exception as exc:
        raise DisconnectionError("the idle database connection is gone") from exc
