"""In a real browser: a client's finance person reads the dashboard, drills down from "90+
days" to the cases, downloads the case list as XLSX and last month's PDF report.

The clock stands on 30 June 2026 (the fixed book of conftest.py); the live server runs in a
thread of this process, so it reads the same clock.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, time

import pytest
import time_machine
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

from agency.auth.models import Role
from agency.modeling import AGENCY_TZ
from tests.conftest import ARTIFACTS, PASSWORD
from tests.reports.conftest import AS_OF

pytestmark = pytest.mark.browser


def test_a_client_reads_drills_down_and_downloads(browser, live_server, book, make_user, db):
    user = make_user(Role.CLIENT, book["a"], language="nl")
    db.session.commit()
    noon = datetime.combine(AS_OF, time(12, 0), tzinfo=AGENCY_TZ)
    with time_machine.travel(noon, tick=True):
        page = browser.new_page(locale="nl-NL", viewport={"width": 1280, "height": 900})
        page.goto(f"{live_server}/login")
        page.get_by_label("E-mail").fill(user.email)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        expect(page.get_by_test_id("handed-over")).to_contain_text(re.compile(r"€\s3\.900,00"))
        expect(page.get_by_test_id("outstanding")).to_contain_text(re.compile(r"€\s2\.840,00"))
        expect(page.get_by_test_id("dso")).to_contain_text("137,3")
        expect(page.get_by_test_id("working-capital")).to_contain_text(re.compile(r"€\s1\.060,00"))
        # The charts are drawn by the server and load as images: four at once, each a few
        # hundred ms alone, longer while the rest of the suite shares the machine.
        for chart in page.locator(".chart img").all():
            expect(chart).to_have_js_property("complete", True, timeout=20_000)
            assert chart.evaluate("img => img.naturalWidth") > 300
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "reports-dashboard.png"), full_page=True)
        # Every column of the aging table can be read: no neighbouring table covers its cases.
        cases_cell = page.get_by_test_id("aging-90_plus-cases")
        expect(cases_cell).to_have_text("2")
        assert cases_cell.evaluate(
            """cell => {
                cell.scrollIntoView({block: "center", inline: "center"});
                const box = cell.getBoundingClientRect();
                const x = box.x + box.width / 2, y = box.y + box.height / 2;
                const top = document.elementFromPoint(x, y);
                return cell.contains(top);
            }"""
        )

        # The definition of a figure is one hover away, and written out in the footnotes.
        assert "per dag factureert" in (page.get_by_test_id("dso").get_attribute("title") or "")

        page.get_by_test_id("aging-90_plus").click()
        expect(page.get_by_test_id("figure-filter")).to_contain_text("90+")
        rows = page.locator("table.list tbody tr")
        expect(rows).to_have_count(2)
        for case in (book["case1"], book["case2"]):
            expect(page.get_by_role("link", name=case.reference)).to_be_visible()

        with page.expect_download() as download:
            page.get_by_test_id("cases-xlsx").click()
        sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
        listed = list(sheet.iter_rows(values_only=True))
        assert listed[0][0] == "Kenmerk"
        refs = {row[0].replace(" ", "") for row in listed[1:]}
        assert refs == {book["case1"].reference, book["case2"].reference}

        page.get_by_role("link", name="Maandrapportages").first.click()
        with page.expect_download() as download:
            page.get_by_test_id("monthly-2026-05").click()
        pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
        text = "\n".join(p.extract_text() for p in pdf.pages)
        assert "mei 2026" in text and "Client A" in text
        assert "777,77" not in text
        page.close()
