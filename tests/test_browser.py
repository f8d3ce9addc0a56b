"""In a real browser (Debian's chromium through Playwright): the demo logins reach their homes."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from agency.demo import DEMO_PASSWORD, load_demo

pytestmark = pytest.mark.browser
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


@pytest.fixture
def live_server(app, db) -> Iterator[str]:
    """Serve the test app on a free port of 127.0.0.1 from a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


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
