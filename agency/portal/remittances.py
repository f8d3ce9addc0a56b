"""Client portal: the client's remittance statements and commission invoices."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, current_app, render_template
from flask_login import current_user

from agency.auth.access import portal_get
from agency.extensions import db
from agency.ledger.models import RemittanceLine, RemittanceRun
from agency.ledger.pdf import invoice_pdf, statement_pdf
from agency.ledger.remittance import invoice_document, statement_document
from agency.portal.views import bp


@bp.route("/remittances")
def remittances():
    lines = db.session.scalars(
        sa.select(RemittanceLine)
        .join(RemittanceRun)
        .where(RemittanceLine.client_id == current_user.client_id)
        .order_by(RemittanceRun.number.desc())
    ).all()
    return render_template("portal/remittances.html", lines=lines)


def _pdf(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@bp.route("/remittances/<int:line_id>/statement.pdf")
def remittance_statement(line_id: int):
    line = portal_get(RemittanceLine, line_id)
    data = statement_pdf(statement_document(line, current_app.config))
    return _pdf(data, f"afdracht-{line.run.number}.pdf")


@bp.route("/remittances/<int:line_id>/invoice.pdf")
def remittance_invoice(line_id: int):
    line = portal_get(RemittanceLine, line_id)
    data = invoice_pdf(invoice_document(line, current_app.config))
    return _pdf(data, f"provisie-{line.run.number}.pdf")
