"""Client portal pages; every read is scoped to the logged-in user's client."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from agency.auth.access import portal_get, require_client_user
from agency.cases import queries as case_queries
from agency.cases.forms import CaseListArgs
from agency.cases.models import Case, CaseStatus
from agency.contact_log.queries import open_disputes_of_client
from agency.modeling import today
from agency.reports import queries as report_queries
from agency.reports.responses import PORTAL_LINKS, ReportLinks

bp = Blueprint("portal", __name__)
bp.before_request(require_client_user)


@bp.route("/")
def home():
    """The client's dashboard: working capital coming back."""
    return render_template(
        "portal/home.html",
        client=current_user.client,
        d=report_queries.dashboard(current_user.client_id, today()),
        definitions=report_queries.DEFINITIONS,
        links=ReportLinks(*PORTAL_LINKS),
        open_disputes=len(open_disputes_of_client(current_user.client_id)),
    )


@bp.route("/cases")
def cases():
    from agency.portal.reports import figure_cases

    args = CaseListArgs.from_request()
    rows = case_queries.case_rows(
        client_id=current_user.client_id,
        status=args.status,
        search=args.search,
        after_id=args.after_id,
        case_ids=figure_cases(args.figure),
    )
    return render_template(
        "portal/cases.html", rows=rows, args=args, status=args.status, statuses=list(CaseStatus)
    )


@bp.route("/cases/<int:case_id>")
def case(case_id: int):
    case = portal_get(Case, case_id)
    return render_template("portal/case.html", case=case, sheet=case_queries.case_sheet(case))
