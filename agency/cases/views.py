"""Back-office pages about cases: the staff home page, the case list and a case."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from agency.auth.access import require_staff, staff_get
from agency.cases import queries
from agency.cases.forms import CaseListArgs
from agency.cases.models import Case, CaseStatus

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
    )


@bp.route("/cases")
def index():
    args = CaseListArgs.from_request()
    rows = queries.case_rows(status=args.status, search=args.search, after_id=args.after_id)
    return render_template(
        "cases/index.html", rows=rows, status=args.status, statuses=list(CaseStatus)
    )


@bp.route("/cases/<int:case_id>")
def detail(case_id: int):
    case = staff_get(Case, case_id)
    return render_template("cases/detail.html", case=case, sheet=queries.case_sheet(case))
