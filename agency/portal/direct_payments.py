"""Client portal: report that a debtor paid the client directly (booked as a direct payment)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from agency.auth.access import portal_get
from agency.cases.models import Case
from agency.errors import AgencyError
from agency.extensions import db
from agency.i18n import gettext as _
from agency.ledger.forms import DirectPaymentForm
from agency.ledger.operations import record_direct_payment
from agency.ledger.queries import case_balance
from agency.modeling import today
from agency.portal.views import bp


@bp.route("/cases/<int:case_id>/direct-payment", methods=["GET", "POST"])
def direct_payment(case_id: int):
    case = portal_get(Case, case_id)
    form = DirectPaymentForm()
    if form.validate_on_submit():
        try:
            record_direct_payment(
                case,
                form.amount.cents,
                paid_on=form.paid_on.data,
                today=today(),
                note=form.note.data,
                actor=current_user,
            )
        except AgencyError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Thank you; the payment is booked on the case."), "success")
            return redirect(url_for("portal.case", case_id=case.id))
    elif not form.is_submitted():
        form.paid_on.data = today()
    return render_template(
        "portal/direct_payment.html", case=case, form=form, balance=case_balance(case.id)
    )
