"""The app the queue benchmark serves under gunicorn: the real app plus one bench-only route.

`/bench/minimal-queue?agent=ID` is the limit of `queue.page_rps`: the same top-50 "My queue"
statement (agency.cases.queries.queue_statement) run with SQLAlchemy Core on a plain
connection and rendered as a bare 50-row table (a template compiled once, without the app's
context processors) — no login, no session, no forms, no layout. It is
registered here only, never by `create_app`, so production has no such route.

Served as `gunicorn 'bench._queue_app:bench_app()'`; settings come from the environment the
benchmark gives gunicorn (DATABASE_URL, SECRET_KEY).
"""

from __future__ import annotations

import functools
import os

from flask import Blueprint, current_app, request
from jinja2 import Template

from agency import create_app
from agency.cases.queries import QueueScope, queue_statement
from agency.extensions import db
from agency.modeling import today

minimal = Blueprint("bench_minimal", __name__)

BARE_TABLE = """<!doctype html><table>
{% for r in rows %}<tr><td>{{ r[7] }}</td><td>{{ r[1] }}</td><td>{{ r[3] }}</td><td>{{ r[2] }}</td>
<td>{{ r[5] }}</td><td>{{ r[8] or "" }}</td><td>{{ r[9] }}</td></tr>
{% endfor %}</table>"""


@minimal.route("/bench/minimal-queue")
def minimal_queue():
    stmt = queue_statement(QueueScope.MINE, today=today(), user_id=int(request.args["agent"]))
    with db.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return _bare_table().render(rows=rows)


@functools.cache
def _bare_table() -> Template:
    """The table's template, compiled once (as the app's own templates are cached)."""
    return current_app.jinja_env.from_string(BARE_TABLE)


def bench_app():
    """Build the app with the settings of the benchmark and the minimal route."""
    app = create_app(
        {
            "AGENCY_ENV": "production",
            "SECRET_KEY": os.environ["SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"],
            "REDIS_URL": None,
            "JOBS_RUN_PERIODIC": False,
            "SESSION_COOKIE_SECURE": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    app.register_blueprint(minimal)
    return app
