"""The issue's "done when", in a real browser: an agent walks a shift. They open their queue,
take the top case, log a call with a promise to pay and see the case leave the top of the
queue; after the promised date passes without a payment (the clock moved on), the promise job
marks it broken and the case is back on top with a higher priority than before."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from playwright.sync_api import Page, expect

from agency.auth.models import Role
from agency.cases import tasks as case_jobs
from agency.cases.priority import refresh_priorities
from agency.contact_log import tasks as work_jobs
from agency.contact_log.operations import GRACE_DAYS
from agency.modeling import AGENCY_TZ, today
from tests.conftest import ARTIFACTS, PASSWORD

pytestmark = pytest.mark.browser


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("link", name="Werkvoorraad").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn werkvoorraad")


def test_an_agents_shift(app, db, browser, live_server, make_case, make_user):
    agent = make_user(Role.AGENT, name="Sanne Agent")
    day = today()
    # Recent debt, so no part of the score sits at its cap and time moves every part.
    opened, due = day - timedelta(days=5), day - timedelta(days=20)
    big = make_case(1_250_00, opened_on=opened, due_dates=[due])
    middle = make_case(300_00, opened_on=opened, due_dates=[due])
    small = make_case(80_00, opened_on=opened, due_dates=[due])
    for case in (big, middle, small):
        case.assigned_agent_id = agent.id
    refresh_priorities(None, day)
    db.session.commit()
    ARTIFACTS.mkdir(exist_ok=True)

    page = browser.new_page(locale="nl-NL")
    log_in(page, live_server, agent.email)
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text(big.reference)
    before = int(rows.first.get_by_test_id("priority").inner_text())

    # Take the top case and log the call: the debtor promises EUR 150 in five days.
    rows.first.get_by_role("link", name=big.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(big.debtor.name)
    page.get_by_label("Uitkomst").select_option("promise")
    promised_on = day + timedelta(days=5)
    page.get_by_label("Toegezegd bedrag").fill("150,00")
    page.get_by_label("Toegezegde datum").fill(promised_on.isoformat())
    page.get_by_label("Duur (minuten)").fill("4")
    page.get_by_label("Notitie").fill("Betaalt na salaris")
    page.get_by_role("button", name="Contact vastleggen").click()
    expect(page.get_by_role("status")).to_contain_text("Het contact is vastgelegd")
    expect(page.get_by_test_id("case-status")).to_have_text("Toezegging")

    # Back in the queue the case has left the top: it waits for the promise.
    page.get_by_role("link", name="Werkvoorraad").click()
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(middle.reference)
    expect(page.get_by_test_id("queue")).not_to_contain_text(big.reference)
    page.screenshot(path=str(ARTIFACTS / "shift-promise-taken.png"), full_page=True)

    # The promised date and the grace days pass without a payment. The live server runs in a
    # thread of this process, so moving this process's clock moves the app's clock too.
    morning = datetime.combine(
        promised_on + timedelta(days=GRACE_DAYS + 1), time(9, 0), tzinfo=AGENCY_TZ
    )
    with time_machine.travel(morning, tick=True):
        assert today() == morning.date()
        with app.app_context():  # as a worker runs them: with a session of their own
            assert work_jobs.settle_promises() == {"kept": 0, "broken": 1}
            case_jobs.refresh_case_priorities()  # the nightly refresh: every case aged too

        # A new shift: a new login (yesterday's session has expired by now).
        page.context.clear_cookies()
        log_in(page, live_server, agent.email)
        expect(rows).to_have_count(3)
        expect(rows.first).to_contain_text(big.reference)
        expect(rows.first.get_by_test_id("priority")).not_to_have_text(str(before))
        after = int(rows.first.get_by_test_id("priority").inner_text())
        assert after > before
        expect(rows.first).to_contain_text("Aanmaning")  # dunning resumes
        page.screenshot(path=str(ARTIFACTS / "shift-promise-broken.png"), full_page=True)

        rows.first.get_by_role("link", name=big.reference).click()
        expect(page.get_by_test_id("timeline").locator("li").first).to_contain_text(
            "Belofte verbroken"
        )
    page.close()
