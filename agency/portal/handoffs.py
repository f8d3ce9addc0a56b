"""Client portal: hand over invoices (upload, map columns, read the row report, confirm, follow
the import), download the templates and the row errors, and manage API tokens."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from agency import jobs
from agency.auth.access import portal_get
from agency.clients.intake.columns import FIELDS, template_headers
from agency.clients.intake.importer import analyse, read_and_map, row_errors_as_csv_rows
from agency.clients.models import ApiToken, Handoff, HandoffSource, HandoffStatus
from agency.clients.operations import (
    HandoffError,
    choose_mapping,
    confirm,
    create_api_token,
    handoff_path,
    receive_file,
    revoke_api_token,
)
from agency.clients.tasks import progress_key
from agency.exports import csv_response, xlsx_response
from agency.extensions import db
from agency.i18n import gettext as _
from agency.portal.forms import ApiTokenForm, ConfirmForm, PlainForm, UploadForm
from agency.portal.views import bp

WAITING = (HandoffStatus.VALIDATING, HandoffStatus.QUEUED, HandoffStatus.IMPORTING)


@bp.route("/handoffs")
def handoffs():
    rows = db.session.scalars(
        sa.select(Handoff)
        .where(Handoff.client_id == current_user.client_id)
        .order_by(Handoff.id.desc())
        .limit(100)
    ).all()
    return render_template("portal/handoffs.html", handoffs=rows)


@bp.route("/handoffs/new", methods=["GET", "POST"])
def new_handoff():
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        handoff = receive_file(
            current_user.client,
            upload.stream,
            upload.filename or "upload.csv",
            source=HandoffSource.PORTAL,
            actor=current_user,
        )
        db.session.commit()
        if handoff.status is HandoffStatus.UPLOADED:
            return redirect(url_for("portal.handoff_mapping", handoff_id=handoff.id))
        return redirect(url_for("portal.handoff", handoff_id=handoff.id))
    return render_template("portal/handoff_new.html", form=form)


@bp.route("/handoffs/template.<fmt>")
def handoff_template(fmt: str):
    language = request.args.get("lang", "nl")
    headers = template_headers("en" if language == "en" else "nl")
    name = "overdracht" if language != "en" else "handoff"
    if fmt == "csv":
        return csv_response([headers], f"{name}-template.csv")
    if fmt == "xlsx":
        return xlsx_response([headers], f"{name}-template.xlsx", sheet=name)
    abort(404)


@bp.route("/handoffs/<int:handoff_id>")
def handoff(handoff_id: int):
    item = portal_get(Handoff, handoff_id)
    progress = jobs.read_progress(progress_key(item.id))
    earlier = db.session.get(Handoff, item.duplicate_of_id) if item.duplicate_of_id else None
    return render_template(
        "portal/handoff.html",
        handoff=item,
        report=item.report or {},
        progress=progress,
        waiting=item.status in WAITING,
        earlier=earlier,
        form=ConfirmForm(),
    )


@bp.route("/handoffs/<int:handoff_id>/status.json")
def handoff_status(handoff_id: int):
    item = portal_get(Handoff, handoff_id)
    progress = jobs.read_progress(progress_key(item.id))
    percent = (
        100 if item.status is HandoffStatus.IMPORTED else (progress.percent if progress else 0)
    )
    return jsonify(status=item.status.value, percent=percent, waiting=item.status in WAITING)


@bp.route("/handoffs/<int:handoff_id>/mapping", methods=["GET", "POST"])
def handoff_mapping(handoff_id: int):
    item = portal_get(Handoff, handoff_id)
    table, mapping = read_and_map(handoff_path(item), item.filename, item.client_id)
    form = PlainForm()
    if form.validate_on_submit():
        chosen = {}
        for index in range(len(table.headers)):
            value = request.form.get(f"col-{index}")
            if value is not None:
                chosen[index] = value
        try:
            choose_mapping(item, chosen, actor=current_user)
        except HandoffError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            return redirect(url_for("portal.handoff", handoff_id=item.id))
    samples = _sample_values(table, 3)
    return render_template(
        "portal/handoff_mapping.html",
        handoff=item,
        headers=table.headers,
        mapping=mapping,
        samples=samples,
        fields=FIELDS,
        form=form,
    )


def _sample_values(table, count: int) -> list[list[str]]:
    samples = []
    for _row, cells in table.rows:
        samples.append(cells)
        if len(samples) == count:
            break
    return samples


@bp.route("/handoffs/<int:handoff_id>/confirm", methods=["POST"])
def handoff_confirm(handoff_id: int):
    item = portal_get(Handoff, handoff_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            confirm(item, skip_invalid=form.skip_invalid.data, actor=current_user)
        except HandoffError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
    return redirect(url_for("portal.handoff", handoff_id=item.id))


@bp.route("/handoffs/<int:handoff_id>/errors.csv")
def handoff_errors(handoff_id: int):
    item = portal_get(Handoff, handoff_id)
    report = item.report or {}
    errors = report.get("errors", [])
    if report.get("error_count", 0) > len(errors):
        # The stored report keeps the first errors only; read the file again for all of them.
        table, mapping = read_and_map(
            handoff_path(item),
            item.filename,
            item.client_id,
            {int(i): f for i, f in (item.mapping or {}).items()},
        )
        errors = analyse(current_user.client, table, mapping, keep=_discard).parsed.errors
    return csv_response(row_errors_as_csv_rows(errors), f"overdracht-{item.id}-fouten.csv")


def _discard(rows: object) -> None:
    """Only the errors are wanted here, not the rows."""


@bp.route("/api-tokens", methods=["GET", "POST"])
def api_tokens():
    form = ApiTokenForm()
    plain = None
    if form.validate_on_submit():
        _token, plain = create_api_token(current_user.client, form.name.data, actor=current_user)
        db.session.commit()
        flash(_("Copy the token now: it is shown only once."), "success")
    tokens = db.session.scalars(
        sa.select(ApiToken)
        .where(ApiToken.client_id == current_user.client_id)
        .order_by(ApiToken.id.desc())
    ).all()
    return render_template(
        "portal/api_tokens.html", form=form, tokens=tokens, plain=plain, revoke_form=PlainForm()
    )


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["POST"])
def api_token_revoke(token_id: int):
    token = portal_get(ApiToken, token_id)
    if PlainForm().validate_on_submit():
        revoke_api_token(token, actor=current_user)
        db.session.commit()
        flash(_("The token no longer works."), "success")
    return redirect(url_for("portal.api_tokens"))
