"""Client portal pages; every read is scoped to the logged-in user's client."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from agency.auth.access import portal_get, require_client_user
from agency.cases import queries as case_queries
from agency.cases.models import Case, CaseStatus
from agency.ledger.queries import case_balance, invoice_open_principal

bp = Blueprint("portal", __name__)
bp.before_request(require_client_user)


@bp.route("/")
def home():
    return render_template(
        "portal/home.html",
        client=current_user.client,
        overview=case_queries.overview(current_user.client_id),
        statuses=list(CaseStatus),
    )


@bp.route("/cases")
def cases():
    status_arg = request.args.get("status") or None
    try:
        status = CaseStatus(status_arg) if status_arg else None
        after = int(request.args["after"]) if request.args.get("after") else None
    except ValueError:
        abort(400)
    rows = case_queries.case_rows(
        client_id=current_user.client_id,
        status=status,
        search=request.args.get("q"),
        after_id=after,
    )
    return render_template("portal/cases.html", rows=rows, status=status, statuses=list(CaseStatus))


@bp.route("/cases/<int:case_id>")
def case(case_id: int):
    case = portal_get(Case, case_id)
    return render_template(
        "portal/case.html",
        case=case,
        balance=case_balance(case.id),
        invoices=case_queries.case_invoices(case.id),
        open_principal=invoice_open_principal(case.id),
    )
