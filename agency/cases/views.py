"""Back-office pages about cases: the staff home page, the case list and a case."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from agency.auth.access import require_staff, staff_get
from agency.cases import queries
from agency.cases.models import Case, CaseStatus
from agency.ledger.queries import case_balance, invoice_open_principal

bp = Blueprint("cases", __name__)
bp.before_request(require_staff)


@bp.route("/")
def dashboard():
    mine = queries.case_rows(assigned_to=current_user.id, open_only=True, limit=10)
    return render_template(
        "cases/dashboard.html",
        overview=queries.overview(),
        mine=mine,
        statuses=list(CaseStatus),
        user=current_user,
    )


@bp.route("/cases")
def index():
    status_arg = request.args.get("status") or None
    try:
        status = CaseStatus(status_arg) if status_arg else None
        after = int(request.args["after"]) if request.args.get("after") else None
    except ValueError:
        abort(400)
    rows = queries.case_rows(status=status, search=request.args.get("q"), after_id=after)
    return render_template("cases/index.html", rows=rows, status=status, statuses=list(CaseStatus))


@bp.route("/cases/<int:case_id>")
def detail(case_id: int):
    case = staff_get(Case, case_id)
    return render_template(
        "cases/detail.html",
        case=case,
        balance=case_balance(case.id),
        invoices=queries.case_invoices(case.id),
        open_principal=invoice_open_principal(case.id),
        entries=queries.case_entries(case.id),
        history=queries.payment_history(case.debtor_id),
    )
