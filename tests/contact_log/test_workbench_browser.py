"""In the browser: an agent opens their queue, opens the top case, logs a call with a promise to
pay and sees it on the case's timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from agency.auth.models import Role
from agency.cases.priority import refresh_priorities
from agency.modeling import today
from tests.conftest import ARTIFACTS, PASSWORD

pytestmark = pytest.mark.browser


def test_agent_logs_a_call_with_a_promise(app, db, browser, live_server, make_case, make_user):
    agent = make_user(Role.AGENT, name="Sanne Agent")
    small = make_case(80_00)
    big = make_case(1_250_00)
    for case in (small, big):
        case.assigned_agent_id = agent.id
    refresh_priorities(None, today())
    db.session.commit()
    ARTIFACTS.mkdir(exist_ok=True)

    page = browser.new_page(locale="nl-NL")
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(agent.email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("link", name="Werkvoorraad").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn werkvoorraad")
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(big.reference)  # the larger debt comes first
    page.screenshot(path=str(ARTIFACTS / "workbench-queue.png"), full_page=True)

    rows.first.get_by_role("link", name=big.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(big.debtor.name)
    expect(page.get_by_label("Toegezegd bedrag")).to_be_hidden()
    page.get_by_label("Uitkomst").select_option("promise")
    promised_on = today() + timedelta(days=5)
    page.get_by_label("Toegezegd bedrag").fill("150,00")
    page.get_by_label("Toegezegde datum").fill(promised_on.isoformat())
    page.get_by_label("Duur (minuten)").fill("3")
    page.get_by_label("Notitie").fill("Betaalt vrijdag na salaris")
    page.get_by_role("button", name="Contact vastleggen").click()

    expect(page.get_by_role("status")).to_contain_text("Het contact is vastgelegd")
    expect(page.get_by_test_id("case-status")).to_have_text("Toezegging")
    timeline = page.get_by_test_id("timeline")
    first = timeline.locator("li").first
    expect(timeline).to_contain_text("Belooft €\xa0150,00 te betalen uiterlijk")
    expect(timeline).to_contain_text("Betaalt vrijdag na salaris")
    expect(first).to_contain_text("Sanne Agent")
    page.screenshot(path=str(ARTIFACTS / "workbench-case.png"), full_page=True)
    page.close()
