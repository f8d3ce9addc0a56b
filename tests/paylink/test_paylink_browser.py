"""In the browser, on a phone: the debtor opens the link of a rendered letter, passes the check,
pays part through the sandbox, proposes a plan within the client's rules, and an agent then
sees both on the case page."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pypdf
import pytest
from playwright.sync_api import expect

from agency.auth.models import Role
from agency.letters.models import TemplateKind
from agency.letters.operations import letter_content
from agency.letters.pdf import letter_pdf
from agency.modeling import today
from tests.conftest import ARTIFACTS, PASSWORD

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def link_in_pdf(data: bytes) -> str:
    """Return the payment link the letter's PDF carries (its clickable link)."""
    links = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A") or {}
            if "/pay/" in str(action.get("/URI", "")):
                links.append(str(action["/URI"]))
    assert len(set(links)) == 1, links
    return links[0]


def test_debtor_pays_part_and_proposes_a_plan_then_the_agent_sees_both(
    app, db, browser, live_server, make_client, make_case, make_debtor, make_user
):
    app.config["PUBLIC_BASE_URL"] = live_server
    client = make_client(name="Bakkerij Brood B.V.", plan_max_instalments=6)
    client.plan_min_instalment_cents = 25_00
    debtor = make_debtor(client, name="J. de Vries", postcode="3511 AB", language="nl")
    case = make_case(300_00, 150_00, client=client, debtor=debtor)
    content = letter_content(case, TemplateKind.REMINDER, on=today())
    db.session.commit()
    url = link_in_pdf(letter_pdf(content))
    assert url in content["sms"] and url.startswith(f"{live_server}/pay/")
    agent = make_user(Role.AGENT, name="Sanne Agent")
    ARTIFACTS.mkdir(exist_ok=True)

    context = browser.new_context(viewport=PHONE, locale="nl-NL", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bevestig dat u het bent")
    expect(page.locator("body")).not_to_contain_text("Bakkerij Brood")
    page.get_by_label("Uw postcode of een van uw factuurnummers").fill("3511ab")
    page.get_by_role("button", name="Doorgaan").click()

    expect(page.get_by_test_id("total")).to_have_text("€\xa0450,00")
    expect(page.locator("body")).to_contain_text("Bakkerij Brood B.V.")
    page.screenshot(path=str(ARTIFACTS / "paylink-phone.png"), full_page=True)
    # Phone-sized: nothing sticks out sideways.
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > document.documentElement.clientWidth).map(e => e.tagName + '.' + e.className)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], wide

    amount = page.get_by_label("Te betalen bedrag (euro)")
    expect(amount).to_have_value("450,00")  # the full balance by default
    amount.fill("100,00")
    page.get_by_role("button", name="Betalen", exact=True).click()
    expect(page.get_by_test_id("sandbox-amount")).to_have_text("€\xa0100,00")
    page.get_by_role("button", name="Betaald").click()

    expect(page.get_by_test_id("payment-status")).to_contain_text(
        "Dank u wel, uw betaling is ontvangen."
    )
    expect(page.get_by_test_id("total")).to_have_text("€\xa0350,00")

    page.get_by_text("Een betalingsregeling voorstellen").click()
    page.get_by_label("Aantal maandtermijnen").fill("5")
    first = today() + timedelta(days=7)
    page.get_by_label("Datum van de eerste termijn").fill(first.isoformat())
    page.get_by_role("button", name="Deze regeling voorstellen").click()
    expect(page.get_by_role("status").first).to_contain_text("Uw betalingsregeling is afgesproken")
    page.screenshot(path=str(ARTIFACTS / "paylink-plan.png"), full_page=True)
    context.close()

    staff = browser.new_page(locale="nl-NL")
    staff.goto(f"{live_server}/login")
    staff.get_by_label("E-mail").fill(agent.email)
    staff.get_by_label("Wachtwoord").fill(PASSWORD)
    staff.get_by_role("button", name="Inloggen").click()
    staff.goto(f"{live_server}/cases/{case.id}")
    payments = staff.get_by_test_id("online-payments")
    expect(payments).to_contain_text("€\xa0100,00")
    expect(payments).to_contain_text("betaald")
    plans = staff.locator("#plans")
    expect(plans).to_contain_text("€\xa0350,00")
    expect(plans).to_contain_text("loopt")
    expect(plans.locator("tbody tr")).to_have_count(5)
    expect(staff.get_by_test_id("timeline")).to_contain_text("Payment page: plan of 5 monthly")
    staff.screenshot(path=str(ARTIFACTS / "paylink-case.png"), full_page=True)
    staff.close()
    assert first >= date.today() - timedelta(days=1)
