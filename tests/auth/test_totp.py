"""The second factor: enrolment on the security page, the code step of login, turning it off."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa
import time_machine

from agency.audit import AuditEvent
from agency.auth.models import Role, User
from tests.conftest import PASSWORD

NOW = datetime(2025, 6, 2, 9, 0, 10, tzinfo=UTC)


@pytest.fixture
def frozen():
    """TOTP codes depend on the clock: keep it still so a code stays valid for the test."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def code_for(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def wrong_code_for(secret: str) -> str:
    """A 6-digit code that is not valid now, nor in the step before or after."""
    totp = pyotp.TOTP(secret)
    valid = {totp.at(NOW + timedelta(seconds=step)) for step in (-30, 0, 30)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in valid)


def audit_actions(db, user: User) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.object_type == "users", AuditEvent.object_id == user.id)
            .order_by(AuditEvent.id)
        )
    )


def is_logged_out(client) -> bool:
    response = client.get("/")
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def post_code(client, path: str, code: str):
    token = client.csrf_token(path)
    return client.post(path, data={"code": code, "csrf_token": token})


@pytest.fixture
def totp_user(make_user, db):
    """A staff member who has turned the second factor on."""
    user = make_user(Role.AGENT, name="Tom Totp")
    user.totp_secret = pyotp.random_base32()
    db.session.commit()
    return user


# --- enrolment ----------------------------------------------------------------------------


def test_security_page_needs_a_login(client):
    response = client.get("/account/security")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_security_page_shows_a_qr_code_and_the_secret(client, login_as):
    login_as(Role.AGENT)
    response = client.get("/account/security")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'<img src="data:image/svg\+xml[^"]+"', html)
    secret = re.search(r"<code>([A-Z2-7]+)</code>", html).group(1)
    with client.session_transaction() as session:
        assert session["totp_setup_secret"] == secret
    # Reloading the page shows the same key, so a scanned code keeps working.
    again = client.get("/account/security").get_data(as_text=True)
    assert f"<code>{secret}</code>" in again


def test_enrolment_with_a_wrong_code_turns_nothing_on(client, login_as, frozen):
    user = login_as(Role.AGENT)
    html = client.get("/account/security").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]+)</code>", html).group(1)
    response = post_code(client, "/account/security", wrong_code_for(secret))
    assert response.status_code == 200
    assert f"<code>{secret}</code>" in response.get_data(as_text=True)
    assert user.totp_secret is None


def test_enrolment_with_the_right_code_turns_the_second_factor_on(client, login_as, db, frozen):
    user = login_as(Role.AGENT)
    html = client.get("/account/security").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]+)</code>", html).group(1)
    response = post_code(client, "/account/security", code_for(secret))
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/security"
    assert user.totp_secret == secret
    assert "auth.totp_enabled" in audit_actions(db, user)
    with client.session_transaction() as session:
        assert "totp_setup_secret" not in session
    # The page now offers to turn it off (a password field) instead of a QR code.
    page = client.get("/account/security").get_data(as_text=True)
    assert 'name="password"' in page and "<img" not in page


# --- login with the second factor ---------------------------------------------------------


def test_password_alone_does_not_log_in(client, totp_user, frozen):
    response = client.login(totp_user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/code"
    assert is_logged_out(client)
    code_page = client.get("/login/code")
    assert code_page.status_code == 200
    assert 'name="code"' in code_page.get_data(as_text=True)


def test_wrong_code_is_refused(client, totp_user, db, frozen):
    client.login(totp_user.email)
    response = post_code(client, "/login/code", wrong_code_for(totp_user.totp_secret))
    assert response.status_code == 401
    assert is_logged_out(client)
    assert "auth.totp_failed" in audit_actions(db, totp_user)


def test_malformed_code_is_refused(client, totp_user, frozen):
    client.login(totp_user.email)
    response = post_code(client, "/login/code", "abcdef")
    assert response.status_code == 200
    assert is_logged_out(client)


def test_right_code_logs_in(client, totp_user, db, frozen):
    client.login(totp_user.email)
    response = post_code(client, "/login/code", code_for(totp_user.totp_secret))
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert 'data-testid="who">Tom Totp' in home.get_data(as_text=True)
    assert totp_user.last_login_at == NOW
    assert audit_actions(db, totp_user)[-1] == "auth.login"


def test_a_code_from_the_previous_step_is_still_accepted(client, totp_user, frozen):
    client.login(totp_user.email)
    previous = pyotp.TOTP(totp_user.totp_secret).at(NOW - timedelta(seconds=30))
    assert post_code(client, "/login/code", previous).status_code == 302
    assert client.get("/").status_code == 200


def test_an_old_code_is_refused(client, totp_user, frozen):
    client.login(totp_user.email)
    old = pyotp.TOTP(totp_user.totp_secret).at(NOW - timedelta(minutes=5))
    if old in {
        code_for(totp_user.totp_secret),
        pyotp.TOTP(totp_user.totp_secret).at(NOW - timedelta(seconds=30)),
        pyotp.TOTP(totp_user.totp_secret).at(NOW + timedelta(seconds=30)),
    }:
        old = wrong_code_for(totp_user.totp_secret)
    assert post_code(client, "/login/code", old).status_code == 401
    assert is_logged_out(client)


def test_code_step_follows_the_next_of_the_login(client, totp_user, frozen):
    client.get("/login?next=/cases")
    client.login(totp_user.email)
    response = post_code(client, "/login/code", code_for(totp_user.totp_secret))
    assert response.headers["Location"] == "/cases"


def test_code_page_without_a_password_step_goes_back_to_login(client, frozen):
    response = client.get("/login/code")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


def test_wrong_password_never_reaches_the_code_step(client, totp_user, frozen):
    response = client.login(totp_user.email, "not the password")
    assert response.status_code == 401
    assert client.get("/login/code").headers["Location"] == "/login"


def test_a_full_login_resets_the_failure_count(client, totp_user, frozen):
    """Typos before a successful login must not add up towards a lock, as without TOTP."""
    for _ in range(2):
        assert client.login(totp_user.email, "not the password").status_code == 401
    assert totp_user.failed_logins == 2
    client.login(totp_user.email)
    assert post_code(client, "/login/code", code_for(totp_user.totp_secret)).status_code == 302
    assert client.get("/").status_code == 200
    assert totp_user.failed_logins == 0


# --- turning it off -----------------------------------------------------------------------


def log_in_with_code(client, user: User) -> None:
    assert client.login(user.email).status_code == 302
    assert post_code(client, "/login/code", code_for(user.totp_secret)).status_code == 302


def post_password(client, password: str):
    token = client.csrf_token("/account/security")
    return client.post("/account/security", data={"password": password, "csrf_token": token})


def test_turning_off_with_a_wrong_password_keeps_it_on(client, totp_user, frozen):
    secret = totp_user.totp_secret
    log_in_with_code(client, totp_user)
    response = post_password(client, "not the password")
    assert response.status_code == 200
    assert totp_user.totp_secret == secret


def test_turning_off_with_the_right_password(app, client, totp_user, db, frozen):
    log_in_with_code(client, totp_user)
    response = post_password(client, PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/security"
    assert totp_user.totp_secret is None
    assert "auth.totp_disabled" in audit_actions(db, totp_user)
    # The password alone logs in again, in another browser.
    other_browser = app.test_client()
    response = other_browser.login(totp_user.email)
    assert response.headers["Location"] == "/"
    assert other_browser.get("/").status_code == 200


# --- the whole story ----------------------------------------------------------------------


def test_enrol_log_out_and_log_in_with_the_code(client, login_as, frozen):
    user = login_as(Role.SUPERVISOR)
    html = client.get("/account/security").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]+)</code>", html).group(1)
    assert post_code(client, "/account/security", code_for(secret)).status_code == 302
    assert user.totp_secret == secret

    assert client.post("/logout", data={"csrf_token": client.csrf_token("/")}).status_code == 302
    assert is_logged_out(client)

    response = client.login(user.email, PASSWORD)
    assert response.headers["Location"] == "/login/code"
    assert is_logged_out(client)
    assert post_code(client, "/login/code", wrong_code_for(secret)).status_code == 401
    assert is_logged_out(client)
    assert post_code(client, "/login/code", code_for(secret)).status_code == 302
    assert client.get("/").status_code == 200


def test_a_code_is_good_for_one_login_only(client, totp_user, frozen):
    """RFC 6238 5.2: a code that logged someone in cannot log in again (a shoulder-surfed code)."""
    code = code_for(totp_user.totp_secret)
    client.login(totp_user.email)
    assert post_code(client, "/login/code", code).status_code == 302
    token = client.csrf_token("/")
    client.post("/logout", data={"csrf_token": token})
    client.login(totp_user.email)
    assert post_code(client, "/login/code", code).status_code == 401
    assert client.get("/").status_code == 302
