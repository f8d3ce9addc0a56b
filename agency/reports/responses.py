"""Answers shared by the portal's and the back office's report pages: tables, charts, PDF."""

from __future__ import annotations

import re
from datetime import date

from flask import Response, abort, url_for
from flask_babel import get_locale

from agency.exports import csv_response, xlsx_response
from agency.modeling import today
from agency.reports import queries
from agency.reports.tables import Table, csv_cell

EXPORT_FORMATS = ("csv", "xlsx")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def language() -> str:
    return str(get_locale() or "nl")[:2]


def table_response(table: Table, fmt: str, filename: str) -> Response:
    """Send a table as CSV or XLSX; 404 for another format."""
    rows = [table.headers, *table.rows]
    if fmt == "csv":
        lang = language()
        return csv_response(([csv_cell(v, lang) for v in row] for row in rows), f"{filename}.csv")
    if fmt == "xlsx":
        return xlsx_response(rows, f"{filename}.xlsx", sheet=table.name[:31])
    abort(404)


def chart_response(client_id: int | None, name: str) -> Response:
    """A chart of today's figures as PNG; 404 for a name that is no chart."""
    from agency.reports import charts

    if name not in charts.CHARTS:
        abort(404)
    figures = queries.chart_dashboard(client_id, name, today())
    png = charts.render(name, figures, language=language())
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def report_months(client_id: int | None, today: date) -> list[date]:
    """The months with a report: from the first handoff to last month, newest first."""
    first = queries.first_handoff_on(client_id)
    if first is None:
        return []
    months, month = [], queries.add_months(today.replace(day=1), -1)
    while month >= first.replace(day=1):
        months.append(month)
        month = queries.add_months(month, -1)
    return months


def parse_month(text: str, client_id: int | None, today: date) -> date:
    """A month as 'YYYY-MM' that has a report, or 404."""
    match = _MONTH.match(text)
    if not match:
        abort(404)
    try:
        month = date(int(match[1]), int(match[2]), 1)
    except ValueError:
        abort(404)
    if month not in report_months(client_id, today):
        abort(404)
    return month


def monthly_pdf_response(client, month: date) -> Response:
    """The client's branded monthly report of a month, as a PDF download."""
    from agency.reports import pdf

    dashboard = queries.dashboard(client.id, queries.month_end(month))
    document = pdf.monthly_report_pdf(
        dashboard,
        client_name=client.name,
        brand_colour=client.brand_colour,
        logo_path=client.logo_path,
        month=month,
        language=language(),
    )
    return Response(
        document,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="report-{client.code}-{month:%Y-%m}.pdf"'
        },
    )


class ReportLinks:
    """Where a dashboard's figures, charts and tables lead, in the portal or the back office."""

    def __init__(self, cases: str, case: str, reports: str, **params: object) -> None:
        self.cases_endpoint, self.case_endpoint, self.reports = cases, case, reports
        self.params = {k: v for k, v in params.items() if v is not None}

    def drill(self, figure: str) -> str:
        return url_for(self.cases_endpoint, figure=figure, **self.params)

    def status(self, status: str) -> str:
        return url_for(self.cases_endpoint, status=status, **self.params)

    def case(self, case_id: int) -> str:
        return url_for(self.case_endpoint, case_id=case_id)

    def chart(self, name: str) -> str:
        return url_for(f"{self.reports}.report_chart", name=name, **self.params)

    def export(self, table: str, fmt: str) -> str:
        return url_for(f"{self.reports}.report_table", table=table, fmt=fmt, **self.params)


PORTAL_LINKS = ("portal.cases", "portal.case", "portal")
