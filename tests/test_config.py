"""Settings: what the environment gives, what production refuses, and the Integrations page."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime

import pytest
import time_machine

from agency import _development_secret, create_app
from agency.auth.models import Role
from agency.config import from_environ
from agency.errors import ConfigurationError
from agency.sandbox import operations as sandbox
from agency.sandbox.models import SandboxRecord
from tests.conftest import TEST_CONFIG, make_app

# Just enough for create_app to stop before touching a real database or Redis.
BARE = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "REDIS_URL": None, "JOBS_RUN_PERIODIC": False}

LIVE_SETTINGS = {
    "MAIL_SERVER": "smtp.example.test",
    "TWILIO_ACCOUNT_SID": "AC123",
    "TWILIO_AUTH_TOKEN": "twilio-token",
    "TWILIO_FROM": "+3197000000000",
    "MOLLIE_API_KEY": "test_mollie",
    "STRIPE_SECRET_KEY": "sk_test_123",
    "STRIPE_WEBHOOK_SECRET": "whsec_123",
}


# --- create_app ---------------------------------------------------------------------------


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({**BARE, "AGENCY_ENV": "production", "SECRET_KEY": None})


def test_production_refuses_an_empty_secret_key():
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({**BARE, "AGENCY_ENV": "production", "SECRET_KEY": ""})


def test_production_starts_with_a_secret_key():
    app = create_app({**BARE, "AGENCY_ENV": "production", "SECRET_KEY": "a real secret"})
    assert app.config["SECRET_KEY"] == "a real secret"
    assert app.config["TESTING"] is False


@pytest.mark.parametrize("env", ["staging", "prod", ""])
def test_unknown_environment_is_refused(env):
    with pytest.raises(ConfigurationError, match="AGENCY_ENV"):
        create_app({**BARE, "AGENCY_ENV": env, "SECRET_KEY": "x"})


def test_test_environment_turns_testing_on():
    app = create_app({**BARE, "AGENCY_ENV": "test", "SECRET_KEY": "x"})
    assert app.config["TESTING"] is True


def test_development_secret_is_created_once_and_kept_private(tmp_path):
    first = _development_secret(tmp_path)
    second = _development_secret(tmp_path)
    assert first == second
    assert len(first) >= 32
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_development_secrets_differ_per_instance_folder(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _development_secret(tmp_path / "a") != _development_secret(tmp_path / "b")


def test_development_secret_is_never_readable_by_others(tmp_path, monkeypatch):
    """The key file must not exist with the umask's mode (0o644) even for a moment."""
    key_file = tmp_path / "secret_key"
    modes_before_chmod: list[int] = []
    real_chmod = os.chmod

    def watching_chmod(path, mode, *args, **kwargs):
        modes_before_chmod.append(stat.S_IMODE(key_file.stat().st_mode))
        return real_chmod(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "chmod", watching_chmod)
    old_umask = os.umask(0o022)  # the usual umask: new files are world-readable
    try:
        _development_secret(tmp_path)
    finally:
        os.umask(old_umask)
    assert all(mode & 0o077 == 0 for mode in modes_before_chmod), [
        oct(mode) for mode in modes_before_chmod
    ]
    assert stat.S_IMODE(key_file.stat().st_mode) & 0o077 == 0


# --- from_environ -------------------------------------------------------------------------


def test_from_environ_maps_the_environment():
    settings = from_environ(
        {
            "AGENCY_ENV": "development",
            "SECRET_KEY": "s3cret",
            "DATABASE_URL": "postgresql://agency@db/agency",
            "REDIS_URL": "redis://cache:6379/0",
            "BASE_URL": "https://incasso.example.nl/",
            "LOGIN_MAX_FAILURES": "3",
            "LOGIN_LOCK_MINUTES": "30",
        }
    )
    assert settings["AGENCY_ENV"] == "development"
    assert settings["SECRET_KEY"] == "s3cret"
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql://agency@db/agency"
    assert settings["REDIS_URL"] == "redis://cache:6379/0"
    assert settings["BASE_URL"] == "https://incasso.example.nl"
    assert settings["LOGIN_MAX_FAILURES"] == 3
    assert settings["LOGIN_LOCK_MINUTES"] == 30


def test_from_environ_defaults():
    settings = from_environ({})
    assert settings["AGENCY_ENV"] == "production"
    assert settings["SECRET_KEY"] is None
    assert settings["SQLALCHEMY_DATABASE_URI"] is None
    assert settings["REDIS_URL"] is None
    assert settings["BASE_URL"] == "http://127.0.0.1:5000"
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["LOGIN_MAX_FAILURES"] == 5
    assert settings["LOGIN_LOCK_MINUTES"] == 15
    assert all(settings[key] is None for key in LIVE_SETTINGS)


def test_from_environ_treats_empty_values_as_unset():
    settings = from_environ(
        {"SECRET_KEY": "", "DATABASE_URL": "", "REDIS_URL": "", "MOLLIE_API_KEY": ""}
    )
    assert settings["SECRET_KEY"] is None
    assert settings["SQLALCHEMY_DATABASE_URI"] is None
    assert settings["REDIS_URL"] is None
    assert settings["MOLLIE_API_KEY"] is None


@pytest.mark.parametrize(
    ("base_url", "secure"),
    [
        ("https://incasso.example.nl", True),
        ("https://incasso.example.nl/", True),
        ("http://incasso.example.nl", False),
        ("http://127.0.0.1:5000/", False),
    ],
)
def test_session_cookie_secure_follows_the_base_url(base_url, secure):
    assert from_environ({"BASE_URL": base_url})["SESSION_COOKIE_SECURE"] is secure


@pytest.mark.parametrize(
    ("value", "secure"), [("0", False), ("false", False), ("1", True), ("yes", True)]
)
def test_session_cookie_secure_can_be_set_explicitly(value, secure):
    environ = {
        "BASE_URL": "https://incasso.example.nl" if not secure else "http://localhost",
        "SESSION_COOKIE_SECURE": value,
    }
    assert from_environ(environ)["SESSION_COOKIE_SECURE"] is secure


# --- sandbox or live ----------------------------------------------------------------------


def test_services_without_settings_run_as_sandbox():
    app = make_app("sqlite://")
    modes = {m.service: m for m in sandbox.service_modes(app)}
    assert set(modes) == {"mail", "twilio", "mollie", "stripe"}
    assert not any(m.live for m in modes.values())
    assert modes["mail"].missing == ("MAIL_SERVER",)
    assert modes["twilio"].missing == ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM")
    assert modes["mollie"].missing == ("MOLLIE_API_KEY",)
    assert modes["stripe"].missing == ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")
    assert not any(sandbox.is_live(app, service) for service in modes)


def test_services_with_all_settings_are_live():
    app = make_app("sqlite://", **LIVE_SETTINGS)
    for mode in sandbox.service_modes(app):
        assert mode.live, mode
        assert mode.missing == ()
        assert sandbox.is_live(app, mode.service)


def test_a_service_missing_one_setting_stays_in_sandbox():
    app = make_app("sqlite://", **{**LIVE_SETTINGS, "TWILIO_FROM": None})
    modes = {m.service: m for m in sandbox.service_modes(app)}
    assert not modes["twilio"].live
    assert modes["twilio"].missing == ("TWILIO_FROM",)
    assert modes["mail"].live and modes["mollie"].live and modes["stripe"].live


def test_make_app_uses_the_test_settings():
    assert TEST_CONFIG["MAIL_SERVER"] is None  # the suite never talks to a real mail server
    assert make_app("sqlite://").config["AGENCY_ENV"] == "test"


# --- the Integrations page ----------------------------------------------------------------


def test_integrations_page_shows_services_and_sandbox_records(client, login_as, db):
    login_as(Role.SUPERVISOR)
    with time_machine.travel(datetime(2025, 6, 2, 10, 30, tzinfo=UTC), tick=False):
        sandbox.record(
            "twilio",
            "sms",
            "Herinnering dossier 2025-0001",
            recipient="+31612345678",
            amount_cents=None,
        )
        sandbox.record(
            "mollie",
            "payment",
            "Betaallink dossier 2025-0002",
            recipient="debiteur@example.test",
            amount_cents=123_45,
        )
        db.session.commit()
    response = client.get("/sandbox/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for service in ("mail", "twilio", "mollie", "stripe"):
        assert f"<td>{service}</td>" in html
    assert "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM" in html
    assert "Herinnering dossier 2025-0001" in html
    assert "+31612345678" in html
    assert "Betaallink dossier 2025-0002" in html
    assert "123,45" in html  # euros in the Dutch page
    assert db.session.query(SandboxRecord).count() == 2


def test_integrations_page_is_open_to_admins(client, login_as):
    login_as(Role.ADMIN)
    assert client.get("/sandbox/").status_code == 200


def test_integrations_page_is_closed_to_agents(client, login_as):
    login_as(Role.AGENT)
    response = client.get("/sandbox/")
    assert response.status_code == 403
    assert "<h1>403</h1>" in response.get_data(as_text=True)
    assert 'href="/sandbox/"' not in client.get("/").get_data(as_text=True)


def test_integrations_page_is_closed_to_client_users(client, login_as):
    login_as(Role.CLIENT)
    assert client.get("/sandbox/").status_code == 403


def test_integrations_page_sends_anonymous_visitors_to_login(client):
    response = client.get("/sandbox/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
