"""Client portal: the disputes the agency recorded for this client, decided here (upheld: the
disputed amount is credited; rejected: collection resumes), and the debtors who accepted the
client's shorter payment term."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from agency.auth.access import portal_get
from agency.contact_log import queries as work_queries
from agency.contact_log.forms import ResolveDisputeForm
from agency.contact_log.models import Dispute
from agency.contact_log.operations import resolve_dispute
from agency.contact_log.views import send_dispute_file
from agency.errors import AgencyError
from agency.extensions import db
from agency.i18n import gettext as _
from agency.modeling import today
from agency.portal.views import bp


@bp.route("/disputes")
def disputes():
    return render_template(
        "portal/disputes.html",
        disputes=work_queries.open_disputes_of_client(current_user.client_id),
    )


@bp.route("/disputes/<int:dispute_id>", methods=["GET", "POST"])
def dispute(dispute_id: int):
    item = portal_get(Dispute, dispute_id)
    form = ResolveDisputeForm()
    if form.validate_on_submit():
        try:
            resolve_dispute(
                item,
                upheld=form.decision.data == "upheld",
                note=form.note.data,
                today=today(),
                actor=current_user,
            )
        except AgencyError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Thank you; the agency has your decision."), "success")
            return redirect(url_for("portal.disputes"))
    return render_template("portal/dispute.html", dispute=item, form=form)


@bp.route("/disputes/<int:dispute_id>/files/<int:file_id>")
def dispute_file(dispute_id: int, file_id: int):
    return send_dispute_file(portal_get(Dispute, dispute_id), file_id)


@bp.route("/payment-terms")
def payment_terms():
    return render_template(
        "portal/payment_terms.html",
        agreements=work_queries.term_agreements_of_client(current_user.client_id),
        client=current_user.client,
    )
