"""In a real browser: a supervisor books the demo's unmatched credit and the account still
reconciles to zero."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from agency.cases.models import Case
from agency.demo import load_demo
from tests.conftest import ARTIFACTS
from tests.test_browser import log_in

pytestmark = pytest.mark.browser


def test_a_supervisor_books_the_unmatched_credit(browser, live_server, app, db):
    logins = load_demo()
    db.session.commit()
    supervisor = next(email for email, role, _ in logins if role == "supervisor")
    reference = db.session.scalar(
        sa.select(Case.reference).where(Case.closed_on.is_(None)).order_by(Case.id)
    )
    page = browser.new_page(locale="nl-NL")
    log_in(page, live_server, supervisor)
    page.get_by_role("link", name="Derdengelden").click()
    page.get_by_role("link", name="Aansluiting", exact=True).click()
    expect(page.get_by_test_id("difference")).to_have_text(re.compile(r"€\s0,00"))
    page.get_by_role("link", name="Niet gekoppeld").click()
    expect(page.get_by_text("K. de Vries")).to_be_visible()
    page.locator("input[name='parts-0-reference']").fill(reference)
    page.get_by_role("button", name="Boeken").click()
    expect(page.get_by_text("De ontvangst is geboekt.")).to_be_visible()
    expect(page.get_by_text("Alle ontvangsten zijn gekoppeld.")).to_be_visible()
    page.get_by_role("link", name="Aansluiting", exact=True).click()
    expect(page.get_by_test_id("difference")).to_have_text(re.compile(r"€\s0,00"))
    expect(page.get_by_test_id("unexplained")).to_have_text(re.compile(r"€\s0,00"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "money-reconciliation.png"), full_page=True)
