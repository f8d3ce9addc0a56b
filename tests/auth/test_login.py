"""Logging in and out: where users land, throttling, CSRF, redirects, cookies and language."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa
import time_machine
from werkzeug.security import check_password_hash

from agency.audit import AuditEvent
from agency.auth.models import Role, User
from agency.auth.operations import UserError, create_user
from agency.extensions import db as _db
from tests.conftest import PASSWORD, make_app

WRONG = "not the password"
START = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


def audit_actions(user: User) -> list[str]:
    """The audit actions recorded about `user`, oldest first."""
    return list(
        _db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.object_type == "users", AuditEvent.object_id == user.id)
            .order_by(AuditEvent.id)
        )
    )


def session_cookie(response) -> str | None:
    """The Set-Cookie header of the session cookie in `response`, if any."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("agency_session="):
            return header
    return None


def cookie_attributes(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]*)"', response.get_data(as_text=True))
    assert match, "no <html lang> on the page"
    return match.group(1)


def browser_host(location: str, base: str = "http://localhost/") -> str:
    """The host a browser would go to for `location`, as WHATWG URL parsing resolves it.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash in http(s) URLs.
    """
    cleaned = re.sub(r"[\t\r\n]", "", location).replace("\\", "/")
    return urlsplit(urljoin(base, cleaned)).netloc


def is_logged_out(client) -> bool:
    response = client.get("/")
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def post_logout(client, token: str | None):
    data = {"csrf_token": token} if token else {}
    return client.post("/logout", data=data)


# --- where users land ---------------------------------------------------------------------


def test_staff_user_lands_on_the_back_office_dashboard(client, make_user):
    user = make_user(Role.AGENT, name="Anna Agent")
    response = client.login(user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert 'data-testid="who">Anna Agent' in home.get_data(as_text=True)


def test_client_user_lands_on_the_portal(client, make_user):
    user = make_user(Role.CLIENT, name="Carla Client")
    response = client.login(user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/"
    home = client.get("/portal/")
    assert home.status_code == 200
    assert 'data-testid="who">Carla Client' in home.get_data(as_text=True)


def test_successful_login_is_recorded(client, make_user):
    user = make_user(Role.SUPERVISOR)
    with time_machine.travel(START, tick=False):
        assert client.login(user.email).status_code == 302
    assert user.last_login_at == START
    assert audit_actions(user)[-1] == "auth.login"


def test_a_logged_in_user_visiting_login_goes_home(client, login_as):
    login_as(Role.CLIENT)
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/"


# --- refused logins -----------------------------------------------------------------------


def test_wrong_password_is_refused_counted_and_audited(client, make_user):
    user = make_user(Role.AGENT)
    response = client.login(user.email, WRONG)
    assert response.status_code == 401
    assert 'name="email"' in response.get_data(as_text=True)  # the form is shown again
    assert user.failed_logins == 1
    assert "auth.login_failed" in audit_actions(user)
    assert is_logged_out(client)
    assert client.login(user.email, WRONG).status_code == 401
    assert user.failed_logins == 2


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client, make_user):
    user = make_user(Role.AGENT)
    wrong_password = client.login(user.email, WRONG)
    unknown = client.login("nobody@example.test", PASSWORD)
    assert unknown.status_code == wrong_password.status_code == 401
    assert is_logged_out(client)


def test_email_is_case_insensitive(client, make_user):
    user = make_user(Role.AGENT, email="mixed.case@example.test")
    response = client.login("Mixed.Case@EXAMPLE.test")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert user.failed_logins == 0


def test_inactive_user_cannot_log_in(client, make_user, db):
    user = make_user(Role.AGENT)
    user.is_active_user = False
    db.session.commit()
    response = client.login(user.email)
    assert response.status_code == 401
    assert is_logged_out(client)


def test_deactivating_a_logged_in_user_ends_their_access(client, login_as, db):
    user = login_as(Role.AGENT)
    assert client.get("/").status_code == 200
    user.is_active_user = False
    db.session.commit()
    assert is_logged_out(client)


# --- throttling ---------------------------------------------------------------------------


def test_a_successful_login_resets_the_failure_count(client, make_user):
    user = make_user(Role.AGENT)
    for _ in range(3):
        assert client.login(user.email, WRONG).status_code == 401
    assert user.failed_logins == 3
    assert client.login(user.email).status_code == 302
    assert user.failed_logins == 0
    assert user.locked_until is None


def test_four_failures_do_not_lock_the_account(client, make_user, app):
    user = make_user(Role.AGENT)
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        client.login(user.email, WRONG)
    assert user.locked_until is None
    assert client.login(user.email).status_code == 302


def test_account_locks_after_too_many_failures_until_the_lock_expires(client, make_user, app):
    assert app.config["LOGIN_MAX_FAILURES"] == 5
    assert app.config["LOGIN_LOCK_MINUTES"] == 15
    user = make_user(Role.AGENT)
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(5):
            assert client.login(user.email, WRONG).status_code == 401
        assert user.locked_until == START + timedelta(minutes=15)

        # Locked: even the right password is refused.
        assert client.login(user.email).status_code == 401
        assert is_logged_out(client)
        assert "auth.login_locked" in audit_actions(user)

        traveller.shift(timedelta(minutes=14, seconds=59))
        assert client.login(user.email).status_code == 401
        assert is_logged_out(client)

        traveller.shift(timedelta(seconds=1))
        response = client.login(user.email)
        assert response.status_code == 302
        assert response.headers["Location"] == "/"
        assert client.get("/").status_code == 200
    assert user.failed_logins == 0
    assert user.locked_until is None


class TestPerAddressRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"LOGIN_RATE_LIMIT": "3 per minute"}

    def test_the_fourth_post_in_a_minute_is_refused(self, client, make_user):
        user = make_user(Role.AGENT)
        with time_machine.travel(START, tick=False) as traveller:
            for _ in range(3):
                assert client.login(user.email, WRONG).status_code == 401
            blocked = client.login(user.email)  # even with the right password
            assert blocked.status_code == 429
            assert "Retry-After" in blocked.headers
            assert "<h1>429</h1>" in blocked.get_data(as_text=True)
            assert is_logged_out(client)

            traveller.shift(timedelta(seconds=61))
            assert client.login(user.email).status_code == 302

    def test_the_limit_is_per_address(self, client, make_user):
        user = make_user(Role.AGENT)
        with time_machine.travel(START, tick=False):
            for _ in range(3):
                client.login(user.email, WRONG)
            assert client.login(user.email, WRONG).status_code == 429
            token = client.csrf_token("/login")
            other = client.post(
                "/login",
                data={"email": user.email, "password": PASSWORD, "csrf_token": token},
                environ_base={"REMOTE_ADDR": "192.0.2.7"},
            )
            assert other.status_code == 302

    def test_get_requests_of_the_login_page_are_not_limited(self, client):
        for _ in range(5):
            assert client.get("/login").status_code == 200


# --- CSRF ---------------------------------------------------------------------------------


def test_login_without_csrf_token_is_refused(client, make_user):
    user = make_user(Role.AGENT)
    client.get("/login")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "<h1>400</h1>" in response.get_data(as_text=True)
    assert is_logged_out(client)
    assert user.last_login_at is None


def test_logout_without_csrf_token_keeps_the_user_logged_in(client, login_as):
    login_as(Role.AGENT)
    response = post_logout(client, None)
    assert response.status_code == 400
    assert client.get("/").status_code == 200


def test_logout_with_a_forged_token_keeps_the_user_logged_in(client, login_as):
    login_as(Role.AGENT)
    post_logout(client, "forged-token")
    assert client.get("/").status_code == 200


def test_logout_with_token_logs_out(client, login_as):
    user = login_as(Role.AGENT)
    token = client.csrf_token("/")
    response = post_logout(client, token)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    back_office = client.get("/")
    assert back_office.status_code == 302
    assert back_office.headers["Location"].startswith("/login?next=")
    assert client.get("/cases").status_code == 302
    assert audit_actions(user)[-1] == "auth.logout"


def test_portal_user_can_log_out(client, login_as):
    login_as(Role.CLIENT)
    post_logout(client, client.csrf_token("/portal/"))
    portal = client.get("/portal/")
    assert portal.status_code == 302
    assert portal.headers["Location"].startswith("/login")


def test_anonymous_visitor_is_sent_to_login_with_next(client):
    response = client.get("/cases")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fcases"


# --- where login sends you afterwards -----------------------------------------------------


def test_login_follows_a_local_next(client, make_user):
    user = make_user(Role.AGENT)
    client.get("/login?next=/cases")
    response = client.login(user.email)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/cases")
    assert browser_host(response.headers["Location"]) == "localhost"


def test_next_given_by_the_login_redirect_is_followed(client, make_user):
    user = make_user(Role.AGENT)
    to_login = client.get("/cases?status=legal")
    client.get(to_login.headers["Location"])
    response = client.login(user.email)
    assert response.headers["Location"] == "/cases?status=legal"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "/\t/evil.example/",
        "javascript:alert(1)",
        "http:/evil.example/",
    ],
)
def test_login_never_redirects_to_another_site(client, make_user, target):
    user = make_user(Role.AGENT)
    client.get("/login", query_string={"next": target})
    response = client.login(user.email)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert browser_host(location) == "localhost", location
    assert not location.lower().startswith("javascript:")


# --- session cookie -----------------------------------------------------------------------


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    user = make_user(Role.AGENT)
    response = client.login(user.email)
    header = session_cookie(response)
    assert header is not None
    attributes = cookie_attributes(header)
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "secure" not in attributes  # the test app runs on plain http


def test_session_cookie_is_secure_when_configured(app, make_user):
    user = make_user(Role.AGENT)
    secure = make_app(app.config["SQLALCHEMY_DATABASE_URI"], SESSION_COOKIE_SECURE=True)
    try:
        secure_client = secure.test_client()
        response = secure_client.login(user.email)
        assert response.status_code == 302
        header = session_cookie(response)
        assert header is not None
        assert "secure" in cookie_attributes(header)
        assert "httponly" in cookie_attributes(header)
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        with secure.app_context():
            _db.engine.dispose()


def test_session_changes_at_login(client, make_user):
    user = make_user(Role.AGENT)
    token_before = client.csrf_token("/login")
    before = client.get_cookie("agency_session")
    assert before is not None
    old_value = before.value
    assert client.login(user.email).status_code == 302
    after = client.get_cookie("agency_session")
    assert after is not None and after.value != old_value
    assert client.get("/").status_code == 200

    # A form token from the anonymous session is worthless once logged in.
    assert client.post("/logout", data={"csrf_token": token_before}).status_code == 400
    assert client.get("/").status_code == 200

    # Whoever kept the pre-login session cookie is not logged in by it.
    client.set_cookie("agency_session", old_value)
    assert is_logged_out(client)


# --- passwords ----------------------------------------------------------------------------


def test_passwords_are_stored_hashed(make_user):
    user = make_user(Role.AGENT)
    assert user.password_hash != PASSWORD
    assert PASSWORD not in user.password_hash
    assert check_password_hash(user.password_hash, PASSWORD)
    assert not check_password_hash(user.password_hash, WRONG)


def test_two_users_with_the_same_password_get_different_hashes(make_user):
    first, second = make_user(Role.AGENT), make_user(Role.AGENT)
    assert first.password_hash != second.password_hash


def test_create_user_refuses_a_short_password(app, db):
    with pytest.raises(UserError):
        create_user("short@example.test", "Short", "1234567", Role.AGENT)
    assert db.session.scalar(sa.select(User).where(User.email == "short@example.test")) is None


def test_create_user_accepts_eight_characters(app):
    user = create_user("eight@example.test", "Eight", "12345678", Role.AGENT)
    assert user.id is not None


def test_create_user_refuses_a_client_user_without_client(app):
    with pytest.raises(UserError):
        create_user("lonely@example.test", "Lonely", PASSWORD, Role.CLIENT)


def test_create_user_refuses_staff_with_a_client(app, make_client):
    with pytest.raises(UserError):
        create_user("staff@example.test", "Staff", PASSWORD, Role.AGENT, client=make_client())


def test_create_user_lowercases_the_email_and_refuses_duplicates(app):
    user = create_user("New.User@Example.TEST", "New", PASSWORD, Role.AGENT)
    assert user.email == "new.user@example.test"
    with pytest.raises(UserError):
        create_user("new.user@example.test", "Again", PASSWORD, Role.SUPERVISOR)


# --- security headers ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/nothing-here"])
def test_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain-http test app


def test_security_headers_on_a_logged_in_page(client, login_as):
    login_as(Role.AGENT)
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- language -----------------------------------------------------------------------------


def switch_language(client, lang: str, next_path: str = "/login", form_path: str = "/login"):
    token = client.csrf_token(form_path)
    return client.post("/language", data={"lang": lang, "next": next_path, "csrf_token": token})


def test_login_page_defaults_to_dutch(client):
    assert html_lang(client.get("/login")) == "nl"


def test_browser_language_is_used_when_nothing_was_chosen(client):
    response = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert html_lang(response) == "en"


def test_language_switch(client):
    response = switch_language(client, "en")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    page = client.get("/login")
    assert html_lang(page) == "en"
    assert "<h1>Log in</h1>" in page.get_data(as_text=True)
    assert 'value="en" selected' in page.get_data(as_text=True)

    switch_language(client, "nl")
    assert html_lang(client.get("/login")) == "nl"


def test_language_switch_needs_a_csrf_token(client):
    client.get("/login")
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.status_code == 400
    assert html_lang(client.get("/login")) == "nl"


def test_language_switch_refuses_unknown_languages(client):
    switch_language(client, "de")
    assert html_lang(client.get("/login")) == "nl"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/"])
def test_language_switch_never_redirects_to_another_site(client, target):
    response = switch_language(client, "en", next_path=target)
    assert response.status_code == 302
    assert browser_host(response.headers["Location"]) == "localhost", response.headers["Location"]


def test_language_switch_is_remembered_for_a_logged_in_user(app, client, login_as):
    user = login_as(Role.AGENT)
    assert user.language == "nl"
    response = switch_language(client, "en", next_path="/cases", form_path="/")
    assert response.headers["Location"] == "/cases"
    assert user.language == "en"
    assert html_lang(client.get("/")) == "en"

    # The choice follows the user to another browser.
    other_browser = app.test_client()
    assert html_lang(other_browser.get("/login")) == "nl"
    assert other_browser.login(user.email).status_code == 302
    assert html_lang(other_browser.get("/")) == "en"


class TestBehindAProxy:
    """With TRUSTED_PROXIES=1 the rate limit counts per visitor, not per proxy."""

    @pytest.fixture
    def app_config(self):
        return {"LOGIN_RATE_LIMIT": "2 per minute", "TRUSTED_PROXIES": 1}

    def test_visitors_behind_one_proxy_are_limited_separately(self, client):
        def attempt(visitor: str):
            token = client.csrf_token("/login")
            return client.post(
                "/login",
                data={"email": "x@y.test", "password": "wrong", "csrf_token": token},
                headers={"X-Forwarded-For": visitor},
            )

        assert [attempt("203.0.113.5").status_code for _ in range(3)] == [401, 401, 429]
        assert attempt("198.51.100.7").status_code == 401
