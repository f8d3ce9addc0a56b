"""The report pages of the portal and the back office: figures, drill-down, exports, scoping.

The clock stands on 30 June 2026, the day the fixed book of conftest.py is worked out for.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, time

import pytest
import time_machine
from openpyxl import load_workbook

from agency.auth.models import Role
from agency.cases.models import Case
from agency.extensions import db as _db
from agency.formatting import reference
from agency.modeling import AGENCY_TZ
from tests.reports.conftest import AS_OF

# What only client B has: its amounts (in both languages' notation) and its name.
B_MARKERS = ("777,77", "777.77", "111,11", "111.11", "555,55", "555.55", "Client B")


@pytest.fixture
def on_as_of():
    with time_machine.travel(datetime.combine(AS_OF, time(12, 0), tzinfo=AGENCY_TZ), tick=True):
        yield


@pytest.fixture
def portal(client, book, make_user, on_as_of):
    user = make_user(Role.CLIENT, book["a"], language="en")
    assert client.login(user.email).status_code == 302
    return client


def _testid(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</div>', html, re.S)
    assert match, testid
    return re.sub(r"<[^>]+>|\s+", " ", match.group(1))


def _refs(*cases: Case) -> set[str]:
    return {c.reference for c in cases}


def _listed(html: str) -> set[str]:
    return set(re.findall(r'/portal/cases/\d+">(\d{16})</a>', html))


def test_dashboard_shows_each_figure_with_its_definition(portal, book):
    html = portal.get("/portal/").get_data(as_text=True)
    assert "€3,900.00" in _testid(html, "handed-over") and "3 invoices" in _testid(
        html, "handed-over"
    )
    assert "€1,000.00" in _testid(html, "collected-agency")
    assert "€100.00" in _testid(html, "collected-direct")
    assert "€2,840.00" in _testid(html, "outstanding") and "2 open cases" in _testid(
        html, "outstanding"
    )
    assert "27.18%" in _testid(html, "recovery-rate")
    assert "137.3 days → 100 days" in _testid(html, "dso")
    assert "€1,060.00" in _testid(html, "working-capital")
    assert "1 / 2" in _testid(html, "promises-kept")
    assert "€1,200.00" in _testid(html, "inflow")
    assert "13.9 days less DSO" in _testid(html, "terms")
    # Every figure explains itself: a tooltip and a numbered footnote.
    assert html.count('class="fn"') >= 10
    assert "divided by your invoicing per day" in html
    assert re.search(r'<li id="fn-dso">Days sales outstanding', html)
    for chart in ("cash", "aging", "dso", "inflow"):
        assert f'src="/portal/reports/chart/{chart}.png"' in html


def test_drill_down_from_a_figure_lists_its_cases(portal, book):
    html = portal.get("/portal/").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" data-testid="aging-90_plus"', html).group(1)
    assert link == "/portal/cases?figure=aging_90_plus"
    listed = portal.get(link).get_data(as_text=True)
    assert "The cases behind: open principal 90+ days past due" in listed
    assert _listed(listed) == _refs(book["case1"], book["case2"])
    assert _listed(portal.get("/portal/cases?figure=aging_0_30").get_data(as_text=True)) == _refs(
        book["case2"]
    )
    assert _listed(portal.get("/portal/cases?figure=terms").get_data(as_text=True)) == _refs(
        book["case1"]
    )
    assert portal.get("/portal/cases?figure=nonsense").status_code == 400


def test_tables_and_the_case_list_export_as_csv_and_xlsx(portal, book):
    aging = portal.get("/portal/reports/aging.csv")
    assert aging.mimetype == "text/csv"
    lines = aging.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "Days past due;Open principal (EUR);Invoices;Cases"
    assert lines[1] == "0–30 days;400.00;1;1" and lines[4] == "90+ days;2440.00;2;2"

    sheet = load_workbook(io.BytesIO(portal.get("/portal/reports/cash.xlsx").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Month" and len(rows) == 13
    april = next(r for r in rows[1:] if r[0].date() == AS_OF.replace(month=4, day=1))
    assert float(april[1]) == 1000.0 and float(april[3]) == 1000.0

    export = portal.get("/portal/cases.xlsx?figure=aging_90_plus")
    sheet = load_workbook(io.BytesIO(export.data)).active
    refs = {row[0].replace(" ", "") for row in list(sheet.iter_rows(values_only=True))[1:]}
    assert refs == _refs(book["case1"], book["case2"])
    assert portal.get("/portal/reports/aging.pdf").status_code == 404
    assert portal.get("/portal/reports/secrets.csv").status_code == 404


# Each of these, asked by client A's user, carrying client B's ids in every way a URL can.
LEAK_PATHS = [
    "/portal/?client={b}",
    "/portal/reports/figures.csv?client={b}",
    "/portal/reports/aging.xlsx?client={b}",
    "/portal/reports/promises.csv?client_id={b}",
    "/portal/reports/terms.csv?client={b}",
    "/portal/cases?figure=handed_over&client={b}",
    "/portal/cases?figure=collected_agency&client_id={b}",
    "/portal/cases.csv?figure=handed_over&client={b}",
    "/portal/cases.xlsx?figure=promises_kept&client={b}",
    "/portal/cases?q={b_ref}",
    "/portal/cases.csv?q={b_ref}",
]


@pytest.mark.parametrize("template", LEAK_PATHS)
def test_no_figure_of_another_client_leaks(portal, book, template):
    path = template.format(b=book["b"].id, b_ref=book["case3"].reference)
    response = portal.get(path)
    assert response.status_code == 200
    if response.mimetype.endswith("sheet"):
        sheet = load_workbook(io.BytesIO(response.data)).active
        text = "\n".join(";".join(str(v) for v in row) for row in sheet.iter_rows(values_only=True))
    else:
        text = response.get_data(as_text=True)
    ref = book["case3"].reference
    # The reference as a listed case (a search box may echo what was typed) and as exported.
    for marker in (*B_MARKERS, f">{ref}</a>", reference(ref)):
        assert marker not in text, (path, marker)


def test_another_clients_case_from_a_drill_down_answers_404(portal, book):
    assert portal.get(f"/portal/cases/{book['case3'].id}").status_code == 404
    assert portal.get(f"/portal/cases/{book['case1'].id}").status_code == 200


def test_supervisors_see_all_clients_and_one_client(client, book, make_user, on_as_of):
    supervisor = make_user(Role.SUPERVISOR, language="en")
    client.login(supervisor.email)
    everyone = client.get("/reports/").get_data(as_text=True)
    assert "Client A" in everyone and "Client B" in everyone
    assert "€4,677.77" in _testid(everyone, "handed-over")  # 3,900 + 777.77
    only_b = client.get(f"/reports/?client={book['b'].id}").get_data(as_text=True)
    assert "€777.77" in _testid(only_b, "handed-over")
    link = re.search(r'href="([^"]+)" data-testid="aging-90_plus"', only_b).group(1)
    listed = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert book["case3"].reference in listed and book["case1"].reference not in listed
    clients = client.get("/reports/clients.csv").get_data(as_text=True)
    assert "Client A;3900.00;1100.00;2840.00;2;27.2" in clients
    assert client.get("/reports/?client=999999").status_code == 404
    assert client.get("/reports/agents.xlsx?days=30").status_code == 200
    assert client.get("/reports/agents.xlsx?days=31").status_code == 404


def test_agents_do_not_see_the_agency_reports(client, book, make_user, on_as_of):
    client.login(make_user(Role.AGENT).email)
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/figures.csv").status_code == 403
    _db.session.rollback()
