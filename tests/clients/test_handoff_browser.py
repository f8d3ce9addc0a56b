"""In the browser: a bookkeeper hands over a file, corrects it, confirms; an agent finds it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agency.auth.models import Role
from tests.clients.test_handoffs import HEADER, ROWS, csv_bytes
from tests.conftest import ARTIFACTS, PASSWORD

pytestmark = pytest.mark.browser


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()


def test_hand_over_correct_confirm_and_find_the_cases(
    app, db, browser, live_server, make_client, make_user, tmp_path
):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    owner = make_client(code="JANSEN", name="Bakkerij Jansen B.V.")
    bookkeeper = make_user(Role.CLIENT, owner)
    agent = make_user(Role.AGENT)
    ARTIFACTS.mkdir(exist_ok=True)

    bad = list(ROWS)
    bad[0] = bad[0].replace("15-09-2026", "31-02-2026")  # no such date
    bad[3] = bad[3].replace("99,95;99,95", "99,95;199,95")  # more open than the invoice
    bad_file = tmp_path / "openstaande posten.csv"
    bad_file.write_bytes(csv_bytes(bad, HEADER, "cp1252"))
    good_file = tmp_path / "openstaande posten gecorrigeerd.csv"
    good_file.write_bytes(csv_bytes(ROWS, HEADER, "cp1252"))

    page = browser.new_page(locale="nl-NL")
    log_in(page, live_server, bookkeeper.email)
    page.get_by_role("link", name="Overdrachten").click()
    page.get_by_role("link", name="Nieuwe overdracht").click()
    page.get_by_label("Bestand (CSV of Excel)").set_input_files(str(bad_file))
    page.get_by_role("button", name="Uploaden en controleren").click()

    errors = page.get_by_test_id("row-errors")
    expect(errors).to_contain_text("31-02-2026")
    expect(errors).to_contain_text("Vervaldatum")
    expect(errors).to_contain_text("Openstaand")
    page.screenshot(path=str(ARTIFACTS / "handoff-errors.png"), full_page=True)

    page.get_by_role("link", name="Nog een bestand uploaden").click()
    page.get_by_label("Bestand (CSV of Excel)").set_input_files(str(good_file))
    page.get_by_role("button", name="Uploaden en controleren").click()
    expect(page.get_by_test_id("principal")).to_have_text("€\xa01.584,51")
    expect(page.get_by_test_id("row-errors")).to_have_count(0)
    page.get_by_role("button", name="4 facturen overdragen").click()

    expect(page.locator("#progress")).to_have_attribute("value", "100", timeout=30_000)
    expect(page.get_by_test_id("progress-text")).to_have_text("100%")
    expect(page.get_by_test_id("imported")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "handoff-imported.png"), full_page=True)
    page.get_by_role("button", name="Uitloggen").click()

    log_in(page, live_server, agent.email)
    page.get_by_role("link", name="Dossiers").click()
    page.get_by_label("Zoeken").fill("Jansen Installatie")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("row", name="Jansen Installatie B.V.").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jansen Installatie B.V.")
    expect(page.get_by_test_id("balance-total")).to_have_text("€\xa01.484,56")
    expect(page.locator("body")).to_contain_text("F-000")  # the paid history came along
    page.screenshot(path=str(ARTIFACTS / "handoff-case.png"), full_page=True)
    page.close()
