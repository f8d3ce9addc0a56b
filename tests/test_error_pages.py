"""Error pages: the friendly HTML page for people, JSON under /api/."""

from __future__ import annotations

import pytest

from agency.auth.models import Role
from agency.extensions import db as _db
from tests.conftest import make_app


def test_unknown_url_shows_the_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<h1>404</h1>" in html
    assert 'href="/login"' in html  # a way back
    assert 'name="lang"' in html  # the page is the site's layout, not a bare error


def test_404_for_a_logged_in_user_keeps_the_layout(client, login_as):
    login_as(Role.AGENT, name="Anna Agent")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert 'data-testid="who">Anna Agent' in response.get_data(as_text=True)


def test_unknown_case_is_a_404_page(client, login_as):
    login_as(Role.AGENT)
    response = client.get("/cases/999999")
    assert response.status_code == 404
    assert "<h1>404</h1>" in response.get_data(as_text=True)


def test_unknown_api_url_answers_json(client):
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json() == {"error": "Not Found"}


def test_wrong_method_shows_the_405_page(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "<h1>405</h1>" in response.get_data(as_text=True)


@pytest.fixture
def boom_app(app):
    """An app on the test database with routes that fail, reported as a real server would."""
    boom = make_app(app.config["SQLALCHEMY_DATABASE_URI"])

    def explode():
        raise RuntimeError("secret internals: table users is on fire")

    boom.add_url_rule("/boom", "boom", explode)
    boom.add_url_rule("/api/v1/boom", "api_boom", explode)
    boom.config["PROPAGATE_EXCEPTIONS"] = False
    yield boom
    with boom.app_context():
        _db.engine.dispose()


def test_server_error_shows_the_friendly_500_page(boom_app, caplog):
    response = boom_app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<h1>500</h1>" in html
    assert 'href="/login"' in html
    assert "on fire" not in html and "Traceback" not in html  # nothing internal leaks
    assert "table users is on fire" in caplog.text  # but it is logged
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_server_error_under_the_api_answers_json(boom_app):
    response = boom_app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert response.is_json
    assert response.get_json() == {"error": "Internal Server Error"}
