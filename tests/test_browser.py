"""In a real browser (Debian's chromium through Playwright): the demo logins reach their homes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from agency.demo import DEMO_PASSWORD, load_demo
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_logins(app, db) -> dict[str, tuple[str, str]]:
    logins = load_demo()
    db.session.commit()
    by_role: dict[str, tuple[str, str]] = {}
    for email, role, detail in logins:
        by_role.setdefault(role, (email, detail))
    return by_role


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_demo_agent_and_client_user_reach_their_own_home(browser, live_server, demo_logins):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(locale="nl-NL")

    agent_email, agent_name = demo_logins["agent"]
    log_in(page, live_server, agent_email)
    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(agent_name)
    expect(page.get_by_role("navigation")).to_contain_text("Opdrachtgevers")
    assert int(page.get_by_test_id("open-cases").inner_text()) > 0
    page.screenshot(path=str(ARTIFACTS / "agent-home.png"), full_page=True)
    log_out(page)

    client_email, detail = demo_logins["client"]
    log_in(page, live_server, client_email)
    expect(page).to_have_url(f"{live_server}/portal/")
    client_name = detail.split(" of ", 1)[1]
    expect(page.get_by_role("heading", level=1)).to_have_text(client_name)
    expect(page.get_by_role("navigation")).not_to_contain_text("Opdrachtgevers")
    page.screenshot(path=str(ARTIFACTS / "client-home.png"), full_page=True)

    # The client user's way into the back office is closed.
    response = page.goto(f"{live_server}/cases")
    assert response is not None and response.status == 403
    page.close()


def test_a_wrong_password_shows_a_message_in_the_browser(browser, live_server, demo_logins):
    page = browser.new_page(locale="nl-NL")
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(demo_logins["agent"][0])
    page.get_by_label("Wachtwoord").fill("not the password")
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("status")).to_contain_text("klopt niet")
    expect(page).to_have_url(f"{live_server}/login")
    page.close()
