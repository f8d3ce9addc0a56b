"""The client's working-capital reports: dashboard, charts, exports, drill-down, monthly PDF.

Every figure is the logged-in user's client's (`current_user.client_id`); no parameter of
these pages names a client.
"""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from agency.cases import queries as case_queries
from agency.cases.forms import CaseListArgs
from agency.modeling import today
from agency.portal.views import bp
from agency.reports import queries, responses
from agency.reports.tables import TABLES, case_list_table, dashboard_table


@bp.route("/reports/chart/<name>.png")
def report_chart(name: str):
    return responses.chart_response(current_user.client_id, name)


@bp.route("/reports/<table>.<fmt>")
def report_table(table: str, fmt: str):
    if table not in TABLES:
        abort(404)
    dashboard = queries.dashboard(current_user.client_id, today())
    return responses.table_response(
        dashboard_table(dashboard, table), fmt, f"{table}-{today():%Y-%m-%d}"
    )


@bp.route("/reports/monthly")
def monthly_reports():
    return render_template(
        "portal/monthly_reports.html",
        months=responses.report_months(current_user.client_id, today()),
    )


@bp.route("/reports/monthly/<month>.pdf")
def monthly_report(month: str):
    chosen = responses.parse_month(month, current_user.client_id, today())
    return responses.monthly_pdf_response(current_user.client, chosen)


@bp.route("/cases.<fmt>")
def cases_export(fmt: str):
    if fmt not in responses.EXPORT_FORMATS:
        abort(404)
    args = CaseListArgs.from_request()
    table = case_list_table(
        case_queries.case_rows(
            client_id=current_user.client_id,
            status=args.status,
            search=args.search,
            case_ids=figure_cases(args.figure),
            limit=None,
        )
    )
    return responses.table_response(table, fmt, f"cases-{today():%Y-%m-%d}")


def figure_cases(figure: str | None):
    """The cases behind a dashboard figure of the user's client (None: no such filter)."""
    if figure is None:
        return None
    return queries.figure_case_ids(current_user.client_id, figure, today())
