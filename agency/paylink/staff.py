"""Back-office actions on a case's payment page: revoke the link, mark a debtor's request
handled. Staff only, CSRF-protected; each validates, calls one operation, commits, returns."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user

from agency.auth.access import require_staff, staff_get
from agency.cases.models import Case
from agency.contact_log.forms import PlainForm
from agency.errors import AgencyError
from agency.extensions import db
from agency.i18n import gettext as _
from agency.i18n import lazy_gettext as _l
from agency.letters.links import revoke_link
from agency.modeling import today
from agency.paylink.models import DebtorRequest, PaymentStatus, RequestKind
from agency.paylink.operations import handle_request

REQUEST_KIND_LABELS = {
    RequestKind.ALREADY_PAID: _l("Says they paid already"),
    RequestKind.INVOICE_COPY: _l("Asks for a copy of an invoice"),
    RequestKind.CALLBACK: _l("Asks to be called back"),
    RequestKind.CONTACT_DETAILS: _l("Corrected their contact details"),
    RequestKind.PLAN: _l("Proposed a plan outside the client's rules"),
}
# The status of a payment as staff read it on the case page.
STAFF_PAYMENT_STATUS_LABELS = {
    PaymentStatus.OPEN: _l("open"),
    PaymentStatus.PAID: _l("paid"),
    PaymentStatus.FAILED: _l("failed"),
    PaymentStatus.CANCELLED: _l("cancelled"),
    PaymentStatus.EXPIRED: _l("expired"),
}
TEMPLATE_GLOBALS = {
    "request_kind_label": REQUEST_KIND_LABELS.__getitem__,
    "payment_status_label": STAFF_PAYMENT_STATUS_LABELS.__getitem__,
}

bp = Blueprint("paylink_staff", __name__)
bp.before_request(require_staff)


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals.update(TEMPLATE_GLOBALS)


def _back(case_id: int):
    return redirect(url_for("cases.detail", case_id=case_id, _anchor="paylink"))


@bp.route("/cases/<int:case_id>/paylink/revoke", methods=["POST"])
def revoke(case_id: int):
    case = staff_get(Case, case_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    revoke_link(case, actor=current_user)
    db.session.commit()
    flash(_("The payment link has been revoked; new letters print a new link."), "success")
    return _back(case.id)


@bp.route("/cases/<int:case_id>/requests/<int:request_id>/done", methods=["POST"])
def request_done(case_id: int, request_id: int):
    case = staff_get(Case, case_id)
    request = db.session.get(DebtorRequest, request_id)
    if request is None or request.case_id != case.id:
        abort(404)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        handle_request(request, actor=current_user, today=today())
    except AgencyError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("The request has been marked handled."), "success")
    return _back(case.id)
