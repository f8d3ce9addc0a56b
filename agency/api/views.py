"""JSON API for client systems: hand over invoices and follow the import."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, g, jsonify, request, url_for

from agency import jobs
from agency.api.access import api_get, require_api_client
from agency.api.openapi import document
from agency.clients.intake.columns import FIELDS
from agency.clients.models import Handoff, HandoffSource, HandoffStatus
from agency.clients.operations import HandoffError, confirm, receive_file
from agency.clients.tasks import progress_key
from agency.extensions import csrf, db, limiter

bp = Blueprint("api", __name__)
csrf.exempt(bp)
limiter.limit("120 per minute")(bp)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.before_request
def _authenticate():
    if request.endpoint != "api.openapi":
        require_api_client()


@bp.route("/openapi.json")
def openapi():
    return jsonify(document())


def _flag(name: str) -> bool:
    return request.args.get(name, "").lower() in {"1", "true", "yes"}


def _upload() -> tuple[bytes, str]:
    """The handed-over file: multipart `file`, a CSV/XLSX body, or JSON {"invoices": [...]}."""
    if "file" in request.files:
        upload = request.files["file"]
        return upload.read(), upload.filename or "upload.csv"
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("invoices"), list):
            raise HandoffError('send {"invoices": [{...}, ...]} with one object per invoice')
        return _json_as_csv(body["invoices"]), "api.csv"
    filename = request.args.get("filename") or (
        "upload.xlsx" if request.mimetype == XLSX else "upload.csv"
    )
    data = request.get_data()
    if not data:
        raise HandoffError("the request has no file")
    return data, filename


def _json_as_csv(invoices: list[Any]) -> bytes:
    names = list(FIELDS)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(names)
    for index, item in enumerate(invoices, start=1):
        if not isinstance(item, dict):
            raise HandoffError(f"invoice {index} is not an object")
        unknown = set(item) - set(names)
        if unknown:
            raise HandoffError(f"invoice {index}: unknown field(s) {', '.join(sorted(unknown))}")
        writer.writerow(["" if item.get(n) is None else str(item.get(n)) for n in names])
    return buffer.getvalue().encode()


def _state(handoff: Handoff) -> dict[str, Any]:
    progress = jobs.read_progress(progress_key(handoff.id))
    return {
        "id": handoff.id,
        "status": handoff.status.value,
        "filename": handoff.filename,
        "checksum": handoff.checksum,
        "progress_percent": 100
        if handoff.status is HandoffStatus.IMPORTED
        else (progress.percent if progress else 0),
        "failure_reason": handoff.failure_reason,
        "duplicate_of": handoff.duplicate_of_id,
        "report": handoff.report or {},
        "links": {"self": url_for("api.handoff", handoff_id=handoff.id)},
    }


@bp.route("/handoffs", methods=["POST"])
def create_handoff():
    try:
        data, filename = _upload()
        handoff = receive_file(
            g.api_client, data, filename, source=HandoffSource.API, check_now=True
        )
    except HandoffError as error:
        db.session.rollback()
        return jsonify(error="bad_request", message=str(error)), 400
    if handoff.status is HandoffStatus.UPLOADED:
        db.session.commit()
        from agency.clients.operations import mapped_table

        _table, mapping = mapped_table(handoff)
        body = _state(handoff)
        body["missing_columns"] = mapping.missing
        body["unrecognised_columns"] = [header for _i, header in mapping.unrecognised]
        body["message"] = "name the columns as in /api/v1/openapi.json (HandoffInvoice)"
        return jsonify(body), 422
    if handoff.status is HandoffStatus.VALIDATED and not _flag("dry_run"):
        try:
            confirm(handoff, skip_invalid=_flag("skip_invalid"), actor=None)
        except HandoffError as error:
            handoff.failure_reason = str(error)
    # The state as this request left it: once committed, the import job may already move it on.
    db.session.flush()
    body, status = _state(handoff), handoff.status
    db.session.commit()
    if status is HandoffStatus.QUEUED:
        return jsonify(body), 202
    if status in (HandoffStatus.REJECTED,) or (
        status is HandoffStatus.VALIDATED and not _flag("dry_run")
    ):
        return jsonify(body), 422
    return jsonify(body), 200


@bp.route("/handoffs/<int:handoff_id>")
def handoff(handoff_id: int):
    return jsonify(_state(api_get(Handoff, handoff_id)))
