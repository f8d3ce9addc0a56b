"""`flask create-user`: staff and client users from the command line."""

from __future__ import annotations

import sqlalchemy as sa
from werkzeug.security import check_password_hash

from agency.auth.models import Role, User


def invoke(app, *args: str, password: str = "a long enough password"):  # noqa: S107
    runner = app.test_cli_runner()
    return runner.invoke(args=["create-user", *args], input=f"{password}\n{password}\n")


def user(db, email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_create_a_supervisor(app, db):
    result = invoke(app, "--email", "Boss@Agency.test", "--name", "Boss", "--role", "supervisor")
    assert result.exit_code == 0, result.output
    created = user(db, "boss@agency.test")
    assert created.role is Role.SUPERVISOR and created.client_id is None
    assert check_password_hash(created.password_hash, "a long enough password")


def test_create_a_client_user_by_client_code(app, db, make_client):
    client = make_client(code="ACME")
    db.session.commit()
    result = invoke(
        app,
        "--email",
        "bookkeeper@acme.test",
        "--name",
        "Els",
        "--role",
        "client",
        "--client",
        "ACME",
        "--language",
        "en",
    )
    assert result.exit_code == 0, result.output
    created = user(db, "bookkeeper@acme.test")
    assert created.client_id == client.id and created.language == "en"


def test_refusals_leave_nothing_behind(app, db, make_client):
    make_client(code="ACME")
    db.session.commit()
    cases = [
        (["--email", "a@x.test", "--name", "A", "--role", "client"], "needs a client"),
        (
            ["--email", "b@x.test", "--name", "B", "--role", "client", "--client", "NOPE"],
            "no client with code 'NOPE'",
        ),
        (
            ["--email", "c@x.test", "--name", "C", "--role", "agent", "--client", "ACME"],
            "only a client user has one",
        ),
    ]
    for args, message in cases:
        result = invoke(app, *args)
        assert result.exit_code != 0 and message in result.output, result.output
    short = invoke(app, "--email", "d@x.test", "--name", "D", "--role", "agent", password="short")
    assert short.exit_code != 0 and "at least 8 characters" in short.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_the_same_email_twice_is_refused(app, db):
    assert invoke(app, "--email", "a@x.test", "--name", "A", "--role", "agent").exit_code == 0
    again = invoke(app, "--email", "A@x.test", "--name", "A2", "--role", "admin")
    assert again.exit_code != 0 and "exists already" in again.output
    assert user(db, "a@x.test").name == "A"
