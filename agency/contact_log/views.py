"""Back-office actions on a case: log a contact, agree a payment plan, record a dispute, and the
dispute's files. Each validates, calls one operation, commits and returns to the case."""

from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, flash, redirect, send_file, url_for
from flask_login import current_user

from agency.auth.access import require_staff, roles_required, staff_get
from agency.auth.models import Role
from agency.cases.forms import choices
from agency.cases.models import Case, Invoice
from agency.cases.views import render_case_page
from agency.clients.operations import upload_dir
from agency.contact_log import operations
from agency.contact_log.forms import (
    ArrangementForm,
    ContactForm,
    DisputeForm,
    PlainForm,
    SmsForm,
)
from agency.contact_log.models import (
    Arrangement,
    Channel,
    ContactEntry,
    Dispute,
    DisputeFile,
    DisputeReason,
    Outcome,
)
from agency.errors import AgencyError
from agency.extensions import db
from agency.i18n import gettext as _
from agency.modeling import today, utcnow

bp = Blueprint("contact_log", __name__)
bp.before_request(require_staff)


def _back(case_id: int, anchor: str = "timeline"):
    return redirect(url_for("cases.detail", case_id=case_id, _anchor=anchor))


@bp.route("/cases/<int:case_id>/contacts", methods=["POST"])
def log_contact(case_id: int):
    case = staff_get(Case, case_id)
    form = ContactForm()
    if not form.validate_on_submit():
        return render_case_page(case, 400, contact_form=form)
    outcome = Outcome(form.outcome.data)
    corrects = None
    if form.corrects.data is not None:
        corrects = db.session.get(ContactEntry, form.corrects.data)
        if corrects is None or corrects.case_id != case.id:
            abort(404)
    try:
        operations.record_contact(
            case,
            channel=Channel(form.channel.data),
            outcome=outcome,
            note=form.note.data,
            duration_seconds=(
                form.duration_minutes.data * 60 if form.duration_minutes.data is not None else None
            ),
            next_action_on=form.next_action_on.data,
            today=today(),
            promise=(form.promise_amount.cents, form.promise_on.data)
            if outcome is Outcome.PROMISE
            else None,
            payment_term=(form.term_old_days.data, form.term_new_days.data)
            if outcome is Outcome.PAYMENT_TERM
            else None,
            corrects=corrects,
            actor=current_user,
        )
    except AgencyError as error:
        db.session.rollback()
        form.outcome.errors.append(str(error))
        return render_case_page(db.session.get(Case, case_id), 400, contact_form=form)
    db.session.commit()
    flash(_("The contact has been logged."), "success")
    return _back(case_id)


@bp.route("/cases/<int:case_id>/arrangements", methods=["POST"])
def propose_arrangement(case_id: int):
    case = staff_get(Case, case_id)
    form = ArrangementForm()
    if not form.validate_on_submit():
        return render_case_page(case, 400, arrangement_form=form)
    try:
        arrangement = operations.propose_arrangement(
            case,
            form.total.cents,
            form.instalments.data,
            form.first_due_on.data,
            today=today(),
            actor=current_user,
        )
    except AgencyError as error:
        db.session.rollback()
        form.total.errors.append(str(error))
        return render_case_page(db.session.get(Case, case_id), 400, arrangement_form=form)
    db.session.commit()
    if arrangement.approved_at is None and arrangement.exceeds_rules:
        flash(_("The plan is outside the client's rules and waits for a supervisor."), "success")
    else:
        flash(_("The payment plan runs."), "success")
    return _back(case_id, "plans")


def _arrangement_decision(arrangement_id: int, decide) -> object:
    arrangement = staff_get(Arrangement, arrangement_id)
    if PlainForm().validate_on_submit():
        try:
            decide(arrangement, today=today(), actor=current_user)
        except AgencyError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Done."), "success")
    return _back(arrangement.case_id, "plans")


@bp.route("/arrangements/<int:arrangement_id>/approve", methods=["POST"])
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def approve_arrangement(arrangement_id: int):
    return _arrangement_decision(arrangement_id, operations.approve_arrangement)


@bp.route("/arrangements/<int:arrangement_id>/decline", methods=["POST"])
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def decline_arrangement(arrangement_id: int):
    return _arrangement_decision(arrangement_id, operations.decline_arrangement)


@bp.route("/cases/<int:case_id>/disputes", methods=["POST"])
def record_dispute(case_id: int):
    case = staff_get(Case, case_id)
    form = DisputeForm()
    form.invoice.choices = choices((inv.id, inv.number) for inv in case.invoices)
    if not form.validate_on_submit():
        return render_case_page(case, 400, dispute_form=form)
    invoice = db.session.get(Invoice, form.invoice.data)
    files = [
        operations.UploadedFile(f.filename or "file", f.read())
        for f in (form.files.data or [])
        if f and f.filename
    ]
    try:
        amount = form.amount.cents
        if amount is None:
            from agency.ledger.queries import invoice_open_principal

            amount = invoice_open_principal(case.id).get(invoice.id, 0)
        operations.record_dispute(
            case,
            invoice,
            DisputeReason(form.reason.data),
            amount,
            note=form.note.data,
            files=files,
            upload_root=upload_dir(),
            today=today(),
            actor=current_user,
        )
    except AgencyError as error:
        db.session.rollback()
        form.reason.errors.append(str(error))
        return render_case_page(db.session.get(Case, case_id), 400, dispute_form=form)
    db.session.commit()
    flash(_("The dispute has been recorded; the client decides on it."), "success")
    return _back(case_id)


def send_dispute_file(dispute: Dispute, file_id: int):
    """Send one of the dispute's files as a download (never shown inline)."""
    stored = db.session.get(DisputeFile, file_id)
    if stored is None or stored.dispute_id != dispute.id:
        abort(404)
    path = (upload_dir() / stored.stored_path).resolve()
    if not path.is_relative_to(upload_dir().resolve()) or not path.is_file():
        abort(404)
    # Read whole (at most DISPUTE_FILE_MAX_BYTES), so no file handle outlives the response.
    return send_file(
        io.BytesIO(path.read_bytes()),
        mimetype=stored.content_type,
        as_attachment=True,
        download_name=stored.filename,
    )


@bp.route("/disputes/<int:dispute_id>/files/<int:file_id>")
def dispute_file(dispute_id: int, file_id: int):
    return send_dispute_file(staff_get(Dispute, dispute_id), file_id)


@bp.route("/cases/<int:case_id>/call", methods=["POST"])
def call(case_id: int):
    case = staff_get(Case, case_id)
    if PlainForm().validate_on_submit():
        try:
            operations.request_call(
                case,
                now=utcnow(),
                extra_days=current_app.config.get("DESIGNATED_HOLIDAYS") or (),
                actor=current_user,
            )
        except AgencyError as error:
            db.session.rollback()
            flash(_("Not called: %(reason)s", reason=str(error)), "error")
        else:
            db.session.commit()
            flash(_("Your phone rings first, then the debtor's. Log the outcome below."), "success")
    return _back(case_id, "log")


@bp.route("/cases/<int:case_id>/sms", methods=["POST"])
def send_sms(case_id: int):
    case = staff_get(Case, case_id)
    form = SmsForm()
    if not form.validate_on_submit():
        flash(_("Write a text of at most 320 characters."), "error")
        return _back(case_id, "log")
    try:
        operations.request_sms(
            case,
            form.body.data,
            now=utcnow(),
            extra_days=current_app.config.get("DESIGNATED_HOLIDAYS") or (),
            actor=current_user,
        )
    except AgencyError as error:
        db.session.rollback()
        flash(_("Not sent: %(reason)s", reason=str(error)), "error")
    else:
        db.session.commit()
        flash(_("The text message is on its way."), "success")
    return _back(case_id, "timeline")
