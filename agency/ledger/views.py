"""Back office of client money: statements in, unmatched credits, remittance runs, reconciliation.

Supervisors and admins only: these pages move clients' money.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from agency.auth.access import require_staff, roles_required, staff_get
from agency.auth.models import Role
from agency.cases.models import Case
from agency.clients.models import Client
from agency.errors import AgencyError
from agency.extensions import db
from agency.i18n import gettext as _
from agency.ledger import matching
from agency.ledger.forms import MatchForm, ReturnForm, RunForm, StatementUploadForm
from agency.ledger.models import (
    BankStatement,
    BankTransaction,
    MatchMethod,
    RemittanceLine,
    RemittanceRun,
    TransactionStatus,
)
from agency.ledger.pdf import invoice_pdf, statement_pdf
from agency.ledger.queries import reconcile
from agency.ledger.remittance import create_run, invoice_document, statement_document
from agency.modeling import today

bp = Blueprint("ledger", __name__)
bp.before_request(require_staff)

SUPERVISORS = (Role.ADMIN, Role.SUPERVISOR)


@bp.route("/statements", methods=["GET", "POST"])
@roles_required(*SUPERVISORS)
def statements():
    form = StatementUploadForm()
    if form.validate_on_submit():
        upload = form.statement.data
        try:
            result = matching.import_statement(
                upload.read(),
                upload.filename or "statement",
                account_iban=current_app.config["AGENCY_IBAN"],
                office_iban=current_app.config.get("AGENCY_OFFICE_IBAN"),
                actor=current_user,
            )
        except AgencyError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            if result.duplicate:
                flash(_("This statement was imported before; nothing was booked again."), "info")
            else:
                flash(
                    _(
                        "%(lines)s new lines: %(booked)s credits booked, %(unmatched)s to match, "
                        "%(debits)s debits; %(skipped)s lines were known already.",
                        lines=result.new_lines,
                        booked=result.booked,
                        unmatched=result.unmatched,
                        debits=result.debits,
                        skipped=result.skipped_lines,
                    ),
                    "success",
                )
            return redirect(url_for("ledger.statements"))
    rows = db.session.scalars(
        sa.select(BankStatement).order_by(BankStatement.statement_date.desc()).limit(100)
    ).all()
    return render_template("ledger/statements.html", form=form, statements=rows)


@bp.route("/unmatched")
@roles_required(*SUPERVISORS)
def unmatched():
    rows = db.session.scalars(
        sa.select(BankTransaction)
        .where(BankTransaction.status == TransactionStatus.UNMATCHED)
        .order_by(BankTransaction.booked_on, BankTransaction.id)
    ).all()
    return render_template(
        "ledger/unmatched.html", rows=rows, match_form=MatchForm(), return_form=ReturnForm()
    )


@bp.route("/transactions/<int:transaction_id>/match", methods=["POST"])
@roles_required(*SUPERVISORS)
def match(transaction_id: int):
    txn = staff_get(BankTransaction, transaction_id)
    form = MatchForm()
    if not form.validate_on_submit():
        flash(_("Check the references and amounts."), "error")
        return redirect(url_for("ledger.unmatched"))
    rows = [p for p in form.parts.entries if (p.form.reference.data or "").strip()]
    parts = []
    for row in rows:
        reference = "".join(ch for ch in row.form.reference.data if ch.isdigit())
        case = db.session.scalar(sa.select(Case).where(Case.reference == reference))
        if case is None:
            flash(_("No case has the reference %(ref)s.", ref=row.form.reference.data), "error")
            return redirect(url_for("ledger.unmatched"))
        cents = row.form.amount.cents
        if cents is None and len(rows) == 1:
            cents = txn.amount_cents
        parts.append((case, cents or 0))
    if not parts:
        flash(_("Give at least one case reference."), "error")
        return redirect(url_for("ledger.unmatched"))
    try:
        matching.book_credit(txn, parts, MatchMethod.OPERATOR, actor=current_user)
    except AgencyError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("The credit is booked."), "success")
    return redirect(url_for("ledger.unmatched"))


@bp.route("/transactions/<int:transaction_id>/return", methods=["POST"])
@roles_required(*SUPERVISORS)
def return_credit(transaction_id: int):
    txn = staff_get(BankTransaction, transaction_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for returning the credit."), "error")
        return redirect(url_for("ledger.unmatched"))
    try:
        matching.return_credit(txn, form.reason.data, actor=current_user)
    except AgencyError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("The credit is marked to be paid back."), "success")
    return redirect(url_for("ledger.unmatched"))


@bp.route("/runs", methods=["GET", "POST"])
@roles_required(*SUPERVISORS)
def runs():
    form = RunForm()
    form.set_clients(db.session.scalars(sa.select(Client).order_by(Client.name)))
    if form.validate_on_submit():
        if form.execution.data < form.cutoff.data:
            flash(_("The payment date cannot lie before the cut-off."), "error")
        else:
            try:
                run = create_run(
                    form.cutoff.data,
                    form.execution.data,
                    current_app.config,
                    client_ids=[form.client.data] if form.client.data else None,
                    actor=current_user,
                )
            except AgencyError as error:
                db.session.rollback()
                flash(str(error), "error")
            else:
                db.session.commit()
                flash(_("Remittance run %(number)s is made.", number=run.number), "success")
                return redirect(url_for("ledger.run", run_id=run.id))
    elif not form.is_submitted():
        form.cutoff.data = form.execution.data = today()
    rows = db.session.scalars(
        sa.select(RemittanceRun).order_by(RemittanceRun.number.desc()).limit(100)
    ).all()
    return render_template("ledger/runs.html", form=form, runs=rows)


@bp.route("/runs/<int:run_id>")
@roles_required(*SUPERVISORS)
def run(run_id: int):
    return render_template("ledger/run.html", run=staff_get(RemittanceRun, run_id))


@bp.route("/runs/<int:run_id>/sepa.xml")
@roles_required(*SUPERVISORS)
def run_sepa(run_id: int):
    item = staff_get(RemittanceRun, run_id)
    if not item.sepa_xml:
        abort(404)
    response = Response(item.sepa_xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="afdracht-{item.number}.xml"'
    return response


def _line(run_id: int, client_id: int) -> RemittanceLine:
    line = db.session.scalar(
        sa.select(RemittanceLine).where(
            RemittanceLine.run_id == run_id, RemittanceLine.client_id == client_id
        )
    )
    if line is None:
        abort(404)
    return line


def _pdf(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@bp.route("/runs/<int:run_id>/clients/<int:client_id>/statement.pdf")
@roles_required(*SUPERVISORS)
def run_statement(run_id: int, client_id: int):
    line = _line(run_id, client_id)
    document = statement_document(line, current_app.config)
    return _pdf(statement_pdf(document), f"afdracht-{line.run.number}-{client_id}.pdf")


@bp.route("/runs/<int:run_id>/clients/<int:client_id>/invoice.pdf")
@roles_required(*SUPERVISORS)
def run_invoice(run_id: int, client_id: int):
    line = _line(run_id, client_id)
    document = invoice_document(line, current_app.config)
    return _pdf(invoice_pdf(document), f"provisie-{line.run.number}-{client_id}.pdf")


@bp.route("/reconciliation")
@roles_required(*SUPERVISORS)
def reconciliation():
    return render_template("ledger/reconciliation.html", rec=reconcile())
