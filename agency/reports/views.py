"""The agency's own reports (supervisors): all clients together, one client, and per agent."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, render_template, request

from agency.auth.access import require_staff, roles_required, staff_get
from agency.auth.models import Role
from agency.cases.queries import client_names
from agency.clients.models import Client
from agency.modeling import today
from agency.reports import queries, responses
from agency.reports.tables import TABLES, agent_table, client_table, dashboard_table

bp = Blueprint("reports", __name__)
bp.before_request(require_staff)

SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)
PERIODS = (7, 30, 90)


def _client() -> Client | None:
    """The client a report is narrowed to (`?client=`), or None for all clients."""
    raw = request.args.get("client")
    if not raw:
        return None
    if not raw.isdigit():
        abort(404)
    return staff_get(Client, int(raw))


def _period() -> int:
    raw = request.args.get("days", "30")
    if not raw.isdigit() or int(raw) not in PERIODS:
        abort(404)
    return int(raw)


def links(client: Client | None) -> responses.ReportLinks:
    return responses.ReportLinks(
        "cases.index", "cases.detail", "reports", client=client.id if client else None
    )


@bp.route("/")
@roles_required(*SUPERVISORS)
def index():
    client = _client()
    day = today()
    days = _period()
    return render_template(
        "reports/index.html",
        client=client,
        d=queries.dashboard(client.id if client else None, day),
        definitions=queries.DEFINITIONS,
        links=links(client),
        clients=queries.client_lines(day) if client is None else None,
        agents=queries.agent_lines(day - timedelta(days=days - 1), day) if client is None else None,
        days=days,
        periods=PERIODS,
        months=responses.report_months(client.id, day) if client else None,
        client_names=client_names(),
    )


@bp.route("/chart/<name>.png")
@roles_required(*SUPERVISORS)
def report_chart(name: str):
    client = _client()
    return responses.chart_response(client.id if client else None, name)


@bp.route("/<table>.<fmt>")
@roles_required(*SUPERVISORS)
def report_table(table: str, fmt: str):
    client = _client()
    day = today()
    if table == "clients":
        data = client_table(queries.client_lines(day))
    elif table == "agents":
        days = _period()
        data = agent_table(queries.agent_lines(day - timedelta(days=days - 1), day))
    elif table in TABLES:
        data = dashboard_table(queries.dashboard(client.id if client else None, day), table)
    else:
        abort(404)
    name = f"{table}-{client.code + '-' if client else ''}{day:%Y-%m-%d}"
    return responses.table_response(data, fmt, name)


@bp.route("/monthly/<int:client_id>/<month>.pdf")
@roles_required(*SUPERVISORS)
def monthly_report(client_id: int, month: str):
    client = staff_get(Client, client_id)
    chosen = responses.parse_month(month, client.id, today())
    return responses.monthly_pdf_response(client, chosen)
