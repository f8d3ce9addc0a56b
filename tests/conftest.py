"""Shared fixtures: a migrated database per test, the app, a test client, users and factories.

The suite runs on SQLite always, and on PostgreSQL too when TEST_DATABASE_URL is set: every
test that uses `app` runs once per database. The schema comes from the migrations, not from
create_all, so every test also exercises them.
"""

from __future__ import annotations

import contextvars
import itertools
import os
import re
import shutil
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, sync_playwright
from werkzeug.serving import make_server

from agency import create_app
from agency.auth.models import Role, User
from agency.auth.operations import create_user
from agency.cases.models import Case, CaseStatus, Debtor, DebtorKind, Invoice
from agency.cases.operations import open_case, transition
from agency.clients.models import Client, Segment
from agency.extensions import db as _db
from agency.ledger.models import EntryKind, EntrySource
from agency.ledger.operations import book_charge

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
REDIS_URL = os.environ.get("TEST_REDIS_URL")
PASSWORD = "correct horse battery"

# Tests of the real RQ backend exist only where there is a Redis to run them on.
collect_ignore = [] if REDIS_URL else ["test_jobs_rq.py"]

TEST_CONFIG: dict[str, Any] = {
    "AGENCY_ENV": "test",
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "REDIS_URL": None,
    "BASE_URL": "http://127.0.0.1:5000",
    "SESSION_COOKIE_SECURE": False,
    # A cheap hash keeps logins fast in tests; production uses scrypt.
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "RATELIMIT_STORAGE_URI": "memory://",
    "JOBS_RUN_PERIODIC": False,
    "MAIL_SERVER": None,
    "TWILIO_ACCOUNT_SID": None,
    "TWILIO_AUTH_TOKEN": None,
    "TWILIO_FROM": None,
    "MOLLIE_API_KEY": None,
    "STRIPE_SECRET_KEY": None,
    "STRIPE_WEBHOOK_SECRET": None,
}


def migrate_database(url: str) -> None:
    """Run every migration against `url`."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        flask_migrate.upgrade()
        _db.engine.dispose()


class SqliteDatabase:
    """A migrated template file; each test gets its own copy."""

    kind = "sqlite"

    def __init__(self, template: Path) -> None:
        self.template = template

    def url_for(self, tmp_path: Path) -> str:
        path = tmp_path / "agency.db"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def reset(self) -> None:
        """Nothing to do: the copy dies with the test's folder."""


class PostgresDatabase:
    """One migrated database; tables are emptied after each test."""

    kind = "postgresql"
    keep = {"alembic_version", "interest_rates"}

    def __init__(self, url: str) -> None:
        self.url = url

    def url_for(self, tmp_path: Path) -> str:
        return self.url

    def reset(self) -> None:
        engine = sa.create_engine(self.url)
        with engine.begin() as conn:
            names = [t for t in sa.inspect(conn).get_table_names() if t not in self.keep]
            conn.execute(sa.text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        engine.dispose()


def worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets a database of its own next to TEST_DATABASE_URL's
    (created when missing); a single process uses TEST_DATABASE_URL itself."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        known = sa.text("SELECT 1 FROM pg_database WHERE datname = :n")
        if conn.scalar(known, {"n": name}) is None:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def empty_postgres(url: str) -> None:
    """Drop everything in the public schema of the test database."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database(request, tmp_path_factory) -> Iterator[SqliteDatabase | PostgresDatabase]:
    """The migrated database of one backend for the whole session."""
    if request.param == "sqlite":
        template = tmp_path_factory.mktemp("template") / "template.db"
        migrate_database(f"sqlite:///{template}")
        yield SqliteDatabase(template)
    else:
        url = worker_database(os.environ["TEST_DATABASE_URL"])
        empty_postgres(url)
        migrate_database(url)
        yield PostgresDatabase(url)


class AgencyTestClient(FlaskClient):
    """A test client whose requests run in their own app context and database session.

    Outside a request, the test's own app context stays pushed for setup and checks; its
    pending work is committed before each request, and its objects are expired after it, so
    a check reads what the request really stored.
    """

    def open(self, *args: Any, **kwargs: Any):
        _db.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        _db.session.expire_all()
        return response

    def csrf_token(self, path: str = "/login") -> str:
        """Fetch a page with a form and return its CSRF token."""
        html = self.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, email: str, password: str = PASSWORD):
        """Log in through the real form."""
        token = self.csrf_token("/login")
        return self.post("/login", data={"email": email, "password": password, "csrf_token": token})


def make_app(url: str, **overrides: Any) -> Flask:
    """Build an app on `url` with the test settings."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url, **overrides})
    app.test_client_class = AgencyTestClient
    return app


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Settings a test module can override for its app."""
    return {}


@pytest.fixture
def app(database, tmp_path, app_config) -> Iterator[Flask]:
    """The app on a fresh migrated database, with its app context pushed."""
    app = make_app(database.url_for(tmp_path), **app_config)
    with app.app_context():
        yield app
        backend = app.extensions["agency.jobs"]
        if hasattr(backend, "wait_idle"):
            backend.wait_idle(60)  # a job still running would hold locks the reset needs
        _db.session.remove()
        _db.engine.dispose()
    database.reset()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app) -> AgencyTestClient:
    return app.test_client()


_seq = itertools.count(1)


@pytest.fixture
def make_client(app):
    """Create a client (creditor)."""

    def factory(**fields: Any) -> Client:
        n = next(_seq)
        values = {"code": f"C{n:03d}", "name": f"Client {n} B.V.", "default_segment": Segment.B2B}
        values.update(fields)
        client = Client(**values)
        _db.session.add(client)
        _db.session.flush()
        return client

    return factory


@pytest.fixture
def make_user(app, make_client):
    """Create a user of a role (a client user gets a new client unless one is given)."""

    def factory(role: Role | str, client: Client | None = None, **fields: Any) -> User:
        role = Role(role)
        if role is Role.CLIENT and client is None:
            client = make_client()
        n = next(_seq)
        user = create_user(
            fields.pop("email", f"{role.value}{n}@example.test"),
            fields.pop("name", f"{role.value.title()} {n}"),
            fields.pop("password", PASSWORD),
            role,
            client=client if role is Role.CLIENT else None,
            **fields,
        )
        _db.session.commit()
        return user

    return factory


@pytest.fixture
def login_as(client, make_user):
    """Create a user of `role` and log the test client in as that user."""

    def factory(role: Role | str, client_obj: Client | None = None, **fields: Any) -> User:
        user = make_user(role, client_obj, **fields)
        response = client.login(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return factory


@pytest.fixture
def make_debtor(app, make_client):
    def factory(client: Client | None = None, **fields: Any) -> Debtor:
        client = client or make_client()
        n = next(_seq)
        values = {
            "client_id": client.id,
            "debtor_code": f"D{n:05d}",
            "kind": DebtorKind.COMPANY,
            "name": f"Debtor {n}",
            "postcode": "1234 AB",
            "country": "NL",
        }
        values.update(fields)
        debtor = Debtor(**values)
        _db.session.add(debtor)
        _db.session.flush()
        return debtor

    return factory


@pytest.fixture
def make_case(app, make_client, make_debtor):
    """Create a case with invoices of the given open amounts (cents) and principal booked."""

    def factory(
        *amounts: int,
        client: Client | None = None,
        debtor: Debtor | None = None,
        status: CaseStatus = CaseStatus.DUNNING,
        opened_on: date = date(2025, 3, 1),
        due_dates: list[date] | None = None,
    ) -> Case:
        client = client or (debtor.client if debtor else make_client())
        debtor = debtor or make_debtor(client)
        case = open_case(client, debtor, opened_on=opened_on)
        for i, cents in enumerate(amounts or (100_00,)):
            due = due_dates[i] if due_dates else opened_on - timedelta(days=30 * (len(amounts) - i))
            invoice = Invoice(
                client_id=client.id,
                debtor_id=debtor.id,
                case_id=case.id,
                number=f"INV-{next(_seq)}",
                invoice_date=due - timedelta(days=30),
                due_date=due,
                amount_cents=cents,
            )
            _db.session.add(invoice)
            _db.session.flush()
            book_charge(
                case,
                EntryKind.PRINCIPAL,
                cents,
                invoice=invoice,
                booked_on=opened_on,
                source=EntrySource.HANDOFF,
            )
        if status is not CaseStatus.NEW:
            transition(case, status, on=opened_on)
        _db.session.commit()
        return case

    return factory


# --- a real browser --------------------------------------------------------------------------

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _closed_when_written(wsgi_app):
    """Close each response as soon as it is written.

    werkzeug's development server closes a response only after reading what is left of the
    request; when the browser has reset the connection (it drops a revalidated stylesheet when
    it navigates), that read raises first and the response's open file is left to the garbage
    collector, which reports it as a ResourceWarning in whichever test runs then.
    """

    def app(environ, start_response):
        response = wsgi_app(environ, start_response)

        def body():
            try:
                yield from response
            finally:
                if hasattr(response, "close"):
                    response.close()

        return body()

    return app


@pytest.fixture
def live_server(app, db) -> Iterator[str]:
    """Serve the test app on a free port of 127.0.0.1 from a thread."""
    server = make_server("127.0.0.1", 0, _closed_when_written(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
